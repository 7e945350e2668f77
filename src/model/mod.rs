//! The call table: every SIP dialog by Call-ID, bounded in calls and bytes.
//!
//! One thread owns the [`Model`] and feeds it [`SipMessage`]s; the UI, the
//! reports and export read it through the methods here and never reach into
//! its fields. It knows nothing of any view.

mod call_index;
pub mod dialog;
pub mod findings;
pub mod flow;
pub mod media;
pub mod message;
mod parsed;
pub mod sdp_diff;
mod sources;
mod stats;
mod table;
pub mod timers;

#[cfg(test)]
mod lookup_tests;

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::hash::{Map, Seeded};

pub use dialog::{Clock, Dialog, DialogId, DialogKind, DialogState};
pub use message::{Addr, Kind, Message, Method, RawLoc, RawRef};
pub use parsed::{Parsed, Prefetched, status_text};
use sources::SourceFile;
pub use stats::{Lost, OutputCounts, Stats};

use crate::decode::DecodeStats;
use crate::sip::{Origin, SipMessage};

/// Memory bounds. Capture never stops because of them: the oldest finished
/// dialogs make room, and every eviction is counted.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `-l N`: dialogs kept at once.
    pub max_calls: usize,
    /// Messages kept per dialog (a REGISTER refresh dialog can grow forever).
    pub max_messages_per_call: usize,
    /// Budget for bytes held in memory (message bytes and frames).
    pub max_mem_bytes: usize,
    /// Keep message bytes in memory even when they can be read back from the
    /// capture file.
    pub raw_in_memory: bool,
    /// Bytes of RTP frames kept per call for export, newest first (`None`:
    /// all of them). `max_mem_bytes` bounds them all the same.
    pub rtp_keep_per_call: Option<usize>,
}

/// Whose media the calls not kept (`keep_only`) announce: no dialog of the
/// table, so their streams are listed as unassociated.
const OTHER_CALLS: DialogId = DialogId(u64::MAX);

/// What the allocator spends per allocation beyond what was asked, by
/// estimate (mimalloc rounds to size classes; 16 bytes on average).
pub(crate) const ALLOC_OVERHEAD: usize = 16;
/// One entry of a hash map keyed by wire data, by estimate: key, value and
/// control byte, at the table's load factor and average growth slack.
pub(crate) const MAP_ENTRY: usize = 48;

/// What a message with no Call-ID is shown as, with a number of its own:
/// each stands apart (a Call-ID has no spaces, so none can look the same).
pub const NO_CALL_ID: &str = "(no Call-ID)";

/// User-Agent texts interned at most.
const MAX_USER_AGENTS: usize = 4096;

/// Evicted dialogs' slots the table may hold behind an older dialog that
/// stays, before that dialog is evicted too (see `Model::evict_one`).
const MAX_TABLE_HOLES: usize = 4096;

/// Messages [`Model::warm`] reads ahead for at once.
pub const WARM_GROUP: usize = 16;

/// Bytes of a message's head that [`Model::warm`] reads ahead at most.
const WARM_HEAD_BYTES: usize = 2048;

/// Vantage points (HEP agents) told apart at most.
const MAX_ORIGINS: usize = 1024;

/// Default `--rtp-keep`: MB of RTP frames kept per call.
pub const DEFAULT_RTP_KEEP_MB: usize = 16;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_calls: 20_000,
            max_messages_per_call: 5_000,
            max_mem_bytes: 512 << 20,
            raw_in_memory: false,
            rtp_keep_per_call: Some(DEFAULT_RTP_KEEP_MB << 20),
        }
    }
}

/// The call table.
#[derive(Debug, Default)]
pub struct Model {
    limits: Limits,
    dialogs: table::DialogTable,
    /// Dialogs by a seeded hash of their Call-ID (the dialog holds the
    /// text, and a lookup checks it): the Call-ID is kept once.
    by_call_id: call_index::CallIndex,
    /// Call-IDs that are not valid UTF-8 (the dialog's text is not their
    /// bytes), by their bytes.
    spilled_call_ids: Map<Box<[u8]>, DialogId>,
    /// User-Agent texts shared by the dialogs that name them (bounded: past
    /// [`MAX_USER_AGENTS`], a dialog keeps its own), and what they hold.
    user_agents: crate::hash::Set<Arc<str>>,
    user_agents_bytes: usize,
    /// Call-ID → dialogs that name it in X-Call-ID.
    xref: Map<String, Vec<DialogId>>,
    /// Seeds transaction keys, so crafted messages cannot collide on purpose.
    seed: Seeded,
    media: media::Media,
    now_ns: i64,
    /// The capture has ended: nothing more will come.
    ended: bool,
    mem_bytes: usize,
    /// What the decoder counted, and what was lost before the model.
    decoded: DecodeStats,
    lost: Lost,
    stats: Stats,
    /// Capture files by source index, open for reading message bytes back.
    sources: Vec<Option<SourceFile>>,
    generation: u64,
    /// What the live outputs (sinks) did, as the feed last said.
    outputs: OutputCounts,
    /// HEP agents seen, by origin index - 1.
    origins: Vec<Origin>,
    /// When set, only these Call-IDs are taken in (`-w --call-id`).
    only: Option<crate::hash::Set<Box<[u8]>>>,
    /// What messages' bytes said once parsed, for the views (bounded).
    parsed: parsed::Cache,
    /// Findings per dialog, kept until the dialog changes.
    findings: findings::Cache,
}

