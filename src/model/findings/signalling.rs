//! Rules over the signalling: why a call was refused, transactions that
//! timed out, acknowledgements that never came, in-dialog trouble,
//! registrations and transfers.

use std::fmt::Write as _;

use super::{Context, Finding, Severity, TIMER_64T1_NS, secs, status_text};
use crate::model::{DialogKind, Message, Method};
use crate::sip::headers;

/// Status codes that say where the callee is (or is not), not a fault.
const DESTINATION: &[u16] = &[404, 410, 480, 484, 486, 600, 603, 604];

fn is_final_to(m: &Message, method: Method) -> bool {
    m.status().is_some_and(|c| c >= 200) && m.cseq.map(|c| c.1) == Some(method)
}

fn is_2xx_to(m: &Message, method: Method) -> bool {
    m.status().is_some_and(|c| (200..300).contains(&c)) && m.cseq.map(|c| c.1) == Some(method)
}

/// The last final response >= 300 to the initial INVITE, when the call
/// failed with it: not answered, not a challenge that a new INVITE took up,
/// not the 487 of the caller's own CANCEL.
fn call_failure<'m>(cx: &Context<'m>) -> Option<(usize, usize, &'m Message)> {
    if cx.dialog.kind != DialogKind::Call {
        return None;
    }
    let msgs = cx.msgs();
    if msgs.iter().any(|m| is_2xx_to(m, Method::Invite)) {
        return None;
    }
    let initial = cx.initial_invites();
    let (i, m) = msgs.iter().enumerate().rev().find(|(_, m)| {
        !m.retransmission
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
        status_text(code),
        m.src,
        secs(m.ts_ns - cx.msgs().get(req).map_or(m.ts_ns, |r| r.ts_ns))
    );
    if let Some(reason) = cx.header(i, "Reason", None) {
        let _ = write!(summary, "; Reason: {reason}");
    }
    if let Some(w) = cx.model.parsed(m).ok().and_then(|p| p.warning.clone()) {
        let _ = write!(summary, "; Warning: {w}");
    }
    vec![Finding::new("final-failure-cause", severity, summary).messages(vec![req, i])]
}

pub(super) fn forbidden_403(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some((i, m)) = msgs.iter().enumerate().find(|(_, m)| {
        m.status() == Some(403)
            && !m.retransmission
            && matches!(m.cseq, Some((_, Method::Invite | Method::Register)))
    }) else {
        return Vec::new();
    };
    let Some((cseq, method)) = m.cseq else {
        return Vec::new();
    };
    let req = cx.sends(cseq, method).first().copied();
    let with_credentials = req.is_some_and(|r| {
        cx.raw(r).is_some_and(|raw| {
            headers::has(&raw, "Authorization", None)
                || headers::has(&raw, "Proxy-Authorization", None)
        })
    });
    let mut summary = format!("403 Forbidden to {method} from {}", m.src);
    if with_credentials {
        summary.push_str(", although the request carried credentials");
    }
    if let Some(w) = cx.model.parsed(m).ok().and_then(|p| p.warning.clone()) {
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
            format!("{}: {meaning} (from {})", status_text(code), m.src),
        )
        .messages(vec![req, i]),
    ]
}

