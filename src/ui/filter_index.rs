//! The dialogs' filter texts ([`Dialog::filter_text`]) kept for the display
//! filter (`/`) at a million dialogs: made once, lowercased (ASCII) once,
//! in dialog order, in chunks of [`CHUNK`] ids. A chunk is one string, the
//! texts one after another, each ended by a newline, with one small entry
//! per dialog (where its text ends, what it was made from). A plain-text
//! filter is one `memmem` pass over each chunk; a regex runs over each
//! text in place; both split over the cores (`Model` is `Sync`). The index
//! follows the model: a chunk is made again only where a dialog came, went,
//! gained a message or changed state.
//!
//! Layout (a chunk):
//! ```text
//! text     "invite \"alice\" <sip:a@x> … call-1@h 180 200\nregister …\n…"
//! entries  [{end, lo, key}, …]   in id order; `lo`: the id's place in the chunk
//! slots    [entry index or NONE; CHUNK]
//! masks    [the rules of the dialog's findings, looked at on demand]
//! ```

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;

use memchr::memmem::Finder;
use regex::Regex;

use crate::model::findings::catalogue::CATALOGUE;
use crate::model::{Clock, Dialog, DialogId, DialogKind, DialogState, Model};

/// Dialog ids per chunk.
const CHUNK: usize = 4096;
/// Ends each text in its chunk. A needle holding it is searched text by
/// text (a match then cannot run from one text into the next).
const END: u8 = b'\n';
/// A slot with no dialog.
const NONE: u16 = u16::MAX;
/// A mask not yet looked at.
const UNKNOWN: u64 = 1 << 63;
/// The dialog has a finding of a rule outside the catalogue's first 62: its
/// findings are looked at again on each pass.
const OTHER_RULE: u64 = 1 << 62;
/// Below this many chunks (or rows), one thread does the work.
const PARALLEL_CHUNKS: usize = if cfg!(test) { 2 } else { 8 };
const PARALLEL_ROWS: usize = if cfg!(test) { 1_000 } else { 32_768 };

/// What a dialog's text was made from: it is made again when this moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    messages: u32,
    state: DialogState,
    call: bool,
}

impl Key {
    fn of(d: &Dialog, clock: Clock) -> Self {
        Self {
            messages: u32::try_from(d.messages.len()).unwrap_or(u32::MAX),
            state: d.state_at(clock),
            call: d.kind == DialogKind::Call,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the text ends in the chunk's string (at its newline).
    end: usize,
    /// The text is ASCII (lowercasing kept its meaning for a filter).
    ascii: bool,
    /// The id's place in the chunk.
    lo: u16,
    key: Key,
}

#[derive(Debug, Default)]
struct Chunk {
    text: String,
    entries: Vec<Entry>,
    /// Entry index by the id's place in the chunk; empty when no dialog.
    slots: Vec<u16>,
    /// The rules of each entry's findings (bit = place in the catalogue),
    /// [`UNKNOWN`] until a filter naming a rule looks; empty until then.
    masks: Vec<AtomicU64>,
}

/// What a filter looks for, as the index searches it.
#[derive(Debug)]
pub enum Needle<'a> {
    /// Plain ASCII text, lowercased, without a newline: `re` is the same
    /// filter as a regex, for texts that are not ASCII (a case-insensitive
    /// `k` also matches the Kelvin sign).
    Plain {
        finder: &'a Finder<'static>,
        re: &'a Regex,
    },
    /// A regex that means the same on ASCII-lowercased text.
    Regex(&'a Regex),
    /// A regex that needs the text as it is (inline flags): the dialog's
    /// text is made for each test.
    Original(&'a Regex),
}

/// A display filter, as the index applies it.
#[derive(Debug)]
pub struct Query<'a> {
    pub needle: Needle<'a>,
    /// The regex, for the rule ids of findings (when `rules` is not 0).
    pub re: &'a Regex,
    /// The catalogue's rules the filter matches (bit = place).
    pub rules: u64,
    /// Only INVITE dialogs.
    pub only_calls: bool,
}

impl Query<'_> {
    /// The catalogue rules `re` matches, as bits (see [`Query::rules`]);
    /// 0 when it matches none. Rules past the 62nd share one bit.
    #[must_use]
    pub fn rule_bits(re: &Regex) -> u64 {
        CATALOGUE
            .iter()
            .enumerate()
            .filter(|(_, r)| re.is_match(r.id))
            .fold(0, |bits, (i, _)| bits | rule_bit(i))
    }
}

fn rule_bit(place: usize) -> u64 {
    if place < 62 { 1 << place } else { OTHER_RULE }
}

/// The display filter's texts of every dialog; see the module's doc.
#[derive(Debug, Default)]
pub struct FilterIndex {
    chunks: Vec<Chunk>,
    /// The chunk number (id / [`CHUNK`]) of `chunks[0]`.
    first: u64,
    /// The model's generation and the clock it was made at.
    synced: Option<(u64, Clock)>,
}

impl FilterIndex {
    /// Brings the texts in step with the model at `clock`: nothing to do
    /// when neither moved; otherwise each chunk is checked, dialog by
    /// dialog, and made again only if one of them changed.
    pub fn sync(&mut self, model: &Model, clock: Clock) {
        let at = (model.generation(), clock);
        if self.synced == Some(at) {
            return;
        }
        self.synced = Some(at);
        let (Some(lo), Some(hi)) = (model.dialogs().next(), model.dialogs().next_back()) else {
            self.chunks = Vec::new();
            return;
        };
        let (lo, hi) = (lo.id.0 / CHUNK as u64, hi.id.0 / CHUNK as u64);
        let mut old = std::mem::take(&mut self.chunks);
        let old_first = self.first;
        let mut chunks: Vec<Chunk> = (lo..=hi)
            .map(|c| {
                c.checked_sub(old_first)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| old.get_mut(i))
                    .map(std::mem::take)
                    .unwrap_or_default()
            })
            .collect();
        drop(old);
        self.first = lo;
        let first = lo;
        in_parts_mut(&mut chunks, PARALLEL_CHUNKS, |at, part| {
            for (i, c) in part.iter_mut().enumerate() {
                c.sync(model, clock, (first + (at + i) as u64) * CHUNK as u64);
            }
        });
        self.chunks = chunks;
    }

