//! The findings screen's state: every dialog's findings grouped by rule,
//! worst first (Wireshark's expert info, for calls), or only the ladder's
//! dialogs when opened from the ladder. The view is `ui/views/findings.rs`.

use super::nav::{DrawnRows, Screen, Step, movement};
use crate::keymap::Action;
use crate::model::findings::Severity;
use crate::model::{DialogId, Model};

/// One line of the list: a rule's heading, or one finding of one dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Rule {
        rule: &'static str,
        severity: Severity,
        count: usize,
    },
    /// Finding `index` of dialog `dialog`'s findings.
    Finding { dialog: DialogId, index: usize },
}

#[derive(Debug, Clone, Default)]
pub struct FindingsState {
    pub cursor: usize,
    /// The dialogs shown: `None` for all (from the call list), the ladder's
    /// when opened from the ladder.
    pub scope: Option<Vec<DialogId>>,
    pub drawn: DrawnRows,
}

impl FindingsState {
    /// A fresh list of `scope` (all dialogs when `None`).
    #[must_use]
    pub fn open(scope: Option<Vec<DialogId>>) -> Self {
        Self {
            scope,
            ..Self::default()
        }
    }

    /// The rows: rules by their worst severity, then by count; under each,
    /// its findings in dialog order.
    #[must_use]
    pub fn rows(&self, model: &Model, now: i64) -> Vec<Row> {
        let mut groups: Vec<(&'static str, Severity, Vec<Row>)> = Vec::new();
        let dialogs: Vec<&crate::model::Dialog> = match &self.scope {
            Some(ids) => ids.iter().filter_map(|id| model.dialog(*id)).collect(),
            None => model.dialogs().collect(),
        };
        for d in dialogs {
            for (index, f) in model.findings_at(d, now).iter().enumerate() {
                let row = Row::Finding {
                    dialog: d.id,
                    index,
                };
                match groups.iter_mut().find(|g| g.0 == f.rule) {
                    Some(g) => {
                        g.1 = g.1.max(f.severity);
                        g.2.push(row);
                    }
                    None => groups.push((f.rule, f.severity, vec![row])),
                }
            }
        }
        groups.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.2.len().cmp(&a.2.len()))
                .then(a.0.cmp(b.0))
        });
        groups
            .into_iter()
            .flat_map(|(rule, severity, rows)| {
                std::iter::once(Row::Rule {
                    rule,
                    severity,
                    count: rows.len(),
                })
                .chain(rows)
            })
            .collect()
    }

    /// `len` rows, `page` rows a page. Enter on a finding asks the app to
    /// open its dialog's ladder ([`Step::Push`] of the ladder).
    pub fn apply(&mut self, a: Action, len: usize, page: usize) -> Step {
        if let Some(to) = movement(a, self.cursor, len, page) {
            self.cursor = to;
            return Step::Done;
        }
        match a {
            Action::Back | Action::Findings => Step::Pop,
            Action::Help => Step::Push(Screen::Help),
            Action::Open => Step::Push(Screen::Ladder),
            _ => Step::Pass,
        }
    }

    /// A click on screen line `y`: the row under it, if any.
    #[must_use]
    pub fn row_at(&self, y: u16, len: usize) -> Option<usize> {
        self.drawn.row_at(y, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_grouped_worst_first_with_their_counts() {
        let model = crate::replay("tests/data/gen__busy_486_3calls.pcap").unwrap();
        let s = FindingsState::open(None);
        let rows = s.rows(&model, model.now_ns());
        assert_eq!(rows.len(), 8, "{rows:?}");
        assert!(matches!(
            rows[0],
            Row::Rule {
                rule: "destination-4xx-6xx",
                severity: Severity::Warning,
                count: 3
            }
        ));
        assert!(matches!(rows[1], Row::Finding { index: 1, .. }));
    }
}