impl Model {
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            media: media::Media::new(limits.rtp_keep_per_call, limits.max_mem_bytes),
            ..Self::default()
        }
    }

    /// The latest capture-side counts: the decoder's and the losses.
    pub fn set_capture_counts(&mut self, decoded: DecodeStats, lost: Lost) {
        if (decoded, lost) != (self.decoded, self.lost) {
            self.decoded = decoded;
            self.lost = lost;
            self.generation += 1;
        }
    }

    /// The latest counts of the live outputs.
    pub fn set_output_counts(&mut self, c: OutputCounts) {
        if c != self.outputs {
            self.outputs = c;
            self.generation += 1;
        }
    }

    /// Changes whenever the model does: views redraw only when it moved.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Capture time of the newest message.
    #[must_use]
    pub fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// The capture clock: the newest message's time, and whether the
    /// capture has ended ([`Model::end_capture`]). States and durations are
    /// read at a clock ([`Dialog::state_at`], [`Dialog::duration_at`]).
    #[must_use]
    pub fn clock(&self) -> Clock {
        Clock {
            now_ns: self.now_ns,
            ended: self.ended,
        }
    }

    /// The capture has ended (the files were read, or a live capture was
    /// stopped): a call still waiting for its final response will not get
    /// it here, so its state is unknown.
    pub fn end_capture(&mut self) {
        if !self.ended {
            self.ended = true;
            self.generation += 1;
        }
    }

    /// Has the capture ended?
    #[must_use]
    pub fn capture_ended(&self) -> bool {
        self.ended
    }

    /// From now on, takes in only the messages of these Call-IDs.
    pub fn keep_only(&mut self, call_ids: &[String]) {
        self.only = Some(call_ids.iter().map(|c| Box::from(c.as_bytes())).collect());
    }

    /// Adds one message to its dialog, creating the dialog if needed.
    pub fn ingest(&mut self, msg: &mut SipMessage) {
        self.ingest_hashed(msg, None);
    }

    /// Reads ahead what ingesting `msgs` (at most [`WARM_GROUP`]) will read:
    /// their heads' bytes, the call index's slots, the dialogs they name
    /// (every line of the struct, the Call-ID's text, the newest messages),
    /// and the announced media addresses' slots and entries. Every
    /// message's ingest waits on these lines in turn; read here together,
    /// their misses overlap. Each pass is a short loop of loads that do not
    /// depend on one another (the core keeps only so many instructions in
    /// flight behind a miss: a pass that also hashes holds few misses at
    /// once), and each level waits only for the pass before; the lines that
    /// nothing here reads (the heads' other lines, the Call-ID's text, the
    /// newest messages) are prefetched, not loaded. It changes
    /// nothing (a slot that changes before its message comes is only a
    /// wasted read). `hashes` gets each message's Call-ID hash, for
    /// [`Model::ingest_hashed`]; the value returned is only there so that
    /// the reads are not optimised away.
    pub fn warm(&self, msgs: &[SipMessage], hashes: &mut Vec<u64>) -> u64 {
        const ADDRS: usize = 2 * WARM_GROUP;
        let msgs = msgs.get(..WARM_GROUP).unwrap_or(msgs);
        let mut acc = 0u64;
        // The messages (each spans several lines) and their heads' bytes,
        // which the capture thread wrote.
        for m in msgs {
            acc ^= m.ts_ns.cast_unsigned()
                ^ u64::from(m.src.port())
                ^ u64::from(m.dst.port())
                ^ m.raw_in_file.map_or(0, |(_, at)| at)
                ^ m.frames.first().map_or(0, |f| u64::from(f.orig_len))
                ^ u64::from(m.origin.is_some())
                ^ u64::from(m.head.content_length.unwrap_or(0));
            prefetch_head(&m.head, &m.raw);
        }
        // The hashes: the Call-IDs', the media addresses' tags.
        hashes.clear();
        let mut tags = [(0u32, 0u16); ADDRS];
        let mut n_addrs = 0;
        // Announcements held back (no media yet) read nothing to read ahead.
        let media = !self.media.deferring();
        for m in msgs {
            hashes.push(self.seed.hash_one(m.head.call_id.get(&m.raw)));
            for a in m.held_media_addresses().iter().filter(|_| media) {
                if let Some(t) = tags.get_mut(n_addrs) {
                    *t = (self.media.media_tag(*a), a.port());
                    n_addrs += 1;
                }
            }
        }
        let tags = tags.get(..n_addrs).unwrap_or_default();
        // The index slots.
        let mut slots = [0u64; WARM_GROUP];
        for (s, h) in slots.iter_mut().zip(hashes.iter()) {
            *s = self.by_call_id.home_slot(*h);
        }
        let mut media_slots = [0u64; ADDRS];
        for (s, (tag, port)) in media_slots.iter_mut().zip(tags) {
            let (slot, by_port) = self.media.touch_slots(*tag, *port);
            *s = slot;
            acc ^= by_port;
        }
        // What the slots name: the table's entries, the ring's entries
        // (and, for new addresses, the oldest ones they will forget).
        let mut dialogs: [Option<&Dialog>; WARM_GROUP] = [None; WARM_GROUP];
        for ((d, s), h) in dialogs.iter_mut().zip(slots).zip(hashes.iter()) {
            *d = match call_index::CallIndex::home_id(*h, s) {
                Some(low) => self.dialogs.resolve(low),
                // Not at its home slot: the index is walked.
                None => self
                    .by_call_id
                    .find(*h, |_| true)
                    .and_then(|low| self.dialogs.resolve(low)),
            }
            .and_then(|id| self.dialogs.get(id));
        }
        let mut new_addrs = 0;
        for (s, (tag, _)) in media_slots.iter().zip(tags) {
            match self.media.touch_entry(*tag, *s) {
                Some(v) => acc ^= v,
                None => new_addrs += 1,
            }
        }
        acc ^= self.media.touch_oldest(new_addrs);
        // The dialogs, then what they point to: the Call-ID's text and the
        // newest messages.
        for d in dialogs.iter().flatten() {
            acc ^= d.touch();
        }
        for d in dialogs.iter().flatten() {
            d.prefetch_held();
        }
        acc
    }

    /// [`Model::ingest`], with the Call-ID's hash when [`Model::warm`]
    /// computed it.
    pub fn ingest_hashed(&mut self, msg: &mut SipMessage, call_id_hash: Option<u64>) {
        self.stats.sip_messages += 1;
        self.now_ns = self.now_ns.max(msg.ts_ns);
        if self.only.is_some() && self.pass_over(msg) {
            return;
        }
        // The frames go to the stored message; the bytes are read from here
        // on through one slice (each read of `msg.raw` checks its range).
        let frames = std::mem::take(&mut msg.frames);
        let msg: &SipMessage = msg;
        let raw: &[u8] = &msg.raw;
        let head = &msg.head;
        let call_id = head.call_id.get(raw);
        let hash = call_id_hash.unwrap_or_else(|| self.seed.hash_one(call_id));
        self.generation += 1;
        let origin = self.origin_index(msg.origin);
        // The top Via's branch, hashed once for the message and its key.
        let branch = branch_hash(&self.seed, head.via_branch.get(raw));
        let mut m = self.to_message(msg, raw, frames, msg.has_sdp(), origin);
        m.branch = fold(branch);
        if m.malformed() {
            self.stats.malformed += 1;
        }
        if call_id.is_empty() {
            self.stats.messages_without_call_id += 1;
        }
        // Messages with no Call-ID have nothing in common: each stands
        // apart, never one dialog of strangers.
        let id = match self.lookup_hashed(call_id, hash) {
            Some(id) if !call_id.is_empty() => id,
            _ => self.new_dialog(msg, raw, &m, hash),
        };
        let key = transaction_key(&self.seed, msg, raw, branch);
        // Only a REGISTER's response reads it (`Dialog::advance`).
        let expires_zero = m.status().is_some()
            && matches!(m.cseq, Some((_, Method::Register)))
            && expires_zero(head, raw);
        let max_msgs = self.limits.max_messages_per_call;
        // Streams this message's SDP ties, to be given their codecs once the
        // message is stored.
        let mut tied = Vec::new();
        let Some(d) = self.dialogs.get_mut(id) else {
            return;
        };
        // What the dialog holds before and after this message is the
        // model's estimate's change (docs/ARCHITECTURE.md, "Memory").
        let before = d.held_bytes();
        d.mark_retransmission(&mut m, key);
        if m.retransmission() {
            self.stats.retransmissions += 1;
        }
        let was_finished = d.state().is_finished();
        d.advance(&m, expires_zero);
        if !was_finished && d.state().is_finished() && (m.has_sdp() || d.has_sdp()) {
            // Its media is over: it shares no stream other dialogs' SDPs
            // explain from now on (docs/media.md).
            self.media.close(id);
        } else if was_finished && !d.state().is_finished() {
            // A challenge (401/407) answered by a new INVITE: the call goes
            // on, and so does its media.
            self.media.reopen(id);
        }
        if msg.has_sdp() && !m.retransmission() {
            tied.extend(self.media.expect(id, &msg.media_addresses()));
        }
        if d.user_agent.is_none() {
            let ua = if head.user_agent.is_empty() {
                head.server
            } else {
                head.user_agent
            };
            if !ua.is_empty() {
                let (ua, shared) = intern(
                    &mut self.user_agents,
                    &mut self.user_agents_bytes,
                    &text(ua.get(raw)),
                );
                d.user_agent = Some(ua);
                d.user_agent_shared = shared;
            }
        }
        if !head.x_call_id.is_empty() {
            let x = text(head.x_call_id.get(raw)).into_owned();
            if d.add_x_call_id(&x) {
                let refs = self.xref.entry(x).or_default();
                if refs.len() < 64 {
                    refs.push(id);
                }
            }
        }
        if d.messages.len() >= max_msgs {
            // Not kept, but its key is: its retransmissions are still seen.
            d.remember(&m);
            d.dropped_messages += 1;
            self.stats.dropped_messages += 1;
            self.mem_bytes = (self.mem_bytes + d.held_bytes()).saturating_sub(before);
            return;
        }
        d.messages_heap += m.heap_bytes();
        d.keep(m);
        self.mem_bytes = (self.mem_bytes + d.held_bytes()).saturating_sub(before);
        for stream in tied {
            self.fill_rtpmap(stream);
        }
        self.enforce_limits();
    }

    /// Passes over a message of a Call-ID not chosen (`keep_only`): `true`
    /// when it is not to be kept.
    fn pass_over(&mut self, msg: &SipMessage) -> bool {
        if self
            .only
            .as_ref()
            .is_none_or(|only| only.contains(msg.call_id()))
        {
            return false;
        }
        // Not kept, but its SDP still says whose media is where: the
        // chosen calls must not be given another call's streams.
        if msg.has_sdp() {
            let _ = self.media.expect(OTHER_CALLS, &msg.media_addresses());
        }
        true
    }

    /// The index of a message's vantage point: 0 for this capture, else its
    /// HEP agent's (interned; past [`MAX_ORIGINS`] agents, the last slot
    /// stands for every other).
    fn origin_index(&mut self, origin: Option<Origin>) -> u16 {
        let Some(o) = origin else { return 0 };
        if let Some(i) = self.origins.iter().position(|x| *x == o) {
            return u16::try_from(i + 1).unwrap_or(u16::MAX);
        }
        if self.origins.len() < MAX_ORIGINS {
            self.origins.push(o);
        }
        u16::try_from(self.origins.len()).unwrap_or(u16::MAX)
    }

    fn to_message(
        &self,
        msg: &SipMessage,
        raw: &[u8],
        frames: crate::decode::Frames,
        has_sdp: bool,
        origin: u16,
    ) -> Message {
        let head = &msg.head;
        let cseq_method = head.cseq_method.get(raw);
        let (kind, request) = match head.start_line {
            Some(crate::sip::StartLine::Request { method, .. }) => {
                let meth = method.get(raw);
                (Kind::Request(Method::from_bytes(meth)), Some(meth))
            }
            Some(crate::sip::StartLine::Response { code, .. }) => (Kind::Response(code), None),
            None => (Kind::Request(Method::from_bytes(b"?")), None),
        };
        // A request's CSeq names its own method (nearly always): read once.
        let cseq = head.cseq_num.map(|n| match (kind, request) {
            (Kind::Request(meth), Some(name)) if name == cseq_method => (n, meth),
            _ => (n, Method::from_bytes(cseq_method)),
        });
        // The reason phrase is read back only when it is not the standard
        // one (a carrier's "403 Wrong password or domain").
        let own_reason = match head.start_line {
            Some(crate::sip::StartLine::Response { code, reason }) => {
                reason.get(raw) != crate::sip::reason(code).as_bytes()
            }
            _ => false,
        };
        let carried = message::Carried {
            src: msg.src,
            dst: msg.dst,
            raw,
            raw_in_file: msg.raw_in_file,
            frames,
            origin,
        };
        let mut flags = 0;
        if has_sdp {
            flags |= message::HAS_SDP;
        }
        if own_reason {
            flags |= message::OWN_REASON;
        }
        Message {
            ts_ns: msg.ts_ns,
            store: message::Store::of(carried, msg.ts_ns, self.limits.raw_in_memory),
            transport: msg.transport,
            kind,
            cseq,
            defects: head.defects,
            flags,
            key: 0,
            branch: 0,
            branch2: fold(branch_hash(&self.seed, head.via_branch2.get(raw))),
        }
    }

    /// A new dialog for `first`, read from `raw` (the bytes of `msg`), whose
    /// Call-ID hashes to `hash`.
    fn new_dialog(&mut self, msg: &SipMessage, raw: &[u8], first: &Message, hash: u64) -> DialogId {
        let id = self.dialogs.next_id();
        let head = &msg.head;
        let wire_id = head.call_id.get(raw);
        let label;
        let call_id = if wire_id.is_empty() {
            label = format!("{NO_CALL_ID} {}", id.0);
            label.as_bytes()
        } else {
            wire_id
        };
        let (names, at, utf8) = names(call_id, head.from.get(raw), head.to.get(raw));
        // A request with a To tag belongs to a dialog begun before the
        // capture (a re-INVITE, an UPDATE).
        let in_dialog = first.method().is_some() && !crate::sip::scan::tag(raw, head.to).is_empty();
        let mut d = Dialog::new(id, names, at, first, in_dialog);
        if !wire_id.is_empty() {
            d.call_id_spilled = self.index_call_id(wire_id, utf8, hash, id);
        }
        self.mem_bytes += d.held_bytes();
        self.dialogs.push(d);
        self.stats.calls += 1;
        id
    }

    /// Evicts while over a limit; the check is all most messages cost.
    #[inline]
    fn enforce_limits(&mut self) {
        if self.over_limits() {
            self.evict_while_over();
        }
    }

    fn over_limits(&self) -> bool {
        self.dialogs.len() > self.limits.max_calls.max(1)
            || (self.held_bytes() > self.limits.max_mem_bytes && self.dialogs.len() > 1)
    }

    #[cold]
    fn evict_while_over(&mut self) {
        while self.over_limits() {
            if !self.evict_one() {
                break;
            }
        }
    }

    /// Evicts the oldest finished dialog (among the oldest few hundred), else
    /// the oldest of all. Once [`MAX_TABLE_HOLES`] finished dialogs have
    /// gone from behind one that stays (a call whose BYE was never seen),
    /// the oldest goes whatever its state: the holes would otherwise grow
    /// without bound, and every eviction walks them.
    fn evict_one(&mut self) -> bool {
        let clock = self.clock();
        let oldest_first = self.dialogs.holes() >= MAX_TABLE_HOLES;
        let victim = self
            .dialogs
            .values()
            .take(if oldest_first { 0 } else { 256 })
            .find(|d| d.state_at(clock).is_finished())
            .or_else(|| self.dialogs.values().next())
            .map(|d| d.id);
        let Some(id) = victim else { return false };
        let Some(d) = self.dialogs.remove(id) else {
            return false;
        };
        if d.call_id_spilled {
            self.spilled_call_ids.retain(|_, v| *v != id);
        } else {
            let h = self.seed.hash_one(d.call_id().as_bytes());
            self.by_call_id.remove(h, table::low_bits(id));
        }
        for x in d.x_call_ids() {
            if let Some(v) = self.xref.get_mut(x) {
                v.retain(|r| *r != id);
                if v.is_empty() {
                    self.xref.remove(x);
                }
            }
        }
        self.mem_bytes = self.mem_bytes.saturating_sub(d.held_bytes());
        self.media.forget_dialog(id);
        self.stats.evicted_calls += 1;
        true
    }

    /// Adds one RTP packet to its stream.
    pub fn ingest_media(&mut self, p: crate::rtp::MediaPacket) {
        // Media moves the clock too: a call in progress ticks while it talks.
        if let Some(f) = p.frames.last() {
            self.now_ns = self.now_ns.max(f.ts_ns);
        }
        match p.body {
            crate::rtp::MediaBody::Rtp(rtp) => {
                if let Some(stream) = self.media.ingest(&rtp, p.frames) {
                    self.fill_rtpmap(stream);
                }
            }
            crate::rtp::MediaBody::Rtcp {
                ts_ns,
                src,
                dst,
                rtcp,
            } => {
                self.media.ingest_rtcp(ts_ns, src, dst, &rtcp, p.frames);
            }
            crate::rtp::MediaBody::Fax(fax) => self.media.ingest_fax(&fax, p.frames),
        }
        if self.held_bytes() > self.limits.max_mem_bytes {
            self.enforce_limits();
        }
        if self.media.packets.is_multiple_of(4096) {
            self.generation += 1;
        }
    }

    /// A new stream's payload-type map, from the newest SDP of its dialog
    /// that names its port (parsed once per stream, not per SDP seen).
    fn fill_rtpmap(&mut self, stream: usize) {
        let Some(s) = self.media.streams().get(stream) else {
            return;
        };
        let ports = [s.dst.port(), s.src.port()];
        let Some(d) = s.dialog.and_then(|id| self.dialogs.get(id)) else {
            return;
        };
        // Offer and answer may map different types (an answer that leaves
        // telephone-event out, while the offerer still sends it): merge every
        // SDP of the dialog that names one of the stream's ports, newest first.
        let mut rtpmap: Vec<(u8, String, u32)> = Vec::new();
        for m in d.messages.iter().rev().filter(|m| m.has_sdp()) {
            let Some(sdp) = self.sdp(m).ok().flatten() else {
                continue;
            };
            for media in sdp.media.into_iter().filter(|x| ports.contains(&x.port)) {
                for r in media.rtpmap {
                    if !rtpmap.iter().any(|(pt, _, _)| *pt == r.payload_type) {
                        rtpmap.push((r.payload_type, r.encoding, r.clock_rate));
                    }
                }
            }
        }
        if !rtpmap.is_empty() {
            self.media.set_rtpmap(stream, rtpmap);
        }
    }

    /// The RTP streams tied to a dialog (fax streams apart: [`Model::fax_of`]).
    pub fn streams_of(&self, d: &Dialog) -> impl Iterator<Item = &media::RtpStream> {
        self.media.of_dialog(d.id).filter(|s| !s.is_fax())
    }

    /// The fax (T.38 over UDPTL) streams tied to a dialog.
    pub fn fax_of(&self, d: &Dialog) -> impl Iterator<Item = &media::RtpStream> {
        self.media.of_dialog(d.id).filter(|s| s.is_fax())
    }

    /// Every media stream tied to a dialog, RTP and fax.
    pub fn media_of(&self, d: &Dialog) -> impl Iterator<Item = &media::RtpStream> {
        self.media.of_dialog(d.id)
    }

    /// The RTCP flows that report on a dialog's streams.
    pub fn rtcp_of(&self, d: &Dialog) -> impl Iterator<Item = &media::RtcpFlow> {
        self.media.rtcp_of(d.id)
    }

    /// The dialogs an RTP or RTCP packet belongs to, once taken in (two
    /// when the legs of a call through a PBX both named its ends).
    pub fn media_dialogs(&self, p: &crate::rtp::MediaBody) -> impl Iterator<Item = &Dialog> {
        let ids = match p {
            crate::rtp::MediaBody::Rtp(r) => {
                self.media.dialogs_of_stream(r.src, r.dst, r.header.ssrc)
            }
            crate::rtp::MediaBody::Rtcp { src, dst, .. } => self.media.dialogs_of_rtcp(*src, *dst),
            crate::rtp::MediaBody::Fax(f) => self.media.dialogs_of_fax(f.src, f.dst),
        };
        ids.into_iter().filter_map(|id| self.dialogs.get(id))
    }

    /// How many sources (capture files) were named.
    #[must_use]
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// The per-call budget for kept RTP frames, in bytes (`None`: all kept).
    #[must_use]
    pub fn rtp_keep_per_call(&self) -> Option<usize> {
        self.media.keep_per_call()
    }

    /// RTCP flows: (source, destination) and the packets and types seen.
    pub fn rtcp_flows(&self) -> impl Iterator<Item = (&(Addr, Addr), &media::RtcpFlow)> {
        self.media.rtcp_flows()
    }

    /// RTP streams tied to no dialog that is still in the table.
    pub fn unassociated_streams(&self) -> impl Iterator<Item = &media::RtpStream> {
        self.unassociated_media().filter(|s| !s.is_fax())
    }

    /// Media streams (RTP and fax) tied to no dialog still in the table.
    pub fn unassociated_media(&self) -> impl Iterator<Item = &media::RtpStream> {
        self.media
            .streams()
            .iter()
            .filter(|s| s.dialogs().all(|id| self.dialogs.get(id).is_none()))
    }

    /// Forgets every dialog (the UI's "clear"); counters stay.
    pub fn clear(&mut self) {
        self.media.clear();
        self.dialogs.clear();
        self.by_call_id.clear();
        self.spilled_call_ids.clear();
        self.xref.clear();
        self.mem_bytes = 0;
        self.generation += 1;
    }

    /// Dialogs in order of arrival.
    #[must_use]
    pub fn dialogs(&self) -> impl DoubleEndedIterator<Item = &Dialog> {
        self.dialogs.values()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.dialogs.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dialogs.len() == 0
    }

    #[must_use]
    pub fn dialog(&self, id: DialogId) -> Option<&Dialog> {
        self.dialogs.get(id)
    }

    /// The dialog a message just taken in went to: by its Call-ID's bytes,
    /// or, without a Call-ID, the newest dialog (each such message opens one).
    #[must_use]
    pub fn dialog_of(&self, msg: &SipMessage) -> Option<&Dialog> {
        if msg.call_id().is_empty() {
            return self.dialogs.values().next_back();
        }
        self.dialogs.get(self.lookup(msg.call_id())?)
    }

    #[must_use]
    pub fn find(&self, call_id: &str) -> Option<&Dialog> {
        self.dialogs.get(self.lookup(call_id.as_bytes())?)
    }

    /// The dialog of a Call-ID, by its hash and then its text, else among
    /// the spilled ones.
    fn lookup(&self, call_id: &[u8]) -> Option<DialogId> {
        self.lookup_hashed(call_id, self.seed.hash_one(call_id))
    }

    /// [`Model::lookup`] of a Call-ID whose seeded hash is `h`.
    #[inline]
    fn lookup_hashed(&self, call_id: &[u8], h: u64) -> Option<DialogId> {
        let found = self.by_call_id.find(h, |low| {
            self.dialogs
                .resolve(low)
                .and_then(|id| self.dialogs.get(id))
                .is_some_and(|d| d.call_id().as_bytes() == call_id)
        });
        if let Some(id) = found.and_then(|low| self.dialogs.resolve(low)) {
            return Some(id);
        }
        if self.spilled_call_ids.is_empty() {
            return None;
        }
        self.spilled_call_ids.get(call_id).copied()
    }

    /// Files a new dialog's Call-ID (`utf8`: its bytes are UTF-8, and so
    /// the dialog's text), whose hash is `h`; `true` when it went to the
    /// spilled table (not UTF-8).
    fn index_call_id(&mut self, call_id: &[u8], utf8: bool, h: u64, id: DialogId) -> bool {
        if utf8 {
            self.by_call_id.insert(h, table::low_bits(id));
            return false;
        }
        self.spilled_call_ids.insert(call_id.into(), id);
        true
    }

    /// Call-IDs correlated with `d` by X-Call-ID / X-CID, either way.
    #[must_use]
    pub fn related(&self, d: &Dialog) -> Vec<String> {
        let mut out: Vec<String> = d.x_call_ids().to_vec();
        if let Some(refs) = self.xref.get(d.call_id()) {
            for r in refs {
                if let Some(other) = self.dialogs.get(*r)
                    && !out.iter().any(|c| c == other.call_id())
                {
                    out.push(other.call_id().to_owned());
                }
            }
        }
        out
    }

    /// Everything the model holds, by the estimate `--mem` bounds:
    /// dialogs, messages, kept frames, streams and their series
    /// (docs/ARCHITECTURE.md, "Memory").
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        self.mem_bytes + self.user_agents_bytes + self.media.held_bytes()
    }
}

