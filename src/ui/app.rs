//! UI state and what actions do to it. No drawing and no terminal here: the
//! views read this and the model; tests drive it with actions.

use std::cell::Cell;
use std::collections::BTreeSet;

use regex::{Regex, RegexBuilder};

use crate::config::{Column, Config};
use crate::keymap::{Action, KeyMap};
use crate::model::{Dialog, DialogId, DialogKind, Message, Model};
use crate::report::text::uri_of;

/// The screens, stacked: Esc pops one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    CallList,
    Ladder,
    /// One message, full screen.
    Message,
    Help,
    FilterForm,
    Columns,
    /// The RTP streams of the ladder's dialogs.
    Streams,
    /// The selected message's SDP beside the one it answers or replaces.
    SdpDiff,
    /// Two messages marked with Space, side by side.
    MessageDiff,
    /// The save dialog (F2), over the screen below.
    Save,
}

/// How the ladder shows time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    Absolute,
    Delta,
    FromStart,
}

/// How the ladder colours arrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourMode {
    /// Requests one colour, responses by class.
    Kind,
    /// One colour per transaction (CSeq).
    Transaction,
    /// One colour per Call-ID (the default with several dialogs).
    CallId,
}

/// A text field being typed into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub text: String,
    /// The filter before typing began: Esc puts it back.
    pub before: String,
}

/// The filter form's fields, in order.
pub const FORM_FIELDS: [&str; 7] = [
    "Methods (e.g. INVITE,REGISTER)",
    "From (regex)",
    "To (regex)",
    "Source (regex)",
    "Destination (regex)",
    "Payload (regex)",
    "State (regex)",
];

/// The filter form (F7).
#[derive(Debug, Clone, Default)]
pub struct FilterForm {
    pub fields: [String; 7],
    pub focus: usize,
}

#[derive(Debug, Clone, Default)]
struct CompiledForm {
    methods: Vec<String>,
    regexes: [Option<Regex>; 6],
}

/// The ladder's state.
#[derive(Debug, Clone)]
pub struct LadderState {
    /// The dialogs chosen in the call list.
    pub dialogs: Vec<DialogId>,
    /// Add legs tied by X-Call-ID (F4).
    pub extended: bool,
    /// The selected arrow (index in the merged, time-ordered message list).
    pub cursor: usize,
    pub offset: Cell<usize>,
    /// Kept within the message by the view.
    pub pane_scroll: Cell<u16>,
    pub show_raw: bool,
    pub time_mode: TimeMode,
    pub merge_by_ip: bool,
    pub colour_mode: ColourMode,
    /// Arrows marked with Space for the message diff (two at most).
    pub marked: Vec<usize>,
}

/// Everything the UI remembers; the model holds the traffic.
#[derive(Debug)]
pub struct AppState {
    pub stack: Vec<Screen>,
    pub keymap: KeyMap,
    pub config: Config,
    pub columns: Vec<Column>,
    /// Describes the source: file names, or interface and filter.
    pub source: String,
    pub live: bool,
    // Call list.
    rows: Vec<DialogId>,
    rows_generation: Option<u64>,
    rows_dirty: bool,
    pub cursor: usize,
    /// First row drawn; the view keeps the cursor in sight.
    pub offset: Cell<usize>,
    pub selected: BTreeSet<DialogId>,
    pub sort: Column,
    pub ascending: bool,
    pub autoscroll: bool,
    pub only_calls: bool,
    pub paused: bool,
    /// The display filter, as typed.
    pub filter_text: String,
    filter: Option<Regex>,
    /// Set while typing a display filter.
    pub search_input: Option<Input>,
    pub form: FilterForm,
    compiled_form: CompiledForm,
    pub column_cursor: usize,
    /// The selected row of the streams view.
    pub stream_cursor: usize,
    pub ladder: Option<LadderState>,
    /// Kept within the message by the view.
    pub message_scroll: Cell<u16>,
    pub help_scroll: u16,
    /// A line for the user: an error, a warning, a result.
    pub status: Option<String>,
    /// Live: SIP messages per second, measured by the loop.
    pub rate: f64,
    /// Rows the call list showed last time (set by the view), for paging.
    pub page: usize,
    pub quit: bool,
    /// An action waiting for its second press (quit live, clear).
    pending_confirm: Option<Action>,
    /// Asks the loop to clear the model.
    pub clear_requested: bool,
    /// The save dialog, while open.
    pub save: Option<super::save::SaveForm>,
    /// A pcap or pcapng save running on its thread.
    pub saving: Option<super::save::Saving>,
    /// Where and how the last save went: the next one starts from there.
    pub last_save: Option<super::save::LastSave>,
}

