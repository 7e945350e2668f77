//! RTP streams and how they tie to dialogs.
//!
//! Every SDP offer or answer says where its side expects media. A stream is
//! tied to the dialog whose SDPs named both its ends, or its destination
//! (or, for symmetric RTP, its source); failing that, by the destination
//! port alone (NAT rewrites addresses, rarely ports). A stream belongs to
//! several dialogs when each named both its ends while all were in progress:
//! the two legs of a call through a PBX that leaves media to the ends
//! (`owners.rs`). A stream that arrives before the SDP that explains it is
//! tied when the SDP comes. Streams with no SDP at all are kept as
//! unassociated, never dropped. Finding a packet's stream is one hash lookup.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::dialog::DialogId;
use super::message::Addr;
use crate::hash::Map;
use smallvec::SmallVec;

use crate::decode::{FrameRef, Frames};
use crate::rtp::{RtpPacket, StreamStats};

mod closed;
mod deferred;
mod owners;
mod rtcp;
mod stream;
use owners::Announced;
pub use owners::Owners;
use stream::dtmf_digit;
pub use stream::{FaxReport, RtcpFlow, RtcpView, RtpStream, StreamKind};

/// Streams kept at most; more are counted and not tracked.
const MAX_STREAMS: usize = 200_000;
/// Packets held per flow that no SDP names, until it looks like RTP.
const HELD_PER_CANDIDATE: usize = 4;
/// Such flows held at once; past it, those idle for `CANDIDATE_IDLE_NS` go.
const MAX_CANDIDATES: usize = 16_384;
const CANDIDATE_IDLE_NS: i64 = 10_000_000_000;
/// Dialogs a stream is shared with, beyond its owner.
const MAX_SHARED: usize = 3;
/// Seconds of packet-rate history kept per stream (for the graphs).
const RATE_HISTORY: usize = 3600;
/// One point of a stream's per-second series.
const RATE_POINT: usize = std::mem::size_of::<(i64, u32, f32)>();
/// RTCP frames kept per flow for export (one every few seconds: hours).
const RTCP_FRAMES_PER_FLOW: usize = 4096;
/// Streams of a dialog looked at for its oldest kept frame.
const MAX_STREAMS_SCANNED: usize = 16;
/// What keeping one frame reference costs, beside bytes it holds in memory.
const FRAME_COST: usize = std::mem::size_of::<FrameRef>();

/// All streams, and the addresses SDP announced.
#[derive(Debug, Default)]
pub struct Media {
    streams: Vec<RtpStream>,
    by_key: Map<(Addr, Addr, u32), usize>,
    /// Fax (UDPTL) streams by source and destination.
    by_fax: Map<(Addr, Addr), usize>,
    /// UDPTL packets taken in (malformed ones included).
    pub fax_packets: u64,
    /// Media addresses SDP announced, and whose they are.
    announced: Announced,
    /// Announcements held back until the first media packet
    /// (`deferred.rs`); `packets_came` once it came (or in tests that want
    /// every announcement applied at once).
    deferred: deferred::Deferred,
    packets_came: bool,
    /// Streams not tied yet, by their source and destination addresses.
    pending: Map<SocketAddr, Vec<usize>>,
    pub packets: u64,
    pub rtcp_packets: u64,
    /// Stream indices by SSRC, for RTCP report blocks.
    by_ssrc: Map<u32, SmallVec<[usize; 2]>>,
    /// RTCP flows by (source, destination), at most `MAX_STREAMS`.
    rtcp_flows: Map<(Addr, Addr), RtcpFlow>,
    /// Packets of streams past the stream limit.
    pub untracked_packets: u64,
    /// Flows no SDP names, on probation: their first packets, held until
    /// two of one SSRC come with consecutive sequence numbers.
    candidates: Map<(Addr, Addr, u32), Vec<(RtpPacket, Frames)>>,
    /// Packets that parsed as RTP but were not taken for it: on a well-known
    /// service port, an unassigned payload type, or a flow that never showed
    /// two consecutive sequence numbers.
    not_rtp_packets: u64,
    /// Streams of each dialog, and the bytes their kept frames cost.
    by_dialog: Map<DialogId, DialogMedia>,
    /// Dialogs that ended (BYE, or a final failure): they take no share of
    /// streams that other dialogs' SDPs explain. A set of its own, not a
    /// flag of `by_dialog`: nearly every call ends, few have streams. A bit
    /// per id (an evicted dialog leaves it).
    closed: closed::Closed,
    /// Budget for the frames kept per dialog (`None`: keep all).
    keep_per_call: Option<usize>,
    /// Ceiling for all kept frames together, whatever `keep_per_call` says.
    keep_total: usize,
    /// What all kept frames cost.
    kept_bytes: usize,
    /// What the streams' per-second series hold, by capacity.
    rate_bytes: usize,
}

