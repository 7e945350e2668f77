//! RTP: the header (RFC 3550 section 5.1) and per-stream statistics: packets,
//! expected and lost, sequence errors, interarrival jitter (section 6.4.1 and
//! A.8) and the largest gap between packets. Pure functions of the packets
//! and their arrival times: no I/O, no clock.
//!
//! This is the media engine's foundation (issue 4); linking streams to calls
//! through SDP, RTCP, the views and the report build on it.
#![warn(clippy::indexing_slicing)]

pub mod rtcp;
pub mod udptl;

/// One RTP packet as the capture thread hands it to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket {
    pub ts_ns: i64,
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    pub header: RtpHeader,
    /// UDP payload length.
    pub len: u32,
    /// The first bytes of the payload (an RFC 4733 event fits in four).
    pub payload_head: [u8; 4],
}

/// An RTP or RTCP packet as the capture thread hands it to the model, with
/// the frames that carried it (kept for export within a budget).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPacket {
    pub body: MediaBody,
    pub frames: crate::decode::Frames,
}

/// What a media packet is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaBody {
    Rtp(RtpPacket),
    Rtcp {
        ts_ns: i64,
        src: std::net::SocketAddr,
        dst: std::net::SocketAddr,
        rtcp: rtcp::Rtcp,
    },
    /// UDPTL (T.38 fax) to or from an address an SDP announced with
    /// `m=image ... udptl t38`.
    Fax(udptl::UdptlPacket),
}

/// The fixed part of an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Where the payload starts (after CSRCs and any extension).
    pub payload_offset: usize,
}

/// Reads an RTP header. `None` for anything that is not RTP version 2, is
/// too short for its CSRC list or extension, or is RTCP (payload types
/// 72-76 collide with RTCP packet types 200-204, RFC 5761 section 4).
#[must_use]
pub fn parse(b: &[u8]) -> Option<RtpHeader> {
    let first = *b.first()?;
    if first >> 6 != 2 {
        return None;
    }
    let second = *b.get(1)?;
    let payload_type = second & 0x7F;
    if (72..=76).contains(&payload_type) {
        return None;
    }
    let seq = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    let timestamp = u32::from_be_bytes([*b.get(4)?, *b.get(5)?, *b.get(6)?, *b.get(7)?]);
    let ssrc = u32::from_be_bytes([*b.get(8)?, *b.get(9)?, *b.get(10)?, *b.get(11)?]);
    let mut offset = 12 + 4 * usize::from(first & 0x0F);
    if first & 0x10 != 0 {
        // Header extension: 16-bit profile, 16-bit length in 32-bit words.
        let words = u16::from_be_bytes([*b.get(offset + 2)?, *b.get(offset + 3)?]);
        offset += 4 + 4 * usize::from(words);
    }
    if offset > b.len() {
        return None;
    }
    Some(RtpHeader {
        marker: second & 0x80 != 0,
        payload_type,
        seq,
        timestamp,
        ssrc,
        payload_offset: offset,
    })
}

/// The RTP clock rate of a static payload type (RFC 3551 table 4), else
/// 8000 Hz, the rate of nearly every dynamic audio type seen on SIP trunks
/// (telephone-event, iLBC, AMR narrowband...). SDP's rtpmap overrides it.
#[must_use]
pub fn static_clock_rate(pt: u8) -> u32 {
    match pt {
        9 => 8000, // G.722's RTP clock is 8000 by an RFC 1890 mistake
        10 | 11 => 44_100,
        14 | 25 | 26 | 28 | 31..=34 => 90_000,
        6 => 16_000,
        16 => 11_025,
        17 => 22_050,
        _ => 8000,
    }
}

/// Statistics of one stream (one SSRC from one source to one destination).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStats {
    pub packets: u64,
    pub bytes: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// First and highest extended sequence numbers (with wrap-arounds).
    base_seq: u32,
    max_seq: u32,
    /// Packets out of order, duplicated, or after a jump (sequence errors).
    pub seq_errors: u64,
    /// RFC 3550 interarrival jitter, in timestamp units (a float, as A.8
    /// suggests for display).
    jitter: f64,
    /// tshark's running mean of the jitter (see `mean_jitter_ms`).
    mean_jitter_ms: f64,
    /// The highest jitter of a regular packet, in ms (as tshark's).
    pub max_jitter_ms: f64,
    /// The running jitter after the latest packet, in ms.
    pub jitter_ms: f64,
    pub max_delta_ns: i64,
    prev_arrival_ns: i64,
    prev_timestamp: u32,
    /// The timestamp of the newest packet with a clock: RFC 4733 events
    /// (whose timestamp stands still) move the arrival reference of the
    /// jitter but not this one, as in tshark 4.0.
    clock_timestamp: Option<u32>,
    prev_payload_type: u8,
    pub payload_types: Vec<u8>,
    pub payload_type_changes: u64,
}

