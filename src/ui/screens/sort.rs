//! The call list's order made a slice at a time: a million rows sorted by
//! a text column take hundreds of milliseconds, more than a key may keep
//! the UI waiting. [`SlicedSort`] makes the rows' keys, sorts runs of them,
//! then merges the runs pairwise, stopping at a deadline and going on where
//! it stopped at the next call (the UI loop calls it a slice a turn).
//!
//! ```text
//! ids      [7, 3, 9, …]                       the rows, in id order
//! keyed    [(key of 7, 7), (key of 3, 3), …]  made RUN at a time
//! order    indices into keyed: runs of RUN sorted, then merged
//!          (width RUN, 2 RUN, …) from `order` into `spare` and back
//! ```
//! The result is the one `sort_unstable` gives over `(key, id)`: the ids
//! are unique, so the order is total.

use std::time::Instant;

use crate::model::DialogId;
use crate::ui::filter_index::{in_parts, threads};

/// Elements merged between two looks at the deadline; the length of the
/// runs sorted before merging.
const RUN: usize = if cfg!(test) { 64 } else { 8_192 };
/// Keys made between two looks at the deadline: a key can be dear (the
/// Findings column runs the rules of a dialog, tens of microseconds).
const KEY_STEP: usize = if cfg!(test) { 8 } else { 256 };

/// A sort of rows by a key, made a slice at a time (see the module's doc).
#[derive(Debug)]
pub struct SlicedSort<T, K> {
    /// What the sort is for (the caller's: the model, clock and order).
    pub at: K,
    /// The rows to sort, in the order they came.
    pub ids: Vec<DialogId>,
    /// Keys made so far (a row whose key could not be made is left out).
    keyed: Vec<(T, DialogId)>,
    /// The rows keyed so far (a place in `ids`).
    next_key: usize,
    /// Indices into `keyed`, sorted by runs of `width`.
    order: Vec<u32>,
    spare: Vec<u32>,
    /// Runs of this length in `order` are sorted (0: the runs not yet).
    width: usize,
    /// The runs of RUN sorted so far (a place in `order`).
    next_run: usize,
    /// The merge under way: the pair's start, the places in its two
    /// halves, where the next element goes.
    lo: usize,
    i: usize,
    j: usize,
    k: usize,
    merging: bool,
}

impl<T: Ord, K> SlicedSort<T, K> {
    #[must_use]
    pub fn new(at: K, ids: Vec<DialogId>) -> Self {
        Self {
            at,
            ids,
            keyed: Vec::new(),
            next_key: 0,
            order: Vec::new(),
            spare: Vec::new(),
            width: 0,
            next_run: 0,
            lo: 0,
            i: 0,
            j: 0,
            k: 0,
            merging: false,
        }
    }

    /// Goes on until `deadline` (a step at least: `KEY_STEP` keys, a run
    /// sorted or RUN elements merged); `key` makes a row's key. Says whether the
    /// order is made.
    /// With `dear` keys (a dialog's rules), a step's keys are made on every
    /// core, `KEY_STEP` each, in order.
    pub fn run(
        &mut self,
        key: impl Fn(DialogId) -> Option<T> + Sync,
        dear: bool,
        deadline: Instant,
    ) -> bool
    where
        T: Send,
    {
        let (step, min) = if dear {
            (KEY_STEP * threads(), 2)
        } else {
            (KEY_STEP, usize::MAX)
        };
        while self.next_key < self.ids.len() {
            let to = (self.next_key + step).min(self.ids.len());
            let ids = self.ids.get(self.next_key..to).unwrap_or_default();
            let parts = in_parts(ids, min, |_, part| {
                part.iter()
                    .filter_map(|id| key(*id).map(|k| (k, *id)))
                    .collect::<Vec<_>>()
            });
            for part in parts {
                self.keyed.extend(part);
            }
            self.next_key = to;
            if Instant::now() >= deadline {
                return self.done();
            }
        }
        let n = self.keyed.len();
        if self.order.len() != n {
            self.order = (0..n)
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                .collect();
            self.spare = vec![0; n];
        }
        while self.width == 0 {
            let to = (self.next_run + RUN).min(n);
            let keyed = &self.keyed;
            if let Some(run) = self.order.get_mut(self.next_run..to) {
                run.sort_unstable_by(|a, b| cmp(keyed, *a, *b));
            }
            self.next_run = to;
            if to >= n {
                self.width = RUN;
            }
            if Instant::now() >= deadline {
                return self.done();
            }
        }
        self.merge(deadline)
    }