impl AppState {
    #[must_use]
    pub fn new(config: Config, source: String, live: bool) -> Self {
        let (keymap, errors) = KeyMap::new(&config.keys);
        let columns = config.columns();
        let autoscroll = config.autoscroll.unwrap_or(true);
        Self {
            stack: vec![Screen::CallList],
            keymap,
            columns,
            source,
            live,
            rows: Vec::new(),
            rows_generation: None,
            rows_dirty: true,
            cursor: 0,
            offset: Cell::new(0),
            selected: BTreeSet::new(),
            sort: Column::Index,
            ascending: true,
            autoscroll,
            only_calls: false,
            paused: false,
            filter_text: String::new(),
            filter: None,
            search_input: None,
            form: FilterForm::default(),
            compiled_form: CompiledForm::default(),
            column_cursor: 0,
            stream_cursor: 0,
            ladder: None,
            message_scroll: Cell::new(0),
            help_scroll: 0,
            status: (!errors.is_empty()).then(|| errors.join("; ")),
            rate: 0.0,
            page: 20,
            quit: false,
            pending_confirm: None,
            clear_requested: false,
            save: None,
            saving: None,
            last_save: None,
            config,
        }
    }

    #[must_use]
    pub fn screen(&self) -> Screen {
        self.stack.last().copied().unwrap_or(Screen::CallList)
    }

    /// "Now" for states and durations: capture time of the newest packet;
    /// live, the clock too, so a call in progress ticks on a quiet link
    /// (and a call left unanswered fails on time).
    #[must_use]
    pub fn now(&self, model: &Model) -> i64 {
        let captured = model.now_ns();
        if !self.live {
            return captured;
        }
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        captured.max(wall)
    }

    /// The clock moved (live): states, durations and their order may have too.
    pub fn refresh_now(&mut self) {
        self.rows_dirty = true;
    }

    /// The dialogs the call list shows, filtered and sorted.
    #[must_use]
    pub fn rows(&self) -> &[DialogId] {
        &self.rows
    }

