//! The streams screen's state: the selected stream of the ladder's dialogs.
//! The view is `ui/views/streams.rs`.

use super::nav::{Screen, Step, movement};
use crate::keymap::Action;

/// The last figure column the streams view can start from (it has ten).
pub const MAX_FIRST_COLUMN: usize = 9;

#[derive(Debug, Clone, Default)]
pub struct StreamsState {
    /// The selected row.
    pub cursor: usize,
    /// The first figure column shown (scrolled sideways).
    pub column: usize,
    /// The streams no dialog's SDP explains, rather than the ladder's.
    pub unassociated: bool,
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
            Action::ScrollLeft => {
                self.column = self.column.saturating_sub(1);
                Step::Done
            }
            Action::ScrollRight => {
                // The view shows at least one column from here on.
                self.column = (self.column + 1).min(MAX_FIRST_COLUMN);
                Step::Done
            }
            Action::Unassociated => {
                self.unassociated = !self.unassociated;
                self.cursor = 0;
                Step::Done
            }
            _ => Step::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_moves_from_where_it_is() {
        let mut s = StreamsState {
            cursor: 2,
            ..StreamsState::default()
        };
        assert_eq!(s.apply(Action::Down, 4, 20), Step::Done);
        assert_eq!(s.cursor, 3);
        s.apply(Action::Down, 4, 20);
        assert_eq!(s.cursor, 3, "stays on the last stream");
        assert_eq!(s.apply(Action::Streams, 4, 20), Step::Pop);
    }
}
