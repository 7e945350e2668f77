//! The ladder's top rows: the title, the findings lines under it, and the
//! endpoints' names above their columns.

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
    let first = msgs.first().map_or("", |a| a.dialog.call_id());
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

/// The endpoints' names above their columns. Each name is centred on its
/// line, between the end of the name on its left (one blank cell apart; the
/// first reaches over the time column) and the midpoint to the next line
/// (the last: the media lanes), and shortened to fit ([`column_name`]), so
/// a name may be cut but is never written over its neighbour's.
pub(super) fn draw_columns(
    buf: &mut Buffer,
    ladder: Rect,
    app: &AppState,
    columns: &[Column],
    xs: &[u16],
    lanes_w: u16,
    agents: &[crate::sip::Origin],
) {
    let one_port = columns
        .windows(2)
        .all(|w| w[0].addr.port() == w[1].addr.port());
    let right = ladder.right().saturating_sub(lanes_w);
    let mid = |a: u16, b: u16| a + b.saturating_sub(a) / 2;
    // Where the name on the left ended: a name may use what its left
    // neighbour left free, never more than half the way to its right one.
    let mut free_from = ladder.x;
    for (i, (col, x)) in columns.iter().zip(xs).enumerate() {
        let hi = xs
            .get(i + 1)
            .map_or(right, |next| mid(*x, *next))
            .min(right);
        let lo = free_from.min(hi);
        let room = hi.saturating_sub(lo);
        let name = column_name(app, col, agents, one_port, usize::from(room));
        let n = u16::try_from(name.chars().count()).unwrap_or(u16::MAX);
        if n == 0 || n > room {
            continue;
        }
        let start = x.saturating_sub(n / 2).min(hi - n).max(lo);
        put(buf, ladder, start, ladder.y + 1, &name, n, theme::title());
        free_from = start + n + 1;
    }
}

/// A column's name in at most `room` characters: its alias from the config,
/// else its address (`ip:port`, the IP when merged), with the HEP agents
/// that run there when several saw the flow (`[1,2]`). Too long, the agents
/// go, then the port when every column has the same one; then an address
/// keeps its tail, which tells hosts of one subnet apart (`…feb9:152`), and
/// an alias its head (`core-sbc-…`).
fn column_name(
    app: &AppState,
    col: &Column,
    agents: &[crate::sip::Origin],
    one_port: bool,
    room: usize,
) -> String {
    let key = col.key();
    let aliases = &app.config.aliases;
    let alias = aliases
        .get(&key)
        .or_else(|| aliases.get(&col.addr.ip().to_string()))
        .map(|a| escape::text(a).into_owned());
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
    let suffix = if agents.len() > 1 && !ids.is_empty() {
        format!(" [{}]", ids.join(","))
    } else {
        String::new()
    };
    let base = alias.clone().unwrap_or_else(|| key.clone());
    let host = col.addr.ip().to_string();
    let mut forms = vec![format!("{base}{suffix}"), base.clone()];
    if alias.is_none() && one_port {
        forms.push(host.clone());
    }
    if let Some(fits) = forms.into_iter().find(|f| f.chars().count() <= room) {
        return fits;
    }
    if room < 2 {
        return String::new();
    }
    let keep = room - 1;
    if let Some(a) = alias {
        let head: String = a.chars().take(keep).collect();
        return format!("{head}…");
    }
    let long = if one_port { host } else { key };
    let skip = long.chars().count().saturating_sub(keep);
    format!("…{}", long.chars().skip(skip).collect::<String>())
}
