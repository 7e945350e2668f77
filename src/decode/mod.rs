//! Frames to transport payloads: link layer, IP (with tunnels and fragment
//! reassembly), UDP and TCP (with stream reassembly), and WebSocket framing.
//!
//! Everything here is a function of the bytes and the frame timestamps: no
//! I/O, no clock. The stateful parts (fragments, TCP flows, duplicates) are
//! bounded in memory and expire by capture time, and every drop is counted.

pub mod dedup;
pub mod defrag;
pub mod ip;
pub mod link;
pub mod tcp;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;

/// How a SIP message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
    /// SIP over WebSocket (RFC 7118) on a plain TCP connection.
    Ws,
}

impl Transport {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Ws => "ws",
        }
    }
}

/// One captured frame, borrowed from the capture source.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub linktype: u16,
    /// Which input (for several `-r` files) the frame came from.
    pub source: u16,
    /// Length on the wire (may exceed `data.len()` under a snap length).
    pub orig_len: u32,
    /// Where the frame's bytes start in its capture file, when it has one.
    pub file_offset: Option<u64>,
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// A reference that outlives the borrowed bytes: a file offset when the
    /// source is a seekable file, else a copy of the bytes.
    #[must_use]
    pub fn to_ref(&self) -> FrameRef {
        let loc = match self.file_offset {
            Some(offset) => FrameLoc::File {
                offset,
                len: u32::try_from(self.data.len()).unwrap_or(u32::MAX),
            },
            None => FrameLoc::Mem(Arc::from(self.data)),
        };
        FrameRef {
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            source: self.source,
            orig_len: self.orig_len,
            loc,
        }
    }
}

/// Where an original frame can be found again, for export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameLoc {
    /// In the capture file: the frame's bytes at `offset`, `len` long.
    File { offset: u64, len: u32 },
    /// Kept in memory (live capture, standard input, pcapng).
    Mem(Arc<[u8]>),
}

/// An original frame that carried (part of) a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRef {
    pub ts_ns: i64,
    pub linktype: u16,
    pub source: u16,
    pub orig_len: u32,
    pub loc: FrameLoc,
}

impl FrameRef {
    /// Bytes this reference holds in memory (counted against the budget).
    #[must_use]
    pub fn mem_bytes(&self) -> usize {
        match &self.loc {
            FrameLoc::File { .. } => 0,
            FrameLoc::Mem(b) => b.len(),
        }
    }
}

/// The frames that carried one message: nearly always one, kept inline.
pub type Frames = smallvec::SmallVec<[FrameRef; 1]>;

/// A transport payload between two endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

/// Counters of what the decoder saw and dropped.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct DecodeStats {
    pub packets: u64,
    /// Frames whose link type or network layer this decoder does not read.
    pub not_ip: u64,
    /// IP packets too short or garbled to read.
    pub bad_ip: u64,
    pub duplicates: u64,
    pub fragments: u64,
    pub reassembled_datagrams: u64,
    /// Incomplete datagrams given up (timeout or memory bound).
    pub fragments_dropped: u64,
    pub tcp_segments: u64,
    /// TCP segments whose bytes had all been seen (retransmissions).
    pub tcp_retransmissions: u64,
    /// Stream bytes given up: gaps that never filled, bounded buffers.
    pub tcp_gaps: u64,
    /// TCP flows forgotten to stay within bounds.
    pub tcp_flows_evicted: u64,
    pub ws_frames: u64,
}
