//! The streams screen's state: the selected stream of the ladder's dialogs.
//! The view is `ui/views/streams.rs`.

use super::nav::{Screen, Step, movement};
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct StreamsState {
    /// The selected row.
    pub cursor: usize,
}

impl StreamsState {
    /// `len` streams, `page` rows a page.
    pub fn apply(&mut self, a: Action, len: usize, page: usize) -> Step {
        if let Some(to) = movement(a, self.cursor, len, page) {
            self.cursor = to;
            return Step::Done;
        }
        match a {
            Action::Back | Action::Streams => Step::Pop,
            Action::Help => Step::Push(Screen::Help),
            _ => Step::Pass,
        }
    }
}
