//! Where a retransmission stands in the RFC 3261 schedule: which send it is,
//! how long after the first, and the timer that drives it, with T1 estimated
//! from the first gap (some networks use 1 s instead of 500 ms).

use super::{Dialog, Kind, Message, Method};

/// T1 of RFC 3261: the round-trip estimate retransmissions start from.
pub const T1_NS: i64 = 500_000_000;
/// T2: the cap on the interval of non-INVITE requests and responses.
pub const T2_NS: i64 = 4_000_000_000;

/// One retransmission's place in its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend {
    /// Which send this is (the first send is 1).
    pub send: usize,
    /// Time since the first send.
    pub after_ns: i64,
    /// The timer that schedules it (`Timer A`, `Timer E`, `Timer G`), when
    /// a timer does.
    pub timer: Option<&'static str>,
    /// T1 as the first gap says (rounded to 100 ms; T1 when unsure).
    pub t1_ns: i64,
    /// Where the schedule puts this send, with that T1.
    pub expected_ns: i64,
}

impl Resend {
    /// `4th send +3.5 s Timer G`.
    #[must_use]
    pub fn label(&self) -> String {
        let nth = match self.send {
            1 => "1st".to_owned(),
            2 => "2nd".to_owned(),
            3 => "3rd".to_owned(),
            n => format!("{n}th"),
        };
        let timer = self.timer.map(|t| format!(" {t}")).unwrap_or_default();
        format!("{nth} send +{:.1} s{timer}", self.after_ns as f64 / 1e9)
    }
}

fn same_send(a: &Message, b: &Message) -> bool {
    a.src() == b.src() && a.dst() == b.dst() && a.kind == b.kind && a.cseq == b.cseq
}

/// When the `n`th send (1-based) is due, for a schedule that doubles from
/// `t1`, capped at T2 when `capped`.
fn due(n: usize, t1: i64, capped: bool) -> i64 {
    let mut at = 0;
    let mut interval = t1;
    for _ in 1..n {
        at += interval;
        interval = if capped {
            (interval * 2).min(T2_NS.max(t1))
        } else {
            interval * 2
        };
    }
    at
}

/// The place of message `i` of `d` in its retransmission schedule, when it
/// is a retransmission.
#[must_use]
pub fn resend_place(d: &Dialog, i: usize) -> Option<Resend> {
    let m = d.messages.get(i)?;
    if !m.retransmission() {
        return None;
    }
    let sends: Vec<&Message> = d
        .messages
        .iter()
        .take(i + 1)
        .filter(|x| same_send(x, m))
        .collect();
    let first = sends.first()?;
    let gap = sends.get(1).map_or(T1_NS, |s| s.ts_ns - first.ts_ns);
    // A first gap near a whole number of 100 ms is T1 (500 ms, or 1 s).
    let t1 = if (300_000_000..=2_000_000_000).contains(&gap) {
        (gap + 50_000_000) / 100_000_000 * 100_000_000
    } else {
        T1_NS
    };
    let cseq_method = m.cseq.map(|c| c.1);
    let (timer, capped) = match m.kind {
        Kind::Request(Method::Invite) => (Some("Timer A"), false),
        Kind::Request(_) => (Some("Timer E"), true),
        // A final response to an INVITE waits for its ACK: Timer G for
        // non-2xx; a 2xx follows the same doubling (RFC 3261 13.3.1.4).
        Kind::Response(c) if c >= 200 && cseq_method == Some(Method::Invite) => {
            (Some("Timer G"), true)
        }
        // Reliable provisionals (RFC 3262) double without a cap.
        Kind::Response(c) if c > 100 && c < 200 => (Some("100rel"), false),
        Kind::Response(_) => (None, true),
    };
    Some(Resend {
        send: sends.len(),
        after_ns: m.ts_ns - first.ts_ns,
        timer,
        t1_ns: t1,
        expected_ns: due(sends.len(), t1, capped),
    })
}