    /// Recomputes the rows when the model moved or the filter or sort changed.
    /// `force` ignores the rate limit the loop applies.
    pub fn refresh(&mut self, model: &Model) {
        if !self.rows_dirty && self.rows_generation == Some(model.generation()) {
            return;
        }
        let cursor_id = self.rows.get(self.cursor).copied();
        let now = self.now(model);
        let rows: Vec<&Dialog> = model
            .dialogs()
            .filter(|d| !self.only_calls || d.kind == DialogKind::Call)
            .filter(|d| {
                self.filter
                    .as_ref()
                    .is_none_or(|re| re.is_match(&d.filter_text(now)))
            })
            .filter(|d| self.form_matches(model, d))
            .collect();
        let key = self.sort;
        // One key per dialog (not one per comparison): sorting 100k rows by a
        // text column must not allocate millions of strings.
        let mut keyed: Vec<(SortKey, DialogId)> =
            rows.iter().map(|d| (sort_key(key, d, now), d.id)).collect();
        keyed.sort_unstable();
        if !self.ascending {
            keyed.reverse();
        }
        self.rows = keyed.into_iter().map(|(_, id)| id).collect();
        self.rows_generation = Some(model.generation());
        self.rows_dirty = false;
        self.selected.retain(|id| model.dialog(*id).is_some());
        if self.autoscroll && self.screen() == Screen::CallList && self.search_input.is_none() {
            self.cursor = self.rows.len().saturating_sub(1);
        } else if let Some(id) = cursor_id {
            self.cursor = self
                .rows
                .iter()
                .position(|r| *r == id)
                .unwrap_or(self.cursor);
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    fn form_matches(&self, model: &Model, d: &Dialog) -> bool {
        let f = &self.compiled_form;
        if !f.methods.is_empty() {
            let first = d
                .messages
                .first()
                .and_then(Message::method)
                .map(|m| m.as_str());
            if !first.is_some_and(|m| f.methods.iter().any(|x| x.eq_ignore_ascii_case(m))) {
                return false;
            }
        }
        let [from, to, src, dst, payload, state] = &f.regexes;
        let first = d.messages.first();
        // Each text is built only when its field is set.
        let fails = |re: &Option<Regex>, text: &dyn Fn() -> String| {
            re.as_ref().is_some_and(|re| !re.is_match(&text()))
        };
        if fails(from, &|| d.from.clone())
            || fails(to, &|| d.to.clone())
            || fails(src, &|| {
                first.map(|m| m.src.to_string()).unwrap_or_default()
            })
            || fails(dst, &|| {
                first.map(|m| m.dst.to_string()).unwrap_or_default()
            })
            || fails(state, &|| d.state_at(self.now(model)).name())
        {
            return false;
        }
        if let Some(re) = payload {
            return d.messages.iter().any(|m| {
                model
                    .raw(m)
                    .is_ok_and(|raw| re.is_match(&String::from_utf8_lossy(&raw)))
            });
        }
        true
    }

    /// Is a filter from the form (F7) in force?
    #[must_use]
    pub fn form_active(&self) -> bool {
        !self.compiled_form.methods.is_empty()
            || self.compiled_form.regexes.iter().any(Option::is_some)
    }

    /// The dialog under the cursor.
    #[must_use]
    pub fn current(&self) -> Option<DialogId> {
        self.rows.get(self.cursor).copied()
    }

    fn move_cursor(&self, delta: isize, len: usize) -> usize {
        let max = len.saturating_sub(1);
        let cur = match self.screen() {
            Screen::Ladder => self.ladder.as_ref().map_or(0, |l| l.cursor),
            Screen::Columns => self.column_cursor,
            _ => self.cursor,
        };
        cur.saturating_add_signed(delta).min(max)
    }

    /// For actions that lose data: true on the second press in a row; the
    /// first only says what the second would do.
    fn confirm(&mut self, a: Action, what: &str) -> bool {
        if self.pending_confirm == Some(a) {
            self.pending_confirm = None;
            return true;
        }
        self.pending_confirm = Some(a);
        self.status = Some(format!("press {} again to {what}", self.keymap.hint(a)));
        false
    }

    /// Where a movement action takes the cursor in a list of `len` rows.
    fn movement(&self, a: Action, len: usize) -> Option<usize> {
        let page = isize::try_from(self.page.max(1)).unwrap_or(20);
        let delta = match a {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::HalfPageUp => -page / 2,
            Action::HalfPageDown => page / 2,
            Action::Top => return Some(0),
            Action::Bottom => return Some(len.saturating_sub(1)),
            _ => return None,
        };
        Some(self.move_cursor(delta, len))
    }

    /// Applies an action. `model` is read for sizes and selections only.
    pub fn apply(&mut self, a: Action, model: &Model) {
        self.status = None;
        if self.pending_confirm != Some(a) {
            self.pending_confirm = None;
        }
        if a == Action::Quit {
            self.quit = true;
            return;
        }
        if a == Action::Save
            && matches!(
                self.screen(),
                Screen::CallList | Screen::Ladder | Screen::Streams | Screen::SdpDiff
            )
        {
            self.open_save(model);
            return;
        }
        match self.screen() {
            Screen::CallList => self.call_list_action(a, model),
            Screen::Ladder => self.ladder_action(a, model),
            Screen::Message => match a {
                Action::Up | Action::PaneUp => {
                    scroll(&self.message_scroll, -1);
                }
                Action::Down | Action::PaneDown => {
                    scroll(&self.message_scroll, 1);
                }
                Action::PageUp | Action::HalfPageUp => {
                    scroll(&self.message_scroll, -10);
                }
                Action::PageDown | Action::HalfPageDown => {
                    scroll(&self.message_scroll, 10);
                }
                Action::Top => self.message_scroll.set(0),
                Action::Back | Action::Open | Action::Raw => {
                    self.stack.pop();
                }
                Action::Help => self.stack.push(Screen::Help),
                _ => {}
            },
            Screen::Help => match a {
                Action::Down | Action::PaneDown => {
                    self.help_scroll = self.help_scroll.saturating_add(1);
                }
                Action::Up | Action::PaneUp => {
                    self.help_scroll = self.help_scroll.saturating_sub(1);
                }
                Action::PageDown | Action::HalfPageDown => {
                    self.help_scroll = self.help_scroll.saturating_add(10);
                }
                Action::PageUp | Action::HalfPageUp => {
                    self.help_scroll = self.help_scroll.saturating_sub(10);
                }
                _ => {
                    self.stack.pop();
                }
            },
            Screen::Columns => self.columns_action(a),
            Screen::SdpDiff | Screen::MessageDiff => {
                if matches!(
                    a,
                    Action::Back | Action::SdpDiff | Action::Open | Action::Select
                ) && self.stack.pop() == Some(Screen::MessageDiff)
                    && let Some(l) = self.ladder.as_mut()
                {
                    l.marked.clear();
                }
            }
            Screen::Streams => {
                let len = self.ladder_streams(model).len();
                if let Some(to) = self.movement(a, len) {
                    self.stream_cursor = to;
                } else if matches!(a, Action::Back | Action::Streams) {
                    self.stack.pop();
                } else if a == Action::Help {
                    self.stack.push(Screen::Help);
                }
            }
            Screen::FilterForm | Screen::Save => {
                if a == Action::Back {
                    self.stack.pop();
                    self.save = None;
                }
            }
        }
    }

    fn call_list_action(&mut self, a: Action, model: &Model) {
        let len = self.rows.len();
        let moved = match a {
            Action::Bottom => None, // Bottom re-enables following, below
            _ => self.movement(a, len),
        };
        if let Some(to) = moved {
            // Moving by hand stops following new dialogs.
            self.cursor = to;
            self.autoscroll = false;
            return;
        }
        match a {
            Action::Bottom => self.cursor = len.saturating_sub(1),
            Action::Select => {
                if let Some(id) = self.current() {
                    if !self.selected.remove(&id) {
                        self.selected.insert(id);
                    }
                    self.cursor = self.move_cursor(1, len);
                    self.autoscroll = false;
                }
            }
            Action::Open => self.open_ladder(model),
            Action::Streams => {
                self.open_ladder(model);
                if self.screen() == Screen::Ladder {
                    self.stream_cursor = 0;
                    self.stack.push(Screen::Streams);
                }
            }
            Action::Back => {
                if !self.filter_text.is_empty() {
                    // Back first takes the display filter away, then the selection.
                    self.set_filter("");
                } else if !self.selected.is_empty() {
                    self.selected.clear();
                    self.status = Some("selection cleared".into());
                } else if !self.live || self.confirm(a, "quit and stop the capture") {
                    self.quit = true;
                }
            }
            Action::Help => self.stack.push(Screen::Help),
            Action::Search => {
                self.search_input = Some(Input {
                    text: self.filter_text.clone(),
                    before: self.filter_text.clone(),
                });
            }
            Action::FilterForm => self.stack.push(Screen::FilterForm),
            Action::Columns => {
                self.column_cursor = 0;
                self.stack.push(Screen::Columns);
            }
            Action::Clear if self.confirm(a, "clear every dialog") => {
                self.clear_requested = true;
                self.selected.clear();
                self.cursor = 0;
                self.rows_dirty = true;
            }
            Action::Pause => {
                self.paused = !self.paused;
                self.status = Some(
                    if self.paused {
                        "capture paused"
                    } else {
                        "capture resumed"
                    }
                    .into(),
                );
            }
            Action::Autoscroll => {
                self.autoscroll = !self.autoscroll;
                self.rows_dirty = true;
            }
            Action::OnlyCalls => {
                self.only_calls = !self.only_calls;
                self.rows_dirty = true;
            }
            Action::SortNext => {
                let i = self
                    .columns
                    .iter()
                    .position(|c| *c == self.sort)
                    .map_or(0, |i| i + 1);
                self.sort = self
                    .columns
                    .get(i % self.columns.len().max(1))
                    .copied()
                    .unwrap_or(Column::Index);
                self.rows_dirty = true;
                self.status = Some(format!("sorted by {}", self.sort.title()));
            }
            Action::SortReverse => {
                self.ascending = !self.ascending;
                self.rows_dirty = true;
            }
            _ => {}
        }
    }

    fn open_ladder(&mut self, model: &Model) {
        let mut dialogs: Vec<DialogId> = self.selected.iter().copied().collect();
        if dialogs.is_empty() {
            dialogs.extend(self.current());
        }
        if dialogs.is_empty() {
            return;
        }
        let several = dialogs.len() > 1;
        // The last ladder's settings carry over (time mode, merge, pane, colours).
        let prev = self.ladder.take();
        self.ladder = Some(LadderState {
            dialogs,
            extended: prev.as_ref().is_some_and(|p| p.extended),
            cursor: 0,
            offset: Cell::new(0),
            pane_scroll: Cell::new(0),
            show_raw: prev.as_ref().is_none_or(|p| p.show_raw),
            time_mode: prev.as_ref().map_or(TimeMode::Absolute, |p| p.time_mode),
            merge_by_ip: prev.as_ref().is_some_and(|p| p.merge_by_ip),
            marked: Vec::new(),
            colour_mode: match prev.as_ref().map(|p| p.colour_mode) {
                Some(ColourMode::Transaction) => ColourMode::Transaction,
                _ if several => ColourMode::CallId,
                _ => ColourMode::Kind,
            },
        });
        let _ = model;
        self.stack.push(Screen::Ladder);
    }

    fn ladder_action(&mut self, a: Action, model: &Model) {
        let len = self.ladder_messages(model).len();
        let to = self.movement(a, len);
        let Some(l) = self.ladder.as_mut() else {
            self.stack.pop();
            return;
        };
        if let Some(to) = to {
            l.cursor = to;
            l.pane_scroll.set(0);
            return;
        }
        match a {
            Action::Back => {
                self.stack.pop();
            }
            Action::Open => {
                self.message_scroll.set(0);
                self.stack.push(Screen::Message);
            }
            Action::Raw => l.show_raw = !l.show_raw,
            Action::Streams => {
                self.stream_cursor = 0;
                self.stack.push(Screen::Streams);
            }
            Action::Select => {
                // Mark arrows; the second mark opens the two side by side.
                let c = l.cursor;
                if let Some(i) = l.marked.iter().position(|x| *x == c) {
                    l.marked.remove(i);
                } else {
                    l.marked.push(c);
                    if l.marked.len() == 2 {
                        self.stack.push(Screen::MessageDiff);
                    } else {
                        self.status =
                            Some("marked: Space on another arrow compares the two".into());
                    }
                }
            }
            Action::SdpDiff => {
                let cursor = l.cursor;
                let has_sdp = self
                    .ladder_messages(model)
                    .get(cursor)
                    .is_some_and(|(_, m)| m.has_sdp || matches!(m.status(), Some(488 | 606)));
                if has_sdp {
                    self.stack.push(Screen::SdpDiff);
                } else {
                    self.status = Some("this message carries no SDP".into());
                }
            }
            Action::Extended => l.extended = !l.extended,
            Action::TimeMode => {
                l.time_mode = match l.time_mode {
                    TimeMode::Absolute => TimeMode::Delta,
                    TimeMode::Delta => TimeMode::FromStart,
                    TimeMode::FromStart => TimeMode::Absolute,
                };
            }
            Action::MergeByIp => l.merge_by_ip = !l.merge_by_ip,
            Action::ColourMode => {
                l.colour_mode = match l.colour_mode {
                    ColourMode::Kind => ColourMode::Transaction,
                    ColourMode::Transaction => ColourMode::CallId,
                    ColourMode::CallId => ColourMode::Kind,
                };
            }
            Action::PaneUp => scroll(&l.pane_scroll, -1),
            Action::PaneDown => scroll(&l.pane_scroll, 1),
            Action::Help => self.stack.push(Screen::Help),
            _ => {}
        }
    }

    /// The column picker's rows: the shown columns in their order, then the
    /// hidden ones.
    #[must_use]
    pub fn picker_rows(&self) -> Vec<Column> {
        let mut rows = self.columns.clone();
        rows.extend(Column::ALL.iter().filter(|c| !self.columns.contains(c)));
        rows
    }

    fn columns_action(&mut self, a: Action) {
        let len = Column::ALL.len();
        let cur = self.column_cursor.min(len - 1);
        let Some(&col) = self.picker_rows().get(cur) else {
            return;
        };
        match a {
            Action::Up => self.column_cursor = self.move_cursor(-1, len),
            Action::Down => self.column_cursor = self.move_cursor(1, len),
            Action::Select | Action::Open => {
                if let Some(i) = self.columns.iter().position(|c| *c == col) {
                    if self.columns.len() > 1 {
                        self.columns.remove(i);
                    }
                } else {
                    self.columns.push(col);
                }
                // The cursor stays on the column wherever it moved.
                self.column_cursor = self
                    .picker_rows()
                    .iter()
                    .position(|c| *c == col)
                    .unwrap_or(cur);
            }
            // Move the column left or right in the shown order.
            Action::PaneUp | Action::PaneDown => {
                if let Some(i) = self.columns.iter().position(|c| *c == col) {
                    let j = if a == Action::PaneUp {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1)
                    };
                    if let Some(j) = j.filter(|j| *j < self.columns.len()) {
                        self.columns.swap(i, j);
                        self.column_cursor = j;
                    }
                }
            }
            Action::Back => {
                self.stack.pop();
            }
            _ => {}
        }
    }

    /// Typing into the display filter: a character, Backspace, Enter, Esc.
    pub fn search_key(&mut self, key: SearchKey) {
        let Some(input) = self.search_input.as_mut() else {
            return;
        };
        match key {
            SearchKey::Char(c) => input.text.push(c),
            SearchKey::Backspace => {
                input.text.pop();
            }
            SearchKey::ClearLine => input.text.clear(),
            SearchKey::DeleteWord => {
                let t = input.text.trim_end();
                let cut = t.rfind(' ').map_or(0, |i| i + 1);
                input.text.truncate(cut);
            }
            SearchKey::Cancel => {
                let before = input.before.clone();
                self.search_input = None;
                self.set_filter(&before);
                return;
            }
            SearchKey::Enter => {
                let text = input.text.clone();
                self.search_input = None;
                self.set_filter(&text);
                return;
            }
            SearchKey::Tab
            | SearchKey::Up
            | SearchKey::Down
            | SearchKey::Left
            | SearchKey::Right
            | SearchKey::Home
            | SearchKey::End => return,
        }
        // As sngrep does: the list follows as you type (a regex not yet
        // complete leaves the last one that was in force).
        let text = input.text.clone();
        if text.is_empty() || compile_filter(&text).is_ok() {
            self.set_filter(&text);
        }
    }

    /// Sets the display filter (a case-insensitive regex; empty clears it).
    pub fn set_filter(&mut self, text: &str) {
        if text.is_empty() {
            self.filter = None;
            self.filter_text.clear();
        } else {
            match compile_filter(text) {
                Ok(re) => {
                    self.filter = Some(re);
                    text.clone_into(&mut self.filter_text);
                }
                Err(e) => {
                    self.status = Some(format!("bad filter: {e}"));
                    return;
                }
            }
        }
        self.autoscroll = false;
        self.cursor = 0;
        self.rows_dirty = true;
    }

    /// Typing into the filter form.
    pub fn form_key(&mut self, key: SearchKey) {
        let focus = self.form.focus.min(FORM_FIELDS.len() - 1);
        match key {
            SearchKey::Char(c) => {
                if let Some(f) = self.form.fields.get_mut(focus) {
                    f.push(c);
                }
            }
            SearchKey::Backspace => {
                if let Some(f) = self.form.fields.get_mut(focus) {
                    f.pop();
                }
            }
            SearchKey::Tab | SearchKey::Down => self.form.focus = (focus + 1) % FORM_FIELDS.len(),
            SearchKey::Up => {
                self.form.focus = (focus + FORM_FIELDS.len() - 1) % FORM_FIELDS.len();
            }
            SearchKey::ClearLine => {
                if let Some(f) = self.form.fields.get_mut(focus) {
                    f.clear();
                }
            }
            SearchKey::Left
            | SearchKey::Right
            | SearchKey::Home
            | SearchKey::End
            | SearchKey::DeleteWord => {}
            SearchKey::Cancel => {
                self.stack.pop();
            }
            SearchKey::Enter => match self.compile_form() {
                Ok(c) => {
                    self.compiled_form = c;
                    self.rows_dirty = true;
                    self.cursor = 0;
                    self.autoscroll = false;
                    self.stack.pop();
                }
                Err(e) => self.status = Some(e),
            },
        }
    }

    fn compile_form(&self) -> Result<CompiledForm, String> {
        let [methods, rest @ ..] = &self.form.fields;
        let mut out = CompiledForm {
            methods: methods
                .split([',', ' '])
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            regexes: Default::default(),
        };
        for (i, text) in rest.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let re = RegexBuilder::new(text)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("{}: {e}", FORM_FIELDS.get(i + 1).unwrap_or(&"")))?;
            if let Some(slot) = out.regexes.get_mut(i) {
                *slot = Some(re);
            }
        }
        Ok(out)
    }

    /// The ladder's messages: every message of its dialogs (and of related
    /// legs when extended), in time order, with the dialog each belongs to.
    #[must_use]
    pub fn ladder_messages<'m>(&self, model: &'m Model) -> Vec<(&'m Dialog, &'m Message)> {
        let Some(l) = &self.ladder else {
            return Vec::new();
        };
        model
            .flow(&l.dialogs, l.extended, false)
            .arrows
            .into_iter()
            .map(|a| (a.dialog, a.message))
            .collect()
    }

    /// The RTP streams of the ladder's dialogs (and legs, when extended),
    /// in order of their first packet.
    #[must_use]
    pub fn ladder_streams<'m>(&self, model: &'m Model) -> Vec<&'m crate::model::media::RtpStream> {
        let Some(l) = &self.ladder else {
            return Vec::new();
        };
        model.flow(&l.dialogs, l.extended, false).streams(model)
    }

    /// Tells the app the model was cleared.
    pub fn cleared(&mut self) {
        self.clear_requested = false;
        self.rows.clear();
        self.rows_dirty = true;
        self.ladder = None;
        self.stack.truncate(1);
    }
}

