//! Dialogs by id, in arrival order. Ids are handed out in sequence, so a
//! dialog is found by subtraction, not by a tree or a hash; evicted dialogs
//! leave holes that fall off the front.

use std::collections::VecDeque;

use super::dialog::{Dialog, DialogId};

#[derive(Debug, Default)]
pub(crate) struct DialogTable {
    /// Slot `i` holds dialog `base + i`.
    slots: VecDeque<Option<Box<Dialog>>>,
    base: u64,
    live: usize,
}

impl DialogTable {
    /// The id the next dialog gets.
    pub fn next_id(&self) -> DialogId {
        DialogId(self.base + self.slots.len() as u64)
    }

    /// Adds a dialog made with [`Self::next_id`].
    pub fn push(&mut self, d: Dialog) {
        debug_assert_eq!(d.id, self.next_id());
        self.slots.push_back(Some(Box::new(d)));
        self.live += 1;
    }

    fn index(&self, id: DialogId) -> Option<usize> {
        usize::try_from(id.0.checked_sub(self.base)?).ok()
    }

    /// The id of a dialog in the table whose id's low 32 bits are `low`
    /// (what the call index keeps): ids in the table span far less than
    /// 2^32, so at most one fits.
    #[inline]
    pub fn resolve(&self, low: u32) -> Option<DialogId> {
        let id = self.base + u64::from(low.wrapping_sub(low_bits(DialogId(self.base))));
        (id < self.next_id().0).then_some(DialogId(id))
    }

    pub fn get(&self, id: DialogId) -> Option<&Dialog> {
        self.slots.get(self.index(id)?)?.as_deref()
    }

    pub fn get_mut(&mut self, id: DialogId) -> Option<&mut Dialog> {
        let i = self.index(id)?;
        self.slots.get_mut(i)?.as_deref_mut()
    }

    pub fn remove(&mut self, id: DialogId) -> Option<Box<Dialog>> {
        let i = self.index(id)?;
        let d = self.slots.get_mut(i)?.take()?;
        self.live -= 1;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(d)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Dialog> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Slots of evicted dialogs still held because an older dialog stays
    /// at the front (8 bytes each, and skipped by every walk from the
    /// front).
    pub fn holes(&self) -> usize {
        self.slots.len() - self.live
    }

    pub fn clear(&mut self) {
        self.base = self.next_id().0;
        self.slots.clear();
        self.live = 0;
    }
}

/// A dialog id's low 32 bits.
pub(crate) fn low_bits(id: DialogId) -> u32 {
    u32::try_from(id.0 & u64::from(u32::MAX)).unwrap_or(u32::MAX)
}