pub(super) fn upstream_5xx(cx: &Context) -> Vec<Finding> {
    let Some((req, i, m)) = call_failure(cx) else {
        return Vec::new();
    };
    let Some(code) = m.status().filter(|c| (500..600).contains(c)) else {
        return Vec::new();
    };
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
    let mut summary = format!("{} from {} {when}", status_text(code), m.src);
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
        .filter(|(_, m)| !m.retransmission && matches!(m.status(), Some(401 | 407)))
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
        .filter(|(_, m)| m.method() == Some(method) && !m.retransmission)
        .map(|(i, _)| i)
        .collect();
    let with_auth: Vec<usize> = requests
        .iter()
        .copied()
        .filter(|r| {
            cx.raw(*r).is_some_and(|raw| {
                headers::has(&raw, "Authorization", None)
                    || headers::has(&raw, "Proxy-Authorization", None)
            })
        })
        .collect();
    if challenges.len() < 3 && !(challenges.len() >= 2 && with_auth.len() >= 2) {
        return Vec::new();
    }
    let nonces: Vec<(Vec<u8>, bool)> = challenges
        .iter()
        .filter_map(|c| {
            let raw = cx.raw(*c)?;
            let v = headers::first(&raw, "WWW-Authenticate", None)
                .or_else(|| headers::first(&raw, "Proxy-Authenticate", None))?;
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
fn transactions<'m>(cx: &Context<'m>) -> Vec<(usize, &'m Message, u32, Method)> {
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
}

pub(super) fn invite_timeout(cx: &Context) -> Vec<Finding> {
    let one_sided = cx.one_sided();
    let mut out = Vec::new();
    for (i, m, cseq, method) in transactions(cx) {
        if method == Method::Register {
            continue; // register-failure
        }
        let sends = cx.sends(cseq, method);
        let responses: Vec<(usize, &Message)> = cx.responses(cseq, method).collect();
        let timer = if method == Method::Invite { "B" } else { "F" };
        if let Some((r, resp)) = responses.iter().find(|(_, r)| r.status() == Some(408)) {
            out.push(
                Finding::new(
                    "invite-timeout",
                    Severity::Error,
                    format!(
                        "{method} answered 408 Request Timeout by {} after {}",
                        resp.src,
                        secs(resp.ts_ns - m.ts_ns)
                    ),
                )
                .messages(vec![i, *r]),
            );
            continue;
        }
        let fired = cx.saw_past(m.ts_ns, TIMER_64T1_NS);
        if responses.is_empty() {
            let last = sends
                .last()
                .and_then(|s| cx.msgs().get(*s))
                .map_or(m.ts_ns, |x| x.ts_ns);
            let summary = format!(
                "{method} sent {} time{} over {}, no response{}",
                sends.len(),
                if sends.len() == 1 { "" } else { "s" },
                secs(last - m.ts_ns),
                if fired {
                    format!(": Timer {timer} fired at {}", secs(TIMER_64T1_NS))
                } else {
                    format!(
                        " (the capture ends {} after it, before Timer {timer})",
                        secs(cx.now_ns - m.ts_ns)
                    )
                }
            );
            let severity = if sends.len() >= 3 {
                // Retransmissions prove the sender heard nothing.
                if fired || sends.len() >= 7 {
                    Severity::Error
                } else {
                    Severity::Warning
                }
            } else if fired && !one_sided && m.transport != crate::decode::Transport::Udp {
                // Over TCP nothing is retransmitted: one send is the proof.
                // Over UDP a lone send with no response means the capture
                // missed the response (the sender would have sent again).
                Severity::Error
            } else {
                continue;
            };
            out.push(Finding::new("invite-timeout", severity, summary).messages(sends));
            continue;
        }
        // Only 100 Trying, no ringing and no final answer within 64*T1.
        let only_trying = method == Method::Invite
            && responses.iter().all(|(_, r)| r.status() == Some(100))
            && cx.saw_past(responses[0].1.ts_ns, TIMER_64T1_NS);
        if only_trying {
            out.push(
                Finding::new(
                    "invite-timeout",
                    Severity::Error,
                    format!(
                        "INVITE got 100 Trying, then nothing for {}",
                        secs(cx.now_ns - m.ts_ns)
                    ),
                )
                .messages(vec![i, responses[0].0]),
            );
        }
    }
    out
}

/// The final responses to an INVITE, by CSeq: every send, per status code
/// and hop (source and destination).
fn final_sends(cx: &Context, cseq: u32) -> Vec<(u16, Vec<usize>)> {
    let mut out: Vec<(u16, Vec<usize>)> = Vec::new();
    let msgs = cx.msgs();
    for (i, m) in msgs.iter().enumerate() {
        if let Some(code) = m.status().filter(|c| *c >= 200)
            && m.cseq == Some((cseq, Method::Invite))
        {
            let same_hop = |v: &Vec<usize>| {
                v.first()
                    .and_then(|f| msgs.get(*f))
                    .is_some_and(|f| f.src == m.src && f.dst == m.dst)
            };
            match out.iter_mut().find(|(c, v)| *c == code && same_hop(v)) {
                Some((_, v)) => v.push(i),
                None => out.push((code, vec![i])),
            }
        }
    }
    out
}

pub(super) fn ack_missing(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let mut out = Vec::new();
    for (_, _, cseq, method) in transactions(cx) {
        if method != Method::Invite {
            continue;
        }
        for (code, sends) in final_sends(cx, cseq) {
            let Some(first) = sends.first().and_then(|i| msgs.get(*i)) else {
                continue;
            };
            let acked = msgs.iter().any(|m| {
                m.method() == Some(Method::Ack)
                    && m.cseq.is_some_and(|c| c.0 == cseq)
                    && m.ts_ns >= first.ts_ns
            });
            if acked || sends.len() < 3 {
                continue;
            }
            let last = sends
                .last()
                .and_then(|i| msgs.get(*i))
                .map_or(0, |m| m.ts_ns);
            let bye = msgs
                .iter()
                .enumerate()
                .find(|(_, m)| m.method() == Some(Method::Bye) && m.ts_ns > first.ts_ns);
            let fired = cx.saw_past(first.ts_ns, TIMER_64T1_NS - 1_000_000_000);
            let mut summary = format!(
                "{} sent {} times over {}, never acknowledged",
                status_text(code),
                sends.len(),
                secs(last - first.ts_ns)
            );
            if let Some((_, b)) = bye {
                let _ = write!(
                    summary,
                    "; {} sent BYE {} after the first",
                    if b.src == first.src {
                        "the callee"
                    } else {
                        "the caller"
                    },
                    secs(b.ts_ns - first.ts_ns)
                );
            } else if !fired {
                summary.push_str(" so far (the capture ends before 64*T1)");
            }
            let severity = if fired || bye.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            };
            let mut evidence = sends.clone();
            evidence.extend(bye.map(|(i, _)| i));
            let summary = if code >= 300 {
                format!("{summary} (Timer H)")
            } else {
                summary
            };
            out.push(Finding::new("ack-missing", severity, summary).messages(evidence));
        }
    }
    out
}

pub(super) fn prack_missing(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    if msgs.iter().any(|m| m.method() == Some(Method::Prack)) {
        return Vec::new();
    }
    // Reliable provisionals are retransmitted: look only at those.
    let retransmitted: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.retransmission
                && m.status().is_some_and(|c| (101..200).contains(&c))
                && m.cseq.map(|c| c.1) == Some(Method::Invite)
        })
        .map(|(i, _)| i)
        .collect();
    let Some(&first_re) = retransmitted.first() else {
        return Vec::new();
    };
    let reliable = cx.raw(first_re).is_some_and(|raw| {
        headers::values(&raw, "Require", None)
            .any(|v| memchr::memmem::find(&v.to_ascii_lowercase(), b"100rel").is_some())
            && headers::has(&raw, "RSeq", None)
    });
    if !reliable {
        return Vec::new();
    }
    let Some(m) = msgs.get(first_re) else {
        return Vec::new();
    };
    let sends: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, x)| x.status() == m.status() && x.cseq == m.cseq && x.src == m.src)
        .map(|(i, _)| i)
        .collect();
    vec![
        Finding::new(
            "prack-missing",
            Severity::Error,
            format!(
                "{} with Require: 100rel sent {} times, no PRACK",
                status_text(m.status().unwrap_or(183)),
                sends.len()
            ),
        )
        .messages(sends),
    ]
}

