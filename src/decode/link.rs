//! Link layers: from a captured frame to the IP packet inside it.
//!
//! etherparse does not read Linux SLL on loopback, SLL2 or BSD loopback
//! (`DLT_NULL`), so every link header is stripped here by hand; the IP packet
//! is then handed to etherparse (see `ip.rs`).
#![warn(clippy::indexing_slicing)]

/// Link-layer header types (tcpdump.org `LINKTYPE_*` values).
pub mod linktype {
    pub const NULL: u16 = 0;
    pub const ETHERNET: u16 = 1;
    pub const RAW: u16 = 101;
    pub const RAW_OPENBSD: u16 = 12;
    pub const RAW_BSDOS: u16 = 14;
    pub const LOOP: u16 = 108;
    pub const LINUX_SLL: u16 = 113;
    pub const IPV4: u16 = 228;
    pub const IPV6: u16 = 229;
    pub const LINUX_SLL2: u16 = 276;
}

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88A8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_ERSPAN2: u16 = 0x88BE;
const ETHERTYPE_ERSPAN3: u16 = 0x22EB;

/// Is `linktype` one this decoder reads?
#[must_use]
pub fn is_supported(linktype: u16) -> bool {
    use linktype::{
        ETHERNET, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, LOOP, NULL, RAW, RAW_BSDOS, RAW_OPENBSD,
    };
    matches!(
        linktype,
        NULL | ETHERNET
            | RAW
            | RAW_OPENBSD
            | RAW_BSDOS
            | LOOP
            | LINUX_SLL
            | IPV4
            | IPV6
            | LINUX_SLL2
    )
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The IP packet in a frame, or `None` when the frame carries something else.
#[must_use]
pub fn ip_payload(linktype: u16, frame: &[u8]) -> Option<&[u8]> {
    match linktype {
        linktype::ETHERNET => ethernet(frame),
        linktype::RAW
        | linktype::RAW_OPENBSD
        | linktype::RAW_BSDOS
        | linktype::IPV4
        | linktype::IPV6 => raw_ip(frame),
        linktype::NULL | linktype::LOOP => {
            // A 4-byte address family, host order (NULL) or network order
            // (LOOP); the writer's byte order is unknown, so accept both.
            let fam: [u8; 4] = frame.get(..4)?.try_into().ok()?;
            let le = u32::from_le_bytes(fam);
            let be = u32::from_be_bytes(fam);
            let known = |f: u32| matches!(f, 2 | 10 | 24 | 28 | 30);
            if known(le) || known(be) {
                raw_ip(frame.get(4..)?)
            } else {
                None
            }
        }
        linktype::LINUX_SLL => by_ethertype(be16(frame, 14)?, frame.get(16..)?),
        linktype::LINUX_SLL2 => by_ethertype(be16(frame, 0)?, frame.get(20..)?),
        _ => None,
    }
}

/// An IP packet with no link header: the version nibble says which.
fn raw_ip(b: &[u8]) -> Option<&[u8]> {
    match b.first()? >> 4 {
        4 | 6 => Some(b),
        _ => None,
    }
}

/// Ethernet II with any number of 802.1Q / 802.1ad tags.
pub(crate) fn ethernet(frame: &[u8]) -> Option<&[u8]> {
    let mut ethertype = be16(frame, 12)?;
    let mut at = 14;
    // Bounded: a frame cannot hold more tags than its length allows.
    while matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    ) {
        ethertype = be16(frame, at + 2)?;
        at += 4;
    }
    by_ethertype(ethertype, frame.get(at..)?)
}

fn by_ethertype(ethertype: u16, payload: &[u8]) -> Option<&[u8]> {
    match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => raw_ip(payload),
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
            by_ethertype(be16(payload, 2)?, payload.get(4..)?)
        }
        // PPPoE session (DSL uplinks): 6-byte header, then the PPP protocol.
        ETHERTYPE_PPPOE_SESSION => match be16(payload, 6)? {
            0x0021 | 0x0057 => raw_ip(payload.get(8..)?),
            _ => None,
        },
        _ => None,
    }
}

/// What a GRE packet carries (RFC 2784/2890), including ERSPAN mirroring.
#[must_use]
pub fn gre_payload(gre: &[u8]) -> Option<&[u8]> {
    let flags = be16(gre, 0)?;
    let proto = be16(gre, 2)?;
    let mut at = 4;
    if flags & 0x8000 != 0 {
        at += 4; // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        at += 4; // key
    }
    if flags & 0x1000 != 0 {
        at += 4; // sequence number
    }
    let inner = gre.get(at..)?;
    match proto {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => raw_ip(inner),
        ETHERTYPE_TEB => ethernet(inner),
        // ERSPAN type I has no header when the GRE sequence bit is clear.
        ETHERTYPE_ERSPAN2 if flags & 0x1000 == 0 => ethernet(inner),
        ETHERTYPE_ERSPAN2 => ethernet(inner.get(8..)?),
        ETHERTYPE_ERSPAN3 => {
            // 12-byte header; the O bit (last bit of byte 11) adds 8 more.
            let o_bit = inner.get(11)? & 0x01 != 0;
            ethernet(inner.get(if o_bit { 20 } else { 12 }..)?)
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const IP: [u8; 4] = [0x45, 0, 0, 20];

    #[test]
    fn strips_vlan_and_qinq_tags() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xA8, 0, 200, 0x81, 0x00, 0, 100, 0x08, 0x00]);
        f.extend_from_slice(&IP);
        assert_eq!(ip_payload(linktype::ETHERNET, &f), Some(&IP[..]));
    }

    #[test]
    fn strips_pppoe() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0x64, 0x11, 0, 0x18, 0xe5, 0, 0x21, 0x00, 0x21]);
        f.extend_from_slice(&IP);
        assert_eq!(ip_payload(linktype::ETHERNET, &f), Some(&IP[..]));
    }

    #[test]
    fn strips_sll_sll2_and_null() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&IP);
        assert_eq!(ip_payload(linktype::LINUX_SLL, &sll), Some(&IP[..]));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&IP);
        assert_eq!(ip_payload(linktype::LINUX_SLL2, &sll2), Some(&IP[..]));
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&IP);
        assert_eq!(ip_payload(linktype::NULL, &null), Some(&IP[..]));
    }

    #[test]
    fn short_or_foreign_frames_are_none() {
        for n in 0..20 {
            let f = vec![0x81u8; n];
            let _ = ip_payload(linktype::ETHERNET, &f);
            let _ = ip_payload(linktype::LINUX_SLL, &f);
            let _ = gre_payload(&f);
        }
        let arp = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 0, 1];
        assert_eq!(ip_payload(linktype::ETHERNET, &arp), None);
        assert_eq!(ip_payload(999, &IP), None);
    }
}