impl super::Model {
    /// The Session-Expires (seconds) the answer to a dialog's INVITE
    /// granted, read from its bytes.
    #[must_use]
    pub fn session_expires(&self, d: &Dialog) -> Option<u64> {
        let answer = d.messages.iter().find(|m| {
            m.status().is_some_and(|c| (200..300).contains(&c))
                && m.cseq.map(|c| c.1) == Some(Method::Invite)
        })?;
        let raw = self.raw(answer).ok()?;
        crate::sip::headers::first(&raw, "Session-Expires", Some(b'x'))
            .and_then(crate::sip::headers::number)
    }
}

/// A timer that fired in a dialog, at capture time `ts_ns`, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub ts_ns: i64,
    pub text: String,
}

/// T1 as the first retransmission gap of message `i` says (else 500 ms).
fn t1_of(dialog: &Dialog, index: usize) -> i64 {
    let Some(msg) = dialog.messages.get(index) else {
        return T1_NS;
    };
    let mut sends = dialog.messages.iter().filter(|x| same_send(x, msg));
    match (sends.next(), sends.next()) {
        (Some(first), Some(second)) => {
            let gap = second.ts_ns - first.ts_ns;
            if (300_000_000..=2_000_000_000).contains(&gap) {
                (gap + 50_000_000) / 100_000_000 * 100_000_000
            } else {
                T1_NS
            }
        }
        _ => T1_NS,
    }
}

/// What makes one message's sends the same: source, kind and CSeq.
type SendKey = (super::Addr, Kind, Option<(u32, Method)>);

