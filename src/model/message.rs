//! One SIP message as the model keeps it: compact, typed, with its bytes in
//! memory or left in the capture file.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::decode::{FrameLoc, FrameRef, Frames, Transport};
use crate::sip::scan::Defects;

/// A SIP method. The common ones are variants; any other token is interned
/// (see [`Method::from_bytes`]), so a `Method` is two bytes and `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Subscribe,
    Notify,
    Message,
    Publish,
    Info,
    Refer,
    Prack,
    Update,
    /// An unknown method, by its index in the interner.
    Other(u8),
}

/// Unknown method names seen so far. Bounded: a flood of invented methods
/// cannot grow it past [`MAX_OTHER_METHODS`]; later ones share one slot.
static OTHER_METHODS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
const MAX_OTHER_METHODS: usize = 255;
const OVERFLOW: &str = "(other method)";

impl Method {
    /// The method a token names. The common ones (at most 8 bytes, and
    /// SUBSCRIBE) are told by their length and their bytes as one word,
    /// without comparing byte strings one by one.
    #[must_use]
    pub fn from_bytes(b: &[u8]) -> Self {
        if let Some(w) = word(b) {
            let known = match (b.len(), w) {
                (6, INVITE) => Some(Self::Invite),
                (3, ACK) => Some(Self::Ack),
                (3, BYE) => Some(Self::Bye),
                (6, CANCEL) => Some(Self::Cancel),
                (8, REGISTER) => Some(Self::Register),
                (7, OPTIONS) => Some(Self::Options),
                (6, NOTIFY) => Some(Self::Notify),
                (7, MESSAGE) => Some(Self::Message),
                (7, PUBLISH) => Some(Self::Publish),
                (4, INFO) => Some(Self::Info),
                (5, REFER) => Some(Self::Refer),
                (5, PRACK) => Some(Self::Prack),
                (6, UPDATE) => Some(Self::Update),
                _ => None,
            };
            if let Some(m) = known {
                return m;
            }
        }
        Self::from_bytes_slow(b)
    }

    fn from_bytes_slow(b: &[u8]) -> Self {
        match b {
            b"INVITE" => Self::Invite,
            b"ACK" => Self::Ack,
            b"BYE" => Self::Bye,
            b"CANCEL" => Self::Cancel,
            b"REGISTER" => Self::Register,
            b"OPTIONS" => Self::Options,
            b"SUBSCRIBE" => Self::Subscribe,
            b"NOTIFY" => Self::Notify,
            b"MESSAGE" => Self::Message,
            b"PUBLISH" => Self::Publish,
            b"INFO" => Self::Info,
            b"REFER" => Self::Refer,
            b"PRACK" => Self::Prack,
            b"UPDATE" => Self::Update,
            other => Self::Other(intern(other)),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Invite => "INVITE",
            Self::Ack => "ACK",
            Self::Bye => "BYE",
            Self::Cancel => "CANCEL",
            Self::Register => "REGISTER",
            Self::Options => "OPTIONS",
            Self::Subscribe => "SUBSCRIBE",
            Self::Notify => "NOTIFY",
            Self::Message => "MESSAGE",
            Self::Publish => "PUBLISH",
            Self::Info => "INFO",
            Self::Refer => "REFER",
            Self::Prack => "PRACK",
            Self::Update => "UPDATE",
            Self::Other(i) => OTHER_METHODS
                .lock()
                .ok()
                .and_then(|v| v.get(usize::from(*i)).copied())
                .unwrap_or(OVERFLOW),
        }
    }
}

/// A token of 3 to 8 bytes as one word (`None` otherwise): its first and
/// its last four bytes (overlapping when it is shorter than 8), or its
/// three bytes; with the length, equal words are equal bytes.
#[allow(clippy::cast_lossless)] // `u64::from` is not `const`
const fn word(b: &[u8]) -> Option<u64> {
    let n = b.len();
    if n == 3 {
        return Some(b[0] as u64 | (b[1] as u64) << 8 | (b[2] as u64) << 16);
    }
    if n < 4 || n > 8 {
        return None;
    }
    let lo = b[0] as u64 | (b[1] as u64) << 8 | (b[2] as u64) << 16 | (b[3] as u64) << 24;
    let hi = b[n - 4] as u64
        | (b[n - 3] as u64) << 8
        | (b[n - 2] as u64) << 16
        | (b[n - 1] as u64) << 24;
    Some(lo | hi << 32)
}

