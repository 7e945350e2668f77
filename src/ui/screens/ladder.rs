//! The ladder's state: its dialogs, the selected arrow, how it shows time,
//! columns and colours, the marks for the message diff. The message, SDP
//! diff, message diff and streams screens look at the ladder's selection.
//! The view is `ui/views/ladder.rs`.

use std::cell::{Cell, RefCell};

use super::nav::{DrawnRows, Screen, Step, movement, scroll};
use crate::keymap::Action;
use crate::model::{Dialog, DialogId, Message};

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

/// The ladder's state.
#[derive(Debug, Clone)]
pub struct LadderState {
    /// The dialogs chosen in the call list.
    pub dialogs: Vec<DialogId>,
    /// Add legs tied by X-Call-ID (F4).
    pub extended: bool,
    /// The selected arrow (index in the merged, time-ordered message list).
    pub cursor: usize,
    /// The arrows as last drawn (the view keeps the cursor in sight).
    pub drawn: DrawnRows,
    /// The arrow on each line as last drawn, from the first (`None`: the
    /// line of a timer that fired), for the mouse.
    lines: RefCell<Vec<Option<usize>>>,
    /// Kept within the message by the view.
    pub pane_scroll: Cell<u16>,
    pub show_raw: bool,
    pub time_mode: TimeMode,
    pub merge_by_ip: bool,
    pub colour_mode: ColourMode,
    /// Arrows marked with Space for the message diff (two at most).
    pub marked: Vec<usize>,
}

impl LadderState {
    /// A ladder of `dialogs`; the last ladder's settings carry over (time
    /// mode, merge, pane, colours).
    #[must_use]
    pub fn open(dialogs: Vec<DialogId>, prev: Option<&Self>) -> Self {
        let several = dialogs.len() > 1;
        Self {
            dialogs,
            extended: prev.is_some_and(|p| p.extended),
            cursor: 0,
            drawn: DrawnRows::default(),
            lines: RefCell::default(),
            pane_scroll: Cell::new(0),
            show_raw: prev.is_none_or(|p| p.show_raw),
            time_mode: prev.map_or(TimeMode::Absolute, |p| p.time_mode),
            merge_by_ip: prev.is_some_and(|p| p.merge_by_ip),
            marked: Vec::new(),
            colour_mode: match prev.map(|p| p.colour_mode) {
                Some(ColourMode::Transaction) => ColourMode::Transaction,
                _ if several => ColourMode::CallId,
                _ => ColourMode::Kind,
            },
        }
    }

    /// The arrow drawn on screen line `y`, if any, of `len` arrows (none
    /// on a timer's line).
    #[must_use]
    pub fn row_at(&self, y: u16, len: usize) -> Option<usize> {
        let line = self.drawn.row_at(y, usize::MAX)? - self.drawn.first();
        let lines = self.lines.borrow();
        if lines.is_empty() {
            // Not drawn through the view (tests): one arrow per line.
            return self.drawn.row_at(y, len);
        }
        lines.get(line).copied().flatten().filter(|i| *i < len)
    }

    /// Called by the view: the arrow on each line it drew (`None`: a
    /// timer's line).
    pub fn set_lines(&self, lines: impl Iterator<Item = Option<usize>>) {
        let mut kept = self.lines.borrow_mut();
        kept.clear();
        kept.extend(lines);
    }

    /// Selects arrow `i` (a click, a movement).
    pub fn select(&mut self, i: usize) {
        self.cursor = i;
        self.pane_scroll.set(0);
    }

    /// The ladder's actions; `msgs` are its arrows (see
    /// `AppState::ladder_messages`).
    pub fn apply(&mut self, a: Action, msgs: &[(&Dialog, &Message)], page: usize) -> Step {
        if let Some(to) = movement(a, self.cursor, msgs.len(), page) {
            self.select(to);
            return Step::Done;
        }
        match a {
            Action::Back => return Step::Pop,
            Action::Open => return Step::Push(Screen::Message),
            Action::Streams => return Step::Push(Screen::Streams),
            Action::Help => return Step::Push(Screen::Help),
            Action::Raw => self.show_raw = !self.show_raw,
            Action::Select => {
                // Mark arrows; the second mark opens the two side by side.
                let c = self.cursor;
                if let Some(i) = self.marked.iter().position(|x| *x == c) {
                    self.marked.remove(i);
                } else {
                    self.marked.push(c);
                    if self.marked.len() == 2 {
                        return Step::Push(Screen::MessageDiff);
                    }
                    return Step::Status("marked: Space on another arrow compares the two".into());
                }
            }
            Action::SdpDiff => {
                let has_sdp = msgs
                    .get(self.cursor)
                    .is_some_and(|(_, m)| m.has_sdp() || matches!(m.status(), Some(488 | 606)));
                return if has_sdp {
                    Step::Push(Screen::SdpDiff)
                } else {
                    Step::Status("this message carries no SDP".into())
                };
            }
            Action::Extended => self.extended = !self.extended,
            Action::TimeMode => {
                self.time_mode = match self.time_mode {
                    TimeMode::Absolute => TimeMode::Delta,
                    TimeMode::Delta => TimeMode::FromStart,
                    TimeMode::FromStart => TimeMode::Absolute,
                };
            }
            Action::MergeByIp => self.merge_by_ip = !self.merge_by_ip,
            Action::ColourMode => {
                self.colour_mode = match self.colour_mode {
                    ColourMode::Kind => ColourMode::Transaction,
                    ColourMode::Transaction => ColourMode::CallId,
                    ColourMode::CallId => ColourMode::Kind,
                };
            }
            Action::PaneUp => scroll(&self.pane_scroll, -1),
            Action::PaneDown => scroll(&self.pane_scroll, 1),
            _ => return Step::Pass,
        }
        Step::Done
    }
}
