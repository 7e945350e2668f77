//! Rules over registrations: refused, and lapsed without a refresh.

use std::fmt::Write as _;

use super::signalling::{is_2xx_to, transactions};
use super::{Context, Finding, Severity, TIMER_64T1_NS, secs};
use crate::model::{DialogKind, Message, Method};
use crate::sip::headers;

pub(super) fn register_failure(cx: &Context) -> Vec<Finding> {
    if cx.dialog.kind != DialogKind::Registration {
        return Vec::new();
    }
    let msgs = cx.msgs();
    let mut out = Vec::new();
    for &(i, m, cseq, method) in transactions(cx) {
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
            let mut summary = format!(
                "REGISTER answered {} by {}",
                cx.status_text(fail),
                fail.src()
            );
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
        if !is_2xx_to(m, Method::Register) || m.retransmission() {
            continue;
        }
        let Some(raw) = cx.headers(i) else { continue };
        let granted = raw
            .values("Contact", Some(b'm'))
            .find_map(|c| headers::param(c, "expires").and_then(headers::number))
            .or_else(|| raw.first("Expires", None).and_then(headers::number));
        let Some(granted) = granted.filter(|e| *e > 0) else {
            continue;
        };
        let window = i64::try_from(granted)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(1_100_000_000);
        let next = msgs.iter().find(|x| {
            x.method() == Some(Method::Register) && !x.retransmission() && x.ts_ns > m.ts_ns
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
    let aor = crate::text::uri_of(cx.dialog.to());
    cx.model.dialogs().any(|d| {
        d.id != cx.dialog.id
            && d.kind == DialogKind::Registration
            && d.first_ts() > from
            && d.first_ts() <= from + window
            && crate::text::uri_of(d.to()) == aor
    })
}