pub(super) fn pdd_high(cx: &Context) -> Vec<Finding> {
    let Some(pdd) = cx.dialog.pdd_ns() else {
        return Vec::new();
    };
    let severity = match pdd {
        p if p > 11_000_000_000 => Severity::Error,
        p if p > 3_000_000_000 => Severity::Warning,
        _ => return Vec::new(),
    };
    let msgs = cx.msgs();
    let invite = cx.first_request(Method::Invite).map(|(i, _)| i);
    let ringing = msgs.iter().position(|m| {
        m.status().is_some_and(|c| (180..200).contains(&c))
            && m.cseq.map(|c| c.1) == Some(Method::Invite)
    });
    vec![
        Finding::new(
            "pdd-high",
            severity,
            format!("first ringing {} after the INVITE", secs(pdd)),
        )
        .messages(invite.into_iter().chain(ringing).collect()),
    ]
}

pub(super) fn cancel_race(cx: &Context) -> Vec<Finding> {
    let Some((c, cancel)) = cx.first_request(Method::Cancel) else {
        return Vec::new();
    };
    let msgs = cx.msgs();
    let Some((cseq, _)) = cancel.cseq else {
        return Vec::new();
    };
    if let Some((r, _)) = cx
        .responses(cseq, Method::Cancel)
        .find(|(_, m)| m.status() == Some(481))
    {
        return vec![
            Finding::new(
                "cancel-race",
                Severity::Warning,
                "CANCEL answered 481: no transaction to cancel".into(),
            )
            .messages(vec![c, r]),
        ];
    }
    if let Some((a, answer)) = msgs
        .iter()
        .enumerate()
        .find(|(_, m)| is_2xx_to(m, Method::Invite) && !m.retransmission)
        .filter(|(_, m)| m.ts_ns >= cancel.ts_ns - 50_000_000)
    {
        return vec![
            Finding::new(
                "cancel-race",
                Severity::Warning,
                format!(
                    "the call was answered {} after the CANCEL: the two crossed",
                    secs((answer.ts_ns - cancel.ts_ns).max(0))
                ),
            )
            .messages(vec![c, a]),
        ];
    }
    let ended = msgs
        .iter()
        .any(|m| is_final_to(m, Method::Invite) && m.ts_ns >= cancel.ts_ns);
    let accepted = cx
        .responses(cseq, Method::Cancel)
        .any(|(_, m)| m.status().is_some_and(|c| (200..300).contains(&c)));
    let invite_seen = cx.first_request(Method::Invite).is_some();
    if accepted && invite_seen && !ended && cx.saw_past(cancel.ts_ns, TIMER_64T1_NS) {
        return vec![
            Finding::new(
                "cancel-race",
                Severity::Warning,
                format!(
                    "CANCEL, and the INVITE never ended (no 487 in {})",
                    secs(cx.now_ns - cancel.ts_ns)
                ),
            )
            .messages(vec![c]),
        ];
    }
    Vec::new()
}

