//! UDPTL, the transport of T.38 fax (ITU-T T.38 annex, aligned PER): a
//! 16-bit sequence number, the primary IFP packet (a length and its bytes),
//! then either the previous packets again (redundancy) or FEC data. Only
//! read where an SDP said `m=image ... udptl t38`: the pipeline decides
//! that, this reads the bytes. Pure: no I/O, no clock.
#![warn(clippy::indexing_slicing)]

/// One UDPTL packet as the capture thread hands it to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdptlPacket {
    pub ts_ns: i64,
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    /// The sequence number; `None` when the payload is no UDPTL packet
    /// (too short, or its lengths do not add up): counted as malformed.
    pub seq: Option<u16>,
    /// UDP payload length.
    pub len: u32,
}

/// What a UDPTL packet holds besides its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udptl {
    pub seq: u16,
    /// Length of the primary IFP packet.
    pub primary_len: usize,
    /// Earlier IFP packets sent again (`None` when FEC is used instead).
    pub secondary: Option<usize>,
}

/// A PER length determinant at `b[*at]`: one byte below 128, two (`10`
/// then 14 bits) below 16384. Fragmented lengths (`11`) are not read.
fn length(b: &[u8], at: &mut usize) -> Option<usize> {
    let first = *b.get(*at)?;
    *at += 1;
    match first >> 6 {
        0 | 1 => Some(usize::from(first)),
        2 => {
            let second = *b.get(*at)?;
            *at += 1;
            Some((usize::from(first & 0x3F) << 8) | usize::from(second))
        }
        _ => None,
    }
}

/// A length determinant and that many bytes; returns the length.
fn octets(b: &[u8], at: &mut usize) -> Option<usize> {
    let n = length(b, at)?;
    let end = at.checked_add(n)?;
    if end > b.len() {
        return None;
    }
    *at = end;
    Some(n)
}

/// Reads a UDPTL packet. `None` unless every length fits and the packet
/// ends exactly where the datagram does (so RTP sent to the same port
/// while the re-INVITE to fax is pending is not taken for fax).
#[must_use]
pub fn parse(b: &[u8]) -> Option<Udptl> {
    let seq = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
    let mut at = 2;
    let primary_len = octets(b, &mut at)?;
    if primary_len == 0 {
        return None;
    }
    // error-recovery: a CHOICE, its bit then padding to the octet.
    let choice = *b.get(at)?;
    at += 1;
    let secondary = match choice {
        0x00 => {
            let n = length(b, &mut at)?;
            for _ in 0..n {
                octets(b, &mut at)?;
            }
            Some(n)
        }
        0x80 => {
            // fec-npackets (an unconstrained integer: length and bytes),
            // then a sequence of FEC octet strings.
            octets(b, &mut at)?;
            let n = length(b, &mut at)?;
            for _ in 0..n {
                octets(b, &mut at)?;
            }
            None
        }
        _ => return None,
    };
    (at == b.len()).then_some(Udptl {
        seq,
        primary_len,
        secondary,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A packet with `ifp` as primary and `redundant` earlier ones.
    fn packet(seq: u16, ifp: &[u8], redundant: &[&[u8]]) -> Vec<u8> {
        let mut p = seq.to_be_bytes().to_vec();
        p.push(u8::try_from(ifp.len()).unwrap());
        p.extend_from_slice(ifp);
        p.push(0x00);
        p.push(u8::try_from(redundant.len()).unwrap());
        for r in redundant {
            p.push(u8::try_from(r.len()).unwrap());
            p.extend_from_slice(r);
        }
        p
    }

    #[test]
    fn reads_primary_and_redundancy() {
        let p = packet(513, &[0x06, 0x0C], &[&[0x06, 0x0A], &[0x00, 0x80]]);
        assert_eq!(
            parse(&p),
            Some(Udptl {
                seq: 513,
                primary_len: 2,
                secondary: Some(2)
            })
        );
        // FEC instead of redundancy: npackets 3, one FEC string of 2 bytes.
        let fec = [0, 7, 1, 0x06, 0x80, 1, 3, 1, 2, 0xAA, 0xBB];
        assert_eq!(parse(&fec).map(|u| (u.seq, u.secondary)), Some((7, None)));
    }

    #[test]
    fn refuses_what_does_not_add_up() {
        let p = packet(1, &[0x06, 0x0C], &[&[0x06]]);
        for n in 0..p.len() {
            assert!(parse(&p[..n]).is_none(), "cut at {n}");
        }
        let mut longer = p.clone();
        longer.push(0);
        assert!(parse(&longer).is_none(), "trailing byte");
        // An RTP packet (PCMA, 160 bytes of payload) is not UDPTL.
        let mut rtp = vec![0x80, 0x08, 0x12, 0x34, 0, 0, 0, 160, 1, 2, 3, 4];
        rtp.extend_from_slice(&[0xD5; 160]);
        assert!(parse(&rtp).is_none());
        assert!(parse(&[0, 1, 0, 0, 0]).is_none(), "empty primary");
    }
}