/// The timers that fired in `d` by capture time `now_ns`: Timer B / F on a
/// request nothing answered, 64×T1 on a final response to an INVITE that
/// no ACK followed, and a session timer's refresh deadline. In time order.
#[must_use]
pub fn fired(d: &Dialog, now_ns: i64, session_expires_s: Option<u64>) -> Vec<Fired> {
    let msgs = &d.messages;
    let mut out = Vec::new();
    let mut seen: Vec<SendKey> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let key = (m.src(), m.kind, m.cseq);
        if m.retransmission() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let at = m.ts_ns + 64 * t1_of(d, i);
        if at > now_ns {
            continue;
        }
        let secs = (at - m.ts_ns) as f64 / 1e9;
        match (m.kind, m.cseq) {
            (Kind::Request(meth), Some((n, _))) if meth != Method::Ack => {
                let answered = msgs
                    .iter()
                    .any(|x| x.status().is_some() && x.cseq == Some((n, meth)));
                if !answered {
                    let timer = if meth == Method::Invite { "B" } else { "F" };
                    out.push(Fired {
                        ts_ns: at,
                        text: format!("Timer {timer}: no answer to {meth} after {secs:.1} s"),
                    });
                }
            }
            (Kind::Response(code), Some((n, Method::Invite))) if code >= 200 => {
                let sends = msgs.iter().filter(|x| same_send(x, m)).count();
                let acked = msgs.iter().any(|x| {
                    x.method() == Some(Method::Ack)
                        && x.cseq.is_some_and(|c| c.0 == n)
                        && x.ts_ns >= m.ts_ns
                });
                if !acked && sends >= 2 {
                    let what = if code < 300 { "64×T1" } else { "Timer H" };
                    out.push(Fired {
                        ts_ns: at,
                        text: format!("no ACK for {code}: gave up after {what} = {secs:.1} s"),
                    });
                }
            }
            _ => {}
        }
    }
    // Session timers (RFC 4028): the refresh is due by half the interval.
    if let (Some(se), Some(answer)) = (
        session_expires_s.filter(|s| *s > 0),
        msgs.iter().find(|m| {
            m.status().is_some_and(|c| (200..300).contains(&c))
                && m.cseq.map(|c| c.1) == Some(Method::Invite)
        }),
    ) {
        let half = i64::try_from(se)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(500_000_000);
        let due = answer.ts_ns + half;
        // A call that ended before the refresh was due needed none.
        let ended_before = msgs
            .iter()
            .any(|m| m.method() == Some(Method::Bye) && !m.retransmission() && m.ts_ns < due);
        let refresh = msgs.iter().find(|m| {
            matches!(m.method(), Some(Method::Invite | Method::Update))
                && !m.retransmission()
                && m.ts_ns > answer.ts_ns
        });
        if due <= now_ns && !ended_before {
            let text = match refresh {
                Some(r) if r.ts_ns <= due + 10_000_000_000 => format!(
                    "Session-Expires {se} s: refreshed at +{:.1} s",
                    (r.ts_ns - answer.ts_ns) as f64 / 1e9
                ),
                _ => format!(
                    "Session-Expires {se} s: refresh due by +{:.1} s, none came",
                    half as f64 / 1e9
                ),
            };
            out.push(Fired { ts_ns: due, text });
        }
    }
    out.sort_by_key(|f| f.ts_ns);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_double_from_t1_and_some_stop_at_t2() {
        let invite: Vec<i64> = (1..=7).map(|n| due(n, T1_NS, false)).collect();
        assert_eq!(
            invite,
            [0, 500, 1500, 3500, 7500, 15500, 31500].map(|ms| ms * 1_000_000)
        );
        let capped: Vec<i64> = (1..=7).map(|n| due(n, T1_NS, true)).collect();
        assert_eq!(
            capped,
            [0, 500, 1500, 3500, 7500, 11500, 15500].map(|ms| ms * 1_000_000)
        );
    }

    #[test]
    fn a_2xx_without_ack_is_placed_on_its_schedule() {
        let model = crate::replay("tests/data/diagnosis/ack_missing.pcap").unwrap();
        let d = model.dialogs().next().unwrap();
        let r = resend_place(d, 6).unwrap();
        assert_eq!(r.label(), "4th send +3.5 s Timer G");
        assert_eq!(r.t1_ns, T1_NS);
        assert!(resend_place(d, 3).is_none(), "the first send");
        let f = fired(d, model.now_ns(), None);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].text, "no ACK for 200: gave up after 64×T1 = 32.0 s");
    }

    #[test]
    fn timer_b_fires_only_once_the_capture_has_gone_on_for_it() {
        let model = crate::replay("tests/data/diagnosis/invite_timeout_cut.pcap").unwrap();
        let d = model.dialogs().next().unwrap();
        assert!(fired(d, model.now_ns(), None).is_empty());
        let f = fired(d, d.first_ts() + 40_000_000_000, None);
        assert_eq!(f[0].text, "Timer B: no answer to INVITE after 32.0 s");
        assert_eq!(f[0].ts_ns, d.first_ts() + 32_000_000_000);
    }

    /// A session timer's refresh is due by half the interval after the
    /// 2xx: a call whose BYE came before that needed none (no marker); one
    /// that went on past it without a refresh gets "none came".
    #[test]
    fn a_call_that_ended_before_its_refresh_was_due_needed_none() {
        let model = crate::replay("tests/data/gen__hold_resume_refer_rtp.pcap").unwrap();
        let d = model.dialogs().next().unwrap();
        let at = |p: &dyn Fn(&Message) -> bool| d.messages.iter().find(|m| p(m)).unwrap().ts_ns;
        let answer =
            at(&|m| m.status() == Some(200) && m.cseq.map(|c| c.1) == Some(Method::Invite));
        let bye = at(&|m| m.method() == Some(Method::Bye));
        let later = bye + 3_600_000_000_000;
        let talk_s = u64::try_from((bye - answer) / 1_000_000_000).unwrap();
        let session = |f: &[Fired]| f.iter().any(|f| f.text.starts_with("Session-Expires"));
        // Due after the BYE: nothing.
        assert!(!session(&fired(d, later, Some(2 * talk_s + 4))));
        // Due before it (the re-INVITEs 5 s in refresh it).
        let f = fired(d, later, Some(1));
        assert!(session(&f), "{f:?}");
    }
}
