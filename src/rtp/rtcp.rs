//! RTCP (RFC 3550 section 6): compound packets, their types, and the report
//! blocks of sender and receiver reports (loss, jitter, the timestamps for
//! round-trip time).
#![warn(clippy::indexing_slicing)]

use smallvec::SmallVec;

/// One report block: what a receiver says of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The SSRC of the stream reported on.
    pub ssrc: u32,
    /// Fraction lost since the last report, out of 256.
    pub fraction_lost: u8,
    /// Packets lost since the start (24-bit signed).
    pub cumulative_lost: i32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// The extended highest sequence number received.
    pub highest_seq: u32,
    /// Middle 32 bits of the last sender report's NTP time, and the delay
    /// since it (1/65536 s): together with the arrival time, the RTT.
    pub lsr: u32,
    pub dlsr: u32,
}

/// What a sender report says of its own sending (RFC 3550 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// The NTP timestamp, its two words.
    pub ntp_msw: u32,
    pub ntp_lsw: u32,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
}

/// A compound RTCP packet, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// The packet types in it (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP...).
    pub types: SmallVec<[u8; 4]>,
    /// The sender's SSRC (of the first SR or RR).
    pub sender_ssrc: u32,
    /// The first sender report's sender info.
    pub sender: Option<SenderInfo>,
    /// The report count of the first SR or RR (its report blocks).
    pub report_count: u8,
    /// The SSRC of the first SDES chunk, when there is one.
    pub sdes_ssrc: Option<u32>,
    pub blocks: SmallVec<[ReportBlock; 2]>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Reads a compound RTCP packet. It must start with a sender or receiver
/// report, as RFC 3550 6.1 requires, or be a lone BYE (stacks send those, and
/// Wireshark counts them); every part's length must fit the datagram exactly.
#[must_use]
pub fn parse(b: &[u8]) -> Option<Rtcp> {
    let first_type = *b.get(1)?;
    if b.first()? >> 6 != 2 || !matches!(first_type, 200 | 201 | 203) {
        return None;
    }
    let mut out = Rtcp {
        types: SmallVec::new(),
        sender_ssrc: be32(b, 4)?,
        sender: None,
        report_count: 0,
        sdes_ssrc: None,
        blocks: SmallVec::new(),
    };
    let mut at = 0usize;
    while at < b.len() {
        let head = *b.get(at)?;
        if head >> 6 != 2 {
            return None;
        }
        let count = usize::from(head & 0x1F);
        let pt = *b.get(at + 1)?;
        let words = usize::from(u16::from_be_bytes([*b.get(at + 2)?, *b.get(at + 3)?]));
        let len = (words + 1) * 4;
        let part = b.get(at..at + len)?;
        if !(192..=223).contains(&pt) || out.types.len() >= 32 {
            return None;
        }
        let first_report = !out.types.iter().any(|t| matches!(t, 200 | 201));
        out.types.push(pt);
        if first_report && matches!(pt, 200 | 201) {
            out.report_count = head & 0x1F;
        }
        if pt == 200 && out.sender.is_none() {
            // A sender report too short for its sender info has none.
            out.sender = (|| {
                Some(SenderInfo {
                    ntp_msw: be32(part, 8)?,
                    ntp_lsw: be32(part, 12)?,
                    rtp_timestamp: be32(part, 16)?,
                    packets: be32(part, 20)?,
                    octets: be32(part, 24)?,
                })
            })();
        }
        if pt == 202 && count > 0 && out.sdes_ssrc.is_none() {
            out.sdes_ssrc = be32(part, 4);
        }
        // Report blocks start after the sender info (SR) or right away (RR).
        let blocks_at = match pt {
            200 => Some(28),
            201 => Some(8),
            _ => None,
        };
        if let Some(start) = blocks_at {
            for k in 0..count {
                let o = start + k * 24;
                let Some(ssrc) = be32(part, o) else { break };
                let lost = be32(part, o + 4)?;
                // 24-bit two's complement.
                let cumulative = i32::try_from(lost & 0x00FF_FFFF).unwrap_or(0);
                let cumulative_lost = if cumulative & 0x0080_0000 != 0 {
                    cumulative - 0x0100_0000
                } else {
                    cumulative
                };
                if out.blocks.len() < 31 {
                    out.blocks.push(ReportBlock {
                        ssrc,
                        fraction_lost: u8::try_from(lost >> 24).unwrap_or(0),
                        cumulative_lost,
                        highest_seq: be32(part, o + 8)?,
                        jitter: be32(part, o + 12)?,
                        lsr: be32(part, o + 16)?,
                        dlsr: be32(part, o + 20)?,
                    });
                }
            }
        }
        at += len;
    }
    Some(out)
}

