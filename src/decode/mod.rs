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
    /// SIP over SCTP (RFC 4168): one message per SCTP user message.
    Sctp,
}

impl Transport {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Ws => "ws",
            Self::Sctp => "sctp",
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
    /// Datagrams whose overlapping fragments disagreed (kept, counted).
    pub fragments_conflicting: u64,
    /// pcapng packets naming an interface the file never described:
    /// their link type is unknown, so they are dropped, and counted.
    pub unknown_interface: u64,
    pub tcp_segments: u64,
    /// TCP segments whose bytes had all been seen (retransmissions).
    pub tcp_retransmissions: u64,
    /// Stream bytes given up: gaps that never filled, bounded buffers.
    pub tcp_gaps: u64,
    /// TCP flows forgotten to stay within bounds.
    pub tcp_flows_evicted: u64,
    pub ws_frames: u64,
    /// SCTP DATA chunks read, and those not decoded (fragments of a larger
    /// user message: SIP over SCTP is read when a message fits one chunk).
    pub sctp_chunks: u64,
    pub sctp_not_decoded: u64,
    /// HEP packets found in the capture (UDP to the HEP port) or received
    /// (`-L`), and those that could not be read.
    pub hep_packets: u64,
    pub hep_malformed: u64,
    /// HEP packets that carried something other than SIP (RTCP, logs).
    pub hep_not_sip: u64,
    /// `-L`: HEP packets refused for a missing or wrong password.
    pub hep_refused: u64,
    /// `-L`: HEP packets (or connections) refused over a source's rate or
    /// the listener's limits.
    pub hep_over_limit: u64,
}

impl DecodeStats {
    /// The counts of two decoders (two capture sources) together.
    #[must_use]
    pub fn plus(self, o: Self) -> Self {
        Self {
            packets: self.packets + o.packets,
            not_ip: self.not_ip + o.not_ip,
            bad_ip: self.bad_ip + o.bad_ip,
            duplicates: self.duplicates + o.duplicates,
            fragments: self.fragments + o.fragments,
            reassembled_datagrams: self.reassembled_datagrams + o.reassembled_datagrams,
            fragments_dropped: self.fragments_dropped + o.fragments_dropped,
            fragments_conflicting: self.fragments_conflicting + o.fragments_conflicting,
            unknown_interface: self.unknown_interface + o.unknown_interface,
            tcp_segments: self.tcp_segments + o.tcp_segments,
            tcp_retransmissions: self.tcp_retransmissions + o.tcp_retransmissions,
            tcp_gaps: self.tcp_gaps + o.tcp_gaps,
            tcp_flows_evicted: self.tcp_flows_evicted + o.tcp_flows_evicted,
            sctp_chunks: self.sctp_chunks + o.sctp_chunks,
            sctp_not_decoded: self.sctp_not_decoded + o.sctp_not_decoded,
            ws_frames: self.ws_frames + o.ws_frames,
            hep_packets: self.hep_packets + o.hep_packets,
            hep_malformed: self.hep_malformed + o.hep_malformed,
            hep_not_sip: self.hep_not_sip + o.hep_not_sip,
            hep_refused: self.hep_refused + o.hep_refused,
            hep_over_limit: self.hep_over_limit + o.hep_over_limit,
        }
    }
}
