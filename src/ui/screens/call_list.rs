//! The call list's state: its rows (filtered and sorted), cursor, sort and
//! what it follows. The view is `ui/views/call_list.rs`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::nav::{DrawnRows, Screen, Step, movement, step_cursor};
use super::sort::SlicedSort;
use crate::config::Column;
use crate::keymap::Action;
use crate::model::{Clock, Dialog, DialogId, DialogKind, Model};
use crate::text::uri_of;
use crate::ui::filter::RowFilter;
use crate::ui::filter_index::{FilterIndex, RecentRows, RuleMasks, SearchPass, in_parts};

#[derive(Debug)]
pub struct CallListState {
    rows: Vec<DialogId>,
    rows_generation: Option<u64>,
    rows_dirty: bool,
    /// What the rows were last computed with.
    rows_made: Option<Made>,
    /// The dialogs' filter texts, while a display filter is in use (see
    /// [`FilterIndex`]).
    index: Option<FilterIndex>,
    /// The rows of the last few display filters (Backspace).
    recent: RecentRows,
    /// The rules of the dialogs' findings, for filters naming rule ids.
    rule_masks: RuleMasks,
    /// The index is made a few milliseconds at a time by the UI loop
    /// ([`CallListState::prepare_filter`] with a deadline), not at once
    /// when a key needs it: rows are then searched in the part made so
    /// far, and made again once it is whole.
    pub incremental: bool,
    /// The rules of findings a filter names are run a slice at a time by
    /// the UI loop too ([`CallListState::prepare_filter`]), the rows shown
    /// meanwhile those of the rules run so far: set by the loop when it
    /// reads files. Not live: there the clock moves every turn, and the
    /// rules' masks with it (each dialog's rules run when a key needs them).
    pub rules_in_slices: bool,
    /// How long a key may search the filter's index once the capture has
    /// ended (none: the whole index at once): past it, the rows are those
    /// of the part searched and the loop searches on a slice a turn. Set
    /// by the UI loop.
    pub search_budget: Option<Duration>,
    /// A search of the index under way (see `search_budget`).
    search: Option<SearchPass<Sought>>,
    /// The rows came from an index not yet whole.
    partial: bool,
    /// The rows were all the filter passes when made (in whatever order):
    /// no part of an index, a search or the rules.
    rows_complete: bool,
    /// A sort under way (a large list once the capture has ended, by
    /// another column than the index): the rows are in id order meanwhile
    /// and the loop sorts on a slice a turn.
    sorting: Option<SlicedSort<SortKey, (u64, Clock, Column)>>,
    /// The rows were made with the rules of some dialogs' findings not yet
    /// known (taken as none: see
    /// [`crate::ui::filter_index::Query::rules_later`]); the loop works
    /// them out a slice at a time, then the rows are made again.
    rules_pending: bool,
    /// The dialog the cursor was on when the filter changed: it stays
    /// there if the dialog still passes (as sngrep does), else the cursor
    /// goes to the top. Kept while the rows are those of a part.
    keep: Option<DialogId>,
    /// The dialog the cursor was kept for when a filter left it out: the
    /// next filter change looks for it again (a typo, then Backspace,
    /// finds the place again). Moving by hand forgets it.
    anchor: Option<DialogId>,
    /// The rules' masks are all known (or need not be made ahead).
    masks_filled: bool,
    pub cursor: usize,
    /// The rows as last drawn (the view keeps the cursor in sight).
    pub drawn: DrawnRows,
    pub sort: Column,
    pub ascending: bool,
    /// Follow new dialogs: the cursor stays on the last row.
    pub autoscroll: bool,
    /// Only INVITE dialogs.
    pub only_calls: bool,
}

