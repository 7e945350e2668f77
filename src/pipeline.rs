//! Frames in, SIP messages out: link → IP (dedup, defrag) → UDP / TCP
//! (reassembly) → WebSocket → SIP framing. Owned by the capture thread, or
//! run inline by [`crate::replay`]. No I/O and no clock: time is the frames'.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::decode::tcp::{FlowKey, Pushed, Reassembler, StreamMode, TcpLimits};
use crate::decode::{
    DecodeStats, Frame, FrameLoc, FrameRef, Frames, Transport, dedup::Dedup, defrag,
    defrag::Defragmenter, ip, link, ws,
};
use crate::hash::Set;
use crate::rtp::{self, MediaBody, MediaPacket, RtpPacket, udptl};
use crate::sip::scan::{self, Framing, Scan};
use crate::sip::{Raw, SipMessage};

/// Bytes kept from a stream that shows no SIP yet, in case a start line is
/// split across segments.
const RESYNC_TAIL: usize = 512;
/// Fax (T.38) addresses remembered at most; the oldest is forgotten first.
const MAX_FAX_ENDPOINTS: usize = 4096;

/// Addresses an SDP announced with `m=image ... udptl t38`: UDP to or from
/// them is read as UDPTL first. Learnt from the SIP messages this pipeline
/// frames; an address a later SDP names for anything else is forgotten.
#[derive(Debug, Default)]
struct FaxEndpoints {
    set: Set<SocketAddr>,
    order: VecDeque<SocketAddr>,
}

impl FaxEndpoints {
    fn contains(&self, a: SocketAddr) -> bool {
        !self.set.is_empty() && self.set.contains(&a)
    }

    /// Learns from one SDP body. Only bodies that name `m=image` are read,
    /// and, once some fax address is known, those that may name it again.
    /// `image`: whether the body has an `m=image` line, if the message
    /// knows ([`SipMessage::sdp_has_image`]); else the body is searched.
    fn learn(&mut self, body: &[u8], image: Option<bool>) {
        // One searcher for every body: building it costs more than a search.
        static M_IMAGE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"m=image"));
        if self.set.is_empty() && !image.unwrap_or_else(|| M_IMAGE.find(body).is_some()) {
            return;
        }
        let sdp = crate::sip::sdp::parse(body);
        for m in &sdp.media {
            let Some(ip) = m
                .connection
                .as_deref()
                .and_then(|c| c.parse::<std::net::IpAddr>().ok())
            else {
                continue;
            };
            if m.port == 0 || ip.is_unspecified() {
                continue;
            }
            let addr = SocketAddr::new(ip, m.port);
            if m.is_t38() {
                if self.set.insert(addr) {
                    self.order.push_back(addr);
                    while self.order.len() > MAX_FAX_ENDPOINTS {
                        if let Some(old) = self.order.pop_front() {
                            self.set.remove(&old);
                        }
                    }
                }
            } else if self.set.remove(&addr) {
                self.order.retain(|a| *a != addr);
            }
        }
    }
}

#[derive(Debug)]
pub struct Pipeline {
    /// RTP and RTCP packets found since the last [`Pipeline::take_rtp`].
    rtp: Vec<MediaPacket>,
    dedup: Dedup,
    defrag: Defragmenter,
    tcp: Reassembler,
    stats: DecodeStats,
    /// HEP inside the capture: UDP to this port is decoded as the SIP it
    /// carries (`--hep-port`, 9060 by default; sngrep's `-E`).
    hep_port: Option<u16>,
    /// Where SDP said T.38 fax goes.
    fax: FaxEndpoints,
}