    /// The merges of runs of `width` into runs of twice that, until the
    /// deadline; says whether the order is made.
    fn merge(&mut self, deadline: Instant) -> bool {
        let n = self.keyed.len();
        let mut steps = 0;
        while self.width < n {
            let mid = (self.lo + self.width).min(n);
            let hi = (self.lo + 2 * self.width).min(n);
            if !self.merging {
                (self.i, self.j, self.k) = (self.lo, mid, self.lo);
                self.merging = true;
            }
            while self.k < hi {
                let (a, b) = (self.order.get(self.i), self.order.get(self.j));
                let left = match (a, b) {
                    (Some(&a), Some(&b)) if self.i < mid && self.j < hi => {
                        cmp(&self.keyed, a, b).is_le()
                    }
                    _ => self.i < mid,
                };
                let from = if left { &mut self.i } else { &mut self.j };
                let v = self.order.get(*from).copied().unwrap_or_default();
                *from += 1;
                if let Some(slot) = self.spare.get_mut(self.k) {
                    *slot = v;
                }
                self.k += 1;
                steps += 1;
                if steps % RUN == 0 && Instant::now() >= deadline {
                    return false;
                }
            }
            self.merging = false;
            self.lo = hi;
            if self.lo >= n {
                std::mem::swap(&mut self.order, &mut self.spare);
                self.width *= 2;
                self.lo = 0;
            }
        }
        true
    }

    /// Is the order made?
    #[must_use]
    pub fn done(&self) -> bool {
        self.next_key >= self.ids.len() && self.width >= self.keyed.len() && self.width > 0
    }

    /// How much of the work is done, from 0 to 1 (the keys a third, the
    /// runs and merges the rest).
    #[must_use]
    pub fn progress(&self) -> f64 {
        let n = self.ids.len().max(1) as f64;
        let keys = self.next_key as f64 / n;
        let m = self.keyed.len().max(2) as f64;
        let levels = (m / RUN as f64).log2().ceil().max(0.0) + 1.0;
        let sorted = if self.width == 0 {
            self.next_run as f64 / m / levels
        } else {
            let level = (self.width as f64 / RUN as f64).log2() + 1.0;
            ((level + self.lo as f64 / m) / levels).min(1.0)
        };
        (keys + 2.0 * sorted) / 3.0
    }

    /// The rows in order (ascending; the caller reverses).
    #[must_use]
    pub fn rows(&self) -> Vec<DialogId> {
        self.order
            .iter()
            .filter_map(|i| self.keyed.get(*i as usize).map(|(_, id)| *id))
            .collect()
    }
}

fn cmp<T: Ord>(keyed: &[(T, DialogId)], a: u32, b: u32) -> std::cmp::Ordering {
    keyed.get(a as usize).cmp(&keyed.get(b as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length around the runs' and merges' edges, cut at every step:
    /// the order `sort_unstable` gives.
    #[test]
    fn a_sort_in_slices_gives_the_order_of_a_whole_sort() {
        for n in [0usize, 1, 2, 63, 64, 65, 127, 128, 129, 500, 1_000, 4_097] {
            let ids: Vec<DialogId> = (0..n as u64).map(DialogId).collect();
            // Keys with many ties (the id breaks them) and a row left out.
            let key = |id: DialogId| (id.0 != 7).then(|| (id.0 * 7_919) % 13);
            let mut want: Vec<(u64, DialogId)> = ids
                .iter()
                .filter_map(|id| key(*id).map(|k| (k, *id)))
                .collect();
            want.sort_unstable();
            let want: Vec<DialogId> = want.into_iter().map(|(_, id)| id).collect();
            let mut s = SlicedSort::new((), ids);
            let mut steps = 0;
            while !s.run(key, n % 2 == 1, Instant::now()) {
                let p = s.progress();
                assert!((0.0..=1.0).contains(&p), "{n}: progress {p}");
                steps += 1;
                assert!(steps < 10_000, "{n}: ends");
            }
            assert!(s.done());
            assert_eq!(s.rows(), want, "{n} rows");
            if n > 4 * RUN {
                assert!(steps > 4, "{n}: a part at a time ({steps} steps)");
            }
        }
    }

    /// Dear keys (the rules of a dialog) are made a few at a time: a slice
    /// past its deadline stops after `KEY_STEP` of them, not `RUN`, and the
    /// progress it shows moves with each.
    #[test]
    fn a_dear_key_is_made_a_few_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let ids: Vec<DialogId> = (0..1_000).map(DialogId).collect();
        let made = AtomicUsize::new(0);
        let key = |id: DialogId| {
            made.fetch_add(1, Relaxed);
            Some(id.0 % 10)
        };
        let mut s = SlicedSort::new((), ids);
        let before = s.progress();
        assert!(!s.run(key, false, Instant::now()));
        assert_eq!(made.load(Relaxed), KEY_STEP);
        assert!(s.progress() > before);
        assert!(!s.run(key, false, Instant::now()));
        assert_eq!(made.load(Relaxed), 2 * KEY_STEP);
        // Dear keys: KEY_STEP on each core.
        assert!(!s.run(key, true, Instant::now()));
        assert_eq!(made.load(Relaxed), (2 + threads()) * KEY_STEP);
    }
}