pub(super) fn reinvite_glare(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let glares: Vec<(usize, &Message)> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.status() == Some(491)
                && !m.retransmission
                && matches!(m.cseq, Some((_, Method::Invite | Method::Update)))
        })
        .collect();
    let Some(&(i, m)) = glares.first() else {
        return Vec::new();
    };
    let Some((cseq, method)) = m.cseq else {
        return Vec::new();
    };
    let retry = msgs.iter().enumerate().find(|(_, x)| {
        x.method() == Some(method)
            && x.src == m.dst
            && x.cseq.is_some_and(|c| c.0 > cseq)
            && x.ts_ns - m.ts_ns <= 5_000_000_000
    });
    let (severity, summary) = match retry {
        Some((_, r)) if glares.len() < 2 => (
            Severity::Info,
            format!(
                "{method} met 491 Request Pending and was retried {} later",
                secs(r.ts_ns - m.ts_ns)
            ),
        ),
        _ if glares.len() >= 2 => (
            Severity::Warning,
            format!("491 Request Pending {} times", glares.len()),
        ),
        _ => (
            Severity::Warning,
            format!("{method} met 491 Request Pending and was not retried within 5 s"),
        ),
    };
    let mut evidence: Vec<usize> = glares.iter().map(|(i, _)| *i).collect();
    evidence.extend(cx.sends(cseq, method).first());
    evidence.extend(retry.map(|(r, _)| r));
    let _ = i;
    vec![Finding::new("reinvite-glare-491", severity, summary).messages(evidence)]
}

pub(super) fn in_dialog_481(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some((i, m)) = msgs.iter().enumerate().find(|(_, m)| {
        m.status() == Some(481)
            && !m.retransmission
            && matches!(
                m.cseq,
                Some((
                    _,
                    Method::Bye
                        | Method::Invite
                        | Method::Update
                        | Method::Info
                        | Method::Refer
                        | Method::Notify
                        | Method::Prack
                ))
            )
    }) else {
        return Vec::new();
    };
    let Some((cseq, method)) = m.cseq else {
        return Vec::new();
    };
    let req = cx.sends(cseq, method).first().copied();
    let byes: Vec<&Message> = msgs
        .iter()
        .filter(|x| x.method() == Some(Method::Bye))
        .collect();
    let crossing = method == Method::Bye && byes.iter().any(|b| b.src != byes[0].src);
    let (severity, summary) = if crossing {
        (
            Severity::Info,
            "BYE answered 481: both sides hung up at once (harmless)".to_owned(),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "{method} answered 481 by {}: it does not know this dialog",
                m.src
            ),
        )
    };
    vec![
        Finding::new("in-dialog-481", severity, summary)
            .messages(req.into_iter().chain([i]).collect()),
    ]
}

