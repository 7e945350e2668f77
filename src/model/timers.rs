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
    a.src == b.src && a.dst == b.dst && a.kind == b.kind && a.cseq == b.cseq
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
    if !m.retransmission {
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
    }
}