/// [`word`] of a method's name, for a `match`.
const fn name_word(b: &[u8]) -> u64 {
    match word(b) {
        Some(w) => w,
        None => u64::MAX,
    }
}

const INVITE: u64 = name_word(b"INVITE");
const ACK: u64 = name_word(b"ACK");
const BYE: u64 = name_word(b"BYE");
const CANCEL: u64 = name_word(b"CANCEL");
const REGISTER: u64 = name_word(b"REGISTER");
const OPTIONS: u64 = name_word(b"OPTIONS");
const NOTIFY: u64 = name_word(b"NOTIFY");
const MESSAGE: u64 = name_word(b"MESSAGE");
const PUBLISH: u64 = name_word(b"PUBLISH");
const INFO: u64 = name_word(b"INFO");
const REFER: u64 = name_word(b"REFER");
const PRACK: u64 = name_word(b"PRACK");
const UPDATE: u64 = name_word(b"UPDATE");

fn intern(name: &[u8]) -> u8 {
    let Ok(mut table) = OTHER_METHODS.lock() else {
        return u8::MAX;
    };
    if let Some(i) = table.iter().position(|n| n.as_bytes() == name) {
        return u8::try_from(i).unwrap_or(u8::MAX);
    }
    if table.len() >= MAX_OTHER_METHODS {
        return u8::MAX;
    }
    // Method tokens are short; cap what one entry can hold.
    let text = String::from_utf8_lossy(name.get(..name.len().min(32)).unwrap_or_default());
    table.push(Box::leak(text.into_owned().into_boxed_str()));
    u8::try_from(table.len() - 1).unwrap_or(u8::MAX)
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Request(Method),
    Response(u16),
}

/// An IP address and port in 20 bytes (a `SocketAddr` takes 32; there are
/// two per message and millions of messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    ip: [u8; 16],
    port: u16,
    v6: bool,
}

impl std::hash::Hash for Addr {
    /// As two words (the derived hash feeds the address byte by byte, with
    /// its length, then the port and the family).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_ne_bytes(self.ip));
        state.write_u32(u32::from(self.port) | (u32::from(self.v6) << 16));
    }
}

impl From<SocketAddr> for Addr {
    fn from(a: SocketAddr) -> Self {
        let (ip, v6) = match a.ip() {
            IpAddr::V4(v4) => (v4.to_ipv6_mapped().octets(), false),
            IpAddr::V6(v6) => (v6.octets(), true),
        };
        Self {
            ip,
            port: a.port(),
            v6,
        }
    }
}

impl Addr {
    #[must_use]
    pub fn socket(&self) -> SocketAddr {
        let v6 = Ipv6Addr::from(self.ip);
        let ip = if self.v6 {
            IpAddr::V6(v6)
        } else {
            IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED))
        };
        SocketAddr::new(ip, self.port)
    }

    #[must_use]
    pub fn ip(&self) -> IpAddr {
        self.socket().ip()
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Addr {
    /// `ip:port`, IPv6 as `[addr]:port`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.socket().fmt(f)
    }
}

/// Where a message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRef {
    Inline(Box<[u8]>),
    /// Within the message's first frame, kept in memory (live: a UDP
    /// datagram's message is not copied a second time).
    InFrame {
        start: u32,
        len: u32,
    },
    /// Contiguous in capture file `source` at `offset`.
    File {
        source: u16,
        offset: u64,
        len: u32,
    },
}

/// Where a message's bytes are, borrowed from it ([`Message::raw_loc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawLoc<'a> {
    Inline(&'a [u8]),
    /// Contiguous in capture file `source` at `offset`.
    File {
        source: u16,
        offset: u64,
        len: u32,
    },
}

/// An IPv4 address and port in 6 bytes: the common case, kept inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct V4 {
    ip: [u8; 4],
    port: u16,
}

impl V4 {
    fn of(a: std::net::SocketAddr) -> Option<Self> {
        match a {
            SocketAddr::V4(v4) => Some(Self {
                ip: v4.ip().octets(),
                port: v4.port(),
            }),
            SocketAddr::V6(_) => None,
        }
    }

    fn addr(self) -> Addr {
        Addr::from(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::from(self.ip)),
            self.port,
        ))
    }
}