impl CallListState {
    #[must_use]
    pub fn new(autoscroll: bool) -> Self {
        Self {
            rows: Vec::new(),
            rows_generation: None,
            rows_dirty: true,
            rows_made: None,
            index: None,
            recent: RecentRows::default(),
            rule_masks: RuleMasks::default(),
            incremental: false,
            rules_in_slices: false,
            search_budget: None,
            search: None,
            partial: false,
            rows_complete: false,
            sorting: None,
            rules_pending: false,
            keep: None,
            anchor: None,
            masks_filled: false,
            cursor: 0,
            drawn: DrawnRows::default(),
            sort: Column::Index,
            ascending: true,
            autoscroll,
            only_calls: false,
        }
    }

    /// The dialogs shown, filtered and sorted.
    #[must_use]
    pub fn rows(&self) -> &[DialogId] {
        &self.rows
    }

    /// The dialog under the cursor.
    #[must_use]
    pub fn current(&self) -> Option<DialogId> {
        self.rows.get(self.cursor).copied()
    }

    /// The rows must be computed again (the clock moved, a filter changed).
    pub fn invalidate(&mut self) {
        self.rows_dirty = true;
    }

    /// A filter changed: the rows again, not following; the cursor stays
    /// on its dialog if it passes, else goes to the top.
    pub fn refilter(&mut self) {
        self.autoscroll = false;
        if self.keep.is_none() {
            self.keep = self.anchor.take().or_else(|| self.current());
        }
        self.rows_dirty = true;
    }

