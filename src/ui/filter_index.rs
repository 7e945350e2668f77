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
//! ```
//! The rules of the dialogs' findings ([`RuleMasks`]) are kept apart, as
//! bits by dialog id, looked at on demand, and outlive the index while the
//! model and the clock stand still.
//! ```text
//! ```

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Instant;

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
    /// A text holds a newline of its own: a regex is run text by text.
    newline: bool,
    /// Which making of the chunk this is (0: never made): a search keeps
    /// what it found in a chunk while its stamp stands ([`SearchPass`]).
    stamp: u64,
}

/// Stamps chunks as they are made (see [`Chunk::stamp`]).
static STAMPS: AtomicU64 = AtomicU64::new(1);

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
    /// A regex that means the same on ASCII-lowercased text; `lines`, the
    /// same in multi-line mode and for texts without ASCII capitals (its
    /// literals in lower case only: few, so its prefilter skips most
    /// bytes), when it may run over a whole chunk (no text
    /// of the chunk holds a newline of its own): a match that does not
    /// cross a newline is a match of the text it is in (`^` and `$` meet
    /// the text's ends, `\b` sees a newline there as it sees nothing), and
    /// the other way round. One search over the chunk from each text not
    /// yet decided finds the next text to look at, the regex's own
    /// prefilter skipping the texts between (see [`Chunk::search_lines`]).
    Regex {
        re: &'a Regex,
        lines: Option<&'a Regex>,
    },
    /// A regex that needs the text as it is (inline flags): the dialog's
    /// text is made for each test.
    Original(&'a Regex),
}

/// A display filter, as the index applies it.
#[derive(Debug)]
pub struct Query<'a> {
    pub needle: Needle<'a>,
    /// The regex, for the rule ids of findings (when `rules` is not 0); the
    /// needle's `re` is this one.
    pub re: &'a Regex,
    /// The catalogue's rules the filter matches (bit = place).
    pub rules: u64,
    /// Only INVITE dialogs.
    pub only_calls: bool,
    /// The rules of the dialogs' findings, as far as known (none: each
    /// dialog's findings are asked for when needed).
    pub masks: Option<&'a RuleMasks>,
    /// A dialog whose rules are not known yet (its mask not worked out) is
    /// taken to have none, instead of its rules being run: the rows are
    /// then right for the dialogs whose rules are known, and the UI loop
    /// works the others out a slice at a time ([`RuleMasks::fill_until`]),
    /// then makes the rows again.
    pub rules_later: bool,
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

/// A query's regexes, cloned for one thread: a clone has its own pool of
/// search caches, so the threads of a pass do not share one (a regex used
/// on a thread other than the one that first used it takes its cache from
/// a shared pool on every search: a cost per text at a million texts).
struct OwnRegexes {
    re: Regex,
    lines: Option<Regex>,
}

impl OwnRegexes {
    fn of(q: &Query) -> Self {
        let lines = match q.needle {
            Needle::Regex { lines, .. } => lines.cloned(),
            _ => None,
        };
        Self {
            re: q.re.clone(),
            lines,
        }
    }

    /// `q` with these regexes.
    fn query<'b>(&'b self, q: &Query<'b>) -> Query<'b> {
        let needle = match q.needle {
            Needle::Plain { finder, .. } => Needle::Plain {
                finder,
                re: &self.re,
            },
            Needle::Regex { .. } => Needle::Regex {
                re: &self.re,
                lines: self.lines.as_ref(),
            },
            Needle::Original(_) => Needle::Original(&self.re),
        };
        Query {
            needle,
            re: &self.re,
            rules: q.rules,
            only_calls: q.only_calls,
            masks: q.masks,
            rules_later: q.rules_later,
        }
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
    /// A pass under way ([`FilterIndex::sync_until`] stopped at its
    /// deadline); none once the index is in step.
    pass: Option<Pass>,
    /// The last pass ended with the model moved during it and the chunks
    /// made before not checked again (the capture goes on): the next look
    /// begins a pass even if the model stood still since.
    behind: bool,
}

/// How far a pass that brings the chunks in step has come.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// The generation and clock the chunks were laid out for.
    at: (u64, Clock),
    /// The chunks below this chunk number are made.
    to: u64,
    /// The model or the clock moved during the pass: the chunks made
    /// before may be behind, and are checked again at its end.
    moved: bool,
}