/// Text from the wire: as it is when it is UTF-8 (the common case, checked
/// far faster than a lossy conversion walks it), else lossily.
fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A dialog's Call-ID, From and To in one string, where From and To start
/// in it, and whether the Call-ID was UTF-8 as it came: one check and one
/// allocation for the three when they are UTF-8 (nearly always), else each
/// lossily as [`text`] makes it.
fn names(call_id: &[u8], from: &[u8], to: &[u8]) -> (String, (usize, usize), bool) {
    let from_at = call_id.len();
    let to_at = from_at + from.len();
    let mut all = Vec::with_capacity(to_at + to.len());
    all.extend_from_slice(call_id);
    all.extend_from_slice(from);
    all.extend_from_slice(to);
    // Whole and cut at char boundaries: each part is UTF-8 on its own.
    if let Ok(s) = String::from_utf8(all)
        && s.is_char_boundary(from_at)
        && s.is_char_boundary(to_at)
    {
        return (s, (from_at, to_at), true);
    }
    let (c, f, t) = (text(call_id), text(from), text(to));
    let utf8 = matches!(c, Cow::Borrowed(_));
    let at = (c.len(), c.len() + f.len());
    (c.into_owned() + &f + &t, at, utf8)
}

/// The shared copy of a User-Agent text, and whether it is shared (the
/// table is full: the dialog keeps its own, counted with it).
fn intern(table: &mut crate::hash::Set<Arc<str>>, bytes: &mut usize, ua: &str) -> (Arc<str>, bool) {
    if let Some(a) = table.get(ua) {
        return (Arc::clone(a), true);
    }
    let a: Arc<str> = Arc::from(ua);
    if table.len() >= MAX_USER_AGENTS {
        return (a, false);
    }
    table.insert(Arc::clone(&a));
    *bytes += ua.len() + 16 + ALLOC_OVERHEAD + MAP_ENTRY;
    (a, true)
}

