//! IPv4 and IPv6 fragment reassembly, bounded in memory and time.
//!
//! etherparse's `IpDefragPool` says itself that it is not safe against memory
//! exhaustion, so this one caps the number of datagrams in progress, the bytes
//! they hold and their age (by capture time); whatever is given up is counted.

use std::collections::VecDeque;
use std::net::IpAddr;

use crate::hash::Map;

use super::FrameRef;
use super::ip::{Fragment, IpPacket};

/// Bounds of the reassembly table.
#[derive(Debug, Clone, Copy)]
pub struct DefragLimits {
    pub max_datagrams: usize,
    pub max_bytes: usize,
    /// An incomplete datagram older than this (capture time) is dropped.
    pub timeout_ns: i64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        Self {
            max_datagrams: 4096,
            max_bytes: 32 << 20,
            timeout_ns: 30_000_000_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

#[derive(Debug)]
struct Partial {
    pieces: Vec<(u32, Vec<u8>)>,
    /// Known once the last fragment (more = false) arrives.
    total: Option<u32>,
    bytes: usize,
    first_ts: i64,
    frames: Vec<FrameRef>,
}

/// A datagram put back together, with every frame that carried a piece.
#[derive(Debug)]
pub struct Reassembled {
    pub payload: Vec<u8>,
    pub frames: Vec<FrameRef>,
}

/// What happened to a fragment.
#[derive(Debug)]
pub enum Outcome {
    Pending,
    Complete(Reassembled),
    /// The fragment was refused (too large, overlapping nonsense).
    Dropped,
}

#[derive(Debug, Default)]
pub struct Defragmenter {
    limits: DefragLimits,
    table: Map<Key, Partial>,
    /// Keys in arrival order, for expiry.
    order: VecDeque<(i64, Key)>,
    bytes: usize,
    /// Datagrams given up (timeout or bounds).
    pub dropped: u64,
    /// Datagrams whose overlapping fragments disagreed (an evasion, or a
    /// broken stack): reassembled with the bytes of the fragment at the
    /// higher offset, and counted.
    pub conflicting: u64,
}

const MAX_DATAGRAM: u32 = 65_535 + 8;

impl Defragmenter {
    #[must_use]
    pub fn new(limits: DefragLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Adds one fragment seen at `ts_ns`.
    pub fn push(
        &mut self,
        ts_ns: i64,
        packet: &IpPacket<'_>,
        frag: Fragment,
        frame: FrameRef,
    ) -> Outcome {
        let data = packet.payload;
        self.expire(ts_ns);
        let end = frag
            .offset
            .saturating_add(u32::try_from(data.len()).unwrap_or(u32::MAX));
        if end > MAX_DATAGRAM {
            return Outcome::Dropped;
        }
        let key = Key {
            src: packet.src,
            dst: packet.dst,
            id: frag.id,
            proto: packet.proto,
        };
        if !self.table.contains_key(&key) {
            while self.table.len() >= self.limits.max_datagrams
                || self.bytes + data.len() > self.limits.max_bytes
            {
                if !self.evict_oldest() {
                    break;
                }
            }
            self.table.insert(
                key,
                Partial {
                    pieces: Vec::new(),
                    total: None,
                    bytes: 0,
                    first_ts: ts_ns,
                    frames: Vec::new(),
                },
            );
            self.order.push_back((ts_ns, key));
        }
        let Some(p) = self.table.get_mut(&key) else {
            return Outcome::Dropped;
        };
        if !frag.more {
            p.total = Some(end);
        }
        p.pieces.push((frag.offset, data.to_vec()));
        p.bytes += data.len();
        self.bytes += data.len();
        p.frames.push(frame);
        let Some(total) = p.total else {
            return Outcome::Pending;
        };
        // Complete when the pieces cover [0, total) without a hole.
        p.pieces.sort_by_key(|(off, _)| *off);
        let mut covered = 0u32;
        for (off, d) in &p.pieces {
            if *off > covered {
                return Outcome::Pending;
            }
            covered = covered.max(off + u32::try_from(d.len()).unwrap_or(0));
        }
        if covered < total {
            return Outcome::Pending;
        }
        let Some(p) = self.table.remove(&key) else {
            return Outcome::Dropped;
        };
        self.bytes -= p.bytes;
        let mut payload = vec![0u8; total as usize];
        // How far the pieces so far filled the payload: a piece starting
        // below it overlaps them, and must say the same there.
        let mut filled = 0usize;
        let mut disagree = false;
        for (off, d) in p.pieces {
            let start = off as usize;
            // A piece past the end (overlapping nonsense) is ignored; one that
            // runs over it is cut (found by fuzzing).
            let end = (start + d.len()).min(payload.len());
            let Some(n) = end.checked_sub(start) else {
                continue;
            };
            let overlap = filled.min(end).saturating_sub(start);
            if overlap > 0 && payload.get(start..start + overlap) != d.get(..overlap) {
                disagree = true;
            }
            if let (Some(dst), Some(src)) = (payload.get_mut(start..end), d.get(..n)) {
                dst.copy_from_slice(src);
            }
            filled = filled.max(end);
        }
        if disagree {
            // Kept (the later offset's bytes), but never silently.
            self.conflicting += 1;
        }
        let mut frames = p.frames;
        frames.sort_by_key(|f| f.ts_ns);
        Outcome::Complete(Reassembled { payload, frames })
    }

    fn evict_oldest(&mut self) -> bool {
        while let Some((_, key)) = self.order.pop_front() {
            if let Some(p) = self.table.remove(&key) {
                self.bytes -= p.bytes;
                self.dropped += 1;
                return true;
            }
        }
        false
    }

    /// Drops datagrams that waited longer than the timeout.
    pub fn expire(&mut self, now_ns: i64) {
        while let Some(&(ts, key)) = self.order.front() {
            if now_ns - ts <= self.limits.timeout_ns {
                break;
            }
            self.order.pop_front();
            if let Some(p) = self.table.get(&key)
                && p.first_ts == ts
            {
                self.bytes -= p.bytes;
                self.table.remove(&key);
                self.dropped += 1;
            }
        }
    }

    /// Datagrams still waiting for fragments.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::FrameLoc;
    use std::net::Ipv4Addr;

    fn frame(ts: i64) -> FrameRef {
        FrameRef {
            ts_ns: ts,
            linktype: 1,
            source: 0,
            orig_len: 0,
            loc: FrameLoc::File { offset: 0, len: 0 },
        }
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn pkt(data: &[u8]) -> IpPacket<'_> {
        IpPacket {
            src: A,
            dst: A,
            proto: 17,
            fragment: None,
            payload: data,
        }
    }

    #[test]
    fn reassembles_out_of_order_fragments() {
        let mut d = Defragmenter::new(DefragLimits::default());
        let f2 = Fragment {
            id: 7,
            offset: 8,
            more: false,
        };
        let f1 = Fragment {
            id: 7,
            offset: 0,
            more: true,
        };
        assert!(matches!(
            d.push(2, &pkt(b"world"), f2, frame(2)),
            Outcome::Pending
        ));
        let Outcome::Complete(r) = d.push(3, &pkt(b"hello, w"), f1, frame(3)) else {
            panic!("not complete");
        };
        assert_eq!(r.payload, b"hello, wworld");
        assert_eq!(r.frames.len(), 2);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn overlapping_fragments_that_disagree_are_counted() {
        let mut d = Defragmenter::new(DefragLimits::default());
        let frag = |id, offset, more| Fragment { id, offset, more };
        // Agreeing overlap: not counted.
        d.push(1, &pkt(b"hello, w"), frag(1, 0, true), frame(1));
        assert!(matches!(
            d.push(2, &pkt(b"o, world"), frag(1, 4, false), frame(2)),
            Outcome::Complete(_)
        ));
        assert_eq!(d.conflicting, 0);
        // Disagreeing overlap: kept, counted.
        d.push(3, &pkt(b"hello, w"), frag(2, 0, true), frame(3));
        assert!(matches!(
            d.push(4, &pkt(b"XXXXorld"), frag(2, 4, false), frame(4)),
            Outcome::Complete(_)
        ));
        assert_eq!(d.conflicting, 1);
    }

    #[test]
    fn incomplete_datagrams_expire_and_are_counted() {
        let mut d = Defragmenter::new(DefragLimits {
            max_datagrams: 2,
            max_bytes: 1 << 20,
            timeout_ns: 10,
        });
        for id in 0..5 {
            let f = Fragment {
                id,
                offset: 0,
                more: true,
            };
            d.push(0, &pkt(b"x"), f, frame(0));
        }
        assert_eq!(d.pending(), 2);
        assert_eq!(d.dropped, 3);
        d.expire(100);
        assert_eq!(d.pending(), 0);
        assert_eq!(d.dropped, 5);
    }
}
