//! Recognises the same packet seen twice within a short window, as `-i any`
//! (once per interface) or a bonded interface gives. The key is a hash of the
//! IP packet, so different link headers around the same packet still match.

use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hasher};

use crate::hash::{Map, Seeded};

/// A SIP retransmission comes 500 ms (T1) later at the earliest, so a few
/// milliseconds cannot merge two real transmissions.
pub const WINDOW_NS: i64 = 5_000_000;

/// Bytes of each packet that go into its hash.
const HASHED_PREFIX: usize = 128;

/// The most packets remembered at once, whatever the rate.
const MAX_REMEMBERED: usize = 65_536;

#[derive(Debug, Default)]
pub struct Dedup {
    seen: Map<u64, i64>,
    seed: Seeded,
    order: VecDeque<(i64, u64)>,
}

impl Dedup {
    /// True when `packet` was seen less than [`WINDOW_NS`] before `ts_ns`.
    pub fn is_duplicate(&mut self, ts_ns: i64, packet: &[u8]) -> bool {
        while let Some(&(ts, h)) = self.order.front() {
            if ts_ns - ts <= WINDOW_NS && self.order.len() < MAX_REMEMBERED {
                break;
            }
            self.order.pop_front();
            if let Entry::Occupied(e) = self.seen.entry(h)
                && *e.get() == ts
            {
                e.remove();
            }
        }
        // The IP and transport headers (IDs, sequence numbers, checksums over
        // the payload) and the payload's start tell packets apart; hashing
        // the whole of every packet would cost more than the rest of decoding.
        let mut hasher = self.seed.build_hasher();
        hasher.write(
            packet
                .get(..packet.len().min(HASHED_PREFIX))
                .unwrap_or(packet),
        );
        hasher.write_usize(packet.len());
        let h = hasher.finish();
        // One lookup: a duplicate leaves the entry as it was; anything else
        // (new, or seen outside the window) records this sighting.
        match self.seen.entry(h) {
            Entry::Occupied(e) if (ts_ns - *e.get()).abs() <= WINDOW_NS => return true,
            Entry::Occupied(mut e) => {
                e.insert(ts_ns);
            }
            Entry::Vacant(e) => {
                e.insert(ts_ns);
            }
        }
        self.order.push_back((ts_ns, h));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_packet_within_the_window_is_a_duplicate() {
        let mut d = Dedup::default();
        assert!(!d.is_duplicate(0, b"abc"));
        assert!(d.is_duplicate(1000, b"abc"));
        assert!(!d.is_duplicate(1000, b"abd"));
        // A retransmission 500 ms later is not.
        assert!(!d.is_duplicate(500_000_000, b"abc"));
    }
}
