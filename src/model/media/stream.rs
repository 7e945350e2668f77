//! One RTP stream (an SSRC from one address to another) and what RTCP
//! says of it: codec, MOS, the per-second series, the frames kept for export.

use std::collections::VecDeque;

use super::super::dialog::DialogId;
use super::super::message::Addr;
use crate::decode::FrameRef;
use crate::rtp::StreamStats;
use smallvec::SmallVec;

/// What the latest RTCP report block said of a stream.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RtcpView {
    /// Fraction lost since the previous report, in %.
    pub fraction_lost_pct: f64,
    pub cumulative_lost: i32,
    pub jitter_ms: f64,
    /// Round-trip time as the report's timestamps give it, at the capture point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    pub reports: u64,
}

/// RTCP between two addresses.
#[derive(Debug, Clone, Default)]
pub struct RtcpFlow {
    pub packets: u64,
    /// Packets of each type (200 SR, 201 RR, 202 SDES, 203 BYE...), counting
    /// each part of a compound packet.
    pub types: std::collections::BTreeMap<u8, u64>,
    /// The newest frames of the flow, for export.
    pub frames: VecDeque<FrameRef>,
}

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamKind {
    #[default]
    Rtp,
    /// T.38 fax over UDPTL (an SDP said `m=image ... udptl t38`): packets,
    /// bytes, times and loss from its sequence numbers; no SSRC, codec,
    /// jitter nor MOS.
    Fax,
}

impl StreamKind {
    /// The word reports use: `rtp`, `fax`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rtp => "rtp",
            Self::Fax => "fax",
        }
    }
}

/// One media stream: one SSRC from one source to one destination (RTP),
/// or the UDPTL packets from one source to one destination (fax, `kind`).
#[derive(Debug, Clone)]
pub struct RtpStream {
    pub kind: StreamKind,
    pub src: Addr,
    pub dst: Addr,
    pub ssrc: u32,
    pub stats: StreamStats,
    /// Packets to or from a fax address that were no UDPTL (too short, or
    /// their lengths did not add up); not in `stats`.
    pub malformed: u64,
    /// The dialog that owns the stream (its frames count against that
    /// dialog's budget).
    pub dialog: Option<DialogId>,
    /// Other dialogs the stream belongs to: the other leg of a call through
    /// a PBX that leaves media to the ends (both legs' SDPs named both ends).
    pub shared_with: SmallVec<[DialogId; 1]>,
    /// Payload type → encoding, from the SDP that set the stream up.
    pub(super) rtpmap: Vec<(u8, String, u32)>,
    /// RFC 4733 digits, in order.
    pub dtmf: String,
    pub(super) last_event_ts: Option<u32>,
    /// What the other side's RTCP says of this stream, when it reports.
    pub rtcp: Option<RtcpView>,
    /// Per second (since the epoch), oldest first: packets, and the running
    /// jitter in ms at the second's last packet.
    pub rate: VecDeque<(i64, u32, f32)>,
    /// The frames that carried the stream's newest packets, oldest first,
    /// kept for export within the media budget.
    pub frames: VecDeque<FrameRef>,
    /// Frames let go (or never kept) to stay within the budget.
    pub frames_not_kept: u64,
    pub(super) kept_bytes: usize,
}