    /// The model was cleared.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.search = None;
        self.sorting = None;
        self.keep = None;
        self.anchor = None;
        self.index = None;
        self.recent.clear();
        self.rule_masks = RuleMasks::default();
        self.rows_made = None;
        self.rows_dirty = true;
    }

    /// Did a filter, the sort or the clock change the rows (not only new
    /// traffic)?
    #[must_use]
    pub fn rows_changed(&self) -> bool {
        self.rows_dirty
    }

    /// Do the rows need computing for this model?
    #[must_use]
    pub fn stale(&self, model: &Model) -> bool {
        self.rows_dirty || self.rows_generation != Some(model.generation())
    }

    /// Computes the rows (see [`CallListState::stale`]); `clock` dates
    /// states and durations. The cursor stays on its dialog, or, when
    /// `follow` and autoscroll, goes to the last row. `typing`: the display
    /// filter is being typed (its index is kept even while it is empty).
    pub fn refresh(
        &mut self,
        model: &Model,
        filter: &RowFilter,
        clock: Clock,
        follow: bool,
        typing: bool,
    ) {
        let cursor_id = self.keep.or_else(|| self.current());
        // Where the cursor is now: it stays there when the dialog it is
        // to go back to does not pass (Enter on a filter typed while its
        // rows were still coming, after a sort moved the cursor).
        let under_cursor = self.current();
        let now = clock;
        let started = Instant::now();
        let sort_by = self.search_budget.map(|b| started + b);
        let made = self.made(filter, model, now);
        let narrowing = !self.partial
            && !self.rules_pending
            && !self.searching()
            && self.sorting.is_none()
            && self
                .rows_made
                .as_ref()
                .is_some_and(|m| made.narrows(m, filter));
        // The same rows as before in another order (a sort key, the model
        // and the filter as they were): the rows sorted again, not made
        // again (at a million dialogs, a pass over them all).
        let same_rows =
            self.rows_complete && self.rows_made.as_ref().is_some_and(|m| made.same_rows(m));
        let mut query = filter.query(self.only_calls);
        self.partial = false;
        self.rules_pending = false;
        // A search under way is taken up again below if it is still for
        // these rows; otherwise it is dropped.
        let search = self.search.take();
        self.rule_masks.keep_if(model, now);
        if self.rule_masks.heap_bytes() == 0 {
            self.masks_filled = false;
        }
        if let Some(q) = &mut query {
            self.rule_masks.prepare(q, model, now);
            q.masks = Some(&self.rule_masks);
            // The rules not yet known wait for the loop's slices, the rows
            // of those known are shown meanwhile.
            q.rules_later = self.rules_in_slices && q.rules != 0 && !self.rule_masks.all_known();
        }
        if query.is_none() && !typing {
            // No display filter in use: its texts are let go.
            self.index = None;
            self.recent.clear();
        }
        self.recent.at((
            model.generation(),
            now,
            filter.form_version(),
            self.only_calls,
        ));
        let before = self.rows_made.as_ref().map(|m| m.sort);
        if same_rows && before == Some((self.sort, self.ascending)) && self.sorting.is_none() {
            // Nothing moved (autoscroll, the clock standing still): the
            // rows as they are, the search kept.
            self.search = search;
        } else if same_rows
            && before == Some((self.sort, !self.ascending))
            && self.sorting.is_none()
        {
            // Only the direction changed.
            self.rows.reverse();
            self.search = search;
        } else if same_rows {
            self.search = search;
            let ids = match &self.sorting {
                // The rows a sort under way holds (whatever their order).
                Some(job) => job.ids.clone(),
                None => {
                    let mut ids = std::mem::take(&mut self.rows);
                    if self.sort == Column::Index {
                        ids.sort_unstable();
                    }
                    ids
                }
            };
            self.rows = self.sorted(ids, model, now, sort_by.map(|d| (d, false)));
        } else if let Some(ids) = query.as_ref().and_then(|_| self.recent.get(filter.text())) {
            // A filter typed a moment ago (Backspace): its rows are kept.
            self.rows = self.sorted(ids, model, now, sort_by.map(|d| (d, false)));
        } else if let Some(q) = &query {
            let index = self.index.get_or_insert_with(FilterIndex::default);
            let started = Instant::now();
            // Bounded once the capture has ended, and while it goes on for
            // filters that name no rule ids (live, the rules move with the
            // clock at every turn: those are searched whole).
            let budget = self
                .search_budget
                .filter(|_| self.incremental && (now.ended || q.rules == 0));
            if self.incremental && index.first_pass() {
                // The index is being made: the part made so far.
                self.partial = true;
            } else if budget.is_some() && !now.ended {
                // The model moves: the index brought in step a batch of
                // chunks in the key (the loop goes on a slice a turn); the
                // search keeps what it found in chunks that did not move.
                index.sync_until(model, now, Some(started));
            } else {
                index.sync(model, now);
            }
            if narrowing {
                // The same model and order, a filter that only narrows: the
                // rows it passed before, in their order, are all it can pass.
                self.rows = index.narrow(&self.rows, q, model, now);
            } else {
                let budget = budget.filter(|_| !self.partial);
                let mut ids = match budget {
                    Some(budget) => {
                        // Searched for the budget (a pass begun for this
                        // filter goes on, keeping the chunks it searched that
                        // did not move since); the rest in the loop's slices.
                        let at = Sought::of(filter, self.only_calls, q.rules_later);
                        let mut pass = match search {
                            Some(p) if p.at == at => p,
                            // A key that extends plain text while few rows
                            // have passed so far: those rows narrowed, and
                            // the search on from where it was.
                            Some(p)
                                if at.narrows(&p.at, filter)
                                    && p.passed() <= index.dialog_count() / 8 =>
                            {
                                SearchPass::narrowed(at, &p, |ids| index.narrow(ids, q, model, now))
                            }
                            _ => SearchPass::new(at),
                        };
                        pass.run(index, q, model, now, started + budget);
                        let ids = pass.ids(index);
                        // Kept while the filter is in force: the next
                        // refresh searches only what moved.
                        self.search = Some(pass);
                        ids
                    }
                    None => index.search(q, model, now),
                };
                if filter.form_active() {
                    ids.retain(|id| {
                        model
                            .dialog(*id)
                            .is_some_and(|d| filter.form_matches(model, d, now))
                    });
                }
                // The rows of a part are not sorted in slices: the order is
                // made once they are whole.
                let part = self.partial || self.searching() || q.rules_later;
                // Fields apart: the query borrows the rule masks.
                self.rows = sorted(
                    &mut self.sorting,
                    (self.sort, self.ascending, self.incremental),
                    ids,
                    model,
                    now,
                    sort_by.map(|d| (d, part)),
                );
            }
            self.rules_pending = q.rules_later;
            if !self.partial && !self.rules_pending && !self.searching() && self.sorting.is_none() {
                self.recent.put(filter.text(), &self.rows);
            }
        } else if let Some(index) = self
            .index
            .as_mut()
            .filter(|i| !(filter.form_active() || (self.incremental && i.partial())))
        {
            // The filter's line is empty while typing: every dialog, from
            // the index (no pass over the dialogs themselves).
            index.sync(model, now);
            let ids = index.all(self.only_calls);
            self.rows = self.sorted(ids, model, now, sort_by.map(|d| (d, false)));
        } else {
            let ids = model
                .dialogs()
                .filter(|d| !self.only_calls || d.kind == DialogKind::Call)
                .filter(|d| !filter.form_active() || filter.form_matches(model, d, now))
                .map(|d| d.id)
                .collect();
            self.rows = self.sorted(ids, model, now, sort_by.map(|d| (d, false)));
        }
        self.rows_made = Some(made);
        self.rows_complete = !self.partial && !self.rules_pending && !self.searching();
        self.rows_generation = Some(model.generation());
        self.rows_dirty = false;
        if self.autoscroll && follow {
            self.cursor = self.rows.len().saturating_sub(1);
        } else if let Some(id) = cursor_id {
            let at = self.rows.iter().position(|r| *r == id).or_else(|| {
                under_cursor
                    .filter(|u| *u != id)
                    .and_then(|u| self.rows.iter().position(|r| *r == u))
            });
            // After a filter change, a dialog that no longer passes leaves
            // the cursor at the top; after new traffic, where it was.
            let missing = if self.keep.is_some() { 0 } else { self.cursor };
            self.cursor = at.unwrap_or(missing);
        }
        if !self.partial
            && !self.rules_pending
            && !self.searching()
            && self.sorting.is_none()
            && let Some(k) = self.keep.take()
        {
            self.anchor = (self.current() != Some(k)).then_some(k);
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// Makes the display filter's index ready (the texts of every dialog),
    /// so the first key typed into the filter finds it made; with a
    /// deadline, as much as fits before it (see
    /// [`FilterIndex::sync_until`]). Says whether the rows must be made
    /// again: they came from an index that is now whole.
    pub fn prepare_filter(
        &mut self,
        model: &Model,
        filter: &RowFilter,
        clock: Clock,
        deadline: Option<Instant>,
    ) -> bool {
        if let Some(job) = &mut self.sorting {
            // The sort a key began: on, for the slice; the rows once it
            // is made. Nothing else meanwhile (the rows wait for it).
            let shown = percent(job.progress());
            if let Some(deadline) = deadline
                && !self.rows_dirty
                && let (_, at, key) = job.at
                && !job.run(
                    |id| model.dialog(id).map(|d| sort_key(key, d, at, model)),
                    key == Column::Findings,
                    deadline,
                )
            {
                // Drawn again when the "sorting P %" it shows moves (a
                // Findings sort runs the rules of every dialog: seconds).
                return percent(job.progress()) != shown;
            }
            self.rows_dirty = true;
            return true;
        }
        let index = self.index.get_or_insert_with(FilterIndex::default);
        let whole = index.sync_until(model, clock, deadline);
        if self.partial && !index.first_pass() {
            self.rows_dirty = true;
            return true;
        }
        // Live, or while a file is read, the index is seldom whole (the
        // model moves between passes): the search goes on over the chunks
        // made.
        if !index.first_pass()
            && let Some(deadline) = deadline
            && self.searching()
            && !self.rows_dirty
        {
            // The search a key began: on, for the slice; the rows once it
            // is whole.
            return self.search_on(model, filter, clock, deadline);
        }
        if whole && let Some(deadline) = deadline {
            // Time left in the slice, the index whole: the rules of the
            // dialogs' findings, ahead of a filter that names rule ids (or
            // for the one in force, whose rows wait for them).
            self.masks_filled =
                self.rule_masks
                    .fill_until(model, clock, deadline, self.rules_pending);
            if self.rules_pending && self.masks_filled {
                self.rows_dirty = true;
                return true;
            }
        }
        false
    }

    /// Goes on with the search under way until `deadline`; says whether
    /// the rows must be made again (it is whole, or no longer theirs).
    fn search_on(
        &mut self,
        model: &Model,
        filter: &RowFilter,
        clock: Clock,
        deadline: Instant,
    ) -> bool {
        let (Some(pass), Some(index), Some(mut q)) = (
            self.search.as_mut(),
            self.index.as_ref(),
            filter.query(self.only_calls),
        ) else {
            self.search = None;
            self.rows_dirty = true;
            return true;
        };
        if pass.at != Sought::of(filter, self.only_calls, pass.at.rules_later) {
            // The filter moved: the rows again.
            self.search = None;
            self.rows_dirty = true;
            return true;
        }
        q.masks = Some(&self.rule_masks);
        q.rules_later = pass.at.rules_later;
        if pass.run(index, &q, model, clock, deadline) {
            self.rows_dirty = true;
            return true;
        }
        false
    }

    /// What the rows are made with, for `filter` now.
    fn made(&self, filter: &RowFilter, model: &Model, now: Clock) -> Made {
        Made {
            text: filter.text().to_owned(),
            form: filter.form_version(),
            generation: model.generation(),
            now,
            only_calls: self.only_calls,
            sort: (self.sort, self.ascending),
        }
    }

    /// Are the rows those of a part (the filter's index being made or
    /// searched, or the rules of some dialogs' findings not yet known)?
    /// Then what is being worked out, and how much of it is done, from 0
    /// to 1.
    #[must_use]
    pub fn rows_progress(&self) -> Option<(Pending, f64)> {
        if let Some(done) = self.filter_progress() {
            return Some((Pending::Index, done));
        }
        if let (Some(pass), Some(index)) = (&self.search, &self.index)
            && !pass.done(index)
        {
            return Some((Pending::Search, pass.progress(index)));
        }
        if self.rules_pending {
            return Some((Pending::Findings, self.rule_masks.progress()));
        }
        self.sorting
            .as_ref()
            .map(|job| (Pending::Sort, job.progress()))
    }

    /// The cursor's dialog was acted on (opened, selected): its place is
    /// where the user is now, not where a filter moved them from.
    pub fn settle(&mut self) {
        self.anchor = None;
    }

    /// Is the cursor waiting for its dialog: the filter changed, the rows
    /// are those of a part, and the dialog the cursor was on is not among
    /// them yet? An action on the cursor's dialog then waits for the rows.
    #[must_use]
    pub fn cursor_unsettled(&self) -> bool {
        self.keep.is_some_and(|k| self.current() != Some(k)) && self.rows_progress().is_some()
    }

    /// Is the loop making the filter's index or the rules' masks (it then
    /// looks at the keys without waiting between slices)?
    #[must_use]
    pub fn filter_busy(&self) -> bool {
        self.rows_progress().is_some() || (self.index.is_some() && !self.masks_filled)
    }

    /// Is the display filter's index being made (a few milliseconds a
    /// turn)? Then how much of it is done, from 0 to 1.
    #[must_use]
    pub fn filter_progress(&self) -> Option<f64> {
        self.index
            .as_ref()
            .filter(|i| self.incremental && i.first_pass())
            .map(FilterIndex::progress)
    }

    /// How many dialogs the display filter's index holds so far while it
    /// is made for the first time (see [`FilterIndex::made_count`]).
    #[must_use]
    pub fn filter_made_count(&self) -> usize {
        self.index.as_ref().map_or(0, FilterIndex::made_count)
    }

    /// Is a search of the index under way (the rows are those of the part
    /// searched)?
    fn searching(&self) -> bool {
        match (&self.search, &self.index) {
            (Some(p), Some(i)) => !p.done(i),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// What the display filter's index holds, in bytes (0: none), with
    /// the search kept beside it.
    #[must_use]
    pub fn filter_index_bytes(&self) -> usize {
        self.index.as_ref().map_or(0, FilterIndex::heap_bytes)
            + self.search.as_ref().map_or(0, SearchPass::heap_bytes)
    }

    /// The row drawn on screen line `y`, if any.
    #[must_use]
    pub fn row_at(&self, y: u16) -> Option<usize> {
        self.drawn.row_at(y, self.rows.len())
    }

    /// A click on row `i`: the cursor goes there and stops following.
    pub fn click(&mut self, i: usize) {
        self.cursor = i;
        self.keep = None;
        self.anchor = None;
        self.autoscroll = false;
    }

    /// The call list's own actions: moving, selecting (into `selected`),
    /// sorting, what it shows, and the screens it opens.
    pub fn apply(
        &mut self,
        a: Action,
        page: usize,
        columns: &[Column],
        selected: &mut BTreeSet<DialogId>,
    ) -> Step {
        let len = self.rows.len();
        if a == Action::Bottom {
            // Bottom keeps following new dialogs if it did.
            self.cursor = len.saturating_sub(1);
            self.keep = None;
            self.anchor = None;
            return Step::Done;
        }
        if let Some(to) = movement(a, self.cursor, len, page) {
            // Moving by hand stops following new dialogs.
            self.cursor = to;
            self.keep = None;
            self.anchor = None;
            self.autoscroll = false;
            return Step::Done;
        }
        match a {
            Action::Select => {
                if let Some(id) = self.current() {
                    if !selected.remove(&id) {
                        selected.insert(id);
                    }
                    self.keep = None;
                    self.anchor = None;
                    self.cursor = step_cursor(self.cursor, 1, len);
                    self.autoscroll = false;
                }
            }
            Action::Help => return Step::Push(Screen::Help),
            Action::FilterForm => return Step::Push(Screen::FilterForm),
            Action::Columns => return Step::Push(Screen::Columns),
            Action::Autoscroll => {
                self.autoscroll = !self.autoscroll;
                self.rows_dirty = true;
            }
            Action::OnlyCalls => {
                self.only_calls = !self.only_calls;
                self.rows_dirty = true;
            }
            Action::SortNext => {
                let i = columns
                    .iter()
                    .position(|c| *c == self.sort)
                    .map_or(0, |i| i + 1);
                self.sort = columns
                    .get(i % columns.len().max(1))
                    .copied()
                    .unwrap_or(Column::Index);
                self.rows_dirty = true;
                return Step::Status(format!("sorted by {}", self.sort.title()));
            }
            Action::SortReverse => {
                self.ascending = !self.ascending;
                self.rows_dirty = true;
            }
            _ => return Step::Pass,
        }
        Step::Done
    }
}

impl CallListState {
    /// `ids` in this list's order ([`sorted`] with its sort, direction and
    /// slicing).
    fn sorted(
        &mut self,
        ids: Vec<DialogId>,
        model: &Model,
        now: Clock,
        deadline: Option<(Instant, bool)>,
    ) -> Vec<DialogId> {
        sorted(
            &mut self.sorting,
            (self.sort, self.ascending, self.incremental),
            ids,
            model,
            now,
            deadline,
        )
    }
}

/// `ids` (in id order) in the list's order. Once the capture has ended,
/// a list of [`SORT_IN_SLICES`] rows or more is sorted until `deadline`
/// at most (the key's budget): past it, the rows stay in id order and
/// the loop sorts on a slice a turn ([`CallListState::prepare_filter`]),
/// then the rows are made again and take the order made. `deadline` says
/// too whether the rows are a part (a search under way): then they are
/// not sorted at all while the list is that large.
/// A share from 0 to 1 as the whole percent the status line shows
/// (`views::call_list`).
fn percent(share: f64) -> String {
    format!("{:.0}", share * 100.0)
}

#[allow(clippy::type_complexity)]
fn sorted(
    sorting: &mut Option<SlicedSort<SortKey, (u64, Clock, Column)>>,
    (sort, ascending, incremental): (Column, bool, bool),
    ids: Vec<DialogId>,
    model: &Model,
    clock: Clock,
    deadline: Option<(Instant, bool)>,
) -> Vec<DialogId> {
    let job = sorting.take();
    let mut ids = ids;
    if sort == Column::Index {
        // The ids come in their own order.
        if !ascending {
            ids.reverse();
        }
        return ids;
    }
    let key = sort;
    let at = (model.generation(), clock, key);
    let sliced = incremental && clock.ended && ids.len() >= SORT_IN_SLICES;
    let mut keyed = match deadline.filter(|_| sliced) {
        Some((_, true)) => {
            // The rows of a part (a search under way): in id order, sorted
            // once they are whole.
            ids
        }
        Some((deadline, false)) => {
            let mut job = match job {
                // The sort under way is for these rows.
                Some(j) if j.at == at && j.ids == ids => j,
                _ => SlicedSort::new(at, ids),
            };
            if !job.run(
                |id| model.dialog(id).map(|d| sort_key(key, d, clock, model)),
                key == Column::Findings,
                deadline,
            ) {
                let mut shown = job.ids.clone();
                if !ascending {
                    shown.reverse();
                }
                *sorting = Some(job);
                return shown;
            }
            let rows = job.rows();
            // A million keys (strings, for a text column) take tens of
            // milliseconds to free: not in the turn that shows the order.
            // (If no thread can be had, they are freed here.)
            let _ = std::thread::Builder::new()
                .name("sort-free".into())
                .spawn(move || drop(job));
            rows
        }
        None => {
            // One key per dialog (not one per comparison): sorting
            // 100k rows by a text column must not allocate millions
            // of strings.
            // The Findings column's keys (the rules of each dialog) on
            // every core.
            let min = if key == Column::Findings {
                256
            } else {
                usize::MAX
            };
            let mut keyed: Vec<(SortKey, DialogId)> = in_parts(&ids, min, |_, part| {
                part.iter()
                    .filter_map(|id| model.dialog(*id))
                    .map(|d| (sort_key(key, d, clock, model), d.id))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|(_, id)| id).collect()
        }
    };
    if !ascending {
        keyed.reverse();
    }
    keyed
}

/// What the rows wait for while they are those of a part (see
/// [`CallListState::rows_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// The display filter's index, being made.
    Index,
    /// The index, being searched for the filter.
    Search,
    /// The rules of the dialogs' findings, for a filter naming rule ids.
    Findings,
    /// The rows, being sorted.
    Sort,
}

impl Pending {
    /// What the counts line calls it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Index => "filter index",
            Self::Search => "searched",
            Self::Findings => "findings",
            Self::Sort => "sorted",
        }
    }
}

/// What the rows were computed with: a later filter that only narrows the
/// same rows of the same model filters these rows alone.
#[derive(Debug, Clone, PartialEq)]
struct Made {
    text: String,
    form: u64,
    generation: u64,
    now: Clock,
    only_calls: bool,
    sort: (Column, bool),
}

impl Made {
    /// Are the rows made with `self` those made `before`, whatever their
    /// order (the same model, clock, filter and calls)?
    fn same_rows(&self, before: &Self) -> bool {
        (
            &self.text,
            self.form,
            self.generation,
            self.now,
            self.only_calls,
        ) == (
            &before.text,
            before.form,
            before.generation,
            before.now,
            before.only_calls,
        )
    }

    /// Does `filter` (these rows') pass only dialogs that the rows made
    /// `before` passed, on the same model, clock and order?
    fn narrows(&self, before: &Self, filter: &RowFilter) -> bool {
        (
            before.generation,
            before.now,
            before.only_calls,
            before.sort,
        ) == (self.generation, self.now, self.only_calls, self.sort)
            && filter.narrows(&before.text, before.form)
    }
}

/// What a search of the index is for: the filter, and whether the rules
/// not yet known count as none. Not the model, the clock nor the order: a
/// search outlives them (see [`SearchPass`]).
#[derive(Debug, Clone, PartialEq)]
struct Sought {
    text: String,
    form: u64,
    only_calls: bool,
    rules_later: bool,
}

impl Sought {
    fn of(filter: &RowFilter, only_calls: bool, rules_later: bool) -> Self {
        Self {
            text: filter.text().to_owned(),
            form: filter.form_version(),
            only_calls,
            rules_later,
        }
    }

    /// Does `filter` (this one's) pass only dialogs `before` passed?
    fn narrows(&self, before: &Self, filter: &RowFilter) -> bool {
        (self.only_calls, self.rules_later) == (before.only_calls, before.rules_later)
            && filter.narrows(&before.text, before.form)
    }
}

/// Lists of this many rows or more are sorted a slice at a time once the
/// capture has ended (see [`CallListState::sorted`]); fewer take a few
/// milliseconds at once.
const SORT_IN_SLICES: usize = if cfg!(test) { 1_000 } else { 50_000 };

/// What a row sorts by.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Num(i64),
    Text(String),
    State((u8, u16)),
}

