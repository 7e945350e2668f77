//! Dialogs by their Call-ID's seeded hash: the one table every message
//! looks its dialog up in. Open addressing with linear probing over 8-byte
//! slots, at most half full: a lookup reads one cache line of the table
//! (a hash map of `u64 -> DialogId` read its control bytes, then a 16-byte
//! slot elsewhere). A slot holds 31 bits of the hash (its home slot and a
//! tag that spares reading a dialog whose Call-ID only shares a home) and
//! the low 32 bits of the dialog's id; the caller turns those back into an
//! id ([`super::table::DialogTable::resolve`]) and checks the Call-ID's
//! text, so two Call-IDs of one tag are two entries, both found.

/// What one dialog costs in the index, by estimate: an 8-byte slot, the
/// index between a quarter and a half full (24 bytes a dialog on average).
/// (The table of dialogs holds the dialog itself: `Dialog::held_bytes`
/// counts its struct.)
pub(crate) const DIALOG_SHARE: usize = 24;

/// The slot bit that tells a used slot from an empty one (0).
const USED: u64 = 1 << 63;

#[derive(Debug, Default)]
pub(crate) struct CallIndex {
    slots: Vec<u64>,
    len: usize,
}

/// The 31 bits of a Call-ID's hash the index keeps.
fn tag(hash: u64) -> u64 {
    (hash >> 33) << 32
}

impl CallIndex {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn home(&self, slot: u64) -> usize {
        usize::try_from((slot >> 32) & 0x7fff_ffff).unwrap_or(0) & self.mask()
    }

    /// The low 32 bits of the first dialog id filed under `hash` that `is`
    /// accepts.
    #[inline]
    pub fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = tag(hash) | USED;
        let mask = self.mask();
        let mut i = self.home(tag);
        loop {
            let slot = *self.slots.get(i)?;
            if slot == 0 {
                return None;
            }
            if slot & !u64::from(u32::MAX) == tag && is(low(slot)) {
                return Some(low(slot));
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot a lookup of `hash` reads first, read ahead of the lookup
    /// so that its cache line is on its way (0 when there is none).
    #[inline]
    pub fn home_slot(&self, hash: u64) -> u64 {
        self.slots
            .get(self.home(tag(hash) | USED))
            .copied()
            .unwrap_or(0)
    }

    /// The dialog id bits `slot`, read as [`CallIndex::home_slot`] of
    /// `hash`, holds when it is filed under `hash` (the dialog to read
    /// ahead; any other slot is left to [`CallIndex::find`]).
    #[inline]
    pub fn home_id(hash: u64, slot: u64) -> Option<u32> {
        (slot & !u64::from(u32::MAX) == tag(hash) | USED).then_some(low(slot))
    }

    /// Files the dialog whose id's low 32 bits are `id` under `hash`.
    pub fn insert(&mut self, hash: u64, id: u32) {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        self.place(tag(hash) | USED | u64::from(id));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.mask();
        let mut i = self.home(slot);
        while self.slots.get(i).is_some_and(|s| *s != 0) {
            i = (i + 1) & mask;
        }
        if let Some(s) = self.slots.get_mut(i) {
            *s = slot;
        }
    }

    /// Doubles the slots (each holds its home: no dialog is read).
    #[cold]
    fn grow(&mut self) {
        let len = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![0; len]);
        for slot in old.into_iter().filter(|s| *s != 0) {
            self.place(slot);
        }
    }

    /// Takes the dialog `id` (low 32 bits) filed under `hash` out, moving
    /// back the slots after it that probed past it (no tombstones).
    pub fn remove(&mut self, hash: u64, id: u32) -> bool {
        let want = tag(hash) | USED | u64::from(id);
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.mask();
        let mut hole = self.home(want);
        loop {
            match self.slots.get(hole) {
                Some(0) | None => return false,
                Some(s) if *s == want => break,
                Some(_) => hole = (hole + 1) & mask,
            }
        }
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let slot = self.slots.get(i).copied().unwrap_or(0);
            if slot == 0 {
                break;
            }
            let start = self.home(slot);
            // Moves back unless its home slot lies cyclically in (hole, i].
            let stays = if hole <= i {
                hole < start && start <= i
            } else {
                hole < start || start <= i
            };
            if !stays {
                if let Some(h) = self.slots.get_mut(hole) {
                    *h = slot;
                }
                hole = i;
            }
        }
        if let Some(h) = self.slots.get_mut(hole) {
            *h = 0;
        }
        self.len -= 1;
        true
    }

    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.len = 0;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }
}

/// The dialog id bits a slot holds.
fn low(slot: u64) -> u32 {
    u32::try_from(slot & u64::from(u32::MAX)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::CallIndex;

    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Inserted, found, removed in any order, against a map; a few hashes
    /// share a tag whose home is the last slot, so that a run of probing
    /// wraps around the end and entries shift back across it.
    #[test]
    fn the_index_finds_what_a_map_would() {
        let mut index = CallIndex::default();
        let mut map: HashMap<u32, u64> = HashMap::new();
        let mut state = 0x2545_f491_4f6c_dd1d;
        let mut next_id = 0u32;
        for step in 0..100_000 {
            let r = next(&mut state);
            if map.len() < 2_000 || r.is_multiple_of(2) {
                let hash = if r % 50 == 1 {
                    (0x7fff_ffff - (r >> 60)) << 33
                } else {
                    r
                };
                index.insert(hash, next_id);
                map.insert(next_id, hash);
                next_id += 1;
            } else {
                let k = *map
                    .keys()
                    .nth(usize::try_from(r >> 40).unwrap() % map.len())
                    .unwrap();
                let hash = map.remove(&k).unwrap();
                assert!(index.remove(hash, k), "step {step}");
                assert!(!index.remove(hash, k), "step {step}");
            }
            if step % 5_000 == 0 {
                for (id, hash) in &map {
                    assert_eq!(index.find(*hash, |x| x == *id), Some(*id), "step {step}");
                }
            }
        }
        assert_eq!(index.len(), map.len());
        for (id, hash) in &map {
            assert_eq!(index.find(*hash, |x| x == *id), Some(*id));
            // Another id under the same hash is not there.
            assert_eq!(index.find(*hash, |x| x == next_id), None);
        }
    }

    /// Two Call-IDs of one hash are two entries: the caller's check picks.
    #[test]
    fn one_hash_holds_two_dialogs() {
        let mut index = CallIndex::default();
        index.insert(7 << 40, 1);
        index.insert(7 << 40, 2);
        assert_eq!(index.find(7 << 40, |x| x == 2), Some(2));
        assert_eq!(index.find(7 << 40, |x| x == 1), Some(1));
        assert!(index.remove(7 << 40, 1));
        assert_eq!(index.find(7 << 40, |x| x == 2), Some(2));
        assert_eq!(index.find(7 << 40, |x| x == 1), None);
    }
}
