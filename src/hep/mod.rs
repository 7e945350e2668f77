//! HEP v3, the HOMER Encapsulation Protocol: one captured packet, with its
//! addresses, ports, time and capture agent, in a datagram for a collector
//! (HOMER's heplify-server, sngrep `-L`, sipscope `-L`).
//!
//! A packet is `HEP3`, its total length (u16), then chunks: vendor (u16),
//! type (u16), length with the 6-byte chunk header (u16), value; every
//! number in network byte order. Vendor 0 holds the generic chunks below.
//! Encoding and decoding are pure functions over bytes; [`send`] puts the
//! encoder behind a [`crate::sink::Sink`].
#![warn(clippy::indexing_slicing)]

pub mod listen;
pub mod rtcp_json;
pub mod send;
pub mod url;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The generic chunk types (vendor 0).
pub mod chunk {
    pub const IP_FAMILY: u16 = 0x0001;
    pub const IP_PROTO: u16 = 0x0002;
    pub const IPV4_SRC: u16 = 0x0003;
    pub const IPV4_DST: u16 = 0x0004;
    pub const IPV6_SRC: u16 = 0x0005;
    pub const IPV6_DST: u16 = 0x0006;
    pub const SRC_PORT: u16 = 0x0007;
    pub const DST_PORT: u16 = 0x0008;
    pub const TIME_SECS: u16 = 0x0009;
    pub const TIME_MICROS: u16 = 0x000a;
    pub const PAYLOAD_TYPE: u16 = 0x000b;
    pub const AGENT_ID: u16 = 0x000c;
    pub const KEEP_ALIVE: u16 = 0x000d;
    pub const PASSWORD: u16 = 0x000e;
    pub const PAYLOAD: u16 = 0x000f;
    pub const COMPRESSED_PAYLOAD: u16 = 0x0010;
    pub const CORRELATION_ID: u16 = 0x0011;
}

/// What the payload is (chunk 11).
pub mod payload_type {
    pub const SIP: u8 = 1;
    pub const RTCP: u8 = 5;
}

/// IP protocol numbers (chunk 2).
pub const PROTO_UDP: u8 = 17;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_SCTP: u8 = 132;

/// The largest HEP packet: its length is a u16.
pub const MAX_PACKET: usize = u16::MAX as usize;

/// Everything a HEP packet says about its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HepMeta<'a> {
    /// Capture time, nanoseconds since the epoch (sent as seconds and
    /// microseconds).
    pub ts_ns: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// IP protocol: [`PROTO_UDP`] or [`PROTO_TCP`].
    pub ip_proto: u8,
    /// [`payload_type::SIP`], [`payload_type::RTCP`], ...
    pub payload_type: u8,
    pub agent_id: Option<u32>,
    pub password: Option<&'a str>,
    /// Chunk 17: HOMER ties RTCP and logs to a call by it (the Call-ID).
    pub correlation_id: Option<&'a [u8]>,
}

/// Why a packet could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HepError {
    #[error("the packet would be {0} bytes; HEP holds at most 65535")]
    TooLong(usize),
    #[error("not HEP v3 (no HEP3 magic)")]
    NotHep3,
    #[error("cut short: {0}")]
    Truncated(&'static str),
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// Encodes one packet into `out` (cleared first).
///
/// # Errors
/// When the packet would exceed 65,535 bytes (`out` is then empty).
pub fn encode(meta: &HepMeta<'_>, payload: &[u8], out: &mut Vec<u8>) -> Result<(), HepError> {
    out.clear();
    out.extend_from_slice(b"HEP3\0\0");
    match (meta.src.ip(), meta.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            put(out, chunk::IP_FAMILY, &[2]);
            put(out, chunk::IP_PROTO, &[meta.ip_proto]);
            put(out, chunk::IPV4_SRC, &s.octets());
            put(out, chunk::IPV4_DST, &d.octets());
        }
        (s, d) => {
            // One end on IPv6: both go as IPv6 (IPv4 mapped).
            put(out, chunk::IP_FAMILY, &[10]);
            put(out, chunk::IP_PROTO, &[meta.ip_proto]);
            put(out, chunk::IPV6_SRC, &to_v6(s).octets());
            put(out, chunk::IPV6_DST, &to_v6(d).octets());
        }
    }
    put(out, chunk::SRC_PORT, &meta.src.port().to_be_bytes());
    put(out, chunk::DST_PORT, &meta.dst.port().to_be_bytes());
    let secs = meta.ts_ns.div_euclid(1_000_000_000);
    let micros = meta.ts_ns.rem_euclid(1_000_000_000) / 1_000;
    put(
        out,
        chunk::TIME_SECS,
        &u32::try_from(secs).unwrap_or(0).to_be_bytes(),
    );
    put(
        out,
        chunk::TIME_MICROS,
        &u32::try_from(micros).unwrap_or(0).to_be_bytes(),
    );
    put(out, chunk::PAYLOAD_TYPE, &[meta.payload_type]);
    if let Some(id) = meta.agent_id {
        put(out, chunk::AGENT_ID, &id.to_be_bytes());
    }
    if let Some(p) = meta.password {
        put(out, chunk::PASSWORD, p.as_bytes());
    }
    if let Some(c) = meta.correlation_id {
        put(out, chunk::CORRELATION_ID, c);
    }
    put(out, chunk::PAYLOAD, payload);
    let len = out.len();
    let Ok(total) = u16::try_from(len) else {
        out.clear();
        return Err(HepError::TooLong(len));
    };
    if let Some(l) = out.get_mut(4..6) {
        l.copy_from_slice(&total.to_be_bytes());
    }
    Ok(())
}