fn sort_key(key: Column, d: &Dialog, clock: Clock, model: &Model) -> SortKey {
    let first = d.first_request();
    let num = |n: Option<i64>| SortKey::Num(n.unwrap_or(i64::MIN));
    match key {
        Column::Index => num(i64::try_from(d.id.0).ok()),
        Column::Start => num(Some(d.first_ts())),
        Column::Method => SortKey::Text(d.method_label()),
        Column::From => SortKey::Text(uri_of(d.from()).to_owned()),
        Column::To => SortKey::Text(uri_of(d.to()).to_owned()),
        Column::Src => SortKey::Text(first.map(|m| m.src().to_string()).unwrap_or_default()),
        Column::Dst => SortKey::Text(first.map(|m| m.dst().to_string()).unwrap_or_default()),
        Column::Msgs => num(i64::try_from(d.messages.len()).ok()),
        Column::State => SortKey::State(d.state_at(clock).sort_rank()),
        Column::Duration => num(Some(d.duration_at(clock))),
        Column::Pdd => num(d.pdd_ns()),
        Column::Transport => SortKey::Text(
            first
                .map(|m| m.transport.as_str().to_owned())
                .unwrap_or_default(),
        ),
        Column::CallId => SortKey::Text(d.call_id().to_owned()),
        Column::UserAgent => SortKey::Text(d.user_agent.as_deref().unwrap_or_default().to_owned()),
        Column::Seen => num(d.messages.first().map(|m| i64::from(m.origin()))),
        Column::Findings => num(model.worst_finding(d, clock.now_ns).map(|(s, _)| s as i64)),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::DialogState;

    #[test]
    fn states_sort_in_the_order_of_their_names() {
        let mut states = vec![
            DialogState::Setup,
            DialogState::Ringing,
            DialogState::EarlyMedia,
            DialogState::InCall,
            DialogState::Completed,
            DialogState::Cancelled(None),
            DialogState::Cancelled(Some(408)),
            DialogState::MidDialog,
            DialogState::ResponseOnly,
            DialogState::Unknown,
            DialogState::Busy,
            DialogState::Rejected(603),
            DialogState::Rejected(403),
            DialogState::Failed,
            DialogState::Diverted(302),
            DialogState::Diverted(301),
            DialogState::Registered,
            DialogState::Unregistered,
            DialogState::Challenged,
            DialogState::AuthFailed,
            DialogState::Pending,
        ];
        let mut by_name = states.clone();
        by_name.sort_by_key(|s| s.name());
        states.sort_by_key(|s| s.sort_rank());
        assert_eq!(states, by_name);
    }
}