/// Asks for each cache line of a message's head (its start line and
/// headers, at most [`WARM_HEAD_BYTES`]), which the capture thread wrote on
/// the other core and ingesting reads here and there (the Via branches, the
/// CSeq, From and To, the User-Agent), for [`Model::warm`]: prefetches, not
/// loads, so that the core goes on while the lines come.
fn prefetch_head(head: &crate::sip::scan::Head, raw: &[u8]) {
    let head = head_of(head, raw);
    for b in head
        .get(..head.len().min(WARM_HEAD_BYTES))
        .unwrap_or_default()
        .iter()
        .step_by(64)
    {
        prefetch(b);
    }
}

/// Asks for the cache line of `r` without waiting for it (a prefetch
/// instruction: unlike a load, it never holds the core up while the line
/// comes). Elsewhere than on x86-64, nothing.
#[inline]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(r);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// A message's start line and headers: its bytes before the body (all of
/// them when it has none).
fn head_of<'a>(head: &crate::sip::scan::Head, raw: &'a [u8]) -> &'a [u8] {
    if head.body.is_empty() {
        raw
    } else {
        raw.get(..head.body.start as usize).unwrap_or(raw)
    }
}

/// An address into a hash, as one or two words (the derived `Hash` of a
/// `SocketAddr` feeds it field by field).
fn hash_addr(h: &mut impl Hasher, a: SocketAddr) {
    match a {
        SocketAddr::V4(v4) => {
            h.write_u64((1 << 48) | (u64::from(v4.ip().to_bits()) << 16) | u64::from(v4.port()));
        }
        SocketAddr::V6(v6) => {
            h.write_u128(v6.ip().to_bits());
            h.write_u64((2 << 48) | u64::from(v6.port()));
        }
    }
}