    /// The dialogs whose text (or findings) the query matches, in id order.
    /// Call [`FilterIndex::sync`] first.
    #[must_use]
    pub fn search(&mut self, q: &Query, model: &Model, clock: Clock) -> Vec<DialogId> {
        self.prepare(q);
        let first = self.first;
        let parts = in_parts(&self.chunks, PARALLEL_CHUNKS, |at, part| {
            let mut out = Vec::new();
            for (i, c) in part.iter().enumerate() {
                let base = (first + (at + i) as u64) * CHUNK as u64;
                c.search(q, model, clock, base, &mut out);
            }
            out
        });
        parts.concat()
    }

    /// Of `rows`, those the query matches, in their order (a filter that
    /// only narrows the one before). Call [`FilterIndex::sync`] first.
    #[must_use]
    pub fn narrow(
        &mut self,
        rows: &[DialogId],
        q: &Query,
        model: &Model,
        clock: Clock,
    ) -> Vec<DialogId> {
        let entries: usize = self.chunks.iter().map(|c| c.entries.len()).sum();
        if rows.len() > entries / 8 {
            // Many rows: one pass of the whole index (memmem over each
            // chunk) costs less than a search in each row's text.
            let base = self.first * CHUNK as u64;
            let mut bits = vec![0u64; self.chunks.len() * CHUNK / 64];
            for id in self.search(q, model, clock) {
                let at = id.0 - base;
                if let Some(w) = usize::try_from(at / 64).ok().and_then(|w| bits.get_mut(w)) {
                    *w |= 1 << (at % 64);
                }
            }
            return rows
                .iter()
                .copied()
                .filter(|id| {
                    let at = id.0.wrapping_sub(base);
                    usize::try_from(at / 64)
                        .ok()
                        .and_then(|w| bits.get(w))
                        .is_some_and(|w| w & (1 << (at % 64)) != 0)
                })
                .collect();
        }
        self.prepare(q);
        let this = &*self;
        let parts = in_parts(rows, PARALLEL_ROWS, |_, part| {
            part.iter()
                .copied()
                .filter(|id| this.matches(*id, q, model, clock))
                .collect::<Vec<_>>()
        });
        parts.concat()
    }

