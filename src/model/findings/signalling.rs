//! Rules over why a call was refused: the final failure and its cause,
//! 403, the callee's whereabouts (4xx/6xx), upstream 5xx, challenge loops.
//! The helpers the other signalling rules share are here too.

use std::fmt::Write as _;

use super::{Context, Finding, Severity, secs};
use crate::model::{DialogKind, DialogState, Message, Method};
use crate::sip::headers;

/// Status codes that say where the callee is (or is not), not a fault.
const DESTINATION: &[u16] = &[404, 410, 480, 484, 486, 600, 603, 604];

pub(super) fn is_final_to(m: &Message, method: Method) -> bool {
    m.status().is_some_and(|c| c >= 200) && m.cseq.map(|c| c.1) == Some(method)
}

pub(super) fn is_2xx_to(m: &Message, method: Method) -> bool {
    m.status().is_some_and(|c| (200..300).contains(&c)) && m.cseq.map(|c| c.1) == Some(method)
}

/// The last final response >= 300 to the initial INVITE, when the call
/// failed with it: not answered, not a challenge that a new INVITE took up,
/// not the 487 of the caller's own CANCEL.
fn call_failure<'m>(cx: &Context<'m>) -> Option<(usize, usize, &'m Message)> {
    *cx.failure.get_or_init(|| find_call_failure(cx))
}

/// [`call_failure`], worked out (three rules ask).
fn find_call_failure<'m>(cx: &Context<'m>) -> Option<(usize, usize, &'m Message)> {
    // A dialog picked up in the middle: its INVITEs are re-INVITEs, and a
    // refused one leaves the call as it was.
    if cx.dialog.kind != DialogKind::Call || cx.dialog.state() == DialogState::MidDialog {
        return None;
    }
    let msgs = cx.msgs();
    if msgs.iter().any(|m| is_2xx_to(m, Method::Invite)) {
        return None;
    }
    let initial = cx.initial_invites();
    let (i, m) = msgs.iter().enumerate().rev().find(|(_, m)| {
        !m.retransmission()
            && m.status().is_some_and(|c| c >= 300)
            && m.cseq
                .is_some_and(|(n, meth)| meth == Method::Invite && initial.contains(&n))
    })?;
    let code = m.status()?;
    let (cseq, _) = m.cseq?;
    let later_invite = msgs
        .iter()
        .skip(i)
        .any(|x| x.method() == Some(Method::Invite) && x.cseq.is_some_and(|c| c.0 > cseq));
    if matches!(code, 401 | 407) && later_invite {
        return None;
    }
    let cancelled = msgs.iter().any(|x| x.method() == Some(Method::Cancel));
    if code == 487 && cancelled {
        return None;
    }
    let req = cx.sends(cseq, Method::Invite).first().copied().unwrap_or(0);
    Some((req, i, m))
}

pub(super) fn final_failure_cause(cx: &Context) -> Vec<Finding> {
    let Some((req, i, m)) = call_failure(cx) else {
        return Vec::new();
    };
    let Some(code) = m.status() else {
        return Vec::new();
    };
    let severity = match code {
        300..=399 => Severity::Info,
        c if DESTINATION.contains(&c) => Severity::Warning,
        _ => Severity::Error,
    };
    let mut summary = format!(
        "{} from {} {} after the INVITE",
        cx.status_text(m),
        m.src(),
        secs(m.ts_ns - cx.msgs().get(req).map_or(m.ts_ns, |r| r.ts_ns))
    );
    if let Some(reason) = cx.header(i, "Reason", None) {
        let _ = write!(summary, "; Reason: {reason}");
    }
    if let Some(w) = cx.parsed(i).and_then(|p| p.warning.clone()) {
        let _ = write!(summary, "; Warning: {w}");
    }
    vec![Finding::new("final-failure-cause", severity, summary).messages(vec![req, i])]
}

pub(super) fn forbidden_403(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some((i, m)) = msgs.iter().enumerate().find(|(_, m)| {
        m.status() == Some(403)
            && !m.retransmission()
            && matches!(m.cseq, Some((_, Method::Invite | Method::Register)))
    }) else {
        return Vec::new();
    };
    let Some((cseq, method)) = m.cseq else {
        return Vec::new();
    };
    let req = cx.sends(cseq, method).first().copied();
    let with_credentials = req.is_some_and(|r| {
        cx.headers(r).is_some_and(|raw| {
            raw.has("Authorization", None) || raw.has("Proxy-Authorization", None)
        })
    });
    let mut summary = format!("403 Forbidden to {method} from {}", m.src());
    if with_credentials {
        summary.push_str(", although the request carried credentials");
    }
    if let Some(w) = cx.parsed(i).and_then(|p| p.warning.clone()) {
        let _ = write!(summary, "; Warning: {w}");
    }
    vec![
        Finding::new("forbidden-403", Severity::Error, summary)
            .messages(req.into_iter().chain([i]).collect()),
    ]
}