/// An address in a packet with the other end on IPv6 (mapped, for IPv4).
fn to_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// Appends one chunk (a value longer than a chunk can hold is cut; the
/// packet's own length check catches it first in practice).
fn put(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = u16::try_from(value.len() + 6).unwrap_or(u16::MAX);
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value.get(..usize::from(len) - 6).unwrap_or(value));
}

/// A decoded packet: its metadata and payload, borrowed from the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hep<'a> {
    pub meta: HepMeta<'a>,
    pub payload: &'a [u8],
    /// Chunks of other vendors, or unknown types, that were skipped.
    pub skipped_chunks: u32,
}

/// Decodes one HEP v3 packet from the start of `bytes`; returns it and its
/// length (a TCP stream carries packets back to back).
///
/// # Errors
/// When the bytes are not a whole, well-formed HEP v3 packet with the
/// addresses, ports and payload a message needs.
pub fn decode(bytes: &[u8]) -> Result<(Hep<'_>, usize), HepError> {
    if bytes.get(..4) != Some(b"HEP3".as_slice()) {
        return Err(HepError::NotHep3);
    }
    let total = usize::from(be16(bytes, 4).ok_or(HepError::Truncated("packet length"))?);
    if total < 6 {
        return Err(HepError::Malformed("a packet length under 6"));
    }
    let packet = bytes
        .get(..total)
        .ok_or(HepError::Truncated("fewer bytes than the packet length"))?;
    let mut d = Decoded::default();
    let mut at = 6;
    while at < total {
        let (Some(vendor), Some(kind), Some(len)) =
            (be16(packet, at), be16(packet, at + 2), be16(packet, at + 4))
        else {
            return Err(HepError::Truncated("a chunk header"));
        };
        let len = usize::from(len);
        if len < 6 {
            return Err(HepError::Malformed("a chunk length under 6"));
        }
        let value = packet
            .get(at + 6..at + len)
            .ok_or(HepError::Truncated("a chunk past the packet"))?;
        at += len;
        if vendor != 0 {
            d.skipped += 1;
            continue;
        }
        d.take(kind, value)?;
    }
    Ok((d.finish()?, total))
}

/// Chunks seen so far.
#[derive(Default)]
struct Decoded<'a> {
    proto: Option<u8>,
    src_ip: Option<IpAddr>,
    dst_ip: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    secs: Option<u32>,
    micros: u32,
    payload_type: Option<u8>,
    agent_id: Option<u32>,
    password: Option<&'a str>,
    correlation_id: Option<&'a [u8]>,
    payload: Option<&'a [u8]>,
    skipped: u32,
}

impl<'a> Decoded<'a> {
    fn take(&mut self, kind: u16, value: &'a [u8]) -> Result<(), HepError> {
        let bad = HepError::Malformed;
        match kind {
            chunk::IP_FAMILY => {}
            chunk::IP_PROTO => self.proto = Some(*value.first().ok_or(bad("empty protocol"))?),
            chunk::IPV4_SRC | chunk::IPV4_DST => {
                let a: [u8; 4] = value.try_into().map_err(|_| bad("an IPv4 address"))?;
                let ip = Some(IpAddr::V4(Ipv4Addr::from(a)));
                if kind == chunk::IPV4_SRC {
                    self.src_ip = ip;
                } else {
                    self.dst_ip = ip;
                }
            }
            chunk::IPV6_SRC | chunk::IPV6_DST => {
                let a: [u8; 16] = value.try_into().map_err(|_| bad("an IPv6 address"))?;
                let ip = Some(IpAddr::V6(Ipv6Addr::from(a)));
                if kind == chunk::IPV6_SRC {
                    self.src_ip = ip;
                } else {
                    self.dst_ip = ip;
                }
            }
            chunk::SRC_PORT => self.src_port = Some(be16(value, 0).ok_or(bad("a port"))?),
            chunk::DST_PORT => self.dst_port = Some(be16(value, 0).ok_or(bad("a port"))?),
            chunk::TIME_SECS => self.secs = Some(be32(value).ok_or(bad("the seconds"))?),
            chunk::TIME_MICROS => self.micros = be32(value).ok_or(bad("the microseconds"))?,
            chunk::PAYLOAD_TYPE => {
                self.payload_type = Some(*value.first().ok_or(bad("empty payload type"))?);
            }
            chunk::AGENT_ID => self.agent_id = Some(be32(value).ok_or(bad("the agent id"))?),
            chunk::PASSWORD => {
                let p = std::str::from_utf8(value).map_err(|_| bad("a password not in UTF-8"))?;
                self.password = Some(p.trim_end_matches('\0'));
            }
            chunk::CORRELATION_ID => self.correlation_id = Some(value),
            chunk::PAYLOAD => self.payload = Some(value),
            chunk::COMPRESSED_PAYLOAD => return Err(bad("a compressed payload (not supported)")),
            _ => self.skipped += 1,
        }
        Ok(())
    }

