//! Recognises the same packet seen twice within a short window, as `-i any`
//! (once per interface) or a bonded interface gives. The key is a hash of the
//! IP packet, so different link headers around the same packet still match.
//!
//! The sightings are a ring in arrival order (the window expires from its
//! front) and an open-addressing table of their hashes (linear probing,
//! deletion by backward shift): no allocation per packet, and both grow to
//! their bound once. The hash is seeded, so crafted packets cannot make the
//! probes long.

use std::hash::{BuildHasher, Hasher};

use crate::hash::Seeded;

/// A SIP retransmission comes 500 ms (T1) later at the earliest, so a few
/// milliseconds cannot merge two real transmissions.
pub const WINDOW_NS: i64 = 5_000_000;

/// Bytes of each packet that go into its hash.
const HASHED_PREFIX: usize = 128;

/// The most packets remembered at once, whatever the rate (a power of two:
/// the ring's largest size).
const MAX_REMEMBERED: usize = 65_536;

/// The ring's and the table's first sizes (powers of two).
const FIRST_RING: usize = 64;
const FIRST_TABLE: usize = 128;

/// A table slot whose hash is this is empty (a packet hashing to it is
/// taken as hashing to 1).
const EMPTY: u64 = 0;

#[derive(Debug, Default)]
pub struct Dedup {
    seed: Seeded,
    /// Sightings `(time, hash)` in arrival order, the oldest at `head`;
    /// its length is a power of two (or zero before the first packet).
    ring: Vec<(i64, u64)>,
    head: usize,
    len: usize,
    /// `(hash, time of its last recorded sighting)` of every hash in the
    /// ring, by linear probing from the hash's low bits; at most half full.
    table: Vec<(u64, i64)>,
    used: usize,
}

impl Dedup {
    /// True when `packet` was seen less than [`WINDOW_NS`] before `ts_ns`.
    pub fn is_duplicate(&mut self, ts_ns: i64, packet: &[u8]) -> bool {
        self.expire(ts_ns);
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
        let h = hasher.finish().max(1);
        // One probe: a duplicate leaves the entry as it was; anything else
        // (new, or seen outside the window) records this sighting.
        match self.find(h) {
            Ok(i) => {
                if let Some(slot) = self.table.get_mut(i) {
                    if (ts_ns - slot.1).abs() <= WINDOW_NS {
                        return true;
                    }
                    slot.1 = ts_ns;
                }
            }
            Err(mut i) => {
                if (self.used + 1) * 2 > self.table.len() {
                    self.grow_table();
                    i = match self.find(h) {
                        Ok(i) | Err(i) => i,
                    };
                }
                if let Some(slot) = self.table.get_mut(i) {
                    *slot = (h, ts_ns);
                    self.used += 1;
                }
            }
        }
        self.push(ts_ns, h);
        false
    }

    /// Forgets the sightings at the ring's front that are out of the
    /// window (or past the bound) as of `ts_ns`.
    fn expire(&mut self, ts_ns: i64) {
        let mask = self.ring.len().wrapping_sub(1);
        while self.len > 0 {
            let Some(&(ts, h)) = self.ring.get(self.head) else {
                return;
            };
            if ts_ns - ts <= WINDOW_NS && self.len < MAX_REMEMBERED {
                return;
            }
            self.head = (self.head + 1) & mask;
            self.len -= 1;
            // The hash's entry goes only if this was its last sighting.
            if let Ok(i) = self.find(h)
                && self.table.get(i).is_some_and(|s| s.1 == ts)
            {
                self.remove_at(i);
            }
        }
    }

    /// Appends a sighting to the ring, growing it up to its bound (the
    /// caller has made room below it).
    fn push(&mut self, ts_ns: i64, h: u64) {
        if self.len == self.ring.len() {
            let size = (self.ring.len() * 2).clamp(FIRST_RING, MAX_REMEMBERED);
            let mut ring = Vec::with_capacity(size);
            ring.extend((0..self.len).filter_map(|k| {
                self.ring
                    .get((self.head + k) & (self.ring.len().wrapping_sub(1)))
                    .copied()
            }));
            ring.resize(size, (0, EMPTY));
            self.ring = ring;
            self.head = 0;
        }
        let at = (self.head + self.len) & (self.ring.len() - 1);
        if let Some(s) = self.ring.get_mut(at) {
            *s = (ts_ns, h);
            self.len += 1;
        }
    }