/// A display filter: a case-insensitive regex, bounded in size.
fn compile_filter(text: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(text)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

/// Moves a scroll position; the view clamps it to the text's length.
fn scroll(pos: &Cell<u16>, by: i16) {
    pos.set(pos.get().saturating_add_signed(by));
}

/// Keys while typing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKey {
    Char(char),
    Backspace,
    Enter,
    Cancel,
    Tab,
    /// Ctrl-U: the whole field.
    ClearLine,
    /// Ctrl-W: the last word (a path component in the save dialog).
    DeleteWord,
    /// Home or Ctrl-A, End or Ctrl-E.
    Home,
    End,
    Up,
    Down,
    Left,
    Right,
}

/// What a row sorts by.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Num(i64),
    Text(String),
}

fn sort_key(key: Column, d: &Dialog, now: i64) -> SortKey {
    let first = d.messages.first();
    let num = |n: Option<i64>| SortKey::Num(n.unwrap_or(i64::MIN));
    match key {
        Column::Index => num(i64::try_from(d.id.0).ok()),
        Column::Start => num(Some(d.first_ts())),
        Column::Method => SortKey::Text(first.map(Message::label).unwrap_or_default()),
        Column::From => SortKey::Text(uri_of(&d.from).to_owned()),
        Column::To => SortKey::Text(uri_of(&d.to).to_owned()),
        Column::Src => SortKey::Text(first.map(|m| m.src.to_string()).unwrap_or_default()),
        Column::Dst => SortKey::Text(first.map(|m| m.dst.to_string()).unwrap_or_default()),
        Column::Msgs => num(i64::try_from(d.messages.len()).ok()),
        Column::State => SortKey::Text(d.state_at(now).name()),
        Column::Duration => num(Some(d.duration_at(now))),
        Column::Pdd => num(d.pdd_ns()),
        Column::Transport => SortKey::Text(
            first
                .map(|m| m.transport.as_str().to_owned())
                .unwrap_or_default(),
        ),
        Column::CallId => SortKey::Text(d.call_id.clone()),
        Column::UserAgent => SortKey::Text(d.user_agent.clone().unwrap_or_default()),
    }
}
