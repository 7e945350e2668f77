//! One SIP message as the model keeps it: compact, typed, with its bytes in
//! memory or left in the capture file.

use std::fmt;
use std::net::SocketAddr;

use crate::decode::{FrameRef, Frames, Transport};
use crate::sip::scan::Defects;

/// A SIP method. The common ones are variants; any other token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    Other(Box<str>),
}

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
            other => Self::Other(String::from_utf8_lossy(other).into()),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
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
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Request(Method),
    Response(u16),
}

/// Where a message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRef {
    Inline(Box<[u8]>),
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
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub kind: Kind,
    /// CSeq number and method; `None` when the header was missing or bad.
    pub cseq: Option<(u32, Method)>,
    pub retransmission: bool,
    pub defects: Defects,
    /// The body holds SDP; [`crate::model::Model::sdp`] parses it on demand.
    pub has_sdp: bool,
    pub(crate) raw: RawRef,
    pub frames: Frames,
}

impl Message {
    #[must_use]
    pub fn method(&self) -> Option<&Method> {
        match &self.kind {
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
        self.cseq.as_ref().map(|(n, m)| format!("{n} {m}"))
    }

    #[must_use]
    pub fn malformed(&self) -> bool {
        !self.defects.is_empty()
    }

    /// The label a ladder arrow shows: the method, or the status code.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.kind {
            Kind::Request(m) => m.to_string(),
            Kind::Response(c) => c.to_string(),
        }
    }

    /// Bytes held in memory by this message (raw bytes and frames).
    #[must_use]
    pub fn mem_bytes(&self) -> usize {
        let raw = match &self.raw {
            RawRef::Inline(b) => b.len(),
            RawRef::File { .. } => 0,
        };
        raw + self.frames.iter().map(FrameRef::mem_bytes).sum::<usize>()
    }
}
