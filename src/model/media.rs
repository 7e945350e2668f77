//! RTP streams and how they tie to dialogs.
//!
//! Every SDP offer or answer says where its side expects media. A stream is
//! tied to a dialog when its destination (or, for symmetric RTP, its source)
//! is such an address; failing that, by the destination port alone (NAT
//! rewrites addresses, rarely ports). A stream that arrives before the SDP
//! that explains it is tied when the SDP comes. Streams with no SDP at all
//! are kept as unassociated, never dropped. Finding a packet's stream is one
//! hash lookup.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::dialog::DialogId;
use super::message::Addr;
use crate::hash::Map;
use smallvec::SmallVec;

use crate::rtp::{RtpPacket, StreamStats};

/// Streams kept at most; more are counted and not tracked.
const MAX_STREAMS: usize = 200_000;
/// Expected media addresses kept at most.
const MAX_EXPECTED: usize = 100_000;
/// Seconds of packet-rate history kept per stream (for the graphs).
const RATE_HISTORY: usize = 3600;

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
}

/// One RTP stream: one SSRC from one source to one destination.
#[derive(Debug, Clone)]
pub struct RtpStream {
    pub src: Addr,
    pub dst: Addr,
    pub ssrc: u32,
    pub stats: StreamStats,
    pub dialog: Option<DialogId>,
    /// Payload type → encoding, from the SDP that set the stream up.
    rtpmap: Vec<(u8, String, u32)>,
    /// RFC 4733 digits, in order.
    pub dtmf: String,
    last_event_ts: Option<u32>,
    /// What the other side's RTCP says of this stream, when it reports.
    pub rtcp: Option<RtcpView>,
    /// Per second (since the epoch), oldest first: packets, and the running
    /// jitter in ms at the second's last packet.
    pub rate: VecDeque<(i64, u32, f32)>,
}

impl RtpStream {
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

    fn clock_rate(&self, pt: u8) -> u32 {
        self.rtpmap
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map_or_else(|| crate::rtp::static_clock_rate(pt), |(_, _, r)| *r)
    }

    /// The clock to measure jitter with: none for RFC 4733 events, nor for a
    /// dynamic payload type no SDP maps (its clock is unknown; tshark does
    /// the same).
    fn jitter_clock(&self, pt: u8) -> Option<u32> {
        let mapped = self.rtpmap.iter().any(|(p, _, _)| *p == pt);
        if self.is_event(pt) || (pt >= 96 && !mapped) {
            None
        } else {
            Some(self.clock_rate(pt))
        }
    }