pub(super) fn destination_4xx_6xx(cx: &Context) -> Vec<Finding> {
    let Some((req, i, m)) = call_failure(cx) else {
        return Vec::new();
    };
    let Some(code) = m.status().filter(|c| DESTINATION.contains(c)) else {
        return Vec::new();
    };
    let meaning = match code {
        404 | 604 => "the number is unknown",
        410 => "the number is gone",
        484 => "the number is incomplete",
        480 => "the callee is not registered or not available",
        486 | 600 => "the callee is busy",
        _ => "the callee declined",
    };
    vec![
        Finding::new(
            "destination-4xx-6xx",
            Severity::Warning,
            format!("{}: {meaning} (from {})", cx.status_text(m), m.src()),
        )
        .messages(vec![req, i]),
    ]
}

pub(super) fn upstream_5xx(cx: &Context) -> Vec<Finding> {
    let Some((req, i, m)) = call_failure(cx) else {
        return Vec::new();
    };
    if !m.status().is_some_and(|c| (500..600).contains(&c)) {
        return Vec::new();
    }
    let msgs = cx.msgs();
    let sent = msgs.get(req).map_or(m.ts_ns, |r| r.ts_ns);
    let provisional = msgs
        .iter()
        .take(i)
        .any(|x| x.status().is_some_and(|c| c < 200) && x.cseq == m.cseq);
    let when = if !provisional && m.ts_ns - sent <= 100_000_000 {
        "at once, without 100 Trying: likely configuration or trunk"
    } else if provisional {
        "after the call was in progress: overload or no route onward"
    } else {
        "without 100 Trying"
    };
    let mut summary = format!("{} from {} {when}", cx.status_text(m), m.src());
    if let Some(after) = cx.header(i, "Retry-After", None) {
        let _ = write!(summary, "; Retry-After: {after}");
    }
    vec![Finding::new("upstream-5xx", Severity::Error, summary).messages(vec![req, i])]
}

pub(super) fn auth_loop(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let challenges: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.retransmission() && matches!(m.status(), Some(401 | 407)))
        .map(|(i, _)| i)
        .collect();
    let Some(method) = challenges
        .first()
        .and_then(|i| msgs.get(*i))
        .and_then(|m| m.cseq)
        .map(|c| c.1)
    else {
        return Vec::new();
    };
    if msgs.iter().any(|m| is_2xx_to(m, method)) {
        return Vec::new();
    }
    let requests: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.method() == Some(method) && !m.retransmission())
        .map(|(i, _)| i)
        .collect();
    let with_auth: Vec<usize> = requests
        .iter()
        .copied()
        .filter(|r| {
            cx.headers(*r).is_some_and(|raw| {
                raw.has("Authorization", None) || raw.has("Proxy-Authorization", None)
            })
        })
        .collect();
    if challenges.len() < 3 && !(challenges.len() >= 2 && with_auth.len() >= 2) {
        return Vec::new();
    }
    let nonces: Vec<(Vec<u8>, bool)> = challenges
        .iter()
        .filter_map(|c| {
            let raw = cx.headers(*c)?;
            let v = raw
                .first("WWW-Authenticate", None)
                .or_else(|| raw.first("Proxy-Authenticate", None))?;
            let stale = headers::param(v, "stale").is_some_and(|s| s.eq_ignore_ascii_case(b"true"));
            Some((headers::param(v, "nonce")?.to_vec(), stale))
        })
        .collect();
    let same_nonce = nonces.len() >= 2
        && nonces.windows(2).all(|w| w[0].0 == w[1].0)
        && !nonces.iter().any(|n| n.1);
    let ends_403 = msgs
        .iter()
        .rev()
        .find(|m| is_final_to(m, method))
        .is_some_and(|m| m.status() == Some(403));
    let why = if with_auth.is_empty() {
        "no request carried credentials: the client has none, or something strips them"
    } else if ends_403 {
        "ended with 403: the credentials are known but barred"
    } else if same_nonce {
        "the same nonce each time: the credentials were refused"
    } else {
        "credentials sent and refused"
    };
    vec![
        Finding::new(
            "auth-loop",
            Severity::Error,
            format!(
                "{method} challenged {} times, {} with credentials, never accepted; {why}",
                challenges.len(),
                with_auth.len()
            ),
        )
        .messages(challenges.into_iter().chain(with_auth).collect()),
    ]
}

/// The transactions of a dialog: each request's first send, by CSeq.
pub(super) fn transactions<'a, 'm>(cx: &'a Context<'m>) -> &'a [(usize, &'m Message, u32, Method)] {
    cx.transactions.get_or_init(|| {
        let mut seen: Vec<(u32, Method)> = Vec::new();
        let mut out = Vec::new();
        for (i, m) in cx.msgs().iter().enumerate() {
            if let (Some(meth), Some((n, cm))) = (m.method(), m.cseq)
                && meth == cm
                && meth != Method::Ack
                && !seen.contains(&(n, meth))
            {
                seen.push((n, meth));
                out.push((i, m, n, meth));
            }
        }
        out
    })
}