    /// Every dialog (calls only: INVITE dialogs), in id order, without
    /// touching the dialogs: the rows while the filter's line is empty.
    /// Call [`FilterIndex::sync`] first.
    #[must_use]
    pub fn all(&self, only_calls: bool) -> Vec<DialogId> {
        let mut out = Vec::with_capacity(self.chunks.iter().map(|c| c.entries.len()).sum());
        for (k, c) in (self.first..).zip(&self.chunks) {
            let base = k * CHUNK as u64;
            out.extend(
                c.entries
                    .iter()
                    .filter(|e| !only_calls || e.key.call)
                    .map(|e| DialogId(base + u64::from(e.lo))),
            );
        }
        out
    }

    /// What the index holds on the heap, in bytes.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * size_of::<Chunk>()
            + self
                .chunks
                .iter()
                .map(|c| {
                    c.text.capacity()
                        + c.entries.capacity() * size_of::<Entry>()
                        + c.slots.capacity() * size_of::<u16>()
                        + c.masks.capacity() * size_of::<AtomicU64>()
                })
                .sum::<usize>()
    }

    /// A query that looks at findings needs their masks.
    fn prepare(&mut self, q: &Query) {
        if q.rules == 0 {
            return;
        }
        for c in &mut self.chunks {
            if c.masks.len() != c.entries.len() {
                c.masks = c.entries.iter().map(|_| AtomicU64::new(UNKNOWN)).collect();
            }
        }
    }

    fn matches(&self, id: DialogId, q: &Query, model: &Model, clock: Clock) -> bool {
        let chunk = id.0 / CHUNK as u64;
        let lo = usize::try_from(id.0 % CHUNK as u64).unwrap_or(CHUNK);
        let found = chunk
            .checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.chunks.get(i))
            .and_then(|c| {
                let e = *c.slots.get(lo)?;
                (e != NONE).then_some((c, usize::from(e)))
            });
        match found {
            Some((c, e)) => c.matches(e, q, model, clock, id),
            // Not in the index (it was made before this dialog came): ask
            // the dialog itself.
            None => model.dialog(id).is_some_and(|d| {
                (!q.only_calls || d.kind == DialogKind::Call)
                    && (q.re.is_match(&d.filter_text(clock)) || findings_match(q, model, d, clock))
            }),
        }
    }
}

/// Does one of the dialog's findings have a rule id the query matches?
fn findings_match(q: &Query, model: &Model, d: &Dialog, clock: Clock) -> bool {
    q.rules != 0
        && model
            .findings_at(d, clock.now_ns)
            .iter()
            .any(|f| q.re.is_match(f.rule))
}

