//! What the screens share, and the stack of screens: actions go to the
//! screen on top (its state type in `ui/screens/` applies them) and come back
//! as a [`Step`] for the stack. No drawing and no terminal here: the views
//! read this and the model; tests drive it with actions.

use std::collections::BTreeSet;

use crate::config::{Column, Config};
use crate::keymap::{Action, KeyMap};
use crate::model::dialog::row_filter;
use crate::model::{Dialog, DialogId, Message, Model};

use super::filter::RowFilter;
use super::input::{Input, TextKey};
use super::save::{LastSave, SaveDialog, SaveStep, SaveWhat, Saving};
use super::screens::{
    CallListState, ColumnsState, FilterFormState, FindingsState, FormStep, HelpState, LadderState,
    MessageState, Screen, Step, StreamsState,
};

/// Everything the UI remembers; the model holds the traffic.
#[derive(Debug)]
pub struct AppState {
    pub stack: Vec<Screen>,
    pub keymap: KeyMap,
    pub config: Config,
    /// The call list's columns, in order (the column picker edits them).
    pub columns: Vec<Column>,
    /// Describes the source: file names, or interface and filter.
    pub source: String,
    pub live: bool,
    /// Dialogs marked with Space: the ladder and the save dialog use them.
    pub selected: BTreeSet<DialogId>,
    pub paused: bool,
    /// The display filter and the filter form in force.
    pub filter: RowFilter,
    /// Set while typing a display filter.
    pub search_input: Option<Input>,
    /// A line for the user: an error, a warning, a result.
    pub status: Option<String>,
    /// Live: SIP messages per second, measured by the loop.
    pub rate: f64,
    /// Rows a list shows (set by the loop from the terminal's height), for
    /// paging.
    pub page: usize,
    pub quit: bool,
    /// An action waiting for its second press (quit live, clear).
    pending_confirm: Option<Action>,
    /// An action on the call list's cursor asked for while the cursor
    /// waited for its dialog (see `CallListState::cursor_unsettled`): done
    /// once the rows are whole.
    deferred: Option<Action>,
    /// Asks the loop to clear the model.
    pub clear_requested: bool,
    // The screens' states.
    pub call_list: CallListState,
    /// The ladder and what looks at its selection (message, diffs, streams).
    pub ladder: Option<LadderState>,
    pub message: MessageState,
    pub help: HelpState,
    pub column_picker: ColumnsState,
    pub streams: StreamsState,
    pub findings: FindingsState,
    /// The filter form (F7): what is typed, in force once Enter compiles it.
    pub form: FilterFormState,
    /// The save dialog, while open.
    pub save: Option<SaveDialog>,
    /// A pcap or pcapng save running on its thread.
    pub saving: Option<Saving>,
    /// Where and how the last save went: the next one starts from there.
    pub last_save: Option<LastSave>,
}

