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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_moves_from_where_it_is() {
        let mut s = StreamsState { cursor: 2 };
        assert_eq!(s.apply(Action::Down, 4, 20), Step::Done);
        assert_eq!(s.cursor, 3);
        s.apply(Action::Down, 4, 20);
        assert_eq!(s.cursor, 3, "stays on the last stream");
        assert_eq!(s.apply(Action::Streams, 4, 20), Step::Pop);
    }
}