/// Chunks made between two looks at the deadline: one per core, a few
/// milliseconds at 4,096 dialogs each.
fn batch() -> usize {
    threads()
}

impl FilterIndex {
    /// Brings the texts in step with the model at `clock`: nothing to do
    /// when neither moved; otherwise each chunk is checked, dialog by
    /// dialog, and made again only if one of them changed.
    pub fn sync(&mut self, model: &Model, clock: Clock) {
        self.sync_until(model, clock, None);
    }

    /// [`FilterIndex::sync`], stopping once `deadline` has passed (checked
    /// after each batch of chunks, one chunk per core; a batch at least is
    /// made); the next call goes
    /// on where it stopped. Says whether the index is in step. Meanwhile
    /// the index searches the chunks made so far (the UI loop makes the
    /// index a few milliseconds at a time after `/`, and the keys typed
    /// meanwhile show what is made).
    pub fn sync_until(&mut self, model: &Model, clock: Clock, deadline: Option<Instant>) -> bool {
        let at = (model.generation(), clock);
        if self.synced == Some(at) && !self.behind {
            return true;
        }
        let mut pass = match self.pass {
            Some(p) if p.at == at => p,
            Some(p) => {
                self.lay_out(model);
                Pass {
                    at,
                    to: p.to,
                    moved: true,
                }
            }
            None => {
                self.lay_out(model);
                Pass {
                    at,
                    to: self.first,
                    moved: false,
                }
            }
        };
        let end = self.first + self.chunks.len() as u64;
        pass.to = pass.to.max(self.first);
        while pass.to < end {
            let from = usize::try_from(pass.to - self.first).unwrap_or(usize::MAX);
            let n = if deadline.is_some() {
                batch()
            } else {
                self.chunks.len()
            };
            let part = self.chunks.get_mut(from..).unwrap_or_default();
            let len = n.min(part.len());
            let part = part.get_mut(..len).unwrap_or_default();
            let made = part.len();
            sync_chunks(part, model, clock, pass.to);
            pass.to += made as u64;
            // At least a batch per call: the pass always moves on.
            if pass.to < end && deadline.is_some_and(|d| Instant::now() >= d) {
                self.pass = Some(pass);
                return false;
            }
        }
        if pass.moved && clock.ended {
            // Chunks made before the model moved: checked again (each is
            // made again only if one of its dialogs changed). Not while
            // the capture goes on (live, a file being read): the model
            // moves again before the next look, which begins a new pass
            // anyway, and a check of every chunk at once is not bounded.
            let first = self.first;
            sync_chunks(&mut self.chunks, model, clock, first);
        }
        self.pass = None;
        self.synced = Some(at);
        self.behind = pass.moved && !clock.ended;
        !self.behind
    }

    /// Is a pass under way, or none made yet (see
    /// [`FilterIndex::sync_until`])?
    #[must_use]
    pub fn partial(&self) -> bool {
        self.pass.is_some() || self.synced.is_none()
    }

    /// Is the index being made for the first time (no pass has ever been
    /// whole)? Later passes only bring made texts in step.
    #[must_use]
    pub fn first_pass(&self) -> bool {
        self.synced.is_none()
    }

    /// How many dialogs the chunks made so far hold: while the index is
    /// made for the first time, a figure that never goes backwards (the
    /// share made does, while a file is read and the model grows).
    #[must_use]
    pub fn made_count(&self) -> usize {
        let to = match self.pass {
            Some(p) => p.to.saturating_sub(self.first),
            None if self.synced.is_some() => u64::MAX,
            None => 0,
        };
        let to = usize::try_from(to).unwrap_or(usize::MAX);
        self.chunks.iter().take(to).map(|c| c.entries.len()).sum()
    }

    /// How much of a pass under way is done, from 0 to 1 (1: none under way
    /// and the index made; 0: not begun).
    #[must_use]
    pub fn progress(&self) -> f64 {
        match self.pass {
            Some(p) if !self.chunks.is_empty() => {
                p.to.saturating_sub(self.first) as f64 / self.chunks.len() as f64
            }
            Some(_) => 0.0,
            None if self.synced.is_none() => 0.0,
            None => 1.0,
        }
    }