/// Where a message came from and went, where its bytes and its frame are.
/// Nearly every message read from a capture file is the `File` case: one
/// frame in the first TiB of one of the first 256 files, IPv4, its bytes
/// inside the frame after at most 255 bytes of headers and before at most
/// 255 of padding, 23 bytes in all; anything else (live or standard input,
/// several frames, IPv6, HEP, `--keep-raw`) is `Other`, behind one pointer.
#[derive(Debug, Clone)]
pub(super) enum Store {
    File {
        /// The frame's offset in its file, in 40 bits (low 32, high 8).
        offset_lo: u32,
        offset_hi: u8,
        /// Where the message starts in its frame, its length, and the
        /// frame's bytes after it (Ethernet padding): the frame's length
        /// is their sum.
        raw_off: u8,
        raw_len: u16,
        trail: u8,
        linktype: u8,
        source: u8,
        src: V4,
        dst: V4,
    },
    Other(Box<Other>),
}

#[derive(Debug, Clone)]
pub(super) struct Other {
    src: Addr,
    dst: Addr,
    raw: RawRef,
    frames: Frames,
    origin: u16,
}

/// One SIP message in a dialog.
#[derive(Debug, Clone)]
pub struct Message {
    pub ts_ns: i64,
    pub(super) store: Store,
    pub transport: Transport,
    pub kind: Kind,
    /// CSeq number and method; `None` when the header was missing or bad.
    pub cseq: Option<(u32, Method)>,
    pub defects: Defects,
    /// [`Message::retransmission`], [`Message::has_sdp`],
    /// [`Message::own_reason`] as bits.
    pub(super) flags: u8,
    /// Hashes of the top and the second Via's branch (0: none), to find
    /// the same message at another hop ([`crate::model::flow`]).
    pub branch: u32,
    pub branch2: u32,
    /// Its transaction key (direction, branch, CSeq, start line, `RSeq`,
    /// seeded): an earlier message of its dialog with the same key makes it
    /// a retransmission. Kept here, not in a vector of the dialog's own.
    pub(super) key: u64,
}

/// Bits of [`Message::flags`].
pub(super) const RETRANSMISSION: u8 = 1;
pub(super) const HAS_SDP: u8 = 1 << 1;
pub(super) const OWN_REASON: u8 = 1 << 2;

/// What [`Message::new`] needs besides the typed fields: endpoints, bytes
/// and frames as captured.
pub(crate) struct Carried<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub raw: &'a [u8],
    /// `(source, offset)` of the bytes in a capture file, when they may be
    /// read back from there.
    pub raw_in_file: Option<(u16, u64)>,
    pub frames: Frames,
    /// Where it was captured: 0 here, else a HEP agent's index.
    pub origin: u16,
}

impl Store {
    /// Where a message `carried` at `ts_ns` is kept: its bytes left in the
    /// file unless `in_memory` (or there is no file to read them from).
    pub(super) fn of(carried: Carried<'_>, ts_ns: i64, in_memory: bool) -> Self {
        if !in_memory && let Some(store) = carried.compact(ts_ns) {
            return store;
        }
        let raw = match carried.raw_in_file {
            Some((source, offset)) if !in_memory => RawRef::File {
                source,
                offset,
                len: u32::try_from(carried.raw.len()).unwrap_or(u32::MAX),
            },
            _ => carried
                .in_frame()
                .unwrap_or_else(|| RawRef::Inline(carried.raw.into())),
        };
        Self::Other(Box::new(Other {
            src: carried.src.into(),
            dst: carried.dst.into(),
            raw,
            frames: carried.frames,
            origin: carried.origin,
        }))
    }
}

/// The compact form's frame, unpacked: the one place that reads its bits.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FileFrame {
    source: u16,
    /// The frame's offset in its file and its length.
    offset: u64,
    len: u32,
    linktype: u16,
    /// Where the message lies in the frame.
    raw_off: u32,
    raw_len: u32,
}

impl Store {
    /// The frame of the compact form (`None` for the other).
    fn file_frame(&self) -> Option<FileFrame> {
        let Self::File {
            offset_lo,
            offset_hi,
            raw_off,
            raw_len,
            trail,
            linktype,
            source,
            ..
        } = self
        else {
            return None;
        };
        Some(FileFrame {
            source: u16::from(*source),
            offset: (u64::from(*offset_hi) << 32) | u64::from(*offset_lo),
            len: u32::from(*raw_off) + u32::from(*raw_len) + u32::from(*trail),
            linktype: u16::from(*linktype),
            raw_off: u32::from(*raw_off),
            raw_len: u32::from(*raw_len),
        })
    }
}

