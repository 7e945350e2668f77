//! One SIP message as the model keeps it: compact, typed, with its bytes in
//! memory or left in the capture file.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::decode::{FrameRef, Frames, Transport};
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
    #[must_use]
    pub fn from_bytes(b: &[u8]) -> Self {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Addr {
    ip: [u8; 16],
    port: u16,
    v6: bool,
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

/// One SIP message in a dialog.
#[derive(Debug, Clone)]
pub struct Message {
    pub ts_ns: i64,
    pub src: Addr,
    pub dst: Addr,
    pub transport: Transport,
    pub kind: Kind,
    /// CSeq number and method; `None` when the header was missing or bad.
    pub cseq: Option<(u32, Method)>,
    pub retransmission: bool,
    pub defects: Defects,
    /// The body holds SDP; [`crate::model::Model::sdp`] parses it on demand.
    pub has_sdp: bool,
    /// A response whose reason phrase is not the standard one for its code
    /// ([`crate::sip::reason`]): [`crate::model::Model::reason`] reads it
    /// from the message's bytes. A flag, not the text: most phrases are
    /// standard, and the model keeps no string per message.
    pub own_reason: bool,
    pub(crate) raw: RawRef,
    pub frames: Frames,
    /// Where it was captured: 0 here, else a HEP agent
    /// ([`crate::model::Model::origin`]).
    pub origin: u16,
    /// Hashes of the top and the second Via's branch (0: none), to find
    /// the same message at another hop ([`crate::model::flow`]).
    pub branch: u32,
    pub branch2: u32,
}

impl Message {
    /// The bytes of an [`RawRef::InFrame`] message: a range of its first
    /// frame, when that frame is in memory.
    #[must_use]
    pub(crate) fn in_frame(&self, start: u32, len: u32) -> Option<&[u8]> {
        match &self.frames.first()?.loc {
            crate::decode::FrameLoc::Mem(b) => {
                let start = start as usize;
                b.get(start..start.checked_add(len as usize)?)
            }
            crate::decode::FrameLoc::File { .. } => None,
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
            self.src,
            self.dst,
            self.transport.as_str().to_ascii_uppercase(),
            if self.retransmission {
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
        let again = if self.retransmission { "⟳ " } else { "" };
        format!("{again}{text}{cseq}")
    }

    /// The message's size in bytes (as carried: headers and body).
    #[must_use]
    pub fn raw_len(&self) -> usize {
        match &self.raw {
            RawRef::Inline(b) => b.len(),
            RawRef::File { len, .. } | RawRef::InFrame { len, .. } => *len as usize,
        }
    }

    /// Everything this message holds, by estimate: its struct (in its
    /// dialog's vector, counted there), the bytes kept in memory, frames
    /// spilled to the heap, and an allocator's overhead per allocation.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let mut n = self.mem_bytes();
        if matches!(self.raw, RawRef::Inline(_)) {
            n += super::ALLOC_OVERHEAD;
        }
        if self.frames.spilled() {
            n += self.frames.capacity() * std::mem::size_of::<FrameRef>() + super::ALLOC_OVERHEAD;
        }
        let in_mem = self.frames.iter().filter(|f| f.mem_bytes() > 0).count();
        // An `Arc<[u8]>`: two counters and the allocation.
        n + in_mem * (16 + super::ALLOC_OVERHEAD)
    }

    /// Bytes held in memory by this message (raw bytes and frames).
    #[must_use]
    pub fn mem_bytes(&self) -> usize {
        let raw = match &self.raw {
            RawRef::Inline(b) => b.len(),
            // The frame's bytes, counted with the frames.
            RawRef::File { .. } | RawRef::InFrame { .. } => 0,
        };
        raw + self.frames.iter().map(FrameRef::mem_bytes).sum::<usize>()
    }
}
#[cfg(test)]
mod tests {
    /// Millions of messages: a flag more (the reason phrase's) fits in the
    /// padding, and the struct stays as small as it was.
    #[test]
    fn a_message_stays_152_bytes() {
        assert!(std::mem::size_of::<super::Message>() <= 152);
    }

    /// Live, a datagram's message is read from its frame in memory, not
    /// kept as a second copy; its bytes are the same.
    #[test]
    fn a_message_in_its_frame_is_referenced_not_copied() {
        use crate::decode::{FrameLoc, FrameRef};
        let raw: &[u8] = b"OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
            From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\n\
            Call-ID: live-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
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
        let mut model = crate::model::Model::new(crate::model::Limits::default());
        model.ingest(&mut m);
        let d = model.dialogs().next().unwrap();
        let kept = &d.messages[0];
        let len = u32::try_from(raw.len()).unwrap();
        assert_eq!(kept.raw, super::RawRef::InFrame { start: 42, len });
        assert_eq!(&*model.raw(kept).unwrap(), raw);
        // Only the frame's bytes are held.
        assert_eq!(kept.mem_bytes(), 42 + raw.len());
    }
}