    fn finish(self) -> Result<Hep<'a>, HepError> {
        let missing = HepError::Malformed;
        let (src_ip, dst_ip) = self
            .src_ip
            .zip(self.dst_ip)
            .ok_or(missing("no addresses"))?;
        if src_ip.is_ipv4() != dst_ip.is_ipv4() {
            return Err(missing("an IPv4 and an IPv6 address"));
        }
        let (src_port, dst_port) = self
            .src_port
            .zip(self.dst_port)
            .ok_or(missing("no ports"))?;
        let secs = self.secs.ok_or(missing("no time"))?;
        let ts_ns = i64::from(secs) * 1_000_000_000 + i64::from(self.micros.min(999_999)) * 1_000;
        Ok(Hep {
            meta: HepMeta {
                ts_ns,
                src: SocketAddr::new(src_ip, src_port),
                dst: SocketAddr::new(dst_ip, dst_port),
                ip_proto: self.proto.unwrap_or(PROTO_UDP),
                payload_type: self.payload_type.unwrap_or(payload_type::SIP),
                agent_id: self.agent_id,
                password: self.password,
                correlation_id: self.correlation_id,
            },
            payload: self.payload.ok_or(missing("no payload"))?,
            skipped_chunks: self.skipped,
        })
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn meta(src: &str, dst: &str) -> HepMeta<'static> {
        HepMeta {
            ts_ns: 1_700_000_000_123_456_789,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ip_proto: PROTO_TCP,
            payload_type: payload_type::SIP,
            agent_id: Some(2001),
            password: Some("secret"),
            correlation_id: None,
        }
    }

    #[test]
    fn ipv4_and_ipv6_packets_decode_to_what_was_encoded() {
        let mut buf = Vec::new();
        for (s, d) in [
            ("10.0.0.1:5060", "10.0.0.2:5070"),
            ("[2001:db8::1]:5060", "[2001:db8::2]:5061"),
        ] {
            let m = meta(s, d);
            encode(&m, b"OPTIONS sip:x SIP/2.0\r\n\r\n", &mut buf).unwrap();
            let (h, len) = decode(&buf).unwrap();
            assert_eq!(len, buf.len());
            assert_eq!(h.payload, b"OPTIONS sip:x SIP/2.0\r\n\r\n");
            // Microseconds: the nanoseconds below are not sent.
            assert_eq!(h.meta.ts_ns, 1_700_000_000_123_456_000);
            assert_eq!(
                HepMeta {
                    ts_ns: m.ts_ns,
                    ..h.meta
                },
                m
            );
        }
    }

    #[test]
    fn truncated_and_hostile_packets_are_errors_never_panics() {
        let mut buf = Vec::new();
        encode(&meta("10.0.0.1:1", "10.0.0.2:2"), b"x", &mut buf).unwrap();
        for cut in 0..buf.len() {
            assert!(decode(buf.get(..cut).unwrap()).is_err(), "cut at {cut}");
        }
        // A chunk that claims more than the packet holds.
        let mut bad = buf.clone();
        bad[10..12].copy_from_slice(&0xfff0u16.to_be_bytes());
        assert!(decode(&bad).is_err());
        // A zero-length chunk.
        let mut zero = buf.clone();
        zero[10..12].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(
            decode(&zero).unwrap_err(),
            HepError::Malformed("a chunk length under 6")
        );
        assert_eq!(decode(b"HEP2....").unwrap_err(), HepError::NotHep3);
    }

    #[test]
    fn a_payload_too_large_for_hep_is_refused() {
        let mut buf = Vec::new();
        let big = vec![b'x'; 70_000];
        assert!(matches!(
            encode(&meta("10.0.0.1:1", "10.0.0.2:2"), &big, &mut buf),
            Err(HepError::TooLong(_))
        ));
        assert!(buf.is_empty());
    }
}
