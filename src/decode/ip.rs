//! IPv4/IPv6 (via etherparse's lax slicer, which keeps what a snap length
//! left), IP-in-IP and GRE tunnels, and the UDP and TCP headers.
#![warn(clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpNumber, LaxIpSlice, TcpSlice, UdpSlice};

use super::link;

/// Tunnels nest; real captures have one or two levels.
const MAX_TUNNEL_DEPTH: usize = 4;

/// The fragment an IP packet carries, when it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    pub id: u32,
    /// Byte offset of this fragment's payload in the datagram.
    pub offset: u32,
    pub more: bool,
}

/// An IP packet's transport-layer content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub fragment: Option<Fragment>,
    /// The IP payload (after extension headers), as captured.
    pub payload: &'a [u8],
}

/// Reads an IP packet, following IP-in-IP and GRE to the innermost one.
#[must_use]
pub fn parse(mut packet: &[u8]) -> Option<IpPacket<'_>> {
    for _ in 0..MAX_TUNNEL_DEPTH {
        let ip = one(packet)?;
        if ip.fragment.is_some() {
            return Some(ip);
        }
        match ip.proto {
            4 | 41 => packet = ip.payload,
            47 => packet = link::gre_payload(ip.payload)?,
            _ => return Some(ip),
        }
    }
    None
}

/// The usual IPv4 packet, read here: a 20-byte header, not a fragment,
/// its total length that of the packet. Anything else (options, fragments,
/// a snap length, Ethernet padding, IPv6) is left to etherparse, which
/// reads these the same way.
fn plain_v4(packet: &[u8]) -> Option<IpPacket<'_>> {
    let h: &[u8; 20] = packet.get(..20)?.try_into().ok()?;
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let flags_offset = u16::from_be_bytes([h[6], h[7]]);
    if h[0] != 0x45 || total != packet.len() || flags_offset & 0xbfff != 0 {
        return None;
    }
    Some(IpPacket {
        src: IpAddr::from([h[12], h[13], h[14], h[15]]),
        dst: IpAddr::from([h[16], h[17], h[18], h[19]]),
        proto: h[9],
        fragment: None,
        payload: packet.get(20..)?,
    })
}

fn one(packet: &[u8]) -> Option<IpPacket<'_>> {
    plain_v4(packet).or_else(|| lax(packet))
}

/// Any IP packet, by etherparse's lax slicer.
fn lax(packet: &[u8]) -> Option<IpPacket<'_>> {
    let (slice, _ext_err) = LaxIpSlice::from_slice(packet).ok()?;
    let payload = slice.payload();
    let mut fragment = None;
    match &slice {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            if h.more_fragments() || h.fragments_offset().value() != 0 {
                fragment = Some(Fragment {
                    id: u32::from(h.identification()),
                    offset: u32::from(h.fragments_offset().value()) * 8,
                    more: h.more_fragments(),
                });
            }
        }
        // Not etherparse's extension iterator: on a chain cut short it reads
        // past the packet (found by fuzzing, etherparse 0.21.0).
        LaxIpSlice::Ipv6(_) => fragment = ipv6_fragment(packet),
    }
    Some(IpPacket {
        src: slice.source_addr(),
        dst: slice.destination_addr(),
        proto: payload.ip_number.0,
        fragment,
        payload: payload.payload,
    })
}

/// Walks an IPv6 extension-header chain, bounds-checked, to its fragment
/// header, if any.
fn ipv6_fragment(packet: &[u8]) -> Option<Fragment> {
    let mut next = *packet.get(6)?;
    let mut at = 40usize;
    for _ in 0..16 {
        match next {
            // Hop-by-hop, routing, destination options: (len + 1) * 8 bytes.
            0 | 43 | 60 => {
                let len = (usize::from(*packet.get(at + 1)?) + 1) * 8;
                next = *packet.get(at)?;
                at += len;
            }
            // Authentication header: (len + 2) * 4 bytes.
            51 => {
                let len = (usize::from(*packet.get(at + 1)?) + 2) * 4;
                next = *packet.get(at)?;
                at += len;
            }
            44 => {
                let h = packet.get(at..at + 8)?;
                let off_flags = u16::from_be_bytes([*h.get(2)?, *h.get(3)?]);
                let id = u32::from_be_bytes([*h.get(4)?, *h.get(5)?, *h.get(6)?, *h.get(7)?]);
                let offset = u32::from(off_flags >> 3) * 8;
                let more = off_flags & 1 == 1;
                // An atomic fragment (offset 0, no more) is a whole datagram.
                return (offset != 0 || more).then_some(Fragment { id, offset, more });
            }
            _ => return None,
        }
    }
    None
}

pub const UDP: u8 = IpNumber::UDP.0;
pub const TCP: u8 = IpNumber::TCP.0;
pub const SCTP: u8 = 132;

