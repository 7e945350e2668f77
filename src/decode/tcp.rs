//! TCP stream reassembly, per direction of each connection.
//!
//! Segments are put in sequence order; retransmitted bytes are trimmed (never
//! seen twice); out-of-order segments wait in a bounded queue; a gap that never
//! fills is skipped and counted. The in-order bytes wait in [`Flow::data`]
//! until the layer above (SIP or WebSocket framing) consumes them, and each
//! byte range remembers the frames that carried it, for export.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use crate::hash::Map;

use super::FrameRef;

#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    pub max_flows: usize,
    /// Out-of-order segments held per flow before the gap is skipped.
    pub max_out_of_order: usize,
    /// In-order bytes held per flow waiting to be framed.
    pub max_buffered: usize,
    /// A flow idle this long (capture time) is forgotten.
    pub idle_ns: i64,
}

/// A gap whose next segment has waited this long (capture time) is not
/// going to fill (a retransmission would have come): it is skipped.
const GAP_WAIT_NS: i64 = 1_000_000_000;

/// Appends the held segments that are now in order; returns how many turned
/// out to be retransmissions.
fn drain_held(flow: &mut Flow) -> u64 {
    let mut retransmissions = 0;
    while let Some(next) = flow.next_seq {
        let Some((&s, _)) = flow.out_of_order.iter().next() else {
            break;
        };
        let off = seq_diff(s, next);
        if off > 0 {
            break;
        }
        let Some((data, fr)) = flow.out_of_order.remove(&s) else {
            break;
        };
        let seen = off.unsigned_abs() as usize;
        if seen >= data.len() {
            retransmissions += 1;
            continue;
        }
        let fresh = data.get(seen..).unwrap_or_default();
        let n = u32::try_from(fresh.len()).unwrap_or(0);
        flow.append(fresh, fr);
        flow.next_seq = Some(next.wrapping_add(n));
    }
    retransmissions
}

impl Default for TcpLimits {
    fn default() -> Self {
        Self {
            max_flows: 65_536,
            max_out_of_order: 64,
            max_buffered: 256 * 1024,
            idle_ns: 600_000_000_000,
        }
    }
}

/// What the bytes of a flow are, as far as the layers above know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamMode {
    /// Nothing read yet.
    #[default]
    Unknown,
    Sip,
    /// An HTTP upgrade to WebSocket, until its header ends.
    WsHandshake,
    WebSocket,
    /// Not SIP: bytes are dropped as they come.
    Other,
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Flow {
    next_seq: Option<u32>,
    /// Where the stream was picked up: bytes before it were never seen, so
    /// a segment of them is not a retransmission (a reversed capture).
    start_seq: Option<u32>,
    out_of_order: BTreeMap<u32, (Vec<u8>, FrameRef)>,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Frames with the stream range `[start, end)` they carried.
    segs: VecDeque<(u64, u64, FrameRef)>,
    last_ts: i64,
    pub mode: StreamMode,
    /// Set when bytes were lost before `buf`: the framer must resynchronise.
    pub gap: bool,
    /// The frames of this direction's WebSocket handshake (the HTTP GET or
    /// its 101 answer): every message of the connection is exported with
    /// them, or Wireshark cannot read its frames as WebSocket.
    pub handshake: super::Frames,
    /// The frame that opened this direction (SYN, or SYN-ACK), when
    /// captured: exported with the connection's messages so Wireshark sees
    /// the whole connection (docs/export.md).
    pub syn: Option<FrameRef>,
}

impl Flow {
    /// The in-order bytes not consumed yet.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.buf
    }

    /// Consumes `n` bytes and returns the frames that carried them.
    pub fn consume(&mut self, n: usize) -> super::Frames {
        let n = n.min(self.buf.len());
        let start = self.base;
        let end = start + n as u64;
        let frames = self
            .segs
            .iter()
            .filter(|(s, e, _)| *s < end && *e > start)
            .map(|(_, _, f)| f.clone())
            .collect();
        self.discard(n);
        frames
    }

    /// Drops `n` bytes without returning their frames.
    pub fn discard(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.base += n as u64;
        while self.segs.front().is_some_and(|(_, e, _)| *e <= self.base) {
            self.segs.pop_front();
        }
    }

    fn append(&mut self, data: &[u8], frame: FrameRef) {
        if self.mode == StreamMode::Other {
            return;
        }
        let start = self.base + self.buf.len() as u64;
        self.buf.extend_from_slice(data);
        self.segs
            .push_back((start, start + data.len() as u64, frame));
    }
}

