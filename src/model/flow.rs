//! A call flow's layout, worked out once for the ladder view and the text
//! export: the messages of some dialogs in time order, the endpoints as
//! columns (in order of first appearance), and for each message the column
//! its arrow starts from and the one it points to.
//!
//! It also finds the same message where it was seen more than once:
//!
//! - **At another vantage point**: several HEP agents (or this capture and
//!   an agent) captured one packet. Same dialog, CSeq, method or status, top
//!   Via branch, source and destination, another origin: one arrow, with
//!   each point's capture time ([`Flow::sightings`]).
//! - **At the next hop**: a proxy forwarded it. A proxy puts its own Via on
//!   top of a request, so the forwarded request's *second* Via branch is
//!   the received one's top branch; it takes its Via off a response, so the
//!   forwarded response's top branch is the received one's second. With the
//!   same dialog (Call-ID), CSeq and method or status, that arrow is the
//!   next hop of the earlier one ([`Arrow::hop_from`]): the ladder shows the
//!   delay, and what the box in the middle rewrote
//!   ([`crate::sip::hop::rewrites`]). A B2BUA, which starts a new dialog, is
//!   not followed here (its legs are tied by X-Call-ID).

use std::collections::HashMap;

use super::media::RtpStream;
use super::message::Addr;
use super::{Dialog, DialogId, Message, Model};

/// One endpoint's column: an `ip:port`, or an IP when merged by IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The first address seen for it.
    pub addr: Addr,
    merged: bool,
}

impl Column {
    /// Does address `a` belong to this column?
    #[must_use]
    pub fn holds(&self, a: Addr) -> bool {
        if self.merged {
            self.addr.ip() == a.ip()
        } else {
            self.addr == a
        }
    }

    /// What names the column: `ip:port`, or the IP when merged.
    #[must_use]
    pub fn key(&self) -> String {
        if self.merged {
            self.addr.ip().to_string()
        } else {
            self.addr.to_string()
        }
    }
}

/// One message of the flow: its arrow from column `from` to column `to`.
#[derive(Debug, Clone, Copy)]
pub struct Arrow<'m> {
    /// Index of its dialog in [`Flow::dialogs`].
    pub call: usize,
    pub dialog: &'m Dialog,
    pub message: &'m Message,
    pub from: usize,
    pub to: usize,
    /// The same message one hop earlier (a proxy forwarded it): its index
    /// in [`Flow::arrows`].
    pub hop_from: Option<usize>,
    /// Other vantage points that saw this very packet (see
    /// [`Flow::sightings`]).
    pub also_seen: u16,
}

/// Another vantage point's sighting of an arrow's packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    /// Index in [`Flow::arrows`].
    pub arrow: usize,
    /// Where it was captured ([`Model::origin`]).
    pub origin: u16,
    pub ts_ns: i64,
}

/// What makes two arrows the same message: dialog, CSeq, method or status,
/// and a Via branch.
type SameKey = (usize, Option<(u32, super::Method)>, super::Kind, u32);

/// Copies of one packet farther apart than this are not taken for one.
const SIGHTING_WINDOW_NS: i64 = 5_000_000_000;

/// The layout of some dialogs' messages.
#[derive(Debug, Clone)]
pub struct Flow<'m> {
    /// The dialogs, as asked for, then the legs found (when extended).
    pub dialogs: Vec<&'m Dialog>,
    /// Every message in time order (messages at the same time keep their
    /// dialogs' order, then their order in the dialog).
    pub arrows: Vec<Arrow<'m>>,
    pub columns: Vec<Column>,
    /// Packets of an arrow seen again at other vantage points, by arrow and
    /// time.
    pub sightings: Vec<Sighting>,
}

