//! What the model has seen and lost, and what the outputs beside it did:
//! the counts behind the report's `stats`.

use serde::Serialize;

use super::Model;

/// What the live outputs (the sinks beside the model) did, as counts the
/// reports and the header show; the model knows no sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputCounts {
    pub hep_sent: u64,
    pub hep_dropped: u64,
}

impl OutputCounts {
    /// Two outputs' counts together.
    #[must_use]
    pub fn plus(self, o: Self) -> Self {
        Self {
            hep_sent: self.hep_sent + o.hep_sent,
            hep_dropped: self.hep_dropped + o.hep_dropped,
        }
    }
}

/// Packets lost before the model saw them, as the capture side counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lost {
    /// Events dropped because the model's channel was full (live only).
    pub channel: u64,
    /// Packets the kernel dropped (pcap statistics, live only).
    pub kernel: u64,
    /// Packets read and thrown away while the user had paused the capture.
    pub paused: u64,
}

impl Lost {
    /// The losses of two sources together.
    #[must_use]
    pub fn plus(self, o: Self) -> Self {
        Self {
            channel: self.channel + o.channel,
            kernel: self.kernel + o.kernel,
            paused: self.paused + o.paused,
        }
    }
}

/// What the model has seen and what it lost: the report's `stats`.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub packets: u64,
    pub sip_messages: u64,
    pub malformed: u64,
    pub dropped_channel: u64,
    pub dropped_kernel: u64,
    /// Live: packets skipped while paused (the UI's pause).
    pub skipped_paused: u64,
    pub duplicates: u64,
    pub reassembled_datagrams: u64,
    pub evicted_calls: u64,
    /// Messages not kept because their dialog hit its message limit.
    pub dropped_messages: u64,
    pub retransmissions: u64,
    pub messages_without_call_id: u64,
    pub fragments_dropped: u64,
    /// Datagrams whose overlapping fragments disagreed.
    pub fragments_conflicting: u64,
    /// pcapng packets naming an interface the file never described (dropped).
    pub unknown_interface: u64,
    pub tcp_retransmissions: u64,
    pub tcp_gaps: u64,
    pub ws_frames: u64,
    pub calls: u64,
    pub mem_bytes: u64,
    pub rtp_packets: u64,
    pub rtcp_packets: u64,
    pub rtp_streams: u64,
    /// UDPTL packets (T.38 fax) to or from an address an SDP announced for
    /// fax, malformed ones included, and the fax streams they made.
    pub udptl_packets: u64,
    pub fax_streams: u64,
    /// RTP packets of streams past the stream limit (counted, not tracked).
    pub rtp_untracked_packets: u64,
    /// SCTP DATA chunks read, and those not decoded (a SIP message split
    /// over several chunks).
    pub sctp_chunks: u64,
    pub sctp_not_decoded: u64,
    /// UDP that parsed as RTP, tied to no SDP, and was not taken for RTP
    /// (a well-known port, an unassigned payload type, no two consecutive
    /// sequence numbers: DNS, `NetBIOS`...).
    pub rtp_rejected_packets: u64,
    /// HEP packets read (in a capture, or from agents with `-L`), those that
    /// could not be read, those refused (password), over a source's rate
    /// or a limit, and those that carried no SIP.
    pub hep_received: u64,
    pub hep_malformed: u64,
    pub hep_refused: u64,
    pub hep_over_limit: u64,
    pub hep_not_sip: u64,
    /// `-H`: SIP messages sent to the collector, and those dropped (queue
    /// full, collector away, too large).
    pub hep_sent: u64,
    pub hep_send_dropped: u64,
}

impl Model {
    /// The counts so far: the model's own, the capture side's and the outputs'.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let (d, lost) = (&self.decoded, &self.lost);
        Stats {
            packets: d.packets,
            dropped_channel: lost.channel,
            dropped_kernel: lost.kernel,
            skipped_paused: lost.paused,
            duplicates: d.duplicates,
            reassembled_datagrams: d.reassembled_datagrams,
            fragments_dropped: d.fragments_dropped,
            fragments_conflicting: d.fragments_conflicting,
            unknown_interface: d.unknown_interface,
            tcp_retransmissions: d.tcp_retransmissions,
            tcp_gaps: d.tcp_gaps,
            ws_frames: d.ws_frames,
            sctp_chunks: d.sctp_chunks,
            sctp_not_decoded: d.sctp_not_decoded,
            hep_received: d.hep_packets,
            hep_malformed: d.hep_malformed,
            hep_refused: d.hep_refused,
            hep_over_limit: d.hep_over_limit,
            hep_not_sip: d.hep_not_sip,
            hep_sent: self.outputs.hep_sent,
            hep_send_dropped: self.outputs.hep_dropped,
            mem_bytes: self.held_bytes() as u64,
            rtp_packets: self.media.packets,
            rtcp_packets: self.media.rtcp_packets,
            rtp_streams: self.media.streams().iter().filter(|s| !s.is_fax()).count() as u64,
            udptl_packets: self.media.fax_packets,
            fax_streams: self.media.streams().iter().filter(|s| s.is_fax()).count() as u64,
            rtp_untracked_packets: self.media.untracked_packets,
            rtp_rejected_packets: self.media.not_rtp(),
            ..self.stats
        }
    }
}