#[derive(Debug, Default)]
struct DialogMedia {
    streams: SmallVec<[usize; 4]>,
    kept_bytes: usize,
}

impl Media {
    /// Media that keeps at most `per_call` bytes of frames per dialog
    /// (`None`: all of them), and never more than `total` in all.
    #[must_use]
    pub fn new(per_call: Option<usize>, total: usize) -> Self {
        Self {
            keep_per_call: per_call,
            keep_total: total,
            ..Self::default()
        }
    }

    /// What the kept frames cost, in bytes.
    #[must_use]
    pub fn kept_bytes(&self) -> usize {
        self.kept_bytes
    }

    /// Everything the media side holds, by estimate: kept frames, the
    /// streams (struct, map entries), their per-second series by capacity,
    /// the RTCP flows.
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        use super::{ALLOC_OVERHEAD, MAP_ENTRY};
        self.kept_bytes
            + self.streams.capacity() * std::mem::size_of::<RtpStream>()
            // by_key, by_ssrc and a pending entry or a tie per stream.
            + self.streams.len() * (3 * MAP_ENTRY + 2 * ALLOC_OVERHEAD)
            + self.rate_bytes
            + self.rtcp_flows.len() * (std::mem::size_of::<RtcpFlow>() + MAP_ENTRY)
            + self.by_dialog.len() * (std::mem::size_of::<DialogMedia>() + MAP_ENTRY)
            + self.closed.held_bytes()
    }

    /// The per-dialog budget for kept frames (`None`: unlimited).
    #[must_use]
    pub fn keep_per_call(&self) -> Option<usize> {
        self.keep_per_call
    }

    /// Ties a stream to a dialog: its owner when it has none (its kept
    /// frames then count against the dialog's budget), else one more dialog
    /// that shares it. Returns whether the dialog is new to the stream.
    fn tie(&mut self, stream: usize, dialog: DialogId) -> bool {
        let Some(s) = self.streams.get_mut(stream) else {
            return false;
        };
        let bytes = match s.dialog {
            None => {
                s.dialog = Some(dialog);
                s.kept_bytes
            }
            Some(d) if d == dialog || s.shared_with.contains(&dialog) => return false,
            Some(_) if s.shared_with.len() >= MAX_SHARED => return false,
            Some(_) => {
                s.shared_with.push(dialog);
                0
            }
        };
        let e = self.by_dialog.entry(dialog).or_default();
        let at = e.streams.partition_point(|x| *x < stream);
        e.streams.insert(at, stream);
        e.kept_bytes += bytes;
        true
    }

    /// Whether a dialog is still in progress, as far as media knows.
    fn open(&self, dialog: DialogId) -> bool {
        !self.closed.contains(dialog)
    }

    /// The dialog ended: from now on it shares no stream it does not own
    /// (see `owners.rs`).
    pub fn close(&mut self, dialog: DialogId) {
        self.closed.insert(dialog);
    }

    /// The dialog goes on after a final response that ended nothing (a
    /// challenge answered): it shares streams again.
    pub fn reopen(&mut self, dialog: DialogId) {
        self.closed.remove(dialog);
    }

    /// Whose stream `src -> dst` is, its owner first.
    fn lookup(&self, src: SocketAddr, dst: SocketAddr) -> Owners {
        self.announced.lookup(src, dst, |d| self.open(d))
    }

    /// Keeps a packet's frames on its stream, then lets the dialog's (or the
    /// lone stream's) oldest frames go while over budget.
    fn keep(&mut self, idx: usize, frames: Frames) {
        let cost: usize = frames.iter().map(|f| FRAME_COST + f.mem_bytes()).sum();
        let Some(s) = self.streams.get_mut(idx) else {
            return;
        };
        if self.kept_bytes + cost > self.keep_total {
            s.frames_not_kept += frames.len() as u64;
            return;
        }
        s.frames.extend(frames);
        s.kept_bytes += cost;
        self.kept_bytes += cost;
        let Some(limit) = self.keep_per_call else {
            if let Some(d) = s.dialog.and_then(|d| self.by_dialog.get_mut(&d)) {
                d.kept_bytes += cost;
            }
            return;
        };
        let Some(dialog) = s.dialog.and_then(|d| self.by_dialog.get_mut(&d)) else {
            while s.kept_bytes > limit {
                let Some(f) = s.frames.pop_front() else { break };
                let freed = FRAME_COST + f.mem_bytes();
                s.kept_bytes -= freed;
                self.kept_bytes -= freed;
                s.frames_not_kept += 1;
            }
            return;
        };
        dialog.kept_bytes += cost;
        while dialog.kept_bytes > limit {
            // The dialog's stream whose oldest kept frame is the oldest.
            // A dialog has a few streams; one flooded with SSRCs may have
            // thousands, so only the first few and this one are looked at.
            let Some(oldest) = dialog
                .streams
                .iter()
                .take(MAX_STREAMS_SCANNED)
                .chain(std::iter::once(&idx))
                .filter_map(|i| Some((*i, self.streams.get(*i)?.frames.front()?.ts_ns)))
                .min_by_key(|(_, ts)| *ts)
                .map(|(i, _)| i)
            else {
                break;
            };
            let Some(o) = self.streams.get_mut(oldest) else {
                break;
            };
            let Some(f) = o.frames.pop_front() else { break };
            let freed = FRAME_COST + f.mem_bytes();
            o.kept_bytes -= freed;
            o.frames_not_kept += 1;
            dialog.kept_bytes -= freed;
            self.kept_bytes -= freed;
        }
    }

    /// Lets go of the frames kept for a dialog's streams (it was evicted).
    /// Returns the bytes freed.
    pub fn forget_dialog(&mut self, dialog: DialogId) -> usize {
        self.closed.remove(dialog);
        let Some(d) = self.by_dialog.remove(&dialog) else {
            return 0;
        };
        let mut freed = 0;
        for i in d.streams {
            let Some(s) = self.streams.get_mut(i) else {
                continue;
            };
            if s.dialog != Some(dialog) {
                // Only shared with the dialog: its owner keeps it whole.
                s.shared_with.retain(|x| *x != dialog);
                continue;
            }
            if !s.shared_with.is_empty() {
                // Another leg shares it: the stream, its frames and their
                // cost pass to that leg.
                let heir = s.shared_with.remove(0);
                s.dialog = Some(heir);
                let bytes = s.kept_bytes;
                if let Some(h) = self.by_dialog.get_mut(&heir) {
                    h.kept_bytes += bytes;
                }
                continue;
            }
            freed += s.kept_bytes;
            s.kept_bytes = 0;
            s.frames = VecDeque::new();
            // The call is gone: so is its streams' per-second series
            // (their totals stay).
            self.rate_bytes = self
                .rate_bytes
                .saturating_sub(s.rate.capacity() * RATE_POINT);
            s.rate = VecDeque::new();
        }
        self.kept_bytes -= freed.min(self.kept_bytes);
        freed
    }

    /// The announced addresses' index tag of `addr`: the first step of
    /// reading ahead what [`Media::expect`] of it will read (see
    /// [`Model::warm`](super::Model::warm)).
    pub(super) fn media_tag(&self, addr: SocketAddr) -> u32 {
        self.announced.tag_of(addr)
    }

    /// The second step: the index slot of `tag` and the slot of `port`.
    pub(super) fn touch_slots(&self, tag: u32, port: u16) -> (u64, u64) {
        (
            self.announced.home_slot(tag),
            self.announced.port_slot(port),
        )
    }

    /// The third step: the entry the slot names (`None`: a new address),
    /// see `owners::Announced::touch_entry`.
    pub(super) fn touch_entry(&self, tag: u32, slot: u64) -> Option<u64> {
        self.announced.touch_entry(tag, slot)
    }

    /// The index slots of the `n` oldest addresses, which `n` new ones
    /// would forget.
    pub(super) fn touch_oldest(&self, n: usize) -> u64 {
        self.announced.touch_oldest(n)
    }

    /// Whether announcements are held back (no media packet came yet):
    /// there is nothing to read ahead for them.
    pub(super) fn deferring(&self) -> bool {
        !self.packets_came
    }

    /// Applies the announcements held back, in the order they came. With
    /// no media seen there is no stream for them to tie or share.
    fn apply_deferred(&mut self) {
        for (dialog, addr) in self.deferred.take() {
            self.announced.announce(dialog, addr);
        }
    }

    /// A media packet came: from now on the table is read, so what was
    /// held back is applied first, and nothing more is held back.
    #[inline]
    fn media_comes(&mut self) {
        if !self.packets_came {
            self.apply_deferred();
            self.packets_came = true;
        }
    }

    /// Records where an SDP expects media (see `sdp::media_addresses`), and
    /// ties any stream already seen there to the dialog. Returns the streams
    /// it tied, whose codecs the caller then fills in from the SDP.
    pub fn expect(&mut self, dialog: DialogId, addrs: &[SocketAddr]) -> Vec<usize> {
        if !self.packets_came {
            // No media yet: no stream to tie, nothing reads the table.
            if self.deferred.len() + 3 * addrs.len() > deferred::MAX_DEFERRED {
                self.apply_deferred();
            }
            for addr in addrs {
                self.deferred.push(dialog, *addr);
            }
            return Vec::new();
        }
        let mut tied = Vec::new();
        // Only addresses other dialogs named too can make streams shared.
        let mut shared = false;
        for addr in addrs {
            shared |= self.announced.announce(dialog, *addr);
            if self.pending.is_empty() {
                continue;
            }
            // Streams that came before this SDP.
            for i in self.pending.remove(addr).unwrap_or_default() {
                if self.streams.get(i).is_some_and(|s| s.dialog.is_none()) {
                    self.tie(i, dialog);
                    tied.push(i);
                }
            }
        }
        if shared {
            for i in self.shared_by(dialog, addrs) {
                self.tie(i, dialog);
            }
        }
        if self.candidates.is_empty() {
            return tied;
        }
        // Flows on probation that this SDP now explains: streams at once.
        let explained: Vec<(Addr, Addr, u32)> = self
            .candidates
            .iter()
            .filter(|(_, held)| {
                held.first()
                    .is_some_and(|(p, _)| addrs.contains(&p.dst) || addrs.contains(&p.src))
            })
            .map(|(k, _)| *k)
            .collect();
        for key in explained {
            for (p, f) in self.candidates.remove(&key).unwrap_or_default() {
                if let Some(i) = self.take(&p, f)
                    && !tied.contains(&i)
                {
                    tied.push(i);
                }
            }
        }
        tied
    }

    /// Streams of other dialogs in progress that `dialog`'s SDPs, with
    /// `addrs` just announced, now name at both ends: the other leg's,
    /// when a PBX leaves media to the ends (only its newest streams are
    /// looked at: a flood of SSRCs costs no more).
    fn shared_by(&self, dialog: DialogId, addrs: &[SocketAddr]) -> Vec<usize> {
        let mut out = Vec::new();
        for addr in addrs {
            for other in self.announced.owners(*addr) {
                if *other == dialog || !self.open(*other) {
                    continue;
                }
                let Some(m) = self.by_dialog.get(other) else {
                    continue;
                };
                for i in m.streams.iter().rev().take(MAX_STREAMS_SCANNED) {
                    let Some(s) = self.streams.get(*i) else {
                        continue;
                    };
                    let (src, dst) = (s.src.socket(), s.dst.socket());
                    let far = if src == *addr {
                        dst
                    } else if dst == *addr {
                        src
                    } else {
                        continue;
                    };
                    if self.announced.named(dialog, far)
                        && s.dialogs().all(|d| self.open(d))
                        && !out.contains(i)
                    {
                        out.push(*i);
                    }
                }
            }
        }
        out
    }

    /// Sets a stream's payload-type map (from the SDP that set it up).
    pub fn set_rtpmap(&mut self, stream: usize, rtpmap: Vec<(u8, String, u32)>) {
        if let Some(s) = self.streams.get_mut(stream) {
            s.rtpmap = rtpmap;
        }
    }

    /// The dialogs of the stream `(src, dst, ssrc)`, its owner first (none
    /// when it has none).
    #[must_use]
    pub fn dialogs_of_stream(&self, from: SocketAddr, to: SocketAddr, id: u32) -> Owners {
        self.by_key
            .get(&(Addr::from(from), Addr::from(to), id))
            .and_then(|i| self.streams.get(*i))
            .map(|s| s.dialogs().collect())
            .unwrap_or_default()
    }

    /// Adds one packet to its stream. Returns a new stream's index when it
    /// was tied to a dialog at once (its codecs are then to be filled in).
    pub fn ingest(&mut self, pkt: &RtpPacket, frames: Frames) -> Option<usize> {
        self.media_comes();
        let key = (Addr::from(pkt.src), Addr::from(pkt.dst), pkt.header.ssrc);
        if self.by_key.contains_key(&key) || !self.lookup(pkt.src, pkt.dst).is_empty() {
            return self.take(pkt, frames);
        }
        // No SDP names this flow: it is RTP only when it looks like RTP as
        // tshark's heuristic wants it (docs/media.md). DNS, NetBIOS and the
        // like pass the version check one time in four.
        if !plausible_unsignalled(pkt) {
            self.not_rtp_packets += 1;
            return None;
        }
        let consecutive = self.candidates.get(&key).is_some_and(|held| {
            held.last()
                .is_some_and(|(p, _)| p.header.seq.wrapping_add(1) == pkt.header.seq)
        });
        if consecutive {
            let held = self.candidates.remove(&key).unwrap_or_default();
            let mut tied = None;
            for (p, f) in held {
                tied = tied.or(self.take(&p, f));
            }
            return tied.or(self.take(pkt, frames));
        }
        if self.candidates.len() >= MAX_CANDIDATES && !self.candidates.contains_key(&key) {
            let now = pkt.ts_ns;
            let before: usize = self.candidates.values().map(Vec::len).sum();
            self.candidates.retain(|_, held| {
                held.last()
                    .is_some_and(|(p, _)| now - p.ts_ns < CANDIDATE_IDLE_NS)
            });
            let after: usize = self.candidates.values().map(Vec::len).sum();
            self.not_rtp_packets += (before - after) as u64;
            if self.candidates.len() >= MAX_CANDIDATES {
                self.not_rtp_packets += 1;
                return None;
            }
        }
        let held = self.candidates.entry(key).or_default();
        if held.len() >= HELD_PER_CANDIDATE {
            held.remove(0);
            self.not_rtp_packets += 1;
        }
        held.push((*pkt, frames));
        None
    }

    /// Packets that parsed as RTP and were not taken for it, those still
    /// held on probation included.
    #[must_use]
    pub fn not_rtp(&self) -> u64 {
        let held: usize = self.candidates.values().map(Vec::len).sum();
        self.not_rtp_packets + held as u64
    }

    /// Adds a packet taken for RTP to its stream (made when new).
    fn take(&mut self, pkt: &RtpPacket, frames: Frames) -> Option<usize> {
        let mut tied_new = None;
        self.packets += 1;
        let key = (Addr::from(pkt.src), Addr::from(pkt.dst), pkt.header.ssrc);
        let idx = if let Some(found) = self.by_key.get(&key) {
            *found
        } else {
            let (new, tied) = self.new_stream(pkt.src, pkt.dst, key.2, StreamKind::Rtp)?;
            self.by_key.insert(key, new);
            self.by_ssrc.entry(key.2).or_default().push(new);
            tied_new = tied.then_some(new);
            new
        };
        self.keep(idx, frames);
        let stream = self.streams.get_mut(idx)?;
        let pt = pkt.header.payload_type;
        let rate = stream.jitter_clock(pt);
        stream
            .stats
            .add(pkt.ts_ns, &pkt.header, pkt.len as usize, rate);
        if stream.is_event(pt) && stream.last_event_ts != Some(pkt.header.timestamp) {
            stream.last_event_ts = Some(pkt.header.timestamp);
            if let Some(d) = dtmf_digit(pkt.payload_head[0]) {
                stream.dtmf.push(d);
            }
        }
        self.count_second(idx, pkt.ts_ns);
        tied_new
    }

    /// A new stream `src -> dst` (`id`: its SSRC, 0 for fax), tied to the dialogs
    /// whose SDPs explain it, else waiting for one. `None` past the stream
    /// limit (the packet is counted as untracked); else its index and
    /// whether it was tied.
    fn new_stream(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        id: u32,
        kind: StreamKind,
    ) -> Option<(usize, bool)> {
        if self.streams.len() >= MAX_STREAMS {
            self.untracked_packets += 1;
            return None;
        }
        let owners = self.lookup(src, dst);
        let new = self.streams.len();
        if owners.is_empty() {
            self.pending.entry(src).or_default().push(new);
            self.pending.entry(dst).or_default().push(new);
        }
        self.streams.push(RtpStream {
            kind,
            src: Addr::from(src),
            dst: Addr::from(dst),
            ssrc: id,
            stats: StreamStats::default(),
            malformed: 0,
            dialog: None,
            rtpmap: Vec::new(),
            dtmf: String::new(),
            last_event_ts: None,
            rate: VecDeque::new(),
            rtcp: None,
            frames: VecDeque::new(),
            frames_not_kept: 0,
            kept_bytes: 0,
            shared_with: SmallVec::new(),
        });
        for d in &owners {
            self.tie(new, *d);
        }
        Some((new, !owners.is_empty()))
    }

    /// Counts a packet in its stream's per-second series (with the running
    /// jitter, none for fax).
    fn count_second(&mut self, idx: usize, ts_ns: i64) {
        let Some(stream) = self.streams.get_mut(idx) else {
            return;
        };
        let sec = ts_ns.div_euclid(1_000_000_000);
        #[allow(clippy::cast_possible_truncation)]
        let jitter = stream.stats.jitter_ms as f32;
        match stream.rate.back_mut() {
            Some((t, n, j)) if *t == sec => {
                *n += 1;
                *j = jitter;
            }
            _ => {
                let cap = stream.rate.capacity();
                stream.rate.push_back((sec, 1, jitter));
                if stream.rate.len() > RATE_HISTORY {
                    stream.rate.pop_front();
                }
                self.rate_bytes += (stream.rate.capacity() - cap) * RATE_POINT;
            }
        }
    }

    /// Adds a UDPTL packet (T.38 fax) to its stream, made when new: the
    /// pipeline hands only packets to or from an address an SDP announced
    /// for fax. A packet that was no UDPTL is counted as malformed.
    pub fn ingest_fax(&mut self, pkt: &crate::rtp::udptl::UdptlPacket, frames: Frames) {
        self.media_comes();
        self.fax_packets += 1;
        let key = (Addr::from(pkt.src), Addr::from(pkt.dst));
        let idx = if let Some(found) = self.by_fax.get(&key) {
            *found
        } else {
            let Some((new, _)) = self.new_stream(pkt.src, pkt.dst, 0, StreamKind::Fax) else {
                return;
            };
            self.by_fax.insert(key, new);
            new
        };
        self.keep(idx, frames);
        let Some(stream) = self.streams.get_mut(idx) else {
            return;
        };
        let Some(seq) = pkt.seq else {
            stream.malformed += 1;
            return;
        };
        stream.stats.add_sequenced(pkt.ts_ns, seq, pkt.len as usize);
        self.count_second(idx, pkt.ts_ns);
    }

    /// The dialogs of the fax stream `src -> dst`, its owner first.
    #[must_use]
    pub fn dialogs_of_fax(&self, from: SocketAddr, to: SocketAddr) -> Owners {
        self.by_fax
            .get(&(Addr::from(from), Addr::from(to)))
            .and_then(|i| self.streams.get(*i))
            .map(|s| s.dialogs().collect())
            .unwrap_or_default()
    }

    /// Streams tied to `dialog`.
    pub fn of_dialog(&self, dialog: DialogId) -> impl Iterator<Item = &RtpStream> {
        self.by_dialog
            .get(&dialog)
            .into_iter()
            .flat_map(|d| d.streams.iter())
            .filter_map(|i| self.streams.get(*i))
    }

    /// Streams tied to no dialog.
    pub fn unassociated(&self) -> impl Iterator<Item = &RtpStream> {
        self.streams.iter().filter(|s| s.dialog.is_none())
    }

    /// Every stream.
    #[must_use]
    pub fn streams(&self) -> &[RtpStream] {
        &self.streams
    }

    pub fn clear(&mut self) {
        *self = Self::new(self.keep_per_call, self.keep_total);
    }
}

/// What a packet no SDP explains must be to start a stream: not to or from
/// a well-known service port (below 1024: DNS, `NetBIOS`, NTP, SNMP...), and
/// a payload type RFC 3551 assigns (and 19, old comfort noise) or a dynamic
/// one (96-127).
fn plausible_unsignalled(pkt: &RtpPacket) -> bool {
    let assigned = matches!(
        pkt.header.payload_type,
        0 | 3..=19 | 25 | 26 | 28 | 31..=34 | 96..=127
    );
    assigned && pkt.src.port() >= 1024 && pkt.dst.port() >= 1024
}

#[cfg(test)]
mod tests;