impl Chunk {
    /// The text of entry `i`.
    fn text(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(p) => self.entries.get(p).map_or(0, |e| e.end + 1),
            None => 0,
        };
        let end = self.entries.get(i).map_or(start, |e| e.end);
        self.text.get(start..end).unwrap_or_default()
    }

    fn sync(&mut self, model: &Model, clock: Clock, base: u64) {
        // The findings may have moved with the model or the clock.
        self.masks = Vec::new();
        let mut n = 0;
        let same = (0..CHUNK).all(|lo| {
            let Some(d) = model.dialog(DialogId(base + lo as u64)) else {
                return true;
            };
            let key = Key::of(d, clock);
            let kept = self
                .entries
                .get(n)
                .is_some_and(|e| usize::from(e.lo) == lo && e.key == key);
            n += 1;
            kept
        });
        if !same || n != self.entries.len() {
            self.remake(model, clock, base);
        }
    }

    /// Makes the chunk again, keeping the texts of dialogs that did not
    /// move.
    fn remake(&mut self, model: &Model, clock: Clock, base: u64) {
        let old = std::mem::take(self);
        let mut text = String::with_capacity(old.text.len());
        let mut entries = Vec::with_capacity(old.entries.len());
        let mut slots = Vec::new();
        for lo in 0..CHUNK {
            let Some(d) = model.dialog(DialogId(base + lo as u64)) else {
                continue;
            };
            let key = Key::of(d, clock);
            let start = text.len();
            let kept = old
                .slots
                .get(lo)
                .filter(|e| **e != NONE)
                .map(|e| usize::from(*e))
                .filter(|e| old.entries.get(*e).is_some_and(|x| x.key == key));
            let ascii = match kept {
                Some(e) => {
                    text.push_str(old.text(e));
                    old.entries.get(e).is_some_and(|x| x.ascii)
                }
                None => {
                    d.write_filter_text(clock, &mut text);
                    let mine = text.get_mut(start..).unwrap_or_default();
                    mine.make_ascii_lowercase();
                    mine.is_ascii()
                }
            };
            if slots.is_empty() {
                slots = vec![NONE; CHUNK];
            }
            if let Some(s) = slots.get_mut(lo) {
                *s = u16::try_from(entries.len()).unwrap_or(NONE);
            }
            entries.push(Entry {
                end: text.len(),
                ascii,
                lo: u16::try_from(lo).unwrap_or(NONE),
                key,
            });
            text.push(char::from(END));
        }
        text.shrink_to_fit();
        entries.shrink_to_fit();
        *self = Self {
            text,
            entries,
            slots,
            masks: Vec::new(),
        };
    }

    /// Does entry `i` (dialog `id`) pass the query?
    fn matches(&self, i: usize, q: &Query, model: &Model, clock: Clock, id: DialogId) -> bool {
        let Some(e) = self.entries.get(i) else {
            return false;
        };
        if q.only_calls && !e.key.call {
            return false;
        }
        let text = self.text(i);
        let hit = match q.needle {
            Needle::Plain { finder, re } => {
                finder.find(text.as_bytes()).is_some() || (!e.ascii && re.is_match(text))
            }
            Needle::Regex(re) => re.is_match(text),
            Needle::Original(re) => model
                .dialog(id)
                .is_some_and(|d| re.is_match(&d.filter_text(clock))),
        };
        hit || self.names_a_rule(i, q, model, clock, id)
    }

    /// Do the findings of entry `i` (dialog `id`) have a rule the query
    /// matches? Looked at once per pass of the model, then kept.
    fn names_a_rule(&self, i: usize, q: &Query, model: &Model, clock: Clock, id: DialogId) -> bool {
        if q.rules == 0 {
            return false;
        }
        let Some(slot) = self.masks.get(i) else {
            return model
                .dialog(id)
                .is_some_and(|d| findings_match(q, model, d, clock));
        };
        let mut mask = slot.load(Relaxed);
        if mask == UNKNOWN {
            mask = model.dialog(id).map_or(0, |d| {
                model
                    .findings_at(d, clock.now_ns)
                    .iter()
                    .map(|f| {
                        CATALOGUE
                            .iter()
                            .position(|r| r.id == f.rule)
                            .map_or(OTHER_RULE, rule_bit)
                    })
                    .fold(0, |m, b| m | b)
            });
            slot.store(mask, Relaxed);
        }
        if mask & q.rules & !OTHER_RULE != 0 {
            return true;
        }
        // A rule without a bit of its own: ask the findings themselves.
        mask & OTHER_RULE != 0
            && model
                .dialog(id)
                .is_some_and(|d| findings_match(q, model, d, clock))
    }

    /// Appends the ids of the entries the query matches, in order.
    fn search(&self, q: &Query, model: &Model, clock: Clock, base: u64, out: &mut Vec<DialogId>) {
        let id = |e: &Entry| DialogId(base + u64::from(e.lo));
        let Needle::Plain { finder, re } = q.needle else {
            for (i, e) in self.entries.iter().enumerate() {
                if self.matches(i, q, model, clock, id(e)) {
                    out.push(id(e));
                }
            }
            return;
        };
        // One pass of memmem over the chunk; the texts it skips may still
        // pass (not ASCII, or a finding's rule).
        let missed = |i: usize, e: &Entry| {
            (!q.only_calls || e.key.call)
                && ((!e.ascii && re.is_match(self.text(i)))
                    || self.names_a_rule(i, q, model, clock, id(e)))
        };
        let bytes = self.text.as_bytes();
        let (mut pos, mut next) = (0, 0);
        while let Some(at) = bytes.get(pos..).and_then(|b| finder.find(b)) {
            let at = pos + at;
            // The entry the match is in: the first that ends after it.
            while let Some(e) = self.entries.get(next)
                && e.end < at
            {
                if missed(next, e) {
                    out.push(id(e));
                }
                next += 1;
            }
            let Some(e) = self.entries.get(next) else {
                break;
            };
            if !q.only_calls || e.key.call {
                out.push(id(e));
            }
            pos = e.end + 1;
            next += 1;
        }
        for (i, e) in self.entries.iter().enumerate().skip(next) {
            if missed(i, e) {
                out.push(id(e));
            }
        }
    }
}