impl<'m> Flow<'m> {
    /// The flow of `dialogs`, one column per `ip:port` (per IP when
    /// `merge_by_ip`).
    #[must_use]
    pub fn new(dialogs: Vec<&'m Dialog>, merge_by_ip: bool) -> Self {
        let mut msgs: Vec<(usize, &'m Dialog, &'m Message)> = dialogs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.messages.iter().map(move |m| (i, *d, m)))
            .collect();
        msgs.sort_by_key(|(_, _, m)| m.ts_ns);
        let mut columns: Vec<Column> = Vec::new();
        let mut column_of = |a: Addr| match columns.iter().position(|c| c.holds(a)) {
            Some(i) => i,
            None => {
                columns.push(Column {
                    addr: a,
                    merged: merge_by_ip,
                });
                columns.len() - 1
            }
        };
        let mut arrows: Vec<Arrow<'m>> = Vec::with_capacity(msgs.len());
        let mut sightings = Vec::new();
        let mut by_top: HashMap<SameKey, usize> = HashMap::new();
        let mut by_second: HashMap<SameKey, usize> = HashMap::new();
        for (call, dialog, message) in msgs {
            let m = message;
            let key = |branch: u32| (call, m.cseq, m.kind, branch);
            if m.branch != 0
                && let Some(&j) = by_top.get(&key(m.branch))
                && let Some(first) = arrows.get_mut(j)
                && first.message.origin() != m.origin()
                && first.message.src() == m.src()
                && first.message.dst() == m.dst()
                && m.ts_ns - first.message.ts_ns <= SIGHTING_WINDOW_NS
            {
                first.also_seen = first.also_seen.saturating_add(1);
                sightings.push(Sighting {
                    arrow: j,
                    origin: m.origin(),
                    ts_ns: m.ts_ns,
                });
                continue;
            }
            let hop_from = match m.kind {
                super::Kind::Request(_) if m.branch2 != 0 => by_top.get(&key(m.branch2)),
                super::Kind::Response(_) if m.branch != 0 => by_second.get(&key(m.branch)),
                _ => None,
            }
            .copied();
            let i = arrows.len();
            if m.branch != 0 {
                by_top.entry(key(m.branch)).or_insert(i);
            }
            if m.branch2 != 0 {
                by_second.entry(key(m.branch2)).or_insert(i);
            }
            arrows.push(Arrow {
                call,
                dialog,
                message,
                from: column_of(message.src()),
                to: column_of(message.dst()),
                hop_from,
                also_seen: 0,
            });
        }
        sightings.sort_by_key(|s| (s.arrow, s.ts_ns));
        Self {
            dialogs,
            arrows,
            columns,
            sightings,
        }
    }

    /// The other vantage points' sightings of arrow `i`.
    #[must_use]
    pub fn sightings_of(&self, i: usize) -> &[Sighting] {
        let from = self.sightings.partition_point(|s| s.arrow < i);
        let to = self.sightings.partition_point(|s| s.arrow <= i);
        self.sightings.get(from..to).unwrap_or_default()
    }

    /// The media streams (RTP and fax) of the dialogs that have messages in
    /// the flow (each once), in order of their first packet.
    #[must_use]
    pub fn streams(&self, model: &'m Model) -> Vec<&'m RtpStream> {
        let mut ids: Vec<DialogId> = self.arrows.iter().map(|a| a.dialog.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out: Vec<&RtpStream> = ids
            .iter()
            .filter_map(|id| model.dialog(*id))
            .flat_map(|d| model.media_of(d))
            .collect();
        // Both legs of a call through a PBX may hold one stream: once here.
        let mut seen = std::collections::HashSet::new();
        out.retain(|s| seen.insert(std::ptr::from_ref(*s)));
        out.sort_by_key(|s| s.stats.first_ns);
        out
    }
}

impl Model {
    /// The flow of dialogs `ids` (those still in the table) and, when
    /// `extended`, of the legs related to them by X-Call-ID.
    #[must_use]
    pub fn flow(&self, ids: &[DialogId], extended: bool, merge_by_ip: bool) -> Flow<'_> {
        let mut dialogs: Vec<&Dialog> = ids.iter().filter_map(|id| self.dialog(*id)).collect();
        if extended {
            let mut extra: Vec<&Dialog> = Vec::new();
            for d in &dialogs {
                for cid in self.related(d) {
                    if let Some(r) = self.find(&cid)
                        && !dialogs.iter().any(|x| x.id == r.id)
                        && !extra.iter().any(|x| x.id == r.id)
                    {
                        extra.push(r);
                    }
                }
            }
            dialogs.extend(extra);
        }
        Flow::new(dialogs, merge_by_ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_are_in_time_order_between_their_columns() {
        let model = crate::replay("tests/data/gen__busy_486_3calls.pcap").unwrap();
        let ids: Vec<DialogId> = model.dialogs().map(|d| d.id).collect();
        let flow = model.flow(&ids, false, false);
        assert_eq!(flow.arrows.len(), 15);
        assert!(
            flow.arrows
                .windows(2)
                .all(|w| w[0].message.ts_ns <= w[1].message.ts_ns)
        );
        for a in &flow.arrows {
            assert_eq!(flow.columns[a.from].addr, a.message.src());
            assert_eq!(flow.columns[a.to].addr, a.message.dst());
            assert!(std::ptr::eq(flow.dialogs[a.call], a.dialog));
        }
        let merged = model.flow(&ids, false, true);
        assert!(merged.columns.len() <= flow.columns.len());
        assert!(
            merged
                .columns
                .iter()
                .all(|c| c.key() == c.addr.ip().to_string())
        );
    }
}