/// `a - b` in TCP sequence space (RFC 1982 serial arithmetic).
fn seq_diff(a: u32, b: u32) -> i32 {
    i32::from_ne_bytes(a.wrapping_sub(b).to_ne_bytes())
}

/// Key of one direction of a connection.
pub type FlowKey = (SocketAddr, SocketAddr);

#[derive(Debug, Default)]
pub struct Reassembler {
    limits: TcpLimits,
    flows: Map<FlowKey, Flow>,
    pub retransmissions: u64,
    pub gaps: u64,
    pub evicted: u64,
    pushes: u64,
}

/// What a segment did to its flow.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// New in-order bytes are in the flow.
    Data,
    /// Nothing new (retransmission, empty segment, held out of order).
    Nothing,
}

impl Reassembler {
    #[must_use]
    pub fn new(limits: TcpLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    #[must_use]
    pub fn flow_mut(&mut self, key: &FlowKey) -> Option<&mut Flow> {
        self.flows.get_mut(key)
    }

    /// Adds a segment. `frame` is built only when the segment has payload.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        key: FlowKey,
        ts_ns: i64,
        seq: u32,
        syn: bool,
        fin_or_rst: bool,
        payload: &[u8],
        frame: impl FnOnce() -> FrameRef,
    ) -> Pushed {
        self.pushes += 1;
        if self.pushes.is_multiple_of(4096) {
            self.sweep(ts_ns);
        }
        if !self.flows.contains_key(&key) {
            if payload.is_empty() && !syn {
                return Pushed::Nothing;
            }
            if self.flows.len() >= self.limits.max_flows {
                self.evict_one();
            }
            self.flows.insert(key, Flow::default());
        }
        let limits = self.limits;
        let Some(flow) = self.flows.get_mut(&key) else {
            return Pushed::Nothing;
        };
        flow.last_ts = ts_ns;
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let expected = *flow.next_seq.get_or_insert(data_seq);
        let start = *flow.start_seq.get_or_insert(expected);
        if syn && payload.is_empty() {
            flow.syn = Some(frame());
            return Pushed::Nothing;
        }
        if payload.is_empty() {
            if fin_or_rst && flow.buf.is_empty() {
                self.flows.remove(&key);
            }
            return Pushed::Nothing;
        }
        let offset = seq_diff(data_seq, expected);
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        #[allow(clippy::comparison_chain)]
        if offset < 0 {
            // Starts before what we have: trim the part already seen.
            let seen = offset.unsigned_abs();
            // Bytes from before the stream was picked up (a reversed or
            // badly reordered capture) were never seen: they come too late
            // to be placed, and are lost, not retransmitted. (Sequence
            // arithmetic holds while the stream is under 1 GiB.)
            let before_start =
                seq_diff(data_seq, start) < 0 && flow.base + (flow.buf.len() as u64) < (1 << 30);
            if before_start {
                self.gaps += 1;
                if seen >= len {
                    return Pushed::Nothing;
                }
            } else if seen >= len {
                self.retransmissions += 1;
                return Pushed::Nothing;
            }
            let fresh = payload.get(seen as usize..).unwrap_or_default();
            flow.append(fresh, frame());
            flow.next_seq = Some(expected.wrapping_add(len - seen));
        } else if offset == 0 {
            flow.append(payload, frame());
            flow.next_seq = Some(expected.wrapping_add(len));
        } else if flow.out_of_order.len() >= limits.max_out_of_order
            || flow
                .out_of_order
                .values()
                .next()
                .is_some_and(|(_, f)| ts_ns - f.ts_ns > GAP_WAIT_NS)
        {
            // The gap is not going to fill: skip to the earliest held segment.
            self.gaps += 1;
            flow.gap = true;
            if let Some((&first, _)) = flow.out_of_order.iter().next() {
                flow.next_seq = Some(first);
            }
            flow.out_of_order
                .insert(data_seq, (payload.to_vec(), frame()));
        } else {
            flow.out_of_order
                .insert(data_seq, (payload.to_vec(), frame()));
            return Pushed::Nothing;
        }
        self.retransmissions += drain_held(flow);
        if flow.buf.len() > limits.max_buffered {
            // Nobody could frame this much: drop it and resynchronise.
            let n = flow.buf.len();
            flow.discard(n);
            flow.gap = true;
            self.gaps += 1;
        }
        Pushed::Data
    }