impl StreamStats {
    /// Adds a packet that arrived at `arrival_ns`; `clock_rate` is the
    /// payload type's RTP clock in Hz, or `None` for packets that take no
    /// part in jitter (RFC 4733 events: their timestamp stands still for a
    /// whole event, so Wireshark reports no jitter for them, nor do we).
    pub fn add(&mut self, arrival_ns: i64, h: &RtpHeader, len: usize, clock_rate: Option<u32>) {
        self.bytes += len as u64;
        if self.packets == 0 {
            self.first_ns = arrival_ns;
            self.base_seq = u32::from(h.seq);
            self.max_seq = u32::from(h.seq);
            self.payload_types.push(h.payload_type);
        } else {
            self.sequence(h.seq);
            let delta = arrival_ns - self.prev_arrival_ns;
            // A marker opens a talkspurt (in video, it ends a frame): the
            // silence before it is no gap. Comfort noise (PT 13, or 19 of
            // old) is sent sparsely on purpose: gaps around it are silence
            // too. A timestamp that went back is no measure either. What is
            // left is a "regular" packet, as Wireshark's RTP analysis calls
            // it: only those count in the maximum delta and in the jitter's
            // maximum and mean.
            let comfort_noise = |pt: u8| pt == 13 || pt == 19;
            let ts_step = h.timestamp.wrapping_sub(self.prev_timestamp).cast_signed();
            let regular = !h.marker
                && !comfort_noise(h.payload_type)
                && !comfort_noise(self.prev_payload_type)
                && ts_step >= 0;
            if regular {
                self.max_delta_ns = self.max_delta_ns.max(delta);
            }
            // D(i-1, i) = (Rj - Ri) - (Sj - Si), in timestamp units.
            if let (Some(clock_rate), Some(reference)) = (clock_rate, self.clock_timestamp) {
                let rate = f64::from(clock_rate.max(1));
                let clock_step = h.timestamp.wrapping_sub(reference).cast_signed();
                let transit_delta = delta as f64 * rate / 1e9 - f64::from(clock_step);
                self.jitter += (transit_delta.abs() - self.jitter) / 16.0;
                let ms = self.jitter / rate * 1000.0;
                self.jitter_ms = ms;
                if regular {
                    self.max_jitter_ms = self.max_jitter_ms.max(ms);
                    // tshark's running mean: the packets before this one
                    // (all of them, events included) less the first.
                    let n = self.packets as f64;
                    self.mean_jitter_ms = (self.mean_jitter_ms * (n - 1.0) + ms) / n;
                }
            }
            if self.payload_types.last() != Some(&h.payload_type) {
                self.payload_type_changes += 1;
                if !self.payload_types.contains(&h.payload_type) && self.payload_types.len() < 16 {
                    self.payload_types.push(h.payload_type);
                }
            }
        }
        self.packets += 1;
        self.last_ns = arrival_ns;
        self.prev_arrival_ns = arrival_ns;
        self.prev_timestamp = h.timestamp;
        if clock_rate.is_some() {
            self.clock_timestamp = Some(h.timestamp);
        }
        self.prev_payload_type = h.payload_type;
    }

    /// Adds a packet known only by its sequence number (UDPTL: fax has no
    /// timestamps, so no jitter): packets, bytes, times, loss and sequence
    /// errors as for RTP.
    pub fn add_sequenced(&mut self, arrival_ns: i64, seq: u16, len: usize) {
        self.bytes += len as u64;
        if self.packets == 0 {
            self.first_ns = arrival_ns;
            self.base_seq = u32::from(seq);
            self.max_seq = u32::from(seq);
        } else {
            self.sequence(seq);
            self.max_delta_ns = self.max_delta_ns.max(arrival_ns - self.prev_arrival_ns);
        }
        self.packets += 1;
        self.last_ns = arrival_ns;
        self.prev_arrival_ns = arrival_ns;
    }

