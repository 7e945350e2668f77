//! Dialogs by id, in arrival order. Ids are handed out in sequence, so a
//! dialog is found by division, not by a tree or a hash; the dialogs lie in
//! the table itself, in chunks of [`CHUNK`] ids (no allocation of its own
//! per dialog, and no pointer to follow between the id and the dialog: the
//! chunks' list is small enough to stay in the cache). Evicted dialogs
//! leave holes; chunks whose dialogs are all gone fall off the front.

use std::collections::VecDeque;

use super::dialog::{Dialog, DialogId};

/// Dialog ids per chunk: chunk `k` holds ids `k * CHUNK ..`.
const CHUNK: u64 = 256;

#[derive(Debug, Default)]
pub(crate) struct DialogTable {
    /// Chunk `i` holds the dialogs `(first_chunk + i) * CHUNK ..`; a slot
    /// is `None` before `base`, at an evicted dialog and from `next` on.
    chunks: VecDeque<Box<[Option<Dialog>]>>,
    first_chunk: u64,
    /// The oldest id that may be in the table (every one before is gone).
    base: u64,
    /// The id the next dialog gets.
    next: u64,
    live: usize,
}

impl DialogTable {
    /// The id the next dialog gets.
    pub fn next_id(&self) -> DialogId {
        DialogId(self.next)
    }

    /// Adds a dialog made with [`Self::next_id`].
    pub fn push(&mut self, d: Dialog) {
        debug_assert_eq!(d.id, self.next_id());
        if self.chunks.is_empty() {
            self.first_chunk = self.next / CHUNK;
        }
        if self.next / CHUNK >= self.first_chunk + self.chunks.len() as u64 {
            self.chunks.push_back((0..CHUNK).map(|_| None).collect());
        }
        if let Some(slot) = self.slot_mut(self.next) {
            *slot = Some(d);
            self.live += 1;
        }
        self.next += 1;
    }

    fn slot(&self, id: u64) -> Option<&Option<Dialog>> {
        let chunk = usize::try_from((id / CHUNK).checked_sub(self.first_chunk)?).ok()?;
        // `id % CHUNK` is below `CHUNK`, a `usize`.
        #[allow(clippy::cast_possible_truncation)]
        self.chunks.get(chunk)?.get((id % CHUNK) as usize)
    }

    fn slot_mut(&mut self, id: u64) -> Option<&mut Option<Dialog>> {
        let chunk = usize::try_from((id / CHUNK).checked_sub(self.first_chunk)?).ok()?;
        #[allow(clippy::cast_possible_truncation)]
        self.chunks.get_mut(chunk)?.get_mut((id % CHUNK) as usize)
    }

    /// The id of a dialog in the table whose id's low 32 bits are `low`
    /// (what the call index keeps): ids in the table span far less than
    /// 2^32, so at most one fits.
    #[inline]
    pub fn resolve(&self, low: u32) -> Option<DialogId> {
        let id = self.base + u64::from(low.wrapping_sub(low_bits(DialogId(self.base))));
        (id < self.next).then_some(DialogId(id))
    }

    pub fn get(&self, id: DialogId) -> Option<&Dialog> {
        self.slot(id.0)?.as_ref()
    }

    pub fn get_mut(&mut self, id: DialogId) -> Option<&mut Dialog> {
        self.slot_mut(id.0)?.as_mut()
    }

    pub fn remove(&mut self, id: DialogId) -> Option<Dialog> {
        let d = self.slot_mut(id.0)?.take()?;
        self.live -= 1;
        // The holes at the front go, and the chunks they empty.
        while self.base < self.next && self.slot(self.base).is_some_and(Option::is_none) {
            self.base += 1;
            if self.base.is_multiple_of(CHUNK) {
                self.chunks.pop_front();
                self.first_chunk += 1;
            }
        }
        Some(d)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Dialog> {
        // Every slot outside `base..next` is empty.
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .filter_map(Option::as_ref)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Slots of evicted dialogs still held because an older dialog stays
    /// at the front (skipped by every walk from the front).
    pub fn holes(&self) -> usize {
        usize::try_from(self.next - self.base).unwrap_or(usize::MAX) - self.live
    }

    pub fn clear(&mut self) {
        self.base = self.next;
        self.chunks.clear();
        self.live = 0;
    }
}

/// A dialog id's low 32 bits.
pub(crate) fn low_bits(id: DialogId) -> u32 {
    u32::try_from(id.0 & u64::from(u32::MAX)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table against a map of the same ids through pushes and removals
    /// in any order: the same dialogs, holes and ids resolved.
    #[test]
    fn chunks_hold_what_a_map_holds() {
        use std::collections::BTreeSet;
        let mut table = DialogTable::default();
        let mut map: BTreeSet<u64> = BTreeSet::new();
        let mut x = 12_345u64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000u64 {
            if rand() % 3 != 0 || map.is_empty() {
                let id = table.next_id();
                table.push(Dialog::for_tests(id));
                map.insert(id.0);
            } else {
                // Mostly the oldest, sometimes any.
                let keys: Vec<u64> = map.iter().copied().take(64).collect();
                let victim = if rand() % 4 == 0 {
                    keys[usize::try_from(rand() % keys.len() as u64).unwrap()]
                } else {
                    keys[0]
                };
                assert_eq!(table.remove(DialogId(victim)).map(|d| d.id.0), Some(victim));
                map.remove(&victim);
                assert!(table.remove(DialogId(victim)).is_none());
            }
            if round == 10_000 {
                table.clear();
                map.clear();
            }
            assert_eq!(table.len(), map.len());
            let ids: Vec<u64> = table.values().map(|d| d.id.0).collect();
            let want: Vec<u64> = map.iter().copied().collect();
            assert_eq!(ids, want);
            let back: Vec<u64> = table.values().rev().map(|d| d.id.0).collect();
            assert_eq!(back.len(), want.len());
            if let Some(first) = want.first() {
                let span = table.next_id().0 - first;
                assert_eq!(table.holes() as u64, span - want.len() as u64);
                assert!(table.chunks.len() as u64 <= span / CHUNK + 2);
            }
            for id in want.iter().rev().take(3) {
                assert_eq!(table.resolve(low_bits(DialogId(*id))), Some(DialogId(*id)));
                assert_eq!(table.get(DialogId(*id)).map(|d| d.id.0), Some(*id));
            }
        }
    }
}
