//! Which dialogs have ended, for the media side: one bit per dialog id.

use std::collections::VecDeque;

use super::super::dialog::DialogId;

/// Ids the bits span at most (4 MiB of them).
const MAX_SPAN: u64 = 1 << 25;

/// A set of dialog ids as bits, from the word holding the lowest id set:
/// ids come in arrival order and the model holds a contiguous run of them,
/// so a bit per id is far smaller than a hash set's entry and a lookup
/// reads one word (a set of 32-bit keys missed the cache on every call
/// that ended and on every SDP shared with another call). Words that fall
/// to zero at the front go, so the bits span at most the ids between the
/// oldest dialog set and the newest: no more than the call table's slots.
#[derive(Debug, Default)]
pub(super) struct Closed {
    /// Bit `i % 64` of word `i / 64` is id `base + i`; `base` is a
    /// multiple of 64.
    words: VecDeque<u64>,
    base: u64,
}

impl Closed {
    pub(super) fn contains(&self, id: DialogId) -> bool {
        let Some(i) = id.0.checked_sub(self.base) else {
            return false;
        };
        usize::try_from(i / 64)
            .ok()
            .and_then(|w| self.words.get(w))
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Sets `id`, unless that would spread the bits over more than
    /// [`MAX_SPAN`] ids (the model's ids never do: it holds fewer dialogs).
    pub(super) fn insert(&mut self, id: DialogId) {
        let span = |lo: u64, hi: u64| hi.saturating_sub(lo) < MAX_SPAN;
        let end = self.base + 64 * self.words.len() as u64;
        let fits = self.words.is_empty() || (span(id.0, end) && span(self.base, id.0));
        if !fits {
            return;
        }
        if self.words.is_empty() {
            self.base = id.0 & !63;
        }
        while id.0 < self.base {
            self.words.push_front(0);
            self.base -= 64;
        }
        let i = id.0 - self.base;
        let Ok(w) = usize::try_from(i / 64) else {
            return;
        };
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1 << (i % 64);
        }
    }

    pub(super) fn remove(&mut self, id: DialogId) {
        let Some(i) = id.0.checked_sub(self.base) else {
            return;
        };
        let Some(word) = usize::try_from(i / 64)
            .ok()
            .and_then(|w| self.words.get_mut(w))
        else {
            return;
        };
        *word &= !(1 << (i % 64));
        while self.words.front() == Some(&0) {
            self.words.pop_front();
            self.base += 64;
        }
        while self.words.back() == Some(&0) {
            self.words.pop_back();
        }
    }

    /// Ids held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// What the bits hold, by capacity.
    pub(super) fn held_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{Closed, DialogId};

    /// Inserts and removes ids around a moving window, as dialogs come,
    /// end and are evicted out of order, and compares with a hash set.
    #[test]
    fn closed_bits_hold_what_a_set_would() {
        let mut bits = Closed::default();
        let mut set = HashSet::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for step in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Ids near the front of a window that moves on.
            let id = DialogId(step / 2 + state % 1000);
            if state.is_multiple_of(3) {
                bits.remove(id);
                set.remove(&id);
            } else {
                bits.insert(id);
                set.insert(id);
            }
            let probe = DialogId((step / 2 + (state >> 20) % 1200).saturating_sub(100));
            assert_eq!(bits.contains(probe), set.contains(&probe), "{probe:?}");
            assert_eq!(bits.contains(id), set.contains(&id));
        }
        assert_eq!(bits.len(), set.len());
        for id in set.clone() {
            bits.remove(id);
        }
        assert_eq!(bits.len(), 0);
        assert!(!bits.contains(DialogId(5)));
        assert!(!bits.contains(DialogId(u64::MAX)));
    }

    #[test]
    fn an_old_id_set_after_the_front_went_is_held() {
        let mut bits = Closed::default();
        bits.insert(DialogId(1000));
        bits.insert(DialogId(3));
        assert!(bits.contains(DialogId(3)) && bits.contains(DialogId(1000)));
        assert!(!bits.contains(DialogId(4)));
        bits.remove(DialogId(3));
        assert!(!bits.contains(DialogId(3)) && bits.contains(DialogId(1000)));
        // An id no table would hold beside these is not taken (nor the
        // memory its bit would need).
        bits.insert(DialogId(u64::MAX));
        assert!(!bits.contains(DialogId(u64::MAX)));
        assert!(bits.held_bytes() < 1024);
    }
}