    /// Extends `seq` against the highest seen (RFC 3550 A.1, simplified):
    /// forward steps move the maximum, anything else is a sequence error.
    fn sequence(&mut self, seq: u16) {
        let max16 = (self.max_seq & 0xFFFF) as u16;
        let step = seq.wrapping_sub(max16);
        if step == 0 {
            self.seq_errors += 1; // duplicate
        } else if step < 0x8000 {
            if step > 1 {
                self.seq_errors += 1; // a jump: packets lost (or reordered later)
            }
            self.max_seq = self.max_seq.wrapping_add(u32::from(step));
        } else {
            self.seq_errors += 1; // late or out of order
        }
    }

    /// Packets the sequence numbers say were sent.
    #[must_use]
    pub fn expected(&self) -> u64 {
        if self.packets == 0 {
            0
        } else {
            u64::from(self.max_seq.wrapping_sub(self.base_seq)) + 1
        }
    }

    /// Expected minus received: negative when packets came twice.
    #[must_use]
    pub fn lost(&self) -> i64 {
        i64::try_from(self.expected()).unwrap_or(i64::MAX)
            - i64::try_from(self.packets).unwrap_or(i64::MAX)
    }

    /// Mean jitter in ms, as tshark's RTP stream analysis computes it
    /// (docs/media.md): after each regular packet with a known clock, the
    /// mean so far weighted by the packets before it less the first, plus
    /// this packet's jitter, over the packets before it. On a plain stream
    /// that is the mean over the N-1 jitter samples of N packets; RFC 4733
    /// events, markers, comfort noise and the first packet add no sample.
    #[must_use]
    pub fn mean_jitter_ms(&self) -> f64 {
        self.mean_jitter_ms
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn packet(seq: u16, ts: u32, pt: u8) -> Vec<u8> {
        let mut p = vec![0x80, pt];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&0xDEAD_BEEF_u32.to_be_bytes());
        p.extend_from_slice(&[0xD5; 160]);
        p
    }

    #[test]
    fn reads_headers_and_refuses_rtcp_and_sip() {
        let h = parse(&packet(7, 160, 8)).unwrap();
        assert_eq!(
            (h.seq, h.timestamp, h.ssrc, h.payload_type, h.payload_offset),
            (7, 160, 0xDEAD_BEEF, 8, 12)
        );
        assert!(
            parse(&[0x80, 0xC8, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]).is_none(),
            "RTCP sender report"
        );
        assert!(parse(b"INVITE sip:x SIP/2.0").is_none());
        for n in 0..20 {
            let _ = parse(&packet(1, 1, 0)[..n]);
        }
        let mut cc = packet(1, 1, 0);
        cc[0] = 0x8F; // 15 CSRCs: longer than the packet
        assert!(parse(&cc[..40]).is_none());
    }

    #[test]
    fn counts_loss_duplicates_and_jitter() {
        let mut s = StreamStats::default();
        // 20 ms packets, one lost (seq 3), one duplicated (seq 5), 2 ms late arrival for seq 4.
        let arrivals = [(1u16, 0i64), (2, 20), (4, 62), (5, 80), (5, 80), (6, 100)];
        for (seq, ms) in arrivals {
            let ts = u32::from(seq) * 160;
            s.add(
                ms * 1_000_000,
                &parse(&packet(seq, ts, 0)).unwrap(),
                172,
                Some(8000),
            );
        }
        assert_eq!(s.packets, 6);
        assert_eq!(s.expected(), 6);
        assert_eq!(
            s.lost(),
            0,
            "one lost and one duplicate cancel out, as in RFC 3550"
        );
        assert_eq!(s.seq_errors, 2);
        assert_eq!(s.max_delta_ns, 42_000_000);
        // seq 4 arrived 2 ms late: |D| = 16 timestamp units, J = 1.0 → 0.125 ms.
        assert!(
            s.max_jitter_ms > 0.12 && s.max_jitter_ms < 0.3,
            "{}",
            s.max_jitter_ms
        );
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut s = StreamStats::default();
        for (i, seq) in [65534u16, 65535, 0, 1].into_iter().enumerate() {
            let t = i64::try_from(i).unwrap();
            s.add(
                t * 20_000_000,
                &parse(&packet(seq, u32::from(seq) * 160, 0)).unwrap(),
                172,
                Some(8000),
            );
        }
        assert_eq!((s.expected(), s.lost(), s.seq_errors), (4, 0, 0));
    }
}
