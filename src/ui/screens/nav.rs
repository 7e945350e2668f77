//! What the screens share: their names, what an action asks of the stack of
//! screens, cursor movement in a list, and which drawn row a click hit.

use std::cell::Cell;

use ratatui::layout::Rect;

use crate::keymap::Action;

/// The screens, stacked: Esc pops one. Each has its state type beside it in
/// `ui/screens/` and its view in `ui/views/`.
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
    /// Findings by rule, of every call or of the ladder's.
    Findings,
}

/// What a screen's action asks of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Not this screen's action: the app decides (or ignores it).
    Pass,
    /// Done within the screen.
    Done,
    /// Close this screen.
    Pop,
    /// Open another screen on top.
    Push(Screen),
    /// Done; a line for the user.
    Status(String),
}

/// Where a movement action takes a cursor at `cur` in a list of `len` rows,
/// `page` rows a page; `None` for other actions.
#[must_use]
pub fn movement(a: Action, cur: usize, len: usize, page: usize) -> Option<usize> {
    let page = isize::try_from(page.max(1)).unwrap_or(20);
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
    Some(step_cursor(cur, delta, len))
}

/// `cur` moved by `delta`, within `len` rows.
#[must_use]
pub fn step_cursor(cur: usize, delta: isize, len: usize) -> usize {
    cur.saturating_add_signed(delta).min(len.saturating_sub(1))
}

/// Moves a scroll position; the view clamps it to the text's length.
pub fn scroll(pos: &Cell<u16>, by: i16) {
    pos.set(pos.get().saturating_add_signed(by));
}

/// The rows of a list as its view last drew them: the screen area of the
/// rows and the index of the first one. The view records them; a click asks
/// which row it hit.
#[derive(Debug, Clone, Default)]
pub struct DrawnRows {
    area: Cell<Rect>,
    first: Cell<usize>,
}

impl DrawnRows {
    /// Called by the view: rows `first..` drawn in `area`, one per line.
    pub fn record(&self, area: Rect, first: usize) {
        self.area.set(area);
        self.first.set(first);
    }

    /// The first row drawn (the view keeps the cursor in sight from there).
    #[must_use]
    pub fn first(&self) -> usize {
        self.first.get()
    }

    /// The index of the row drawn on screen line `y`, if it is one of `len`.
    #[must_use]
    pub fn row_at(&self, y: u16, len: usize) -> Option<usize> {
        let area = self.area.get();
        if y < area.y || y >= area.bottom() {
            return None;
        }
        let i = self.first.get() + usize::from(y - area.y);
        (i < len).then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movement_stays_in_the_list() {
        assert_eq!(movement(Action::Up, 0, 5, 20), Some(0));
        assert_eq!(movement(Action::PageDown, 1, 5, 20), Some(4));
        assert_eq!(movement(Action::HalfPageUp, 15, 30, 20), Some(5));
        assert_eq!(movement(Action::Bottom, 0, 0, 20), Some(0));
        assert_eq!(movement(Action::Open, 0, 5, 20), None);
    }

    #[test]
    fn a_click_hits_the_row_drawn_on_its_line() {
        let rows = DrawnRows::default();
        assert_eq!(rows.row_at(0, 10), None, "nothing drawn yet");
        rows.record(Rect::new(0, 4, 80, 5), 3);
        assert_eq!(rows.row_at(3, 10), None, "above the rows");
        assert_eq!(rows.row_at(4, 10), Some(3));
        assert_eq!(rows.row_at(8, 10), Some(7));
        assert_eq!(rows.row_at(9, 10), None, "below the rows: the footer");
        assert_eq!(rows.row_at(8, 6), None, "past the last row");
    }
}