    fn is_event(&self, pt: u8) -> bool {
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

/// All streams, and the addresses SDP announced.
#[derive(Debug, Default)]
pub struct Media {
    streams: Vec<RtpStream>,
    by_key: Map<(Addr, Addr, u32), usize>,
    /// Media addresses SDP announced, and whose they are.
    expected: Map<SocketAddr, DialogId>,
    /// Insertion order of `expected`, to forget the oldest when full.
    expected_order: VecDeque<SocketAddr>,
    expected_port: Map<u16, DialogId>,
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
}

impl Media {
    /// Records where an SDP expects media (see `sdp::media_addresses`), and
    /// ties any stream already seen there to the dialog. Returns the streams
    /// it tied, whose codecs the caller then fills in from the SDP.
    pub fn expect(&mut self, dialog: DialogId, addrs: &[SocketAddr]) -> Vec<usize> {
        let mut tied = Vec::new();
        for addr in addrs {
            if self.expected.insert(*addr, dialog).is_none() {
                self.expected_order.push_back(*addr);
                while self.expected_order.len() > MAX_EXPECTED {
                    if let Some(old) = self.expected_order.pop_front() {
                        self.expected.remove(&old);
                    }
                }
            }
            self.expected_port.insert(addr.port(), dialog);
            // Streams that came before this SDP.
            for i in self.pending.remove(addr).unwrap_or_default() {
                if let Some(s) = self.streams.get_mut(i)
                    && s.dialog.is_none()
                {
                    s.dialog = Some(dialog);
                    tied.push(i);
                }
            }
        }
        tied
    }

    /// Sets a stream's payload-type map (from the SDP that set it up).
    pub fn set_rtpmap(&mut self, stream: usize, rtpmap: Vec<(u8, String, u32)>) {
        if let Some(s) = self.streams.get_mut(stream) {
            s.rtpmap = rtpmap;
        }
    }

    fn lookup(&self, src: SocketAddr, dst: SocketAddr) -> Option<DialogId> {
        self.expected
            .get(&dst)
            .or_else(|| self.expected.get(&src))
            .or_else(|| self.expected_port.get(&dst.port()))
            .copied()
    }

    /// Adds one packet to its stream. Returns a new stream's index when it
    /// was tied to a dialog at once (its codecs are then to be filled in).
    pub fn ingest(&mut self, pkt: &RtpPacket) -> Option<usize> {
        let mut tied_new = None;
        self.packets += 1;
        let key = (Addr::from(pkt.src), Addr::from(pkt.dst), pkt.header.ssrc);
        let idx = if let Some(found) = self.by_key.get(&key) {
            *found
        } else {
            if self.streams.len() >= MAX_STREAMS {
                self.untracked_packets += 1;
                return None;
            }
            let expected = self.lookup(pkt.src, pkt.dst);
            if expected.is_none() {
                let next = self.streams.len();
                self.pending.entry(pkt.src).or_default().push(next);
                self.pending.entry(pkt.dst).or_default().push(next);
            }
            self.streams.push(RtpStream {
                src: key.0,
                dst: key.1,
                ssrc: key.2,
                stats: StreamStats::default(),
                dialog: expected,
                rtpmap: Vec::new(),
                dtmf: String::new(),
                last_event_ts: None,
                rate: VecDeque::new(),
                rtcp: None,
            });
            let new = self.streams.len() - 1;
            self.by_key.insert(key, new);
            self.by_ssrc.entry(key.2).or_default().push(new);
            if expected.is_some() {
                tied_new = Some(new);
            }
            new
        };
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
        let sec = pkt.ts_ns.div_euclid(1_000_000_000);
        #[allow(clippy::cast_possible_truncation)]
        let jitter = stream.stats.jitter_ms as f32;
        match stream.rate.back_mut() {
            Some((t, n, j)) if *t == sec => {
                *n += 1;
                *j = jitter;
            }
            _ => {
                stream.rate.push_back((sec, 1, jitter));
                if stream.rate.len() > RATE_HISTORY {
                    stream.rate.pop_front();
                }
            }
        }
        tied_new
    }

    /// Adds an RTCP packet: counts it on its flow, and hands each report
    /// block to the stream it reports on (the SSRC sent towards the reporter).
    pub fn ingest_rtcp(
        &mut self,
        ts_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        rtcp: &crate::rtp::rtcp::Rtcp,
    ) {
        self.rtcp_packets += 1;
        let key = (Addr::from(src), Addr::from(dst));
        if self.rtcp_flows.len() < MAX_STREAMS || self.rtcp_flows.contains_key(&key) {
            let flow = self.rtcp_flows.entry(key).or_default();
            flow.packets += 1;
            for t in &rtcp.types {
                *flow.types.entry(*t).or_default() += 1;
            }
        }
        for b in &rtcp.blocks {
            // The stream reported on flows towards the reporter, from the
            // address it sends RTCP to (RTCP port - 1, or the same port with rtcp-mux).
            let candidates = self.by_ssrc.get(&b.ssrc).cloned().unwrap_or_default();
            let Some(stream) = candidates
                .iter()
                .find(|i| {
                    self.streams
                        .get(**i)
                        .is_some_and(|s| s.dst.ip() == src.ip() && s.src.ip() == dst.ip())
                })
                .and_then(|i| self.streams.get_mut(*i))
            else {
                continue;
            };
            let rate = stream
                .stats
                .payload_types
                .first()
                .map_or(8000, |pt| stream.clock_rate(*pt));
            let reports = stream.rtcp.map_or(0, |r| r.reports) + 1;
            stream.rtcp = Some(RtcpView {
                fraction_lost_pct: f64::from(b.fraction_lost) * 100.0 / 256.0,
                cumulative_lost: b.cumulative_lost,
                jitter_ms: f64::from(b.jitter) * 1000.0 / f64::from(rate.max(1)),
                rtt_ms: crate::rtp::rtcp::rtt_ms(b, ts_ns).map(|t| (t * 1000.0).round() / 1000.0),
                reports,
            });
        }
    }

    /// RTCP flows: (source, destination) and what came.
    pub fn rtcp_flows(&self) -> impl Iterator<Item = (&(Addr, Addr), &RtcpFlow)> {
        self.rtcp_flows.iter()
    }

    /// Streams tied to `dialog`.
    pub fn of_dialog(&self, dialog: DialogId) -> impl Iterator<Item = &RtpStream> {
        self.streams
            .iter()
            .filter(move |s| s.dialog == Some(dialog))
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
        *self = Self::default();
    }
}

/// RFC 4733 event codes 0-15 as the keypad shows them.
fn dtmf_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpHeader;

    fn pkt(seq: u16, ms: i64, pt: u8, head: u8) -> RtpPacket {
        RtpPacket {
            ts_ns: ms * 1_000_000,
            src: "192.0.2.1:4000".parse().unwrap(),
            dst: "192.0.2.2:5000".parse().unwrap(),
            header: RtpHeader {
                marker: false,
                payload_type: pt,
                seq,
                timestamp: u32::from(seq) * 160,
                ssrc: 7,
                payload_offset: 12,
            },
            len: 172,
            payload_head: [head, 0, 0, 0],
        }
    }

    fn sdp(port: u16) -> Vec<SocketAddr> {
        vec![SocketAddr::from(([192, 0, 2, 2], port))]
    }

    fn events(m: &mut Media) {
        m.set_rtpmap(0, vec![(101, "telephone-event".to_owned(), 8000)]);
    }

    #[test]
    fn mos_of_a_clean_and_a_lossy_g711_stream() {
        let mut m = Media::default();
        let _ = m.expect(DialogId(1), &sdp(5000));
        for i in 0..100u16 {
            m.ingest(&pkt(i, i64::from(i) * 20, 0, 0));
        }
        assert!(
            (m.streams()[0].mos() - 4.4).abs() < 0.01,
            "{}",
            m.streams()[0].mos()
        );
        // Every 20th packet lost: 5 %.
        let mut lossy = Media::default();
        for i in (0..200u16).filter(|i| i % 20 != 0) {
            lossy.ingest(&pkt(i, i64::from(i) * 20, 0, 0));
        }
        assert!(
            (lossy.streams()[0].mos() - 3.95).abs() < 0.03,
            "{}",
            lossy.streams()[0].mos()
        );
    }

    #[test]
    fn late_sdp_ties_a_stream_and_events_become_digits() {
        let mut m = Media::default();
        m.ingest(&pkt(1, 0, 0, 0));
        assert!(m.streams()[0].dialog.is_none());
        assert_eq!(m.expect(DialogId(3), &sdp(5000)), [0]);
        assert_eq!(m.streams()[0].dialog, Some(DialogId(3)));
        events(&mut m);
        // Digit 5, three packets of one event (one timestamp), then '#'.
        let mut e = pkt(2, 40, 101, 5);
        m.ingest(&e);
        e.header.seq = 3;
        m.ingest(&e);
        let mut hash = pkt(10, 400, 101, 11);
        hash.header.timestamp = 99_999;
        m.ingest(&hash);
        assert_eq!(m.streams()[0].dtmf, "5#");
    }
}