impl Carried<'_> {
    /// A message that lies whole in its only frame, kept in memory (live
    /// UDP, HEP): its bytes are referenced there, not copied a second time.
    fn in_frame(&self) -> Option<RawRef> {
        let [frame] = self.frames.as_slice() else {
            return None;
        };
        let FrameLoc::Mem(bytes) = &frame.loc else {
            return None;
        };
        // Live, the message's bytes are a range of this very frame (the
        // pipeline shares it): no need to compare. Else a datagram of one
        // message ends with it (Ethernet pads only tiny frames); else look
        // for it (several messages in one datagram).
        let at = (self.raw.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
        let tail = bytes.len().checked_sub(self.raw.len())?;
        let start = if at <= tail {
            at
        } else if bytes.get(tail..) == Some(self.raw) {
            tail
        } else {
            memchr::memmem::find(bytes, self.raw)?
        };
        Some(RawRef::InFrame {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(self.raw.len()).ok()?,
        })
    }

    /// The compact form, when everything fits it.
    fn compact(&self, ts_ns: i64) -> Option<Store> {
        if self.origin != 0 {
            return None;
        }
        let (source, raw_at) = self.raw_in_file?;
        let [frame] = self.frames.as_slice() else {
            return None;
        };
        if frame.ts_ns != ts_ns {
            return None;
        }
        let FrameLoc::File { offset, len } = frame.loc else {
            return None;
        };
        if frame.source != source || frame.orig_len != len || offset >> 40 != 0 {
            return None;
        }
        let raw_off = u8::try_from(raw_at.checked_sub(offset)?).ok()?;
        let raw_len = u16::try_from(self.raw.len()).ok()?;
        let trail = len
            .checked_sub(u32::from(raw_off))?
            .checked_sub(u32::from(raw_len))?;
        #[allow(clippy::cast_possible_truncation)]
        Some(Store::File {
            offset_lo: offset as u32,
            offset_hi: (offset >> 32) as u8,
            raw_off,
            raw_len,
            trail: u8::try_from(trail).ok()?,
            linktype: u8::try_from(frame.linktype).ok()?,
            source: u8::try_from(source).ok()?,
            src: V4::of(self.src)?,
            dst: V4::of(self.dst)?,
        })
    }
}

impl Message {
    /// It repeats a message its dialog already holds: the same direction,
    /// top Via branch, CSeq and start line (docs/ARCHITECTURE.md).
    #[must_use]
    pub fn retransmission(&self) -> bool {
        self.flags & RETRANSMISSION != 0
    }

    pub(crate) fn set_retransmission(&mut self) {
        self.flags |= RETRANSMISSION;
    }

    /// The body holds SDP; [`crate::model::Model::sdp`] parses it on demand.
    #[must_use]
    pub fn has_sdp(&self) -> bool {
        self.flags & HAS_SDP != 0
    }

    /// A response whose reason phrase is not the standard one for its code
    /// ([`crate::sip::reason`]): [`crate::model::Model::reason`] reads it
    /// from the message's bytes. A flag, not the text: most phrases are
    /// standard, and the model keeps no string per message.
    #[must_use]
    pub fn own_reason(&self) -> bool {
        self.flags & OWN_REASON != 0
    }

    /// Where it was captured: 0 here, else a HEP agent
    /// ([`crate::model::Model::origin`]).
    #[must_use]
    pub fn origin(&self) -> u16 {
        match &self.store {
            Store::File { .. } => 0,
            Store::Other(o) => o.origin,
        }
    }

    /// Where it came from.
    #[must_use]
    pub fn src(&self) -> Addr {
        match &self.store {
            Store::File { src, .. } => src.addr(),
            Store::Other(o) => o.src,
        }
    }

    /// Where it went.
    #[must_use]
    pub fn dst(&self) -> Addr {
        match &self.store {
            Store::File { dst, .. } => dst.addr(),
            Store::Other(o) => o.dst,
        }
    }

