//! The column picker's state (F10, over the call list): which column the
//! cursor is on. It edits the call list's columns. The view is
//! `ui/views/forms.rs`.

use super::nav::{Step, step_cursor};
use crate::config::Column;
use crate::keymap::Action;

#[derive(Debug, Clone, Default)]
pub struct ColumnsState {
    pub cursor: usize,
}

/// The picker's rows: the shown columns in their order, then the hidden ones.
#[must_use]
pub fn picker_rows(columns: &[Column]) -> Vec<Column> {
    let mut rows = columns.to_vec();
    rows.extend(Column::ALL.iter().filter(|c| !columns.contains(c)));
    rows
}

impl ColumnsState {
    /// Moves, shows or hides, and reorders `columns`.
    pub fn apply(&mut self, a: Action, columns: &mut Vec<Column>) -> Step {
        let len = Column::ALL.len();
        let cur = self.cursor.min(len - 1);
        let Some(&col) = picker_rows(columns).get(cur) else {
            return Step::Done;
        };
        match a {
            Action::Up => self.cursor = step_cursor(self.cursor, -1, len),
            Action::Down => self.cursor = step_cursor(self.cursor, 1, len),
            Action::Select | Action::Open => {
                if let Some(i) = columns.iter().position(|c| *c == col) {
                    if columns.len() > 1 {
                        columns.remove(i);
                    }
                } else {
                    columns.push(col);
                }
                // The cursor stays on the column wherever it moved.
                self.cursor = picker_rows(columns)
                    .iter()
                    .position(|c| *c == col)
                    .unwrap_or(cur);
            }
            // Move the column left or right in the shown order.
            Action::PaneUp | Action::PaneDown => {
                if let Some(i) = columns.iter().position(|c| *c == col) {
                    let j = if a == Action::PaneUp {
                        i.checked_sub(1)
                    } else {
                        Some(i + 1)
                    };
                    if let Some(j) = j.filter(|j| *j < columns.len()) {
                        columns.swap(i, j);
                        self.cursor = j;
                    }
                }
            }
            Action::Back => return Step::Pop,
            _ => return Step::Pass,
        }
        Step::Done
    }
}
