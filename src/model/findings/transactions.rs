//! Rules over transactions: INVITEs that timed out, acknowledgements and
//! PRACKs that never came, post-dial delay, CANCEL races.

use std::fmt::Write as _;

use super::signalling::{is_2xx_to, is_final_to, transactions};
use super::{Context, Finding, Severity, TIMER_64T1_NS, secs};
use crate::model::{Message, Method};

pub(super) fn invite_timeout(cx: &Context) -> Vec<Finding> {
    let one_sided = cx.one_sided();
    let mut out = Vec::new();
    for &(i, m, cseq, method) in transactions(cx) {
        if method == Method::Register {
            continue; // register-failure
        }
        let responses: Vec<(usize, &Message)> = cx.responses(cseq, method).collect();
        let timer = if method == Method::Invite { "B" } else { "F" };
        if let Some((r, resp)) = responses.iter().find(|(_, r)| r.status() == Some(408)) {
            out.push(
                Finding::new(
                    "invite-timeout",
                    Severity::Error,
                    format!(
                        "{method} answered 408 Request Timeout by {} after {}",
                        resp.src(),
                        secs(resp.ts_ns - m.ts_ns)
                    ),
                )
                .messages(vec![i, *r]),
            );
            continue;
        }
        let fired = cx.saw_past(m.ts_ns, TIMER_64T1_NS);
        if responses.is_empty() {
            // Every send, only when none was answered (most were).
            let sends = cx.sends(cseq, method);
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
                    .is_some_and(|f| f.src() == m.src() && f.dst() == m.dst())
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
    for &(_, _, cseq, method) in transactions(cx) {
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
                cx.status_text(first),
                sends.len(),
                secs(last - first.ts_ns)
            );
            if let Some((_, b)) = bye {
                let _ = write!(
                    summary,
                    "; {} sent BYE {} after the first",
                    if b.src() == first.src() {
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
            m.retransmission()
                && m.status().is_some_and(|c| (101..200).contains(&c))
                && m.cseq.map(|c| c.1) == Some(Method::Invite)
        })
        .map(|(i, _)| i)
        .collect();
    let Some(&first_re) = retransmitted.first() else {
        return Vec::new();
    };
    let reliable = cx.headers(first_re).is_some_and(|raw| {
        raw.values("Require", None)
            .any(|v| memchr::memmem::find(&v.to_ascii_lowercase(), b"100rel").is_some())
            && raw.has("RSeq", None)
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
        .filter(|(_, x)| x.status() == m.status() && x.cseq == m.cseq && x.src() == m.src())
        .map(|(i, _)| i)
        .collect();
    vec![
        Finding::new(
            "prack-missing",
            Severity::Error,
            format!(
                "{} with Require: 100rel sent {} times, no PRACK",
                cx.status_text(m),
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
        .find(|(_, m)| is_2xx_to(m, Method::Invite) && !m.retransmission())
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
