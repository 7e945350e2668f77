//! The help screen's state: how far it is scrolled. The view is
//! `ui/views/help.rs`.

use std::cell::Cell;

use super::nav::Step;
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct HelpState {
    pub scroll: u16,
    /// The furthest the text can scroll at the size last drawn (the view
    /// records it; `None` before the first draw), so scrolling past the end
    /// is not kept.
    pub max_scroll: Cell<Option<u16>>,
}

impl HelpState {
    /// Scrolls with the movement keys; Esc, q and the help key close it.
    /// Other keys do nothing: at 80x24 the help is longer than the screen,
    /// and a key pressed to read on must not close it.
    pub fn apply(&mut self, a: Action) -> Step {
        let s = self.scroll;
        self.scroll = match a {
            Action::Down | Action::PaneDown => s.saturating_add(1),
            Action::Up | Action::PaneUp => s.saturating_sub(1),
            Action::PageDown | Action::HalfPageDown | Action::Select => s.saturating_add(10),
            Action::PageUp | Action::HalfPageUp => s.saturating_sub(10),
            Action::Top => 0,
            Action::Bottom => u16::MAX,
            Action::Back | Action::Quit | Action::Help => return Step::Pop,
            _ => s,
        };
        if let Some(max) = self.max_scroll.get() {
            self.scroll = self.scroll.min(max);
        }
        Step::Done
    }
}