/// The port HEP collectors listen on.
pub const HEP_PORT: u16 = 9060;

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline {
    #[must_use]
    pub fn new() -> Self {
        Self {
            rtp: Vec::new(),
            dedup: Dedup::default(),
            defrag: Defragmenter::new(defrag::DefragLimits::default()),
            tcp: Reassembler::new(TcpLimits::default()),
            stats: DecodeStats::default(),
            hep_port: Some(HEP_PORT),
            fax: FaxEndpoints::default(),
        }
    }

    /// Decodes HEP sent to `port` (or none) as the SIP it carries.
    #[must_use]
    pub fn with_hep_port(mut self, port: Option<u16>) -> Self {
        self.hep_port = port;
        self
    }

    /// Counters so far, the stateful stages' included.
    #[must_use]
    pub fn stats(&self) -> DecodeStats {
        DecodeStats {
            fragments_dropped: self.defrag.dropped,
            fragments_conflicting: self.defrag.conflicting,
            tcp_retransmissions: self.tcp.retransmissions,
            tcp_gaps: self.tcp.gaps,
            tcp_flows_evicted: self.tcp.evicted,
            ..self.stats
        }
    }

    /// The RTP packets found since the last call.
    pub fn take_rtp(&mut self) -> Vec<MediaPacket> {
        std::mem::take(&mut self.rtp)
    }

    /// How many RTP packets wait to be taken.
    #[must_use]
    pub fn rtp_pending(&self) -> usize {
        self.rtp.len()
    }

    /// End of input: frames what TCP flows held behind gaps that will not
    /// fill now.
    pub fn finish(&mut self, out: &mut Vec<SipMessage>) {
        let start = out.len();
        for (key, ts) in self.tcp.skip_gaps() {
            self.frame_stream(key, ts, out);
        }
        self.learn_fax(out.get(start..).unwrap_or_default());
    }

    /// Fax addresses the SDPs of new messages announce.
    fn learn_fax(&mut self, msgs: &[SipMessage]) {
        for m in msgs {
            if let Some(body) = m.sdp_body() {
                self.fax.learn(body, m.sdp_has_image());
            }
        }
    }

    /// Decodes one frame and appends the SIP messages it completes to `out`
    /// (RTP packets wait for [`Pipeline::take_rtp`]).
    pub fn push(&mut self, frame: &Frame<'_>, out: &mut Vec<SipMessage>) {
        self.push_in(frame, None, out);
    }

    /// [`Pipeline::push`] for a frame whose bytes lie in `chunk` (the file
    /// reader's): messages that lie whole in the frame share the chunk
    /// ([`Raw::shared`]) instead of copying their bytes.
    pub fn push_in(
        &mut self,
        frame: &Frame<'_>,
        chunk: Option<&Arc<[u8]>>,
        out: &mut Vec<SipMessage>,
    ) {
        let start = out.len();
        self.push_frame(frame, chunk, out);
        if out.len() > start {
            self.learn_fax(out.get(start..).unwrap_or_default());
        }
    }

    fn push_frame(
        &mut self,
        frame: &Frame<'_>,
        chunk: Option<&Arc<[u8]>>,
        out: &mut Vec<SipMessage>,
    ) {
        self.stats.packets += 1;
        let Some(packet) = link::ip_payload(frame.linktype, frame.data) else {
            self.stats.not_ip += 1;
            return;
        };
        if self.dedup.is_duplicate(frame.ts_ns, packet) {
            self.stats.duplicates += 1;
            return;
        }
        let Some(p) = ip::parse(packet) else {
            self.stats.bad_ip += 1;
            return;
        };
        if let Some(frag) = p.fragment {
            self.stats.fragments += 1;
            let outcome = self.defrag.push(frame.ts_ns, &p, frag, frame.to_ref());
            if let defrag::Outcome::Complete(d) = outcome {
                self.stats.reassembled_datagrams += 1;
                let whole = ip::IpPacket {
                    payload: &d.payload,
                    fragment: None,
                    ..p
                };
                // A reassembled datagram's bytes are in no one frame: kept in memory.
                self.transport(frame, &whole, None, Some(d.frames), None, out);
            }
            return;
        }
        self.transport(frame, &p, Some(frame.data), None, chunk, out);
    }

    fn transport(
        &mut self,
        frame: &Frame<'_>,
        p: &ip::IpPacket<'_>,
        frame_bytes: Option<&[u8]>,
        frames: Option<Vec<FrameRef>>,
        chunk: Option<&Arc<[u8]>>,
        out: &mut Vec<SipMessage>,
    ) {
        match p.proto {
            ip::UDP => {
                let Some((src, dst, payload)) = ip::udp(p.src, p.dst, p.payload) else {
                    self.stats.bad_ip += 1;
                    return;
                };
                // Where the payload starts in the file, when it lies in one frame.
                let payload_in_file = match (frame.file_offset, frame_bytes) {
                    (Some(off), Some(bytes)) => {
                        let delta =
                            (payload.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
                        (delta <= bytes.len()).then(|| off + delta as u64)
                    }
                    _ => None,
                };
                if self.hep_port == Some(dst.port()) && payload.starts_with(b"HEP3") {
                    let frames = frames_of(frame, frames);
                    self.hep(frame.source, src, payload, payload_in_file, &frames, out);
                    return;
                }
                // Fax to or from where an SDP said T.38 goes: UDPTL, read
                // first (its sequence number may look like RTP or a letter).
                let fax = self.fax.contains(dst) || self.fax.contains(src);
                let fax_packet = |seq| {
                    MediaBody::Fax(udptl::UdptlPacket {
                        ts_ns: frame.ts_ns,
                        src,
                        dst,
                        seq,
                        len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                    })
                };
                if fax && let Some(u) = udptl::parse(payload) {
                    self.rtp.push(MediaPacket {
                        body: fax_packet(Some(u.seq)),
                        frames: frames_of(frame, frames),
                    });
                    return;
                }
                // SIP starts with a letter; RTP with version 2 (0x80-0xBF).
                if !payload.first().is_some_and(u8::is_ascii_alphabetic) {
                    if let Some(header) = rtp::parse(payload) {
                        let mut payload_head = [0u8; 4];
                        let body = payload.get(header.payload_offset..).unwrap_or_default();
                        for (d, s) in payload_head.iter_mut().zip(body) {
                            *d = *s;
                        }
                        let body = MediaBody::Rtp(RtpPacket {
                            ts_ns: frame.ts_ns,
                            src,
                            dst,
                            header,
                            len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                            payload_head,
                        });
                        self.rtp.push(MediaPacket {
                            body,
                            frames: frames_of(frame, frames),
                        });
                    } else if let Some(rtcp) = rtp::rtcp::parse(payload) {
                        let body = MediaBody::Rtcp {
                            ts_ns: frame.ts_ns,
                            src,
                            dst,
                            rtcp,
                        };
                        self.rtp.push(MediaPacket {
                            body,
                            frames: frames_of(frame, frames),
                        });
                    } else if fax {
                        // Not UDPTL, RTP nor RTCP, on a fax port: counted
                        // on the fax stream as malformed.
                        self.rtp.push(MediaPacket {
                            body: fax_packet(None),
                            frames: frames_of(frame, frames),
                        });
                    }
                    return;
                }
                let frames = frames_of(frame, frames);
                let before = out.len();
                // Where the payload lies in a buffer its messages can share:
                // the reader's chunk, or else (live) the copy of the frame
                // the messages keep anyway (one copy of the bytes, not two).
                let kept = match frames.as_slice() {
                    [f] if chunk.is_none() => match &f.loc {
                        FrameLoc::Mem(b) => Some(Arc::clone(b)),
                        FrameLoc::File { .. } => None,
                    },
                    _ => None,
                };
                let in_chunk = match (chunk, &kept, frame_bytes) {
                    (Some(c), _, _) => offset_in(c, payload).map(|d| (c, d)),
                    (None, Some(k), Some(b)) if k.len() == b.len() => {
                        offset_in(b, payload).map(|d| (k, d))
                    }
                    _ => None,
                };
                // Each message but the last gets a copy of the frames; the
                // last (nearly always the only one) takes them, unless they
                // are on the heap (fragments): a copy is sized to fit, and
                // the model counts what its messages hold. The messages are
                // built where they stay, and given their frames after.
                match in_chunk {
                    // Scanned straight into the messages (no `Head` moved).
                    Some((c, delta)) => {
                        SipMessage::push_shared(
                            out,
                            c,
                            delta..delta + payload.len(),
                            frame.ts_ns,
                            (src, dst),
                            Transport::Udp,
                            payload_in_file.map(|o| (frame.source, o)),
                        );
                    }
                    None => {
                        for (at, head, len) in scan::messages(payload, Framing::Datagram) {
                            out.push(SipMessage::with_raw(
                                frame.ts_ns,
                                (src, dst),
                                Transport::Udp,
                                Raw::copy(payload.get(at..at + len).unwrap_or_default()),
                                head,
                                Frames::new(),
                                payload_in_file.map(|o| (frame.source, o + at as u64)),
                            ));
                        }
                    }
                }
                match out
                    .get_mut(before..)
                    .and_then(<[SipMessage]>::split_last_mut)
                {
                    Some((last, rest)) => {
                        for msg in rest {
                            msg.frames.clone_from(&frames);
                        }
                        last.frames = if frames.spilled() {
                            frames.clone()
                        } else {
                            frames
                        };
                    }
                    None if fax => self.rtp.push(MediaPacket {
                        body: fax_packet(None),
                        frames,
                    }),
                    None => {}
                }
            }
            ip::TCP => {
                let Some(t) = ip::tcp(p.src, p.dst, p.payload) else {
                    self.stats.bad_ip += 1;
                    return;
                };
                self.stats.tcp_segments += 1;
                let key: FlowKey = (t.src, t.dst);
                let pushed = self.tcp.push(
                    key,
                    frame.ts_ns,
                    t.seq,
                    t.syn,
                    t.fin || t.rst,
                    t.payload,
                    || frame.to_ref(),
                );
                if pushed == Pushed::Data {
                    self.frame_stream(key, frame.ts_ns, out);
                }
            }
            ip::SCTP => {
                let Some((src, dst, chunks)) = ip::sctp(p.src, p.dst, p.payload) else {
                    self.stats.bad_ip += 1;
                    return;
                };
                for c in chunks {
                    self.stats.sctp_chunks += 1;
                    // RFC 4168: a SIP message is one SCTP user message; one
                    // split over several chunks is counted, not decoded.
                    if !c.whole {
                        self.stats.sctp_not_decoded += 1;
                        continue;
                    }
                    let frames = frames_of(frame, frames.clone());
                    for (at, head, len) in scan::messages(c.data, Framing::Datagram) {
                        out.push(SipMessage::new(
                            frame.ts_ns,
                            (src, dst),
                            Transport::Sctp,
                            c.data.get(at..at + len).unwrap_or_default(),
                            head,
                            frames.clone(),
                            None,
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// A HEP packet in the capture: the SIP it carries, with the agent's
    /// time, addresses and transport, and the agent as its origin; the frame
    /// that carried the HEP packet is the message's frame for export.
    fn hep(
        &mut self,
        source: u16,
        sender: SocketAddr,
        payload: &[u8],
        payload_in_file: Option<u64>,
        frames: &Frames,
        out: &mut Vec<SipMessage>,
    ) {
        self.stats.hep_packets += 1;
        let Ok((h, _)) = crate::hep::decode(payload) else {
            self.stats.hep_malformed += 1;
            return;
        };
        if h.meta.payload_type != crate::hep::payload_type::SIP {
            self.stats.hep_not_sip += 1;
            return;
        }
        let origin = Some(crate::sip::Origin {
            agent_id: h.meta.agent_id,
            agent: sender.ip(),
        });
        push_hep_sip(
            &h,
            origin,
            frames,
            payload_in_file.map(|o| {
                let delta = (h.payload.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
                (source, o + delta as u64)
            }),
            out,
        );
    }

    /// Frames whatever the flow's in-order bytes now complete.
    fn frame_stream(&mut self, key: FlowKey, ts_ns: i64, out: &mut Vec<SipMessage>) {
        let (src, dst) = key;
        let (reverse_handshake, reverse_syn) = self
            .tcp
            .flow_mut(&(dst, src))
            .map(|f| (f.handshake.clone(), f.syn.clone()))
            .unwrap_or_default();
        let Some(flow) = self.tcp.flow_mut(&key) else {
            return;
        };
        if flow.gap {
            flow.gap = false;
            if flow.mode != StreamMode::WebSocket {
                flow.mode = StreamMode::Unknown;
            }
        }
        // Each pass consumes bytes or breaks, so this ends; the bound is a guard.
        for _ in 0..10_000 {
            match flow.mode {
                StreamMode::Unknown | StreamMode::Other => {
                    let data = flow.data();
                    if data.starts_with(b"GET ") || data.starts_with(b"HTTP/") {
                        match ws::http_head_len(data) {
                            Some(n) if ws::is_upgrade(data.get(..n).unwrap_or_default()) => {
                                flow.handshake = flow.consume(n);
                                flow.mode = StreamMode::WebSocket;
                                continue;
                            }
                            None if data.len() < 8192 => return,
                            _ => {}
                        }
                    }
                    match find_sip_start(data) {
                        Some(at) => {
                            flow.discard(at);
                            flow.mode = StreamMode::Sip;
                        }
                        None => {
                            let keep = data.len().min(RESYNC_TAIL);
                            let n = data.len() - keep;
                            flow.discard(n);
                            return;
                        }
                    }
                }
                StreamMode::Sip => {
                    let data = flow.data();
                    let crlf = data
                        .iter()
                        .take_while(|b| **b == b'\r' || **b == b'\n')
                        .count();
                    if crlf > 0 {
                        flow.discard(crlf);
                        continue;
                    }
                    if data.is_empty() {
                        return;
                    }
                    match scan::scan(data, Framing::Stream) {
                        Scan::Message { head, len } => {
                            let mut msg = SipMessage::new(
                                ts_ns,
                                key,
                                Transport::Tcp,
                                data.get(..len).unwrap_or_default(),
                                head,
                                Frames::new(),
                                None,
                            );
                            let mut frames = flow.consume(len);
                            // The first message each way carries the
                            // connection's SYN and SYN-ACK (docs/export.md).
                            if let Some(syn) = flow.syn.take() {
                                frames
                                    .extend([Some(syn), reverse_syn.clone()].into_iter().flatten());
                            }
                            msg.frames = frames;
                            out.push(msg);
                        }
                        Scan::Incomplete => return,
                        Scan::NotSip => flow.mode = StreamMode::Unknown,
                    }
                    if flow.mode == StreamMode::Unknown {
                        // Skip the bad byte so the resync search moves on.
                        flow.discard(1);
                    }
                }
                StreamMode::WsHandshake => flow.mode = StreamMode::Unknown,
                StreamMode::WebSocket => match ws::frame(flow.data()) {
                    ws::WsScan::Frame(f) => {
                        self.stats.ws_frames += 1;
                        let mut frames = flow.consume(f.len);
                        // The connection's handshake, both ways, goes with
                        // each message (docs/export.md).
                        let syns = flow.syn.iter().chain(&reverse_syn);
                        for h in flow.handshake.iter().chain(&reverse_handshake).chain(syns) {
                            if !frames.contains(h) {
                                frames.push(h.clone());
                            }
                        }
                        // Text and binary frames carry one SIP message each (RFC 7118).
                        if matches!(f.opcode, 0..=2) {
                            ws_message(&f.payload, ts_ns, src, dst, &frames, out);
                        }
                    }
                    ws::WsScan::Incomplete => return,
                    ws::WsScan::Invalid => {
                        flow.discard(1);
                        flow.mode = StreamMode::Unknown;
                    }
                },
            }
        }
    }
}

fn ws_message(
    payload: &[u8],
    ts_ns: i64,
    src: SocketAddr,
    dst: SocketAddr,
    frames: &Frames,
    out: &mut Vec<SipMessage>,
) {
    for (at, head, len) in scan::messages(payload, Framing::Datagram) {
        out.push(SipMessage::new(
            ts_ns,
            (src, dst),
            Transport::Ws,
            payload.get(at..at + len).unwrap_or_default(),
            head,
            frames.clone(),
            None,
        ));
    }
}

/// The first line start in `data` where a SIP start line begins.
fn find_sip_start(data: &[u8]) -> Option<usize> {
    if scan::looks_like_sip(data) {
        return Some(0);
    }
    memchr::memchr_iter(b'\n', data)
        .map(|i| i + 1)
        .find(|&i| data.get(i..).is_some_and(scan::looks_like_sip))
}

/// The frames that carried a datagram: its fragments when it was
/// reassembled, else the one frame.
/// The SIP messages a decoded HEP packet carries, as if captured where the
/// agent captured them. `sip_in_file`: where its payload lies in a capture
/// file, if it does.
pub fn push_hep_sip(
    h: &crate::hep::Hep<'_>,
    origin: Option<crate::sip::Origin>,
    frames: &Frames,
    sip_in_file: Option<(u16, u64)>,
    out: &mut Vec<SipMessage>,
) {
    let transport = match h.meta.ip_proto {
        crate::hep::PROTO_TCP => Transport::Tcp,
        crate::hep::PROTO_SCTP => Transport::Sctp,
        _ => Transport::Udp,
    };
    for (at, head, len) in scan::messages(h.payload, Framing::Datagram) {
        let mut msg = SipMessage::new(
            h.meta.ts_ns,
            (h.meta.src, h.meta.dst),
            transport,
            h.payload.get(at..at + len).unwrap_or_default(),
            head,
            frames.clone(),
            sip_in_file.map(|(s, o)| (s, o + at as u64)),
        );
        msg.origin = origin;
        out.push(msg);
    }
}

/// Where `part` starts in `buf`, if it lies whole within it.
fn offset_in(buf: &[u8], part: &[u8]) -> Option<usize> {
    let delta = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    (delta <= buf.len() && part.len() <= buf.len() - delta).then_some(delta)
}

fn frames_of(frame: &Frame<'_>, fragments: Option<Vec<FrameRef>>) -> Frames {
    fragments.map_or_else(|| smallvec::smallvec![frame.to_ref()], Frames::from)
}