/// Round-trip time in ms from a report block that arrived at `arrival_ns`
/// (Unix time), by RFC 3550 6.4.1: arrival - LSR - DLSR, in NTP short format.
#[must_use]
pub fn rtt_ms(block: &ReportBlock, arrival_ns: i64) -> Option<f64> {
    if block.lsr == 0 {
        return None;
    }
    let ntp_secs = arrival_ns.div_euclid(1_000_000_000) + 2_208_988_800;
    // The fraction of a second in 1/65536 units, in integers.
    let frac = arrival_ns.rem_euclid(1_000_000_000) * 65536 / 1_000_000_000;
    let arrival = u32::try_from(((ntp_secs & 0xFFFF) << 16) | (frac & 0xFFFF)).ok()?;
    let rtt = arrival.wrapping_sub(block.lsr).wrapping_sub(block.dlsr);
    // More than a minute is a clock mismatch, not a round trip.
    (rtt < 60 * 65536).then(|| f64::from(rtt) * 1000.0 / 65536.0)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn rr(ssrc: u32, lost_frac: u8, cum: u32) -> Vec<u8> {
        let mut p = vec![0x81, 201, 0, 7];
        p.extend_from_slice(&0x1111_1111_u32.to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&((u32::from(lost_frac) << 24) | cum).to_be_bytes());
        p.extend_from_slice(&100u32.to_be_bytes());
        p.extend_from_slice(&160u32.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes());
        p
    }

    #[test]
    fn reads_a_compound_receiver_report() {
        let mut p = rr(0xDEAD_BEEF, 64, 0x00FF_FFFE);
        p.extend_from_slice(&[0x81, 202, 0, 1, 0, 0, 0, 1]); // SDES, one word after the header
        let r = parse(&p).unwrap();
        assert_eq!(r.types.as_slice(), [201, 202]);
        assert_eq!(r.sender_ssrc, 0x1111_1111);
        let b = r.blocks[0];
        assert_eq!(
            (b.ssrc, b.fraction_lost, b.cumulative_lost, b.jitter),
            (0xDEAD_BEEF, 64, -2, 160)
        );
    }

    #[test]
    fn refuses_what_is_not_rtcp() {
        assert!(parse(&[0x80, 0x08, 0, 1, 0, 0, 0, 0]).is_none(), "RTP PCMA");
        let mut p = rr(1, 0, 0);
        p.push(0); // a length that does not fit
        assert!(parse(&p).is_none());
        for n in 0..p.len() {
            let _ = parse(&p[..n]);
        }
    }

    /// Cut anywhere or with its length word lying, a sender report never
    /// panics; one too short for its sender info has none (and is still
    /// read, as before the sender info was kept).
    #[test]
    fn a_short_or_cut_sender_report_is_read_without_its_sender_info() {
        let mut sr = vec![0x80, 200, 0, 6];
        for w in [0x1111_1111_u32, 1, 2, 3, 4, 5] {
            sr.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(parse(&sr).unwrap().sender.unwrap().octets, 5);
        for cut in 0..sr.len() {
            let _ = parse(&sr[..cut]);
        }
        for words in 0..=u8::MAX {
            let mut lying = sr.clone();
            lying[3] = words;
            let _ = parse(&lying);
        }
        let short = [0x80, 200, 0, 1, 0x11, 0x11, 0x11, 0x11];
        let r = parse(&short).unwrap();
        assert_eq!(r.sender, None);
        assert_eq!(r.sender_ssrc, 0x1111_1111);
    }
}
