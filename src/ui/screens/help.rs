//! The help screen's state: how far it is scrolled. The view is
//! `ui/views/help.rs`.

use super::nav::Step;
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct HelpState {
    pub scroll: u16,
}

impl HelpState {
    /// Scrolls; any other key closes the help.
    pub fn apply(&mut self, a: Action) -> Step {
        match a {
            Action::Down | Action::PaneDown => self.scroll = self.scroll.saturating_add(1),
            Action::Up | Action::PaneUp => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown | Action::HalfPageDown => {
                self.scroll = self.scroll.saturating_add(10);
            }
            Action::PageUp | Action::HalfPageUp => self.scroll = self.scroll.saturating_sub(10),
            _ => return Step::Pop,
        }
        Step::Done
    }
}
