//! The full-screen message's state: how far it is scrolled. It shows the
//! ladder's selected arrow. The view is `ui/views/message.rs`.

use std::cell::Cell;

use super::nav::{Screen, Step, scroll};
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct MessageState {
    /// Kept within the message by the view.
    pub scroll: Cell<u16>,
}

impl MessageState {
    pub fn apply(&mut self, a: Action) -> Step {
        match a {
            Action::Up | Action::PaneUp => scroll(&self.scroll, -1),
            Action::Down | Action::PaneDown => scroll(&self.scroll, 1),
            Action::PageUp | Action::HalfPageUp => scroll(&self.scroll, -10),
            Action::PageDown | Action::HalfPageDown => scroll(&self.scroll, 10),
            Action::Top => self.scroll.set(0),
            Action::Back | Action::Open | Action::Raw => return Step::Pop,
            Action::Help => return Step::Push(Screen::Help),
            _ => return Step::Pass,
        }
        Step::Done
    }
}