/// Direction, top Via branch, CSeq, the whole start line and, for a
/// provisional response, its `RSeq`: equal keys in one dialog mean a
/// retransmission.
/// `branch` is the top Via branch's [`branch_hash`].
fn transaction_key(seed: &Seeded, msg: &SipMessage, raw: &[u8], branch: u64) -> u64 {
    let mut h = seed.build_hasher();
    // The same message seen by two agents is no retransmission.
    msg.origin.hash(&mut h);
    hash_addr(&mut h, msg.src);
    hash_addr(&mut h, msg.dst);
    if branch == 0 {
        // No branch (RFC 2543 peers): only identical bytes are a retransmission.
        h.write(raw);
    } else {
        h.write_u64(branch);
    }
    h.write_u32(msg.head.cseq_num.unwrap_or(0));
    h.write(msg.head.cseq_method.get(raw));
    // The whole start line: two provisional responses of one transaction
    // ("100 Trying" from a proxy, "100 Giving a try" from the next hop) differ.
    let start_line = memchr::memchr(b'\n', raw)
        .and_then(|i| raw.get(..i))
        .unwrap_or(raw);
    h.write(start_line);
    // Reliable provisional responses (RFC 3262) of one transaction share
    // all of the above: each new one has a new RSeq (a second 183 with new
    // SDP is no retransmission of the first).
    if msg.status().is_some_and(|c| (101..200).contains(&c))
        // The header lies before the body: the body's lines (an SDP),
        // which the model reads nowhere else, are not read for it.
        && may_name_rseq(head_of(&msg.head, raw))
        && let Some(rseq) = crate::sip::headers::first(raw, "RSeq", None)
    {
        h.write(rseq);
    }
    h.finish()
}

