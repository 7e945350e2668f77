//! An RTCP report as HOMER's collectors read it from a HEP packet of
//! payload type 5: a JSON object with the field names heplify writes
//! (`sender_information`, `ssrc`, `type`, `report_count`, `report_blocks`,
//! `report_blocks_xr`, `sdes_ssrc`), so heplify-server's RTCP statistics
//! work on what sipscope sends.

use serde::Serialize;

use crate::rtp::rtcp::Rtcp;

#[derive(Serialize, Default)]
struct SenderInformation {
    ntp_timestamp_sec: u32,
    ntp_timestamp_usec: u32,
    rtp_timestamp: u32,
    packets: u32,
    octets: u32,
}

#[derive(Serialize)]
struct Block {
    source_ssrc: u32,
    fraction_lost: u8,
    /// The 24-bit field as sent (heplify reads it unsigned).
    packets_lost: u32,
    highest_seq_no: u32,
    ia_jitter: u32,
    lsr: u32,
    dlsr: u32,
}

/// Extended reports (type 207) are not read: the object is there, empty,
/// as collectors expect it.
#[derive(Serialize, Default)]
struct BlockXr {
    #[serde(rename = "type")]
    kind: u8,
    id: u32,
    fraction_lost: u8,
    fraction_discard: u8,
    burst_density: u8,
    gap_density: u8,
    burst_duration: u16,
    gap_duration: u16,
    round_trip_delay: u16,
    end_system_delay: u16,
}

#[derive(Serialize)]
struct RtcpJson {
    sender_information: SenderInformation,
    ssrc: u32,
    #[serde(rename = "type")]
    kind: u8,
    report_count: u8,
    report_blocks: Vec<Block>,
    report_blocks_xr: BlockXr,
    sdes_ssrc: u32,
}

/// The JSON payload of one compound RTCP packet: its first sender or
/// receiver report (the type is 200 or 201; a lone BYE is 203), its sender
/// info when it is a sender report (zeros otherwise), its report blocks.
#[must_use]
pub fn report(r: &Rtcp) -> Vec<u8> {
    let kind = r
        .types
        .iter()
        .copied()
        .find(|t| matches!(t, 200 | 201))
        .or_else(|| r.types.first().copied())
        .unwrap_or(0);
    let report = RtcpJson {
        sender_information: r
            .sender
            .map(|s| SenderInformation {
                ntp_timestamp_sec: s.ntp_msw,
                ntp_timestamp_usec: s.ntp_lsw,
                rtp_timestamp: s.rtp_timestamp,
                packets: s.packets,
                octets: s.octets,
            })
            .unwrap_or_default(),
        ssrc: r.sender_ssrc,
        kind,
        report_count: r.report_count,
        report_blocks: r
            .blocks
            .iter()
            .map(|b| Block {
                source_ssrc: b.ssrc,
                fraction_lost: b.fraction_lost,
                packets_lost: u32::from_be_bytes(b.cumulative_lost.to_be_bytes()) & 0x00FF_FFFF,
                highest_seq_no: b.highest_seq,
                ia_jitter: b.jitter,
                lsr: b.lsr,
                dlsr: b.dlsr,
            })
            .collect(),
        report_blocks_xr: BlockXr::default(),
        sdes_ssrc: r.sdes_ssrc.unwrap_or(0),
    };
    serde_json::to_vec(&report).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A sender report with one block and an SDES, built by hand (RFC 3550
    /// 6.4.1 layout), read back as the JSON HOMER reads.
    #[test]
    fn a_sender_report_is_written_with_heplify_s_names() {
        let mut p = vec![0x81, 200, 0, 12];
        for w in [
            0x1111_1111_u32,
            0xE000_0001,
            0x8000_0000,
            160_000,
            50,
            8000,
            0x2222_2222,
            (3 << 24) | 0x00FF_FFFE, // fraction 3/256, cumulative -2
            70_000,
            12,
            0x1234_5678,
            0x0001_0000,
        ] {
            p.extend_from_slice(&w.to_be_bytes());
        }
        p.extend_from_slice(&[0x81, 202, 0, 2]);
        p.extend_from_slice(&0x1111_1111_u32.to_be_bytes());
        p.extend_from_slice(&[1, 1, b'a', 0]);
        let r = crate::rtp::rtcp::parse(&p).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&report(&r)).unwrap();
        assert_eq!(v["type"], 200);
        assert_eq!(v["ssrc"], 0x1111_1111_u32);
        assert_eq!(v["report_count"], 1);
        assert_eq!(v["sdes_ssrc"], 0x1111_1111_u32);
        let si = &v["sender_information"];
        assert_eq!(si["ntp_timestamp_sec"], 0xE000_0001_u32);
        assert_eq!(si["ntp_timestamp_usec"], 0x8000_0000_u32);
        assert_eq!(si["rtp_timestamp"], 160_000);
        assert_eq!(si["packets"], 50);
        assert_eq!(si["octets"], 8000);
        let b = &v["report_blocks"][0];
        assert_eq!(b["source_ssrc"], 0x2222_2222_u32);
        assert_eq!(b["fraction_lost"], 3);
        assert_eq!(b["packets_lost"], 0x00FF_FFFE);
        assert_eq!(b["highest_seq_no"], 70_000);
        assert_eq!(b["ia_jitter"], 12);
        assert_eq!(b["lsr"], 0x1234_5678);
        assert_eq!(b["dlsr"], 0x0001_0000);
        assert_eq!(v["report_blocks_xr"]["type"], 0);
    }
}