    /// Lays the chunks out for the model's ids (a chunk per [`CHUNK`] ids
    /// from the first dialog's to the last's), each made chunk kept in its
    /// place; the others empty until made.
    fn lay_out(&mut self, model: &Model) {
        let (Some(lo), Some(hi)) = (model.dialogs().next(), model.dialogs().next_back()) else {
            self.chunks = Vec::new();
            return;
        };
        let (lo, hi) = (lo.id.0 / CHUNK as u64, hi.id.0 / CHUNK as u64);
        let mut old = std::mem::take(&mut self.chunks);
        let old_first = self.first;
        self.chunks = (lo..=hi)
            .map(|c| {
                c.checked_sub(old_first)
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| old.get_mut(i))
                    .map(std::mem::take)
                    .unwrap_or_default()
            })
            .collect();
        self.first = lo;
    }

    /// The dialogs whose text (or findings) the query matches, in id order.
    /// Call [`FilterIndex::sync`] first.
    #[must_use]
    pub fn search(&self, q: &Query, model: &Model, clock: Clock) -> Vec<DialogId> {
        self.search_chunks(q, model, clock, 0..self.chunks.len())
    }

    /// [`FilterIndex::search`] in the chunks at places `range` (0 is the
    /// first chunk; see [`FilterIndex::chunk_count`]): a search made a part
    /// at a time ([`SearchPass`]).
    #[must_use]
    pub fn search_chunks(
        &self,
        q: &Query,
        model: &Model,
        clock: Clock,
        range: std::ops::Range<usize>,
    ) -> Vec<DialogId> {
        let first = self.first + range.start as u64;
        let chunks = self.chunks.get(range).unwrap_or_default();
        let parts = in_parts(chunks, PARALLEL_CHUNKS, |at, part| {
            let own = OwnRegexes::of(q);
            let q = &own.query(q);
            let mut out = Vec::new();
            for (i, c) in part.iter().enumerate() {
                let base = (first + (at + i) as u64) * CHUNK as u64;
                c.search(q, model, clock, base, &mut out);
            }
            out
        });
        parts.concat()
    }

    /// How many dialogs the index holds.
    #[must_use]
    pub fn dialog_count(&self) -> usize {
        self.chunks.iter().map(|c| c.entries.len()).sum()
    }

    /// How many chunks the index has (made or not).
    #[must_use]
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// The chunk at `place` (0 is the first): its number (id / 4,096) and
    /// its stamp (see [`Chunk::stamp`]).
    fn chunk_at(&self, place: usize) -> Option<(u64, u64)> {
        let c = self.chunks.get(place)?;
        Some((self.first + place as u64, c.stamp))
    }

    /// [`FilterIndex::search`] in the chunks at `places` (in order), the
    /// dialogs passed in each, the chunks split over the cores.
    fn search_places(
        &self,
        q: &Query,
        model: &Model,
        clock: Clock,
        places: &[usize],
    ) -> Vec<Vec<DialogId>> {
        let parts = in_parts(places, PARALLEL_CHUNKS, |_, part| {
            let own = OwnRegexes::of(q);
            let q = &own.query(q);
            part.iter()
                .map(|&p| {
                    let mut out = Vec::new();
                    if let Some(c) = self.chunks.get(p) {
                        let base = (self.first + p as u64) * CHUNK as u64;
                        c.search(q, model, clock, base, &mut out);
                    }
                    out
                })
                .collect::<Vec<_>>()
        });
        parts.concat()
    }

    /// Of `rows`, those the query matches, in their order (a filter that
    /// only narrows the one before). Call [`FilterIndex::sync`] first.
    #[must_use]
    pub fn narrow(
        &self,
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
        let this = self;
        let parts = in_parts(rows, PARALLEL_ROWS, |_, part| {
            let own = OwnRegexes::of(q);
            let q = &own.query(q);
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
                })
                .sum::<usize>()
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

/// Do the findings of dialog `id` have a rule the query matches? From the
/// query's masks when it has them (the findings looked at once, then
/// kept), else from the findings themselves.
fn names_a_rule(q: &Query, model: &Model, clock: Clock, id: DialogId) -> bool {
    if q.rules == 0 {
        return false;
    }
    let Some(slot) = q.masks.and_then(|m| m.slot(id)) else {
        return model
            .dialog(id)
            .is_some_and(|d| findings_match(q, model, d, clock));
    };
    let mut mask = slot.load(Relaxed);
    if mask == UNKNOWN {
        if q.rules_later {
            return false;
        }
        mask = model.dialog(id).map_or(0, |d| rule_mask(model, d, clock));
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

/// The rules of the dialog's findings at `clock`, as bits. At the
/// capture's own clock (a file, a capture stopped) the rules are run
/// without the model's cache of findings: a filter looks at every dialog
/// once, and the cache would keep a million findings.
fn rule_mask(model: &Model, d: &Dialog, clock: Clock) -> u64 {
    let bits = |f: &[crate::model::findings::Finding]| {
        f.iter()
            .map(|f| {
                CATALOGUE
                    .iter()
                    .position(|r| r.id == f.rule)
                    .map_or(OTHER_RULE, rule_bit)
            })
            .fold(0, |m, b| m | b)
    };
    if clock.now_ns == model.now_ns() {
        bits(&model.run_rules(d))
    } else {
        bits(&model.findings_at(d, clock.now_ns))
    }
}

/// The rules of each dialog's findings (bit = place in the catalogue), by
/// dialog id from the first dialog's, [`UNKNOWN`] until a filter naming a
/// rule looks. Kept while the model and the clock stand still (a file read
/// to its end), also when the filter's index is let go: a filter naming
/// rule ids runs the rules once per dialog, not once per `/`. Made only
/// for such a filter: 8 bytes per id (8 MB at a million dialogs).
#[derive(Debug, Default)]
pub struct RuleMasks {
    /// The model's generation and the clock the masks were made at.
    at: Option<(u64, Clock)>,
    /// The id of `masks[0]`.
    base: u64,
    masks: Vec<AtomicU64>,
    /// The masks below this place are known (see [`RuleMasks::fill_until`]).
    filled: usize,
}

impl RuleMasks {
    /// Makes the masks ready for a query (nothing when it names no rule):
    /// all unknown again if the model or the clock moved.
    pub fn prepare(&mut self, q: &Query, model: &Model, clock: Clock) {
        if q.rules != 0 {
            self.ready(model, clock);
        }
    }

    /// The masks, all unknown, unless made at this model and clock.
    fn ready(&mut self, model: &Model, clock: Clock) {
        let at = (model.generation(), clock);
        if self.at == Some(at) && !self.masks.is_empty() {
            return;
        }
        let (Some(lo), Some(hi)) = (model.dialogs().next(), model.dialogs().next_back()) else {
            *self = Self::default();
            return;
        };
        let n = usize::try_from(hi.id.0 - lo.id.0 + 1).unwrap_or(0);
        self.masks = Vec::new();
        self.masks.resize_with(n, || AtomicU64::new(UNKNOWN));
        self.base = lo.id.0;
        self.at = Some(at);
        self.filled = 0;
    }

    /// Works out the masks of every dialog, a batch at a time (ids over
    /// the cores) until `deadline`: ahead of a filter that names rule ids
    /// once the capture has ended (the clock then stands still: the masks
    /// are made once for the model), or when `needed` (the rows of such a
    /// filter wait for them). The UI loop does this while the filter is
    /// typed, after the index is whole. Says whether it is done.
    pub fn fill_until(
        &mut self,
        model: &Model,
        clock: Clock,
        deadline: Instant,
        needed: bool,
    ) -> bool {
        if !clock.ended && !needed {
            return true;
        }
        self.ready(model, clock);
        // A batch is a few milliseconds (the rules of a dialog take a few
        // microseconds): the deadline is looked at after each.
        let per_core = if cfg!(test) { 512 } else { 1024 };
        let base = self.base;
        while self.filled < self.masks.len() {
            let from = self.filled;
            let part = self
                .masks
                .get(from..(from + per_core * threads()).min(self.masks.len()))
                .unwrap_or_default();
            in_parts(part, 2, |at, part| {
                for (i, slot) in part.iter().enumerate() {
                    if slot.load(Relaxed) != UNKNOWN {
                        continue;
                    }
                    let id = DialogId(base + (from + at + i) as u64);
                    if let Some(d) = model.dialog(id) {
                        slot.store(rule_mask(model, d, clock), Relaxed);
                    }
                }
            });
            self.filled += part.len().max(1);
            if Instant::now() >= deadline {
                break;
            }
        }
        self.filled >= self.masks.len()
    }

    /// Are the masks of every dialog known (made ahead by
    /// [`RuleMasks::fill_until`])?
    #[must_use]
    pub fn all_known(&self) -> bool {
        self.filled >= self.masks.len()
    }

    /// How much of the masks is worked out ahead, from 0 to 1.
    #[must_use]
    pub fn progress(&self) -> f64 {
        if self.masks.is_empty() {
            return 1.0;
        }
        self.filled.min(self.masks.len()) as f64 / self.masks.len() as f64
    }

    /// Forgets them when the model or the clock moved (they are made again
    /// on demand).
    pub fn keep_if(&mut self, model: &Model, clock: Clock) {
        if self.at != Some((model.generation(), clock)) {
            *self = Self::default();
        }
    }

    fn slot(&self, id: DialogId) -> Option<&AtomicU64> {
        let at = usize::try_from(id.0.checked_sub(self.base)?).ok()?;
        self.masks.get(at)
    }

    /// What the masks hold on the heap, in bytes.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.masks.capacity() * size_of::<AtomicU64>()
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
        let newline = memchr::memchr_iter(END, text.as_bytes()).count() != entries.len();
        *self = Self {
            text,
            entries,
            slots,
            newline,
            stamp: STAMPS.fetch_add(1, Relaxed),
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
            Needle::Regex { re, .. } => re.is_match(text),
            Needle::Original(re) => model
                .dialog(id)
                .is_some_and(|d| re.is_match(&d.filter_text(clock))),
        };
        hit || names_a_rule(q, model, clock, id)
    }

    /// Appends the ids of the entries the query matches, in order.
    fn search(&self, q: &Query, model: &Model, clock: Clock, base: u64, out: &mut Vec<DialogId>) {
        let id = |e: &Entry| DialogId(base + u64::from(e.lo));
        if let Needle::Regex {
            re,
            lines: Some(lines),
        } = q.needle
            && !self.newline
        {
            self.search_lines(q, re, lines, model, clock, base, out);
            return;
        }
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
                && ((!e.ascii && re.is_match(self.text(i))) || names_a_rule(q, model, clock, id(e)))
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

impl Chunk {
    /// [`Chunk::search`] for a regex run over the whole chunk (see
    /// [`Needle::Regex`]). From the start of the first text not yet
    /// decided, the end of the match that ends first: the texts before the
    /// one it ends in hold no match of their own (one would end sooner);
    /// the text it ends in passes if it is the one the search began in
    /// (the match is inside it), else that text alone is asked (the match
    /// may have begun in an earlier text). The search goes on from the next
    /// text. Only the end is sought: no search backwards for a start.
    #[allow(clippy::too_many_arguments)]
    fn search_lines(
        &self,
        q: &Query,
        re: &Regex,
        lines: &Regex,
        model: &Model,
        clock: Clock,
        base: u64,
        out: &mut Vec<DialogId>,
    ) {
        let id = |e: &Entry| DialogId(base + u64::from(e.lo));
        let wanted = |e: &Entry| !q.only_calls || e.key.call;
        let (mut pos, mut next) = (0, 0);
        while next < self.entries.len() {
            let Some(end) = lines.shortest_match_at(&self.text, pos) else {
                break;
            };
            let began = next;
            while let Some(e) = self.entries.get(next)
                && e.end < end
            {
                if wanted(e) && names_a_rule(q, model, clock, id(e)) {
                    out.push(id(e));
                }
                next += 1;
            }
            let Some(e) = self.entries.get(next) else {
                break;
            };
            if wanted(e)
                && (next == began
                    || re.is_match(self.text(next))
                    || names_a_rule(q, model, clock, id(e)))
            {
                out.push(id(e));
            }
            pos = e.end + 1;
            next += 1;
        }
        for e in self.entries.iter().skip(next) {
            if wanted(e) && names_a_rule(q, model, clock, id(e)) {
                out.push(id(e));
            }
        }
    }
}

/// A search of the whole index made a part at a time: a key applied within
/// its budget shows the rows of the chunks searched so far, and the UI loop
/// searches the rest a slice a turn. It keeps what it found in each chunk
/// with the chunk's stamp, so it outlives the model's moves (live, a file
/// being read): a chunk made again since (a dialog came, gained a message,
/// changed state) is searched again, the others stay searched, and new
/// chunks are searched as they come. Valid for the filter it was begun for
/// (`at`, compared by the call list).
#[derive(Debug)]
pub struct SearchPass<K> {
    pub at: K,
    /// By chunk number: the stamp of the chunk searched, the dialogs it
    /// passed, in id order.
    parts: BTreeMap<u64, (u64, Vec<DialogId>)>,
}

impl<K> SearchPass<K> {
    #[must_use]
    pub fn new(at: K) -> Self {
        Self {
            at,
            parts: BTreeMap::new(),
        }
    }

    /// A pass for `at` that keeps what `before` searched, each chunk's
    /// dialogs put through `narrow` (a filter that only narrows
    /// `before`'s: its rows there are among `before`'s).
    #[must_use]
    pub fn narrowed<B>(
        at: K,
        before: &SearchPass<B>,
        mut narrow: impl FnMut(&[DialogId]) -> Vec<DialogId>,
    ) -> Self {
        let parts = before
            .parts
            .iter()
            .map(|(n, (stamp, ids))| (*n, (*stamp, narrow(ids))))
            .collect();
        Self { at, parts }
    }

    /// The places of the chunks not searched as they are now.
    fn stale(&self, index: &FilterIndex) -> Vec<usize> {
        (0..index.chunk_count())
            .filter(|&p| {
                index
                    .chunk_at(p)
                    .is_some_and(|(n, stamp)| self.parts.get(&n).map(|x| x.0) != Some(stamp))
            })
            .collect()
    }

    /// Searches on, a batch of chunks (a few per core) at a time, until
    /// `deadline` (a batch at least); says whether the whole index is
    /// searched as it is now.
    pub fn run(
        &mut self,
        index: &FilterIndex,
        q: &Query,
        model: &Model,
        clock: Clock,
        deadline: Instant,
    ) -> bool {
        // Chunks gone (the oldest dialogs rotated out, the model cleared).
        let first = index.first;
        let end = first + index.chunk_count() as u64;
        self.parts.retain(|n, _| (first..end).contains(n));
        let stale = self.stale(index);
        for batch in stale.chunks(search_batch()) {
            let found = index.search_places(q, model, clock, batch);
            for (&p, ids) in batch.iter().zip(found) {
                if let Some((n, stamp)) = index.chunk_at(p) {
                    self.parts.insert(n, (stamp, ids));
                }
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        self.done(index)
    }

    /// Is the whole index searched, as it is now?
    #[must_use]
    pub fn done(&self, index: &FilterIndex) -> bool {
        (0..index.chunk_count()).all(|p| {
            index
                .chunk_at(p)
                .is_none_or(|(n, stamp)| self.parts.get(&n).map(|x| x.0) == Some(stamp))
        })
    }

    /// How much of the index is searched as it is now, from 0 to 1.
    #[must_use]
    pub fn progress(&self, index: &FilterIndex) -> f64 {
        let len = index.chunk_count();
        if len == 0 {
            return 1.0;
        }
        (len - self.stale(index).len()) as f64 / len as f64
    }

    /// The dialogs passed in the chunks searched as they are now, in id
    /// order: the rows of the part searched.
    #[must_use]
    pub fn ids(&self, index: &FilterIndex) -> Vec<DialogId> {
        let mut out = Vec::with_capacity(self.passed());
        for p in 0..index.chunk_count() {
            if let Some((n, stamp)) = index.chunk_at(p)
                && let Some((s, ids)) = self.parts.get(&n)
                && *s == stamp
            {
                out.extend_from_slice(ids);
            }
        }
        out
    }

    /// How many dialogs it passed so far (in chunks searched, as they are
    /// now or were).
    #[must_use]
    pub fn passed(&self) -> usize {
        self.parts.values().map(|(_, ids)| ids.len()).sum()
    }

    /// What it holds on the heap, in bytes.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.parts
            .values()
            .map(|(_, ids)| ids.capacity() * size_of::<DialogId>() + 48)
            .sum()
    }
}

/// Chunks between two looks at a search's deadline: four per core (a
/// regex over a chunk of 4,096 texts takes about a third of a millisecond);
/// one in tests.
fn search_batch() -> usize {
    if cfg!(test) { 1 } else { 4 * threads() }
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

/// Brings `chunks` (the first is chunk number `first`) in step, over the
/// cores.
fn sync_chunks(chunks: &mut [Chunk], model: &Model, clock: Clock, first: u64) {
    in_parts_mut(chunks, PARALLEL_CHUNKS.min(batch()), |at, part| {
        for (i, c) in part.iter_mut().enumerate() {
            c.sync(model, clock, (first + (at + i) as u64) * CHUNK as u64);
        }
    });
}

/// How many threads a pass may use.
pub(crate) fn threads() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// `f` over consecutive parts of `items` (each with its offset), one part
/// per core once there are at least `min` items; the results in order.
pub(crate) fn in_parts<T: Sync, R: Send>(
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