    /// End of input: no gap will fill now. Skips every flow's gaps and
    /// returns the flows that got bytes to frame, with the time of the
    /// first segment after the gap.
    pub fn skip_gaps(&mut self) -> Vec<(FlowKey, i64)> {
        let mut keys = Vec::new();
        for (key, flow) in &mut self.flows {
            let Some((&first, (_, frame))) = flow.out_of_order.iter().next() else {
                continue;
            };
            let ts = frame.ts_ns;
            self.gaps += 1;
            flow.gap = true;
            flow.next_seq = Some(first);
            self.retransmissions += drain_held(flow);
            keys.push((*key, ts));
        }
        keys
    }

    fn evict_one(&mut self) {
        let oldest = self
            .flows
            .iter()
            .min_by_key(|(_, f)| f.last_ts)
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            self.flows.remove(&k);
            self.evicted += 1;
        }
    }

    fn sweep(&mut self, now_ns: i64) {
        let idle = self.limits.idle_ns;
        let before = self.flows.len();
        self.flows.retain(|_, f| now_ns - f.last_ts <= idle);
        self.evicted += (before - self.flows.len()) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::FrameLoc;

    fn fr(ts: i64) -> FrameRef {
        FrameRef {
            ts_ns: ts,
            linktype: 1,
            source: 0,
            orig_len: 0,
            loc: FrameLoc::File { offset: 0, len: 0 },
        }
    }

    fn key() -> FlowKey {
        (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        )
    }

    #[test]
    fn a_reversed_stream_is_lost_bytes_not_retransmissions() {
        let mut r = Reassembler::new(TcpLimits::default());
        let k = key();
        // Segments of 3 bytes, last first.
        for i in (0..1000u32).rev() {
            r.push(
                k,
                i64::from(1000 - i),
                100 + 3 * i,
                false,
                false,
                b"abc",
                || fr(i64::from(i)),
            );
        }
        assert_eq!(r.retransmissions, 0);
        assert_eq!(r.gaps, 999);
        // A real retransmission of what was seen still counts as one.
        r.push(k, 2000, 100 + 3 * 999, false, false, b"abc", || fr(2000));
        assert_eq!(r.retransmissions, 1);
    }

    #[test]
    fn orders_segments_and_trims_retransmissions() {
        let mut r = Reassembler::new(TcpLimits::default());
        let k = key();
        r.push(k, 1, 100, false, false, b"abc", || fr(1));
        // Out of order: "ghi" before "def".
        assert_eq!(
            r.push(k, 2, 106, false, false, b"ghi", || fr(2)),
            Pushed::Nothing
        );
        r.push(k, 3, 103, false, false, b"def", || fr(3));
        // A full retransmission and a partial overlap.
        r.push(k, 4, 100, false, false, b"abc", || fr(4));
        r.push(k, 5, 107, false, false, b"hijk", || fr(5));
        let f = r.flow_mut(&k).unwrap();
        assert_eq!(f.data(), b"abcdefghijk");
        let frames = f.consume(4);
        assert_eq!(frames.iter().map(|f| f.ts_ns).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(f.data(), b"efghijk");
        assert_eq!(r.retransmissions, 1);
    }

    #[test]
    fn a_gap_that_never_fills_is_skipped() {
        let mut r = Reassembler::new(TcpLimits {
            max_out_of_order: 2,
            ..TcpLimits::default()
        });
        let k = key();
        r.push(k, 1, 0, false, false, b"a", || fr(1));
        r.push(k, 2, 10, false, false, b"x", || fr(2));
        r.push(k, 3, 11, false, false, b"y", || fr(3));
        r.push(k, 4, 12, false, false, b"z", || fr(4));
        let f = r.flow_mut(&k).unwrap();
        assert!(f.gap);
        assert_eq!(f.data(), b"axyz");
        assert_eq!(r.gaps, 1);
    }
}
