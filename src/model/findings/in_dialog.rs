//! Rules within an established dialog: re-INVITE glare, 481 to in-dialog
//! requests, session timers that lapsed, failed transfers.

use super::signalling::is_2xx_to;
use super::{Context, Finding, Severity, TIMER_64T1_NS, secs, status_text};
use crate::model::{DialogKind, Message, Method};
use crate::sip::headers;

pub(super) fn reinvite_glare(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let glares: Vec<(usize, &Message)> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.status() == Some(491)
                && !m.retransmission()
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
            && x.src() == m.dst()
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
            && !m.retransmission()
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
    let crossing = method == Method::Bye && byes.iter().any(|b| b.src() != byes[0].src());
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
                m.src()
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
        .filter(|(_, m)| m.status() == Some(422) && !m.retransmission())
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
        .find(|(_, m)| is_2xx_to(m, Method::Invite) && !m.retransmission())
    else {
        return out;
    };
    let Some(se) = cx
        .headers(a)
        .and_then(|raw| {
            raw.first("Session-Expires", Some(b'x'))
                .and_then(headers::number)
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
                && !m.retransmission()
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
                        cx.status_text(fail)
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
                format!("REFER refused: {}", cx.status_text(m)),
            )
            .messages(vec![r, a]),
        ];
    }
    let mut last_frag = None;
    for (i, m) in msgs.iter().enumerate().skip(r) {
        if m.method() == Some(Method::Notify) && !m.retransmission() {
            let frag = cx
                .headers(i)
                .and_then(|raw| headers::sipfrag_status(raw.body()));
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
