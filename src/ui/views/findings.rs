//! Findings of every call (or of the ladder's), grouped by rule, worst
//! first; under the list, what the selected finding means and what to try.
//!
//! ```text
//! Findings  3 rules, 7 findings in 5 dialogs
//! E ack-missing (2)
//! >   #4   alice → bob   200 OK sent 11 times over 31.5 s, never acknowledged...
//! W pdd-high (1)
//!     #9   carol → dave  first ringing 5.0 s after the INVITE
//! ─────────────────────
//! The callee answered but never received the caller's ACK: ...
//! Try: the caller did not get the 200 OK, or its ACK went astray: ...
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::keymap::Action;
use crate::model::Model;
use crate::model::findings::{Finding, Severity};
use crate::text::{escape, uri_of};
use crate::ui::app::AppState;
use crate::ui::screens::findings::Row;
use crate::ui::theme;
use crate::ui::widgets::{footer, put, title_bar};

/// Rows under the list for the explanation.
const EXPLAIN_ROWS: u16 = 6;

fn mark(s: Severity) -> char {
    match s {
        Severity::Error => 'E',
        Severity::Warning => 'W',
        Severity::Info => 'i',
    }
}

/// The finding a row is (a rule's heading: its first finding).
fn finding_of(model: &Model, rows: &[Row], i: usize, now: i64) -> Option<Finding> {
    let at = rows.get(i..)?.iter().find_map(|r| match r {
        Row::Finding { dialog, index } => Some((*dialog, *index)),
        Row::Rule { .. } => None,
    })?;
    let d = model.dialog(at.0)?;
    model.findings_at(d, now).get(at.1).cloned()
}

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(word);
        }
    }
    lines
}

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let s = &app.findings;
    let now = app.now(model);
    let rows = s.rows(model, now);
    let rules = rows
        .iter()
        .filter(|r| matches!(r, Row::Rule { .. }))
        .count();
    let mut dialogs: Vec<_> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Finding { dialog, .. } => Some(*dialog),
            Row::Rule { .. } => None,
        })
        .collect();
    // Rows go by rule: one dialog comes under each of its rules.
    dialogs.sort_unstable();
    dialogs.dedup();
    title_bar(
        buf,
        area,
        &format!(
            " Findings  {rules} rule{}, {} finding{} in {} dialog{}{}",
            if rules == 1 { "" } else { "s" },
            rows.len() - rules,
            if rows.len() - rules == 1 { "" } else { "s" },
            dialogs.len(),
            if dialogs.len() == 1 { "" } else { "s" },
            if s.scope.is_some() {
                "  (this ladder)"
            } else {
                ""
            },
        ),
    );
    let explain = if area.height > EXPLAIN_ROWS + 6 {
        EXPLAIN_ROWS
    } else {
        0
    };
    let list = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2 + explain),
        ..area
    };
    if rows.is_empty() {
        put(
            buf,
            list,
            list.x + 1,
            list.y,
            "No findings.",
            list.width,
            theme::dim(),
        );
    }
    let visible = usize::from(list.height);
    let offset = s.cursor.saturating_sub(visible.saturating_sub(1));
    s.drawn.record(list, offset);
    for (k, row) in rows.iter().enumerate().skip(offset).take(visible) {
        let y = list.y + u16::try_from(k - offset).unwrap_or(0);
        let (text, style) = match row {
            Row::Rule {
                rule,
                severity,
                count,
            } => (
                format!("{} {rule} ({count})", mark(*severity)),
                theme::severity(*severity),
            ),
            Row::Finding { dialog, index } => {
                let Some(d) = model.dialog(*dialog) else {
                    continue;
                };
                let f = model.findings_at(d, now);
                let Some(f) = f.get(*index) else { continue };
                (
                    format!(
                        "    #{:<5} {} → {}  {}",
                        d.id.0 + 1,
                        escape::text(uri_of(d.from())),
                        escape::text(uri_of(d.to())),
                        escape::text(&f.summary)
                    ),
                    if f.severity == Severity::Info {
                        theme::dim()
                    } else {
                        ratatui::style::Style::new()
                    },
                )
            }
        };
        put(buf, list, list.x, y, &text, list.width, style);
        if k == s.cursor {
            buf.set_style(Rect::new(list.x, y, list.width, 1), theme::cursor());
        }
    }
    if explain > 0
        && let Some(f) = finding_of(model, &rows, s.cursor, now)
    {
        let top = list.bottom();
        put(
            buf,
            area,
            area.x,
            top,
            &"─".repeat(usize::from(area.width)),
            area.width,
            theme::dim(),
        );
        let width = usize::from(area.width.saturating_sub(2)).max(10);
        let mut lines = wrap(f.explanation, width);
        lines.extend(wrap(&format!("Try: {}", f.fix), width));
        for (k, line) in lines.iter().take(usize::from(explain - 1)).enumerate() {
            let y = top + 1 + u16::try_from(k).unwrap_or(0);
            put(
                buf,
                area,
                area.x + 1,
                y,
                line,
                area.width,
                ratatui::style::Style::new(),
            );
        }
    }
    footer(
        buf,
        area,
        app,
        &[
            (Action::Back, "back"),
            (Action::Open, "ladder"),
            (Action::Help, "help"),
        ],
    );
}