    /// The slot holding `h`, or else the empty slot where it would go.
    fn find(&self, h: u64) -> Result<usize, usize> {
        let mask = self.table.len().wrapping_sub(1);
        // usize is 64 bits wide on the targets built for; on narrower ones
        // the low bits are as good.
        #[allow(clippy::cast_possible_truncation)]
        let mut i = h as usize & mask;
        // The table is at most half full, so an empty slot ends the walk;
        // the bound is a guard.
        for _ in 0..self.table.len() {
            match self.table.get(i) {
                Some(&(k, _)) if k == h => return Ok(i),
                Some(&(EMPTY, _)) | None => return Err(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
        Err(usize::MAX)
    }

    /// Empties slot `i`, moving the entries after it back so every entry
    /// stays reachable from its home slot.
    fn remove_at(&mut self, mut i: usize) {
        let mask = self.table.len().wrapping_sub(1);
        let mut j = i;
        for _ in 0..self.table.len() {
            j = (j + 1) & mask;
            let Some(&(k, ts)) = self.table.get(j) else {
                break;
            };
            if k == EMPTY {
                break;
            }
            #[allow(clippy::cast_possible_truncation)]
            let home = k as usize & mask;
            // The entry at `j` may move to `i` unless its home lies
            // cyclically in (i, j].
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if !stays {
                if let Some(s) = self.table.get_mut(i) {
                    *s = (k, ts);
                }
                i = j;
            }
        }
        if let Some(s) = self.table.get_mut(i) {
            *s = (EMPTY, 0);
        }
        self.used -= 1;
    }

    /// Doubles the table (or makes the first), placing every entry again.
    fn grow_table(&mut self) {
        let size = (self.table.len() * 2).max(FIRST_TABLE);
        let old = std::mem::replace(&mut self.table, vec![(EMPTY, 0); size]);
        for (k, ts) in old {
            if k != EMPTY
                && let Err(i) = self.find(k)
                && let Some(s) = self.table.get_mut(i)
            {
                *s = (k, ts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::collections::hash_map::Entry;

    #[test]
    fn same_packet_within_the_window_is_a_duplicate() {
        let mut d = Dedup::default();
        assert!(!d.is_duplicate(0, b"abc"));
        assert!(d.is_duplicate(1000, b"abc"));
        assert!(!d.is_duplicate(1000, b"abd"));
        // A retransmission 500 ms later is not.
        assert!(!d.is_duplicate(500_000_000, b"abc"));
    }

    #[test]
    fn the_window_counts_both_ways_and_ends_at_five_ms() {
        let mut d = Dedup::default();
        assert!(!d.is_duplicate(10_000_000, b"abc"));
        // A copy stamped a little earlier (two interfaces' clocks).
        assert!(d.is_duplicate(10_000_000 - WINDOW_NS, b"abc"));
        assert!(d.is_duplicate(10_000_000 + WINDOW_NS, b"abc"));
        // One nanosecond past the window: a new sighting, which then
        // counts from its own time.
        assert!(!d.is_duplicate(10_000_001 + WINDOW_NS, b"abc"));
        assert!(d.is_duplicate(10_000_001 + 2 * WINDOW_NS, b"abc"));
    }

    #[test]
    fn only_the_first_bytes_and_the_length_tell_packets_apart() {
        let mut d = Dedup::default();
        let mut a = vec![7u8; 300];
        assert!(!d.is_duplicate(0, &a));
        // A change past the hashed prefix is not seen...
        a[HASHED_PREFIX + 10] = 8;
        assert!(d.is_duplicate(1, &a));
        // ...one within it, or another length, is.
        a[HASHED_PREFIX - 1] = 8;
        assert!(!d.is_duplicate(2, &a));
        assert!(!d.is_duplicate(3, &a[..299]));
    }

    #[test]
    fn a_burst_past_the_bound_forgets_the_oldest() {
        let mut d = Dedup::default();
        let packet = |i: u32| i.to_le_bytes();
        let n = u32::try_from(MAX_REMEMBERED).unwrap();
        // All within one window: the ring and the table grow to the bound.
        for i in 0..n {
            assert!(!d.is_duplicate(i64::from(i), &packet(i)));
        }
        assert_eq!(d.len, MAX_REMEMBERED);
        // Each new sighting at the bound forgets the oldest, even within
        // the window.
        assert!(!d.is_duplicate(i64::from(n), &packet(n))); // forgets 0
        assert!(!d.is_duplicate(i64::from(n), &packet(0))); // forgets 1
        assert!(d.is_duplicate(i64::from(n), &packet(n - 1))); // forgets 2
        assert!(!d.is_duplicate(i64::from(n), &packet(2))); // forgotten
        assert!(d.is_duplicate(i64::from(n), &packet(n - 2))); // forgets 3
        // A duplicate is not recorded.
        assert_eq!(d.len, MAX_REMEMBERED - 1);
        assert!(d.used * 2 <= d.table.len());
    }

    /// The map and queue this replaced, kept as the reference.
    #[derive(Default)]
    struct Reference {
        seen: std::collections::HashMap<u64, i64>,
        order: VecDeque<(i64, u64)>,
    }

    impl Reference {
        fn is_duplicate(&mut self, ts_ns: i64, h: u64) -> bool {
            while let Some(&(ts, old)) = self.order.front() {
                if ts_ns - ts <= WINDOW_NS && self.order.len() < MAX_REMEMBERED {
                    break;
                }
                self.order.pop_front();
                if let Entry::Occupied(e) = self.seen.entry(old)
                    && *e.get() == ts
                {
                    e.remove();
                }
            }
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

    #[test]
    fn agrees_with_a_map_and_a_queue_on_random_traffic() {
        // Few distinct packets (many repeats and expiries), times that
        // mostly advance by steps around the window but sometimes go back,
        // and bursts that fill the table and make it grow.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for distinct in [3u64, 50, 2000, 100_000] {
            let mut ours = Dedup::default();
            let mut reference = Reference::default();
            let mut ts = 0i64;
            for step in 0..200_000 {
                let r = next();
                ts += match r % 10 {
                    0 => -i64::try_from(r >> 40).unwrap() % (2 * WINDOW_NS),
                    1..=6 => i64::try_from(r >> 50).unwrap(),
                    _ => i64::try_from(r >> 40).unwrap() % (3 * WINDOW_NS),
                };
                let packet = (next() % distinct).to_le_bytes();
                let mut hasher = ours.seed.build_hasher();
                hasher.write(&packet);
                hasher.write_usize(packet.len());
                let h = hasher.finish().max(1);
                assert_eq!(
                    ours.is_duplicate(ts, &packet),
                    reference.is_duplicate(ts, h),
                    "step {step}, {distinct} distinct packets"
                );
                assert_eq!(ours.len, reference.order.len());
                assert_eq!(ours.used, reference.seen.len());
            }
        }
    }
}