/// One SCTP DATA chunk: whether it is a whole user message (both the
/// beginning and the end flag), and its user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpData<'a> {
    pub whole: bool,
    pub data: &'a [u8],
}

/// An SCTP packet's endpoints and its DATA chunks (RFC 9260 3.3.1); other
/// chunks (INIT, SACK, HEARTBEAT...) are skipped. `None` when the common
/// header is cut short.
#[must_use]
pub fn sctp(
    src: IpAddr,
    dst: IpAddr,
    l4: &[u8],
) -> Option<(SocketAddr, SocketAddr, Vec<SctpData<'_>>)> {
    let port = |at: usize| Some(u16::from_be_bytes([*l4.get(at)?, *l4.get(at + 1)?]));
    let (sport, dport) = (port(0)?, port(2)?);
    let mut chunks = Vec::new();
    let mut at = 12;
    while let (Some(&kind), Some(&flags), Some(len)) = (l4.get(at), l4.get(at + 1), port(at + 2)) {
        let len = usize::from(len);
        if len < 4 {
            break;
        }
        // A chunk cut short by the snap length keeps what was captured.
        let chunk = l4
            .get(at..at + len)
            .unwrap_or_else(|| l4.get(at..).unwrap_or_default());
        if kind == 0 && chunk.len() >= 16 {
            chunks.push(SctpData {
                whole: flags & 0x03 == 0x03,
                data: chunk.get(16..).unwrap_or_default(),
            });
        }
        // Chunks are padded to four bytes.
        at += len.div_ceil(4) * 4;
    }
    Some((
        SocketAddr::new(src, sport),
        SocketAddr::new(dst, dport),
        chunks,
    ))
}

/// A UDP datagram's endpoints and payload (cut short by a snap length, if so).
#[must_use]
pub fn udp(src: IpAddr, dst: IpAddr, l4: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let u = UdpSlice::from_slice_lax(l4).ok()?;
    Some((
        SocketAddr::new(src, u.source_port()),
        SocketAddr::new(dst, u.destination_port()),
        u.payload(),
    ))
}

/// The parts of a TCP segment that stream reassembly needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

#[must_use]
pub fn tcp(src: IpAddr, dst: IpAddr, l4: &[u8]) -> Option<TcpHeader<'_>> {
    let t = TcpSlice::from_slice(l4).ok()?;
    Some(TcpHeader {
        src: SocketAddr::new(src, t.source_port()),
        dst: SocketAddr::new(dst, t.destination_port()),
        seq: t.sequence_number(),
        syn: t.syn(),
        fin: t.fin(),
        rst: t.rst(),
        payload: t.payload(),
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = u16::try_from(20 + payload.len()).unwrap();
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn the_usual_ipv4_header_reads_as_etherparse_reads_it() {
        let base = ipv4(
            17,
            &[0x13, 0xc4, 0x13, 0xc4, 0, 12, 0, 0, b'x', b'y', b'z', 0],
        );
        let mut cases = vec![base.clone()];
        // Every header byte changed, the packet cut or padded.
        for i in 0..20 {
            for v in [0x00, 0x01, 0x05, 0x0f, 0x20, 0x40, 0x45, 0x46, 0x80, 0xff] {
                let mut p = base.clone();
                p[i] = v;
                cases.push(p);
            }
        }
        for n in 0..base.len() {
            cases.push(base[..n].to_vec());
        }
        let mut padded = base.clone();
        padded.extend_from_slice(&[0; 6]);
        cases.push(padded);
        let mut plain = 0;
        for p in &cases {
            if plain_v4(p).is_some() {
                plain += 1;
            }
            assert_eq!(one(p), lax(p), "{p:?}");
        }
        assert!(plain > 100, "the fast path was taken {plain} times");
    }

    #[test]
    fn follows_ip_in_ip_and_gre() {
        let datagram = [0x13, 0xc4, 0x13, 0xc4, 0, 9, 0, 0, b'x'];
        let inner = ipv4(17, &datagram);
        let ipip = ipv4(4, &inner);
        let p = parse(&ipip).unwrap();
        assert_eq!(p.proto, UDP);
        let (s, d, data) = udp(p.src, p.dst, p.payload).unwrap();
        assert_eq!((s.port(), d.port(), data), (5060, 5060, &b"x"[..]));
        let mut gre = vec![0, 0, 0x08, 0x00];
        gre.extend_from_slice(&inner);
        let outer = ipv4(47, &gre);
        assert_eq!(parse(&outer).unwrap().proto, UDP);
    }

    #[test]
    fn garbage_is_none_and_never_panics() {
        assert!(parse(&[]).is_none());
        assert!(parse(&[0x45, 0, 0]).is_none());
        let full = ipv4(17, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for n in 0..full.len() {
            let _ = parse(&full[..n]);
        }
    }
}