    /// Where its bytes are: in memory, or in a capture file.
    #[must_use]
    pub fn raw_loc(&self) -> RawLoc<'_> {
        match &self.store {
            Store::File { .. } => {
                let f = self.store.file_frame().unwrap_or_default();
                RawLoc::File {
                    source: f.source,
                    offset: f.offset + u64::from(f.raw_off),
                    len: f.raw_len,
                }
            }
            Store::Other(o) => match &o.raw {
                RawRef::Inline(b) => RawLoc::Inline(b),
                // Made only for a frame in memory ([`Carried::in_frame`]).
                RawRef::InFrame { start, len } => {
                    RawLoc::Inline(match o.frames.first().map(|f| &f.loc) {
                        Some(FrameLoc::Mem(b)) => (*start as usize)
                            .checked_add(*len as usize)
                            .and_then(|end| b.get(*start as usize..end))
                            .unwrap_or_default(),
                        _ => &[],
                    })
                }
                RawRef::File {
                    source,
                    offset,
                    len,
                } => RawLoc::File {
                    source: *source,
                    offset: *offset,
                    len: *len,
                },
            },
        }
    }

    /// The frames that carried it (nearly always one), for export.
    #[must_use]
    pub fn frames(&self) -> Frames {
        match &self.store {
            Store::File { .. } => {
                let f = self.store.file_frame().unwrap_or_default();
                smallvec::smallvec![FrameRef {
                    ts_ns: self.ts_ns,
                    linktype: f.linktype,
                    source: f.source,
                    orig_len: f.len,
                    loc: FrameLoc::File {
                        offset: f.offset,
                        len: f.len,
                    },
                }]
            }
            Store::Other(o) => o.frames.clone(),
        }
    }

    /// How many frames carried it.
    #[must_use]
    pub fn frame_count(&self) -> usize {
        match &self.store {
            Store::File { .. } => 1,
            Store::Other(o) => o.frames.len(),
        }
    }

    #[must_use]
    pub fn method(&self) -> Option<Method> {
        match self.kind {
            Kind::Request(m) => Some(m),
            Kind::Response(_) => None,
        }
    }

    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            Kind::Response(c) => Some(c),
            Kind::Request(_) => None,
        }
    }

    /// The CSeq header as written: `"1 INVITE"`.
    #[must_use]
    pub fn cseq_text(&self) -> Option<String> {
        self.cseq.map(|(n, m)| format!("{n} {m}"))
    }

    #[must_use]
    pub fn malformed(&self) -> bool {
        !self.defects.is_empty()
    }

    /// The label a ladder arrow shows: the method, or the status code.
    #[must_use]
    pub fn label(&self) -> String {
        match self.kind {
            Kind::Request(m) => m.to_string(),
            Kind::Response(c) => c.to_string(),
        }
    }

    /// `10.0.0.1:5060 → 10.0.0.2:5060 UDP` with the `arrow` given, and
    /// `  retransmission` after one.
    #[must_use]
    pub fn route(&self, arrow: &str) -> String {
        format!(
            "{} {arrow} {} {}{}",
            self.src(),
            self.dst(),
            self.transport.as_str().to_ascii_uppercase(),
            if self.retransmission() {
                "  retransmission"
            } else {
                ""
            }
        )
    }

    /// What a ladder arrow says, given the reason phrase of a response
    /// ([`crate::model::Model::arrow_label`] reads it): `INVITE (1)`,
    /// `180 Ringing (1 INVITE)`, with `⟳` before a retransmission.
    #[must_use]
    pub fn arrow_label_with(&self, reason: &str) -> String {
        let cseq = match (&self.kind, self.cseq) {
            (Kind::Request(_), Some((n, _))) => format!(" ({n})"),
            (Kind::Response(_), Some((n, meth))) => format!(" ({n} {meth})"),
            _ => String::new(),
        };
        let text = match self.kind {
            Kind::Request(meth) => meth.as_str().to_owned(),
            Kind::Response(code) => format!("{code} {reason}").trim_end().to_owned(),
        };
        let again = if self.retransmission() { "⟳ " } else { "" };
        format!("{again}{text}{cseq}")
    }

    /// The message's size in bytes (as carried: headers and body).
    #[must_use]
    pub fn raw_len(&self) -> usize {
        match self.raw_loc() {
            RawLoc::Inline(b) => b.len(),
            RawLoc::File { len, .. } => len as usize,
        }
    }

    /// Everything this message holds, by estimate: its struct (in its
    /// dialog's vector, counted there), what its `Other` part holds (the
    /// part itself, the bytes kept in memory, frames spilled to the heap),
    /// and an allocator's overhead per allocation.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let Store::Other(o) = &self.store else {
            return 0;
        };
        let mut n = self.mem_bytes() + std::mem::size_of::<Other>() + super::ALLOC_OVERHEAD;
        if matches!(o.raw, RawRef::Inline(_)) {
            n += super::ALLOC_OVERHEAD;
        }
        if o.frames.spilled() {
            n += o.frames.capacity() * std::mem::size_of::<FrameRef>() + super::ALLOC_OVERHEAD;
        }
        let in_mem = o.frames.iter().filter(|f| f.mem_bytes() > 0).count();
        // An `Arc<[u8]>`: two counters and the allocation.
        n + in_mem * (16 + super::ALLOC_OVERHEAD)
    }

    /// Bytes held in memory by this message (raw bytes and frames).
    #[must_use]
    pub fn mem_bytes(&self) -> usize {
        let Store::Other(o) = &self.store else {
            return 0;
        };
        let raw = match &o.raw {
            RawRef::Inline(b) => b.len(),
            // The frame's bytes, counted with the frames.
            RawRef::File { .. } | RawRef::InFrame { .. } => 0,
        };
        raw + o.frames.iter().map(FrameRef::mem_bytes).sum::<usize>()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Millions of messages: one read from a file is 64 bytes (it was 152
    /// before the compact form), its frame and bytes included.
    fn message_of(frame: FrameRef, raw_at: u64, raw: &[u8], src: &str) -> Message {
        let ts_ns = frame.ts_ns;
        let carried = Carried {
            src: src.parse().unwrap(),
            dst: "10.0.0.2:5060".parse().unwrap(),
            raw,
            raw_in_file: Some((frame.source, raw_at)),
            frames: smallvec::smallvec![frame],
            origin: 0,
        };
        Message {
            ts_ns,
            store: Store::of(carried, ts_ns, false),
            transport: Transport::Udp,
            kind: Kind::Request(Method::Options),
            cseq: None,
            defects: Defects::default(),
            flags: 0,
            branch: 0,
            branch2: 0,
            key: 0,
        }
    }

    fn frame(offset: u64, len: u32, orig_len: u32, linktype: u16) -> FrameRef {
        FrameRef {
            ts_ns: 1_700_000_000_123_456_789,
            linktype,
            source: 1,
            orig_len,
            loc: FrameLoc::File { offset, len },
        }
    }

    /// The compact form gives back the frame, the bytes' place and the
    /// endpoints it was made from; what does not fit it (a frame past the
    /// first TiB, cut by a snap length, an odd link type, IPv6) keeps them
    /// out of line, the same.
    #[test]
    fn a_message_gives_back_what_it_was_made_of() {
        let raw = [b'x'; 500];
        let cases = [
            (frame(24, 546, 546, 1), 66, true, "10.0.0.1:5060"),
            (frame(24, 560, 560, 1), 66, true, "10.0.0.1:5060"),
            (
                frame(1 << 41, 546, 546, 1),
                (1 << 41) + 42,
                false,
                "10.0.0.1:5060",
            ),
            (frame(24, 546, 600, 1), 66, false, "10.0.0.1:5060"),
            (frame(24, 546, 546, 276), 66, false, "10.0.0.1:5060"),
            (frame(24, 1046, 1046, 1), 566, false, "10.0.0.1:5060"),
            (frame(24, 566, 566, 1), 66, false, "[2001:db8::1]:5060"),
        ];
        for (f, raw_at, compact, src) in cases {
            let m = message_of(f.clone(), raw_at, &raw, src);
            assert_eq!(matches!(m.store, Store::File { .. }), compact, "{f:?}");
            assert_eq!(m.frames().as_slice(), [f]);
            assert_eq!(m.frame_count(), 1);
            assert_eq!(
                m.raw_loc(),
                RawLoc::File {
                    source: 1,
                    offset: raw_at,
                    len: 500
                }
            );
            assert_eq!(m.src().to_string(), src);
            assert_eq!(m.dst().to_string(), "10.0.0.2:5060");
            assert_eq!(m.heap_bytes() == 0, compact);
        }
    }

    #[test]
    fn a_message_is_64_bytes() {
        assert_eq!(std::mem::size_of::<Store>(), 24);
        assert_eq!(std::mem::size_of::<Message>(), 64);
    }

    /// Live, a datagram's message is read from its frame in memory, not
    /// kept as a second copy; its bytes are the same.
    /// A live OPTIONS, its Via branch and Call-ID numbered `n`.
    fn options(n: u8) -> Vec<u8> {
        format!(
            "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{n}\r\n\
             From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\n\
             Call-ID: live-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    /// `m` (whose bytes are `raw`, 42 bytes into its only frame) taken in
    /// by a new model, which must reference it in the frame and read it back.
    fn ingested_in_frame(m: &mut crate::sip::SipMessage, raw: &[u8]) -> crate::model::Model {
        let mut model = crate::model::Model::new(crate::model::Limits::default());
        model.ingest(m);
        let kept = &model.dialogs().next().unwrap().messages[0];
        let len = u32::try_from(raw.len()).unwrap();
        assert!(
            matches!(&kept.store, Store::Other(o) if o.raw == RawRef::InFrame { start: 42, len })
        );
        assert_eq!(&*model.raw(kept).unwrap(), raw);
        model
    }

    #[test]
    fn a_message_in_its_frame_is_referenced_not_copied() {
        use crate::decode::{FrameLoc, FrameRef};
        let raw = options(1);
        let raw = raw.as_slice();
        // Link, IP and UDP headers before the payload.
        let mut frame = vec![0xAB_u8; 42];
        frame.extend_from_slice(raw);
        let mut m = crate::sip::SipMessage::parse_one(raw).unwrap();
        m.frames = smallvec::smallvec![FrameRef {
            ts_ns: 0,
            linktype: 1,
            source: 0,
            orig_len: u32::try_from(frame.len()).unwrap(),
            loc: FrameLoc::Mem(frame.into()),
        }];
        let model = ingested_in_frame(&mut m, raw);
        let kept = &model.dialogs().next().unwrap().messages[0];
        // Only the frame's bytes are held.
        assert_eq!(kept.mem_bytes(), 42 + raw.len());
    }

    /// Live, the pipeline hands the message's bytes as a range of its kept
    /// frame; the model finds where without comparing, and the range is
    /// right even when the same text also ends the frame (two copies of the
    /// message in one datagram: the first is the one referenced).
    #[test]
    fn a_message_sharing_its_frame_is_found_by_place() {
        use crate::decode::{FrameLoc, FrameRef};
        let raw = options(2);
        let raw = raw.as_slice();
        let mut bytes = vec![0xAB_u8; 42];
        bytes.extend_from_slice(raw);
        bytes.extend_from_slice(raw);
        let frame: std::sync::Arc<[u8]> = bytes.into();
        let mut m = crate::sip::SipMessage::parse_one(raw).unwrap();
        m.raw = crate::sip::Raw::shared(&frame, 42..42 + raw.len());
        m.frames = smallvec::smallvec![FrameRef {
            ts_ns: 0,
            linktype: 1,
            source: 0,
            orig_len: u32::try_from(frame.len()).unwrap(),
            loc: FrameLoc::Mem(frame.clone()),
        }];
        ingested_in_frame(&mut m, raw);
    }

    /// Telling methods by their bytes as one word names the same method as
    /// comparing the bytes: every known name, and near misses of them
    /// (another case, one byte more or less, a NUL after, a longer token).
    #[test]
    fn a_method_is_told_by_its_exact_bytes() {
        use super::Method;
        let names = [
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "REGISTER",
            "OPTIONS",
            "SUBSCRIBE",
            "NOTIFY",
            "MESSAGE",
            "PUBLISH",
            "INFO",
            "REFER",
            "PRACK",
            "UPDATE",
        ];
        for n in names {
            let m = Method::from_bytes(n.as_bytes());
            assert_eq!(m, Method::from_bytes_slow(n.as_bytes()));
            assert_eq!(m.as_str(), n);
            assert!(!matches!(m, Method::Other(_)), "{n}");
            let mut near: Vec<Vec<u8>> = vec![
                n.to_ascii_lowercase().into_bytes(),
                format!("{n}\0").into_bytes(),
                format!("{n}X").into_bytes(),
                n.as_bytes()[..n.len() - 1].to_vec(),
                format!("\0{n}").into_bytes(),
            ];
            near.push(n.as_bytes().iter().map(|b| b ^ 0x80).collect());
            for b in near {
                // Unknown tokens are interned (bytes that are not UTF-8
                // each anew): the name is what must agree.
                let m = Method::from_bytes(&b);
                assert_eq!(m.as_str(), Method::from_bytes_slow(&b).as_str(), "{b:?}");
                assert!(matches!(m, Method::Other(_)), "{b:?}");
            }
        }
        assert_eq!(Method::from_bytes(b""), Method::from_bytes_slow(b""));
    }
}