/// The rows of the last few display filters, as bits over the dialog ids:
/// Backspace back to a filter typed a moment ago (on the same model, clock
/// and form) costs no pass. At most [`RecentRows::KEPT`] filters, an eighth
/// of a byte per dialog each (125 KB at a million dialogs).
#[derive(Debug, Default)]
pub struct RecentRows {
    /// What the rows were made at: the model's generation, the clock, the
    /// form's version, calls only.
    at: Option<(u64, Clock, u64, bool)>,
    /// Newest last: the filter's text, the first id, a bit per id from it.
    kept: Vec<(String, u64, Vec<u64>)>,
}

impl RecentRows {
    pub const KEPT: usize = 16;

    /// Forgets everything unless the rows were made at `at`.
    pub fn at(&mut self, at: (u64, Clock, u64, bool)) {
        if self.at != Some(at) {
            self.kept.clear();
            self.at = Some(at);
        }
    }

    /// The rows of filter `text`, in id order, if kept.
    #[must_use]
    pub fn get(&self, text: &str) -> Option<Vec<DialogId>> {
        let (_, base, bits) = self.kept.iter().rev().find(|(t, ..)| t == text)?;
        let mut ids = Vec::new();
        for (w, word) in (0u64..).zip(bits) {
            let mut word = *word;
            while word != 0 {
                let b = u64::from(word.trailing_zeros());
                ids.push(DialogId(base + w * 64 + b));
                word &= word - 1;
            }
        }
        Some(ids)
    }

    /// Keeps the rows of filter `text` (any order), the oldest let go.
    pub fn put(&mut self, text: &str, rows: &[DialogId]) {
        let (Some(lo), Some(hi)) = (
            rows.iter().map(|d| d.0).min(),
            rows.iter().map(|d| d.0).max(),
        ) else {
            self.kept.retain(|(t, ..)| t != text);
            self.kept.push((text.to_owned(), 0, Vec::new()));
            return;
        };
        let words = usize::try_from((hi - lo) / 64 + 1).unwrap_or(0);
        let mut bits = vec![0u64; words];
        for id in rows {
            let at = id.0 - lo;
            if let Some(w) = usize::try_from(at / 64).ok().and_then(|w| bits.get_mut(w)) {
                *w |= 1 << (at % 64);
            }
        }
        self.kept.retain(|(t, ..)| t != text);
        if self.kept.len() >= Self::KEPT {
            self.kept.remove(0);
        }
        self.kept.push((text.to_owned(), lo, bits));
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// How many threads a pass may use.
fn threads() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `f` over consecutive parts of `items` (each with its offset), one part
/// per core once there are at least `min` items; the results in order.
fn in_parts<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let n = if items.len() < min { 1 } else { threads() };
    let size = items.len().div_ceil(n).max(1);
    thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(size)
            .enumerate()
            .skip(1)
            .map(|(k, part)| {
                let run = move || f(k * size, part);
                (k, thread::Builder::new().spawn_scoped(s, run).ok())
            })
            .collect();
        let mut out = vec![f(0, items.get(..size.min(items.len())).unwrap_or_default())];
        for (k, h) in handles {
            // A thread that could not start: its part here.
            let r = match h.map(thread::ScopedJoinHandle::join) {
                Some(Ok(r)) => r,
                Some(Err(p)) => std::panic::resume_unwind(p),
                None => {
                    let part = items.chunks(size).nth(k).unwrap_or_default();
                    f(k * size, part)
                }
            };
            out.push(r);
        }
        out
    })
}

/// As [`in_parts`], each part borrowed mutably, no results.
fn in_parts_mut<T: Send>(items: &mut [T], min: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let n = if items.len() < min { 1 } else { threads() };
    let size = items.len().div_ceil(n).max(1);
    let mut failed = Vec::new();
    thread::scope(|s| {
        let f = &f;
        let mut parts = items.chunks_mut(size).enumerate();
        let head = parts.next();
        for (k, part) in parts {
            if thread::Builder::new()
                .spawn_scoped(s, move || f(k * size, part))
                .is_err()
            {
                failed.push(k);
            }
        }
        if let Some((_, part)) = head {
            f(0, part);
        }
    });
    // A part whose thread could not start is done here, once the others end.
    for k in failed {
        if let Some(part) = items.chunks_mut(size).nth(k) {
            f(k * size, part);
        }
    }
}

#[cfg(test)]
mod tests;