pub(super) fn session_timer_expiry(cx: &Context) -> Vec<Finding> {
    if cx.dialog.kind != DialogKind::Call {
        return Vec::new();
    }
    let msgs = cx.msgs();
    let mut out = Vec::new();
    let too_small: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.status() == Some(422) && !m.retransmission)
        .map(|(i, _)| i)
        .collect();
    if too_small.len() >= 2 {
        out.push(
            Finding::new(
                "session-timer-expiry",
                Severity::Error,
                format!(
                    "422 Session Interval Too Small {} times: the sides cannot agree on Min-SE",
                    too_small.len()
                ),
            )
            .messages(too_small),
        );
    }
    let Some((a, answer)) = msgs
        .iter()
        .enumerate()
        .find(|(_, m)| is_2xx_to(m, Method::Invite) && !m.retransmission)
    else {
        return out;
    };
    let Some(se) = cx
        .raw(a)
        .and_then(|raw| {
            headers::first(&raw, "Session-Expires", Some(b'x')).and_then(headers::number)
        })
        .filter(|s| *s > 0)
    else {
        return out;
    };
    let se_ns = i64::try_from(se)
        .unwrap_or(i64::MAX / 4)
        .saturating_mul(1_000_000_000);
    let Some((cseq0, _)) = answer.cseq else {
        return out;
    };
    let refreshes: Vec<(usize, &Message)> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            matches!(m.method(), Some(Method::Invite | Method::Update))
                && !m.retransmission
                && m.ts_ns > answer.ts_ns
                && m.cseq.is_some_and(|c| c.0 > cseq0 || c.1 == Method::Update)
        })
        .collect();
    for (r, refresh) in &refreshes {
        if let Some((cseq, meth)) = refresh.cseq
            && let Some((f, fail)) = cx.responses(cseq, meth).find(|(_, x)| {
                x.status().is_some_and(|c| {
                    c == 408
                        || c == 481
                        || (400..500).contains(&c) && c != 491 && c != 401 && c != 407
                })
            })
        {
            out.push(
                Finding::new(
                    "session-timer-expiry",
                    Severity::Error,
                    format!(
                        "the session refresh ({meth}) was answered {}",
                        status_text(fail.status().unwrap_or(0))
                    ),
                )
                .messages(vec![a, *r, f]),
            );
            return out;
        }
    }
    let bye = cx.first_request(Method::Bye);
    let end = bye.map_or(cx.now_ns, |(_, b)| b.ts_ns);
    let deadline = answer.ts_ns + se_ns / 2 + 10_000_000_000;
    let in_time = refreshes.first().is_some_and(|(_, r)| r.ts_ns <= deadline);
    if in_time || end < deadline {
        return out;
    }
    let near_se =
        bye.is_some_and(|(_, b)| (b.ts_ns - answer.ts_ns - se_ns).abs() <= 35_000_000_000);
    let (severity, summary) = if near_se {
        (
            Severity::Error,
            format!(
                "Session-Expires {se} s, no refresh; BYE {} after the answer",
                secs(end - answer.ts_ns)
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "Session-Expires {se} s and no refresh by {} (half of it, + 10 s)",
                secs(se_ns / 2 + 10_000_000_000)
            ),
        )
    };
    out.push(
        Finding::new("session-timer-expiry", severity, summary)
            .messages(std::iter::once(a).chain(bye.map(|(i, _)| i)).collect()),
    );
    out
}

pub(super) fn register_failure(cx: &Context) -> Vec<Finding> {
    if cx.dialog.kind != DialogKind::Registration {
        return Vec::new();
    }
    let msgs = cx.msgs();
    let mut out = Vec::new();
    for (i, m, cseq, method) in transactions(cx) {
        if method != Method::Register {
            continue;
        }
        let finals: Vec<(usize, &Message)> = cx
            .responses(cseq, method)
            .filter(|(_, r)| r.status().is_some_and(|c| c >= 200))
            .collect();
        let later_ok = |ts: i64| msgs.iter().any(|x| is_2xx_to(x, method) && x.ts_ns > ts);
        if let Some((f, fail)) = finals.first() {
            let code = fail.status().unwrap_or(0);
            if code < 300 || matches!(code, 401 | 407 | 403) || later_ok(fail.ts_ns) {
                continue;
            }
            let mut summary = format!("REGISTER answered {} by {}", status_text(code), fail.src);
            if code == 423
                && let Some(min) = cx.header(*f, "Min-Expires", None)
            {
                let _ = write!(summary, " (Min-Expires: {min})");
            }
            out.push(
                Finding::new("register-failure", Severity::Error, summary).messages(vec![i, *f]),
            );
        } else if cx.responses(cseq, method).next().is_none()
            && cx.saw_past(m.ts_ns, TIMER_64T1_NS)
            && !later_ok(m.ts_ns)
        {
            let sends = cx.sends(cseq, method);
            let severity = if sends.len() >= 3 || !cx.one_sided() {
                Severity::Error
            } else {
                Severity::Info
            };
            out.push(
                Finding::new(
                    "register-failure",
                    severity,
                    format!(
                        "REGISTER sent {} time{}, no response: Timer F fired",
                        sends.len(),
                        if sends.len() == 1 { "" } else { "s" }
                    ),
                )
                .messages(sends),
            );
        }
    }
    out.truncate(1);
    out
}

