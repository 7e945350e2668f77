//! The ladder's top rows: the title, the findings lines under it, and the
//! endpoints' names above their columns.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::model::flow::{Column, Flow};
use crate::model::{Dialog, Model};
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::screens::{ColourMode, LadderState, TimeMode};
use crate::ui::theme;
use crate::ui::widgets::put;

/// The title: the first Call-ID (and how many more), messages, modes.
pub(super) fn title(l: &LadderState, flow: &Flow, legs: usize) -> String {
    let msgs = &flow.arrows;
    let first = msgs.first().map_or("", |a| a.dialog.call_id.as_str());
    format!(
        " Call flow  {}{}   {} message{}   time: {}   colours: {}{}",
        escape::text(first),
        match legs {
            0 | 1 => String::new(),
            2 => " and 1 more dialog".to_owned(),
            n => format!(" and {} more dialogs", n - 1),
        },
        msgs.len(),
        if msgs.len() == 1 { "" } else { "s" },
        match l.time_mode {
            // The clock column has no date: the title gives it (UTC).
            TimeMode::Absolute => msgs.first().map_or_else(
                || "absolute".to_owned(),
                |a| {
                    let day = crate::text::utc(a.message.ts_ns.div_euclid(1_000_000_000));
                    format!("absolute, {} UTC", day.get(..10).unwrap_or_default())
                },
            ),
            TimeMode::Delta => "delta".to_owned(),
            TimeMode::FromStart => "from start".to_owned(),
        },
        match l.colour_mode {
            ColourMode::Kind => "by kind",
            ColourMode::Transaction => "by transaction",
            ColourMode::CallId => "by Call-ID",
        },
        match (l.extended, legs > l.dialogs.len()) {
            (false, _) => "",
            (true, true) => "   + X-Call-ID legs",
            (true, false) => "   (no X-Call-ID legs found)",
        },
    )
}

/// The findings of the dialogs in the flow, worst first (stable within a
/// severity), with the dialog each belongs to.
pub(super) fn flow_findings<'m>(
    model: &Model,
    flow: &Flow<'m>,
    now: i64,
) -> Vec<(&'m Dialog, crate::model::findings::Finding)> {
    let mut all: Vec<(&Dialog, crate::model::findings::Finding)> = flow
        .dialogs
        .iter()
        .flat_map(|d| {
            model
                .findings_at(d, now)
                .iter()
                .map(|f| (*d, f.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    all
}

/// The findings lines (at most `rows`); the last says how many more.
pub(super) fn draw_findings(
    buf: &mut Buffer,
    area: Rect,
    findings: &[(&Dialog, crate::model::findings::Finding)],
    rows: usize,
    hint: &str,
) {
    for (k, (_, f)) in findings.iter().take(rows).enumerate() {
        let y = area.y + 1 + u16::try_from(k).unwrap_or(0);
        let more = findings.len() - rows;
        let tail = match (k + 1 == rows, more) {
            (true, 0) => format!("  ({hint}: what it means)"),
            (true, more) => format!("  (+{more} more, {hint})"),
            _ => String::new(),
        };
        let mark = match f.severity {
            crate::model::findings::Severity::Error => 'E',
            crate::model::findings::Severity::Warning => 'W',
            crate::model::findings::Severity::Info => 'i',
        };
        let line = format!(" {mark} {}: {}{tail}", f.rule, escape::text(&f.summary));
        put(
            buf,
            area,
            area.x,
            y,
            &line,
            area.width,
            theme::severity(f.severity),
        );
    }
}

/// The name shown for a column: an alias from the config, else the address.
pub(super) fn endpoint_name(app: &AppState, col: &Column) -> String {
    let key = col.key();
    let aliases = &app.config.aliases;
    aliases
        .get(&key)
        .or_else(|| aliases.get(&col.addr.ip().to_string()))
        .map_or_else(|| key.clone(), |a| escape::text(a).into_owned())
}

/// The x position of each column, evenly spread over `width`.
pub(super) fn column_positions(n: usize, left: u16, width: u16) -> Vec<u16> {
    if n <= 1 {
        return vec![left + width / 2];
    }
    let span = width.saturating_sub(2);
    let step = f64::from(span) / (n - 1) as f64;
    (0..n)
        .map(|i| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let off = (step * i as f64).round() as u16;
            left + 1 + off
        })
        .collect()
}

/// The endpoints' names above their columns, each centred on its line and
/// cut to the spacing between lines.
pub(super) fn draw_columns(
    buf: &mut Buffer,
    ladder: Rect,
    app: &AppState,
    columns: &[Column],
    xs: &[u16],
    lanes_w: u16,
    agents: &[crate::sip::Origin],
) {
    let spacing = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(ladder.width);
    for (col, x) in columns.iter().zip(xs) {
        let mut name = endpoint_name(app, col);
        // Several agents saw these dialogs: a column whose address is an
        // agent's says which (the agent runs on that box).
        let ids: Vec<String> = agents
            .iter()
            .filter(|o| o.agent == col.addr.ip())
            .map(|o| {
                o.agent_id
                    .map_or_else(|| "agent".to_owned(), |i| i.to_string())
            })
            .collect();
        if agents.len() > 1 && !ids.is_empty() {
            let _ = write!(name, " [{}]", ids.join(","));
        }
        let w = u16::try_from(name.chars().count())
            .unwrap_or(u16::MAX)
            .min(spacing.saturating_sub(1).max(6));
        let start = x
            .saturating_sub(w / 2)
            .min(ladder.right().saturating_sub(w + lanes_w))
            .max(ladder.x);
        put(buf, ladder, start, ladder.y + 1, &name, w, theme::title());
    }
}
