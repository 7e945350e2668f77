//! Announcements held back until media comes.
//!
//! Who announced which media address (`owners.rs`) is read only to find the
//! dialogs of a media packet; until the first one (RTP, RTCP or fax) comes
//! nothing reads it, and a capture of signalling alone (a `port 5060`
//! filter, the 200,000-call benchmark) never has one. So until then the
//! announcements are only written down, in the order they came, 16 bytes
//! each, and applied in that order when the first media packet comes:
//! the table is then what it would have been. Held back, they cost no
//! memory beyond their own (the table, its index and its port array are
//! not made) and none of the table's random reads.
//!
//! Bounded: past [`MAX_DEFERRED`] (8 MiB, about what the full table holds)
//! they are applied, and the next ones are held back again.

use std::net::{IpAddr, SocketAddr};

use super::super::dialog::DialogId;

/// What the announcements held back may take before they are applied, in
/// 16-byte units (an IPv4 one takes one, an IPv6 one three): 8 MiB.
pub(super) const MAX_DEFERRED: usize = 1 << 19;

/// The bit of an entry's second word that marks an IPv4 address in place
/// (else the word is an index into the IPv6 addresses).
const V4: u64 = 1 << 63;

/// Announcements not applied yet, in the order they came.
#[derive(Debug, Default)]
pub(super) struct Deferred {
    /// The dialog, and its address: an IPv4 address and port in place
    /// (`V4 | ip << 16 | port`), else the index of an IPv6 one.
    entries: Vec<[u64; 2]>,
    v6: Vec<SocketAddr>,
}

impl Deferred {
    /// What they take, in 16-byte units (see [`MAX_DEFERRED`]).
    pub(super) fn len(&self) -> usize {
        self.entries.len() + 2 * self.v6.len()
    }

    pub(super) fn push(&mut self, dialog: DialogId, addr: SocketAddr) {
        let word = match addr {
            SocketAddr::V4(a) => V4 | (u64::from(a.ip().to_bits()) << 16) | u64::from(a.port()),
            SocketAddr::V6(_) => {
                self.v6.push(addr);
                (self.v6.len() - 1) as u64
            }
        };
        self.entries.push([dialog.0, word]);
    }

    /// The announcements in the order they came; none are held after.
    pub(super) fn take(&mut self) -> impl Iterator<Item = (DialogId, SocketAddr)> {
        let v6 = std::mem::take(&mut self.v6);
        std::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(move |[dialog, word]| {
                let addr = if word & V4 == 0 {
                    *v6.get(usize::try_from(word).ok()?)?
                } else {
                    // The low 48 bits: the address, then the port.
                    #[allow(clippy::cast_possible_truncation)]
                    let (ip, port) = ((word >> 16) as u32, word as u16);
                    SocketAddr::new(IpAddr::V4(ip.into()), port)
                };
                Some((DialogId(dialog), addr))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_come_back_as_they_went_in() {
        let mut d = Deferred::default();
        let addrs: Vec<SocketAddr> = [
            "10.0.0.1:4000",
            "[2001:db8::1]:5004",
            "255.255.255.255:65535",
            "0.0.0.0:0",
            "[::ffff:10.0.0.1]:4000",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        for (i, a) in addrs.iter().enumerate() {
            d.push(DialogId(u64::MAX - i as u64), *a);
        }
        // Two IPv6 addresses take two units more each.
        assert_eq!(d.len(), addrs.len() + 4);
        let back: Vec<(DialogId, SocketAddr)> = d.take().collect();
        let want: Vec<(DialogId, SocketAddr)> = addrs
            .iter()
            .enumerate()
            .map(|(i, a)| (DialogId(u64::MAX - i as u64), *a))
            .collect();
        assert_eq!(back, want);
        assert_eq!(d.len(), 0);
        assert_eq!(d.take().count(), 0);
    }
}