impl RtpStream {
    /// Every dialog the stream belongs to, its owner first.
    pub fn dialogs(&self) -> impl Iterator<Item = DialogId> + '_ {
        self.dialog
            .into_iter()
            .chain(self.shared_with.iter().copied())
    }

    #[must_use]
    pub fn is_fax(&self) -> bool {
        self.kind == StreamKind::Fax
    }

    /// What the stream carries in words: its codec, or `fax (T.38)`.
    #[must_use]
    pub fn label(&self) -> String {
        if self.is_fax() {
            return "fax (T.38)".to_owned();
        }
        self.codec().unwrap_or_else(|| "?".into())
    }

    /// The codec name of the stream's first payload type.
    #[must_use]
    pub fn codec(&self) -> Option<String> {
        let pt = *self.stats.payload_types.first()?;
        self.rtpmap
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map(|(_, name, _)| name.clone())
            .or_else(|| crate::sip::sdp::static_payload_name(pt).map(str::to_owned))
    }

    pub(super) fn clock_rate(&self, pt: u8) -> u32 {
        self.rtpmap
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map_or_else(|| crate::rtp::static_clock_rate(pt), |(_, _, r)| *r)
    }

    /// The clock to measure jitter with: none for RFC 4733 events, nor for a
    /// dynamic payload type no SDP maps (its clock is unknown; tshark does
    /// the same).
    pub(super) fn jitter_clock(&self, pt: u8) -> Option<u32> {
        let mapped = self.rtpmap.iter().any(|(p, _, _)| *p == pt);
        if self.is_event(pt) || (pt >= 96 && !mapped) {
            None
        } else {
            Some(self.clock_rate(pt))
        }
    }

    pub(super) fn is_event(&self, pt: u8) -> bool {
        self.rtpmap
            .iter()
            .any(|(p, name, _)| *p == pt && name.eq_ignore_ascii_case("telephone-event"))
    }

    /// A simplified ITU-T G.107 E-model MOS from loss and jitter (see
    /// docs/media.md for the formula).
    #[must_use]
    pub fn mos(&self) -> f64 {
        let (ie, bpl) = match self
            .codec()
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("PCMU" | "PCMA") => (0.0, 25.1),
            Some("G729") => (11.0, 19.0),
            Some("G722") => (0.0, 20.0),
            Some("GSM") => (20.0, 10.0),
            _ => (0.0, 10.0),
        };
        let expected = self.stats.expected().max(1) as f64;
        let ppl = (self.stats.lost().max(0) as f64 / expected * 100.0).min(100.0);
        let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
        // One-way delay: a 2x jitter buffer and 20 ms of codec framing.
        let delay = self.stats.mean_jitter_ms() * 2.0 + 20.0;
        let id = 0.024 * delay
            + if delay > 177.3 {
                0.11 * (delay - 177.3)
            } else {
                0.0
            };
        let r_factor = (93.2 - id - ie_eff).clamp(0.0, 100.0);
        let mos =
            1.0 + 0.035 * r_factor + 7.0e-6 * r_factor * (r_factor - 60.0) * (100.0 - r_factor);
        (mos.clamp(1.0, 4.5) * 100.0).round() / 100.0
    }
}

/// RFC 4733 event codes 0-15 as the keypad shows them.
pub(super) fn dtmf_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// A fax stream as the JSON report shows it (docs/report.md,
/// `calls[].fax_streams`): no SSRC, codec, jitter nor MOS.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FaxReport {
    /// Always `fax`.
    pub kind: &'static str,
    pub src: String,
    pub dst: String,
    pub first_ts: f64,
    pub last_ts: f64,
    pub packets: u64,
    pub bytes: u64,
    /// From the UDPTL sequence numbers, as for RTP.
    pub expected: u64,
    pub lost: i64,
    pub lost_pct: f64,
    pub seq_errors: u64,
    /// Packets on the fax address that were no UDPTL.
    pub malformed: u64,
    pub frames_kept: usize,
    pub frames_not_kept: u64,
}

impl FaxReport {
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn of(s: &RtpStream) -> Self {
        let st = &s.stats;
        let pct = st.lost().max(0) as f64 * 100.0 / st.expected().max(1) as f64;
        Self {
            kind: StreamKind::Fax.as_str(),
            src: s.src.to_string(),
            dst: s.dst.to_string(),
            first_ts: st.first_ns as f64 / 1e9,
            last_ts: st.last_ns as f64 / 1e9,
            packets: st.packets,
            bytes: st.bytes,
            expected: st.expected(),
            lost: st.lost(),
            lost_pct: (pct * 1000.0).round() / 1000.0,
            seq_errors: st.seq_errors,
            malformed: s.malformed,
            frames_kept: s.frames.len(),
            frames_not_kept: s.frames_not_kept,
        }
    }
}