pub(super) fn registration_lapse(cx: &Context) -> Vec<Finding> {
    if cx.dialog.kind != DialogKind::Registration {
        return Vec::new();
    }
    let msgs = cx.msgs();
    for (i, m) in msgs.iter().enumerate() {
        if !is_2xx_to(m, Method::Register) || m.retransmission {
            continue;
        }
        let Some(raw) = cx.raw(i) else { continue };
        let granted = headers::values(&raw, "Contact", Some(b'm'))
            .find_map(|c| headers::param(c, "expires").and_then(headers::number))
            .or_else(|| headers::first(&raw, "Expires", None).and_then(headers::number));
        let Some(granted) = granted.filter(|e| *e > 0) else {
            continue;
        };
        let window = i64::try_from(granted)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(1_100_000_000);
        let next = msgs.iter().find(|x| {
            x.method() == Some(Method::Register) && !x.retransmission && x.ts_ns > m.ts_ns
        });
        let lapsed = match next {
            Some(n) => n.ts_ns - m.ts_ns > window,
            None => cx.saw_past(m.ts_ns, window) && !refreshed_elsewhere(cx, m.ts_ns, window),
        };
        if lapsed {
            return vec![
                Finding::new(
                    "registration-lapse",
                    Severity::Warning,
                    format!(
                        "binding granted for {granted} s, no refresh within {}",
                        secs(window)
                    ),
                )
                .messages(vec![i]),
            ];
        }
    }
    Vec::new()
}

/// Did another registration dialog for the same address of record refresh
/// within the window (clients that take a new Call-ID each time)?
fn refreshed_elsewhere(cx: &Context, from: i64, window: i64) -> bool {
    let aor = crate::text::uri_of(&cx.dialog.to);
    cx.model.dialogs().any(|d| {
        d.id != cx.dialog.id
            && d.kind == DialogKind::Registration
            && d.first_ts() > from
            && d.first_ts() <= from + window
            && crate::text::uri_of(&d.to) == aor
    })
}

pub(super) fn transfer_failed(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some((r, refer)) = cx.first_request(Method::Refer) else {
        return Vec::new();
    };
    let Some((cseq, _)) = refer.cseq else {
        return Vec::new();
    };
    let answer = cx
        .responses(cseq, Method::Refer)
        .find(|(_, m)| m.status().is_some_and(|c| c >= 200));
    if let Some((a, m)) = answer
        && m.status().is_some_and(|c| c >= 400)
    {
        return vec![
            Finding::new(
                "transfer-failed",
                Severity::Warning,
                format!("REFER refused: {}", status_text(m.status().unwrap_or(0))),
            )
            .messages(vec![r, a]),
        ];
    }
    let mut last_frag = None;
    for (i, m) in msgs.iter().enumerate().skip(r) {
        if m.method() == Some(Method::Notify) && !m.retransmission {
            let frag = cx
                .raw(i)
                .and_then(|raw| headers::sipfrag_status(headers::body(&raw)));
            if let Some(code) = frag {
                last_frag = Some((i, code));
                if code >= 200 {
                    break;
                }
            }
        }
    }
    match last_frag {
        Some((n, code)) if code >= 300 => vec![
            Finding::new(
                "transfer-failed",
                Severity::Warning,
                format!("the transfer target answered {}", status_text(code)),
            )
            .messages(vec![r, n]),
        ],
        Some((_, code)) if code >= 200 => Vec::new(),
        _ if answer.is_some() && cx.saw_past(refer.ts_ns, TIMER_64T1_NS) => vec![
            Finding::new(
                "transfer-failed",
                Severity::Warning,
                format!(
                    "REFER accepted, no final NOTIFY in {}",
                    secs(cx.now_ns - refer.ts_ns)
                ),
            )
            .messages(answer.map(|(a, _)| vec![r, a]).unwrap_or_default()),
        ],
        _ => Vec::new(),
    }
}