/// Could these bytes hold an `RSeq` header (the name in any case)? A
/// quick look before reading the headers (most 18x have none).
fn may_name_rseq(raw: &[u8]) -> bool {
    memchr::memchr2_iter(b'q', b'Q', raw).any(|i| {
        i >= 3
            && raw
                .get(i - 3..i)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"rse"))
    })
}

/// A Via branch as a number (0: no branch); seeded, so a crafted branch
/// cannot be made to match another on purpose.
fn branch_hash(seed: &Seeded, branch: &[u8]) -> u64 {
    if branch.is_empty() {
        return 0;
    }
    let mut h = seed.build_hasher();
    h.write(branch);
    h.finish().max(1)
}

/// A [`branch_hash`] in the 32 bits a message keeps (0 stays 0).
fn fold(v: u64) -> u32 {
    #[allow(clippy::cast_possible_truncation)]
    let folded = (v ^ (v >> 32)) as u32;
    if v == 0 { 0 } else { folded.max(1) }
}

/// Does a REGISTER response say the binding was removed (`Expires: 0`, or
/// `expires=0` on the Contact)?
fn expires_zero(head: &crate::sip::scan::Head, raw: &[u8]) -> bool {
    if head.expires.get(raw) == b"0" {
        return true;
    }
    let contact = head.contact.get(raw).to_ascii_lowercase();
    memchr::memmem::find(&contact, b"expires=0")
        .is_some_and(|i| !contact.get(i + 9).is_some_and(u8::is_ascii_digit))
}