impl AppState {
    #[must_use]
    pub fn new(config: Config, source: String, live: bool) -> Self {
        let (keymap, errors) = KeyMap::new(&config.keys);
        let columns = config.columns();
        // sngrep's habit: a file opens at its first dialog, live follows the tail.
        let autoscroll = config.autoscroll.unwrap_or(live);
        Self {
            stack: vec![Screen::CallList],
            keymap,
            columns,
            source,
            live,
            selected: BTreeSet::new(),
            paused: false,
            filter: RowFilter::default(),
            search_input: None,
            status: (!errors.is_empty()).then(|| errors.join("; ")),
            rate: 0.0,
            page: 20,
            quit: false,
            pending_confirm: None,
            deferred: None,
            clear_requested: false,
            call_list: CallListState::new(autoscroll),
            ladder: None,
            message: MessageState::default(),
            help: HelpState::default(),
            column_picker: ColumnsState::default(),
            streams: StreamsState::default(),
            findings: FindingsState::default(),
            form: FilterFormState::default(),
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

    /// Opens a screen on top, its state fresh where it starts anew.
    fn push(&mut self, screen: Screen) {
        match screen {
            Screen::Message => self.message = MessageState::default(),
            Screen::Streams => self.streams = StreamsState::default(),
            Screen::Help => self.help = HelpState::default(),
            Screen::Columns => self.column_picker = ColumnsState::default(),
            _ => {}
        }
        self.stack.push(screen);
    }

    /// Does what a screen's step asks.
    fn follow(&mut self, step: Step) {
        match step {
            Step::Pass | Step::Done => {}
            Step::Pop => {
                self.stack.pop();
            }
            Step::Push(s) => self.push(s),
            Step::Status(s) => self.status = Some(s),
        }
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

    /// [`AppState::now`] with whether the capture has ended: what states and
    /// durations are read at.
    #[must_use]
    pub fn clock(&self, model: &Model) -> crate::model::Clock {
        crate::model::Clock {
            now_ns: self.now(model),
            ended: model.capture_ended(),
        }
    }

    /// The clock moved (live): states, durations and their order may have too.
    pub fn refresh_now(&mut self) {
        self.call_list.invalidate();
    }

    /// The dialogs the call list shows, filtered and sorted.
    #[must_use]
    pub fn rows(&self) -> &[DialogId] {
        self.call_list.rows()
    }

    /// The dialog under the call list's cursor.
    #[must_use]
    pub fn current(&self) -> Option<DialogId> {
        self.call_list.current()
    }

    /// Recomputes the call list's rows when the model moved or the filter or
    /// sort changed; says whether it did.
    pub fn refresh(&mut self, model: &Model) -> bool {
        if !self.call_list.stale(model) {
            return false;
        }
        let clock = self.clock(model);
        let follow = self.screen() == Screen::CallList && self.search_input.is_none();
        let typing = self.search_input.is_some();
        self.call_list
            .refresh(model, &self.filter, clock, follow, typing);
        self.selected.retain(|id| model.dialog(*id).is_some());
        if !self.call_list.cursor_unsettled()
            && let Some(a) = self.deferred.take()
        {
            self.apply(a, model);
        }
        true
    }

    /// While the display filter is being typed (or its index is being
    /// made), makes its index ready (a pass over every dialog the first
    /// time, then only what moved), so each key finds the texts made. The
    /// loop calls it after drawing, with a deadline: the index is then made
    /// a slice at a time and the keys typed meanwhile are not kept waiting.
    /// Says whether the rows must be made again (the index became whole).
    pub fn prepare_filter(&mut self, model: &Model, deadline: Option<std::time::Instant>) -> bool {
        if self.search_input.is_some() || self.call_list.rows_progress().is_some() {
            let clock = self.clock(model);
            return self
                .call_list
                .prepare_filter(model, &self.filter, clock, deadline);
        }
        false
    }

    /// Is there filter work for [`AppState::prepare_filter`] to go on with
    /// (the index being made or the rules the rows wait for, or, while the
    /// filter is typed, the rules' masks ahead)? The loop then looks at the
    /// keys without waiting.
    #[must_use]
    pub fn filter_busy(&self) -> bool {
        self.call_list.rows_progress().is_some()
            || (self.search_input.is_some() && self.call_list.filter_busy())
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
        let screen = self.screen();
        self.deferred = None;
        let on_cursor = screen == Screen::CallList
            && self.search_input.is_none()
            && matches!(
                a,
                Action::Open | Action::Select | Action::SdpDiff | Action::Findings | Action::Save
            );
        if on_cursor {
            if self.call_list.cursor_unsettled() {
                // The row under the cursor is only the first of a part: the
                // dialog it was on may still pass. Enter opens the right
                // call once the search has got that far (any other key
                // drops the wait).
                self.deferred = Some(a);
                self.status = Some(
                    "still searching for the filter: the key acts once its rows are whole".into(),
                );
                return;
            }
            self.call_list.settle();
        }
        if a == Action::Save
            && matches!(
                screen,
                Screen::CallList | Screen::Ladder | Screen::Streams | Screen::SdpDiff
            )
        {
            self.open_save(model);
            return;
        }
        if a == Action::Findings && matches!(screen, Screen::CallList | Screen::Ladder) {
            self.open_findings();
            return;
        }
        let page = self.page;
        let step = match screen {
            Screen::CallList => self
                .call_list
                .apply(a, page, &self.columns, &mut self.selected),
            Screen::Ladder => {
                let msgs = self.ladder_messages(model);
                self.ladder
                    .as_mut()
                    .map_or(Step::Pop, |l| l.apply(a, &msgs, page))
            }
            Screen::Message => self.message.apply(a),
            Screen::Help => self.help.apply(a),
            Screen::Columns => self.column_picker.apply(a, &mut self.columns),
            Screen::Streams => {
                let len = self.shown_streams(model).len();
                self.streams.apply(a, len, page)
            }
            Screen::Findings => {
                let rows = self.findings.rows(model, self.now(model));
                match self.findings.apply(a, rows.len(), page) {
                    Step::Push(Screen::Ladder) => {
                        self.open_finding(&rows);
                        Step::Done
                    }
                    step => step,
                }
            }
            Screen::SdpDiff | Screen::MessageDiff => {
                if matches!(
                    a,
                    Action::Back | Action::SdpDiff | Action::Open | Action::Select
                ) && self.stack.pop() == Some(Screen::MessageDiff)
                    && let Some(l) = self.ladder.as_mut()
                {
                    l.marked.clear();
                }
                Step::Done
            }
            Screen::FilterForm | Screen::Save => {
                if a == Action::Back {
                    self.stack.pop();
                    self.save = None;
                }
                Step::Done
            }
        };
        if step == Step::Pass && screen == Screen::CallList {
            self.call_list_action(a);
        } else {
            self.follow(step);
        }
    }

    /// The call list's actions on what the screens share: the ladder, the
    /// selection, the display filter, the capture.
    fn call_list_action(&mut self, a: Action) {
        match a {
            Action::Open => self.open_ladder(),
            Action::Streams => {
                self.open_ladder();
                if self.screen() == Screen::Ladder {
                    self.push(Screen::Streams);
                }
            }
            Action::Unassociated => {
                self.push(Screen::Streams);
                self.streams.unassociated = true;
            }
            Action::Back => {
                if !self.filter.text().is_empty() {
                    // Back first takes the display filter away, then the selection.
                    self.set_filter("");
                } else if !self.selected.is_empty() {
                    self.selected.clear();
                    self.status = Some("selection cleared".into());
                } else if !self.live || self.confirm(a, "quit and stop the capture") {
                    self.quit = true;
                }
            }
            Action::Search => {
                self.search_input = Some(Input {
                    text: self.filter.text().to_owned(),
                    before: self.filter.text().to_owned(),
                    error: None,
                });
            }
            Action::Clear if self.confirm(a, "clear every dialog") => {
                self.clear_requested = true;
                self.selected.clear();
                self.call_list.cursor = 0;
                self.call_list.invalidate();
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
            _ => {}
        }
    }

    /// Enter on a finding: its dialog's ladder, the cursor on its first
    /// evidence message. From the ladder's own findings, back to that ladder.
    fn open_finding(&mut self, rows: &[crate::ui::screens::findings::Row]) {
        use crate::ui::screens::findings::Row;
        let Some(Row::Finding { dialog, .. }) = rows
            .get(self.findings.cursor..)
            .and_then(|r| r.iter().find(|r| matches!(r, Row::Finding { .. })))
            .copied()
        else {
            return;
        };
        if self.findings.scope.is_some() {
            self.stack.pop();
            return;
        }
        self.ladder = Some(LadderState::open(vec![dialog], self.ladder.as_ref()));
        self.push(Screen::Ladder);
    }

    /// The findings screen: of every dialog from the call list, of the
    /// ladder's dialogs from the ladder.
    fn open_findings(&mut self) {
        let scope = match self.screen() {
            Screen::Ladder => self.ladder.as_ref().map(|l| l.dialogs.clone()),
            _ => None,
        };
        self.findings = FindingsState::open(scope);
        self.push(Screen::Findings);
    }

    /// The ladder of the selected dialogs, else of the one under the cursor.
    fn open_ladder(&mut self) {
        let mut dialogs: Vec<DialogId> = self.selected.iter().copied().collect();
        if dialogs.is_empty() {
            dialogs.extend(self.current());
        }
        if dialogs.is_empty() {
            return;
        }
        self.ladder = Some(LadderState::open(dialogs, self.ladder.as_ref()));
        self.push(Screen::Ladder);
    }

    /// A left click on screen line `y`: the row under it becomes the cursor.
    pub fn click(&mut self, y: u16, model: &Model) {
        match self.screen() {
            Screen::CallList => {
                if let Some(i) = self.call_list.row_at(y) {
                    self.call_list.click(i);
                }
            }
            Screen::Ladder => {
                let len = self.ladder_messages(model).len();
                if let Some(l) = self.ladder.as_mut()
                    && let Some(i) = l.row_at(y, len)
                {
                    l.select(i);
                }
            }
            Screen::Findings => {
                let len = self.findings.rows(model, self.now(model)).len();
                if let Some(i) = self.findings.row_at(y, len) {
                    self.findings.cursor = i;
                }
            }
            _ => {}
        }
    }

    /// Typing into the display filter: a character, Backspace, Enter, Esc.
    pub fn search_key(&mut self, key: TextKey) {
        let Some(input) = self.search_input.as_mut() else {
            return;
        };
        match key {
            TextKey::Char(c) => input.text.push(c),
            TextKey::Backspace => {
                input.text.pop();
            }
            TextKey::ClearLine => input.text.clear(),
            TextKey::DeleteWord => {
                let t = input.text.trim_end();
                let cut = t.rfind(' ').map_or(0, |i| i + 1);
                input.text.truncate(cut);
            }
            TextKey::Cancel => {
                let before = input.before.clone();
                self.search_input = None;
                self.set_filter(&before);
                return;
            }
            TextKey::Enter => {
                if input.error.is_some() {
                    // Not a regex: the line stays open to be mended (Esc
                    // puts the filter before back).
                    return;
                }
                let text = input.text.clone();
                self.search_input = None;
                self.set_filter(&text);
                return;
            }
            TextKey::Tab
            | TextKey::Up
            | TextKey::Down
            | TextKey::Left
            | TextKey::Right
            | TextKey::Home
            | TextKey::End => return,
        }
        // As sngrep does: the list follows as you type (a regex not yet
        // complete leaves the last one that was in force).
        let text = input.text.clone();
        match row_filter(&text) {
            Err(e) if !text.is_empty() => input.error = Some(regex_error_brief(&e)),
            _ => {
                input.error = None;
                self.set_filter(&text);
            }
        }
    }

    /// Sets the display filter (a case-insensitive regex; empty clears it).
    pub fn set_filter(&mut self, text: &str) {
        if let Err(e) = self.filter.set_text(text) {
            self.status = Some(format!("bad filter: {e}"));
            return;
        }
        self.call_list.refilter();
    }

    /// Typing into the filter form.
    pub fn form_key(&mut self, key: TextKey) {
        match self.form.key(key) {
            FormStep::Editing => {}
            FormStep::Cancel => {
                self.stack.pop();
            }
            FormStep::Apply(c) => {
                self.filter.set_form(c);
                self.call_list.refilter();
                self.stack.pop();
            }
            FormStep::Invalid(e) => self.status = Some(e),
        }
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

    /// The streams the streams screen lists: the ladder's, or those no
    /// dialog's SDP explains.
    #[must_use]
    pub fn shown_streams<'m>(&self, model: &'m Model) -> Vec<&'m crate::model::media::RtpStream> {
        if self.streams.unassociated {
            model.unassociated_media().collect()
        } else {
            self.ladder_streams(model)
        }
    }

    /// Tells the app the model was cleared.
    pub fn cleared(&mut self) {
        self.clear_requested = false;
        self.call_list.clear();
        self.ladder = None;
        self.stack.truncate(1);
    }

    /// Opens the save dialog for what the user looks at.
    pub fn open_save(&mut self, model: &Model) {
        if self.saving.is_some() {
            self.status = Some("a save is still running".into());
            return;
        }
        let mut choices = Vec::new();
        if !self.selected.is_empty() {
            choices.push((SaveWhat::Selected, self.selected.iter().copied().collect()));
        }
        let in_view: Vec<DialogId> = if self.screen() == Screen::CallList {
            self.current().into_iter().collect()
        } else {
            let mut ids: Vec<DialogId> = self
                .ladder_messages(model)
                .iter()
                .map(|(d, _)| d.id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if !in_view.is_empty() {
            choices.push((SaveWhat::InView, in_view));
        }
        let shown = self.rows().to_vec();
        if !shown.is_empty() && shown.len() != model.len() {
            choices.push((SaveWhat::Shown, shown));
        }
        if !model.is_empty() {
            choices.push((SaveWhat::All, model.dialogs().map(|d| d.id).collect()));
        }
        if choices.is_empty() {
            self.status = Some("nothing to save: no calls yet".into());
            return;
        }
        self.save = Some(SaveDialog::new(choices, self.last_save.as_ref(), model));
        self.push(Screen::Save);
    }

    /// A key in the save dialog.
    pub fn save_key(&mut self, key: TextKey, model: &Model) {
        let Some(form) = self.save.as_mut() else {
            self.stack.pop();
            return;
        };
        if let Some(saving) = &self.saving {
            // The dialog shows progress; Esc cancels, other keys wait.
            if key == TextKey::Cancel {
                saving.cancel();
            }
            return;
        }
        match form.key(key, model) {
            SaveStep::Editing => {}
            SaveStep::Cancel => {
                self.save = None;
                self.stack.pop();
            }
            SaveStep::Saved(w) => self.saved(&w),
        }
    }

    /// Starts a save that Enter asked for; true if it did.
    pub fn start_pending_save(&mut self, model: &Model) -> bool {
        self.save
            .as_mut()
            .is_some_and(|form| form.start_pending(model, &mut self.saving))
    }

    fn saved(&mut self, w: &crate::export::Written) {
        tracing::info!("{w}");
        if let Some(form) = &self.save {
            self.last_save = Some(form.last_save(w));
        }
        self.status = Some(w.to_string());
        self.save = None;
        if self.screen() == Screen::Save {
            self.stack.pop();
        }
    }

    /// Checks on a running save; true when it ended (the screen changes).
    pub fn poll_save(&mut self) -> bool {
        if !self.saving.as_ref().is_some_and(Saving::is_finished) {
            return false;
        }
        let Some(s) = self.saving.take() else {
            return false;
        };
        match s.join() {
            Ok(w) => self.saved(&w),
            Err(e) => {
                if let Some(form) = self.save.as_mut() {
                    form.message = Some(e);
                }
            }
        }
        true
    }

    /// Starts a pending save and waits for it (tests, and quitting).
    pub fn wait_save(&mut self, model: &Model) {
        self.start_pending_save(model);
        while self.saving.is_some() {
            if !self.poll_save() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

/// A regex error in a few words: the `regex` crate's message ends with
/// "error: what" below a drawing of where; the status line has one line.
fn regex_error_brief(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.split_whitespace().collect::<Vec<_>>().join(" "),
            str::to_owned,
        )
}
