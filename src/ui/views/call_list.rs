//! The call list: one row per dialog.
//!
//! ```text
//! sipscope  file: capture.pcap                                  [PAUSED]
//! Dialogs 11 (shown 11)  SIP 66  0.0/s   lost: kernel 0  channel 0  malformed 0  evicted 0
//! filter: 486   only calls   sort: State ▲
//!   #  Start        Method  From            To        Source  Destination  Msgs State ...
//! > 1  00:16:28.257 INVITE  alice@...       bob@...   ...
//! F1 help  Enter flow  Space select  / filter ...
//! ```
//! Only the visible rows are formatted, so a frame costs the same with ten
//! dialogs or a hundred thousand.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::config::Column;
use crate::keymap::Action;
use crate::model::{Clock, Dialog, Model};
use crate::text::escape;
use crate::text::uri_of;
use crate::text::{clock, duration, millis};
use crate::ui::app::AppState;
use crate::ui::screens::call_list::Pending;
use crate::ui::theme;
use crate::ui::widgets::{fill_row, footer, put, title_bar};

/// Rows above the table (title, counts, filter, column titles).
const TOP: u16 = 4;

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    draw_title(buf, area, app);
    draw_counts(buf, area, app, model);
    draw_filter_line(buf, area, app);
    let layout = draw_column_titles(buf, area, app, model);
    draw_rows(buf, area, app, model, &layout);
    footer(
        buf,
        area,
        app,
        &[
            (Action::Help, "help"),
            (Action::Open, "flow"),
            (Action::Select, "select"),
            (Action::Search, "filter"),
            (Action::FilterForm, "form"),
            (Action::SortNext, "sort"),
            (Action::Columns, "columns"),
            (Action::Save, "save"),
            (Action::Pause, "pause"),
            (Action::Back, "quit"),
        ],
    );
}

/// The title, and the paused and autoscroll flags at the right.
fn draw_title(buf: &mut Buffer, area: Rect, app: &AppState) {
    let title = format!(" sipscope  {}", escape::text(&app.source));
    title_bar(buf, area, &title);
    let flags = format!(
        "{}{} ",
        if app.paused { "[PAUSED] " } else { "" },
        if app.call_list.autoscroll {
            "[autoscroll]"
        } else {
            ""
        }
    );
    let fx = area
        .right()
        .saturating_sub(u16::try_from(flags.len()).unwrap_or(0));
    put(
        buf,
        area,
        fx.max(area.x),
        area.y,
        &flags,
        area.width,
        theme::header(),
    );
}

/// Counts: the user always knows whether the picture is complete.
fn draw_counts(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let s = model.stats();
    let lost = s.dropped_kernel + s.dropped_channel + s.evicted_calls;
    let orphans = model.unassociated_streams().count();
    let mut counts = format!(
        "Dialogs {} (shown {}{})  SIP {}{}{}   lost: kernel {}  channel {}  evicted {}  malformed {}",
        model.len(),
        app.rows().len(),
        // The filter's index being made, or the rules of the findings
        // run: the rows are those of the part done.
        app.call_list
            .rows_progress()
            .map_or(String::new(), |(what, done)| match what {
                // While a file is read (or live) the index's share made
                // would go backwards as dialogs come: the count instead.
                Pending::Index if !model.capture_ended() => format!(
                    " so far, filter index {} made",
                    app.call_list.filter_made_count()
                ),
                Pending::Sort => format!(", sorting {:.0} %", done * 100.0),
                _ => format!(" so far, {} {:.0} %", what.label(), done * 100.0),
            }),
        s.sip_messages,
        if app.live {
            format!("  {:.1}/s", app.rate)
        } else {
            String::new()
        },
        if orphans > 0 {
            format!("  RTP without a dialog {orphans} (u)")
        } else {
            String::new()
        },
        s.dropped_kernel,
        s.dropped_channel,
        s.evicted_calls,
        s.malformed,
    );
    if s.skipped_paused > 0 {
        let _ = write!(counts, "  skipped while paused {}", s.skipped_paused);
    }
    let hep_refused = s.hep_refused + s.hep_over_limit + s.hep_malformed;
    if s.hep_received > 0 {
        let _ = write!(counts, "  HEP in {}", s.hep_received);
        if hep_refused > 0 {
            let _ = write!(counts, " (refused {hep_refused})");
        }
    }
    if s.hep_sent + s.hep_send_dropped > 0 {
        let _ = write!(counts, "  HEP out {}", s.hep_sent);
        if s.hep_send_dropped > 0 {
            let _ = write!(counts, " (dropped {})", s.hep_send_dropped);
        }
    }
    let style = if lost + hep_refused + s.hep_send_dropped > 0 {
        theme::warning()
    } else {
        theme::title()
    };
    put(buf, area, area.x, area.y + 1, &counts, area.width, style);
}

/// The filter and sort line.
fn draw_filter_line(buf: &mut Buffer, area: Rect, app: &AppState) {
    let list = &app.call_list;
    let mut line = String::new();
    if let Some(input) = &app.search_input {
        let _ = write!(line, "filter: {}_", escape::text(&input.text));
        if let Some(e) = &input.error {
            let _ = write!(
                line,
                "   not a regex: {} (the filter before stays; Esc puts it back)",
                escape::text(e)
            );
        }
    } else if !app.filter.text().is_empty() {
        let _ = write!(line, "filter: {}   ", escape::text(app.filter.text()));
    }
    if app.search_input.is_none() {
        if app.filter.form_active() {
            line.push_str("form filter on (F7)   ");
        }
        if list.only_calls {
            line.push_str("only calls   ");
        }
        let _ = write!(
            line,
            "sort: {} {}",
            list.sort.title(),
            if list.ascending { "▲" } else { "▼" }
        );
        if !app.selected.is_empty() {
            let _ = write!(line, "   selected: {}", app.selected.len());
        }
    }
    put(
        buf,
        area,
        area.x,
        area.y + 2,
        &line,
        area.width,
        theme::dim(),
    );
}

/// Column titles, in widths that fit the terminal; returns those widths.
fn draw_column_titles(
    buf: &mut Buffer,
    area: Rect,
    app: &AppState,
    model: &Model,
) -> Vec<(Column, u16)> {
    // Calls from HEP agents: where each was seen, unless the config chose
    // the columns.
    let mut columns = app.columns.clone();
    if model.has_agents() && app.config.columns.is_none() && !columns.contains(&Column::Seen) {
        columns.push(Column::Seen);
    }
    // The `#` column as wide as the last dialog's number (a million calls
    // must not all read "1000…").
    let last = model.dialogs().next_back().map_or(0, |d| d.id.0 + 1);
    let digits = u16::try_from(last.checked_ilog10().unwrap_or(0) + 1).unwrap_or(u16::MAX);
    let (layout, hidden) = fit_columns(&columns, area.width.saturating_sub(2), digits);
    let mut x = area.x + 2;
    for (c, w) in &layout {
        put(
            buf,
            area,
            x,
            area.y + 3,
            c.title(),
            *w,
            theme::column_header(),
        );
        x = x.saturating_add(w + 1);
    }
    if hidden > 0 {
        let more = format!("+{hidden}›");
        let mx = area
            .right()
            .saturating_sub(u16::try_from(more.chars().count()).unwrap_or(0));
        put(buf, area, mx, area.y + 3, &more, 4, theme::dim());
    }
    layout
}

/// Rows: only the visible ones, the cursor kept in sight; records where
/// they went for the mouse.
fn draw_rows(
    buf: &mut Buffer,
    area: Rect,
    app: &AppState,
    model: &Model,
    layout: &[(Column, u16)],
) {
    let list = &app.call_list;
    let rows = list.rows();
    let visible = usize::from(area.height.saturating_sub(TOP + 1));
    let mut offset = list.drawn.first();
    if list.cursor < offset {
        offset = list.cursor;
    } else if visible > 0 && list.cursor >= offset + visible {
        offset = list.cursor + 1 - visible;
    }
    offset = offset.min(rows.len().saturating_sub(visible.max(1)));
    let rows_area = Rect::new(
        area.x,
        area.y.saturating_add(TOP),
        area.width,
        u16::try_from(visible).unwrap_or(u16::MAX),
    );
    list.drawn.record(rows_area, offset);
    let at = app.clock(model);
    for (i, id) in rows.iter().enumerate().skip(offset).take(visible) {
        let Some(d) = model.dialog(*id) else { continue };
        let y = area.y + TOP + u16::try_from(i - offset).unwrap_or(0);
        let is_cursor = i == list.cursor;
        let is_selected = app.selected.contains(id);
        let base = if is_selected {
            theme::selected()
        } else {
            ratatui::style::Style::new()
        };
        let mark = match (is_cursor, is_selected) {
            (true, _) => ">",
            (false, true) => "*",
            _ => " ",
        };
        put(buf, area, area.x, y, mark, 2, base);
        draw_cells(buf, area, y, layout, &RowOf { d, model, at }, base);
        if is_cursor {
            fill_row(buf, area, y, theme::cursor());
        }
    }
    if rows.is_empty() && area.height > TOP + 1 {
        let msg = if let Some((what, _)) = app.call_list.rows_progress() {
            // The filter's index is not whole yet, or the rules not all
            // run: no match so far says nothing.
            match what {
                Pending::Index => "searching: the filter's index is being made",
                Pending::Search => "searching",
                Pending::Findings => "searching: the findings' rules are being run",
                Pending::Sort => "sorting",
            }
        } else if !model.is_empty() {
            "no dialog matches the filter"
        } else if model.stats().sip_messages > 0 {
            "cleared: new dialogs will show here"
        } else {
            "no SIP dialogs yet"
        };
        put(
            buf,
            area,
            area.x + 2,
            area.y + TOP,
            msg,
            area.width,
            theme::dim(),
        );
    }
}

/// The dialog a row shows, and what its cells read beside it.
struct RowOf<'a> {
    d: &'a Dialog,
    model: &'a Model,
    at: Clock,
}

/// One row's cells on line `y`.
fn draw_cells(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    layout: &[(Column, u16)],
    row: &RowOf<'_>,
    base: ratatui::style::Style,
) {
    let (d, at) = (row.d, row.at);
    let mut x = area.x + 2;
    for (c, w) in layout {
        let text = cell(*c, d, at, row.model);
        let style = match c {
            Column::State => theme::state(d.state_at(at)),
            Column::Findings => row
                .model
                .worst_finding(d, at.now_ns)
                .map_or(base, |(s, _)| theme::severity(s)),
            _ => base,
        };
        // A cut value ends in '…' so it is not taken for the whole.
        if text.chars().count() > usize::from(*w) && *w > 1 {
            let cut: String = text.chars().take(usize::from(*w) - 1).collect();
            put(buf, area, x, y, &format!("{cut}…"), *w, style);
        } else {
            put(buf, area, x, y, &text, *w, style);
        }
        x = x.saturating_add(w + 1);
    }
}

/// Columns that give up width first, down to `MIN_FLEX`.
fn flexible(c: Column) -> bool {
    matches!(
        c,
        Column::From
            | Column::To
            | Column::Src
            | Column::Dst
            | Column::CallId
            | Column::UserAgent
            | Column::Seen
    )
}
const MIN_FLEX: u16 = 12;

/// Which columns to hide first when even shrunk ones do not fit; the index,
/// From, To and State are never hidden.
fn drop_rank(c: Column) -> u8 {
    match c {
        Column::UserAgent => 0,
        Column::CallId => 1,
        Column::Seen => 2,
        Column::Transport => 2,
        Column::Src => 3,
        Column::Dst => 4,
        Column::Pdd => 5,
        Column::Msgs => 6,
        Column::Start => 7,
        Column::Findings => 8,
        Column::Duration => 8,
        Column::Method => 9,
        Column::Index | Column::From | Column::To | Column::State => u8::MAX,
    }
}

/// Widths for `cols` in `avail` cells: preferred widths (`#` at least
/// `index_digits` wide), flexible columns grown into spare room or shrunk,
/// then low-priority columns hidden. Returns the layout and how many columns
/// were hidden.
#[must_use]
pub fn fit_columns(cols: &[Column], avail: u16, index_digits: u16) -> (Vec<(Column, u16)>, usize) {
    let width = |c: Column| match c {
        Column::Index => c.width().max(index_digits),
        _ => c.width(),
    };
    let mut shown: Vec<(Column, u16)> = cols.iter().map(|c| (*c, width(*c))).collect();
    let total = |s: &[(Column, u16)]| s.iter().map(|(_, w)| u32::from(*w) + 1).sum::<u32>();
    let avail32 = u32::from(avail);
    // Spare room goes to From and To first (up to 40 cells).
    while total(&shown) < avail32 {
        let Some(slot) = shown
            .iter_mut()
            .filter(|(c, w)| matches!(c, Column::From | Column::To) && *w < 40)
            .min_by_key(|(_, w)| *w)
        else {
            break;
        };
        slot.1 += 1;
    }
    // Too wide: shrink the widest flexible column, one cell at a time.
    while total(&shown) > avail32 {
        let Some(slot) = shown
            .iter_mut()
            .filter(|(c, w)| flexible(*c) && *w > MIN_FLEX)
            .max_by_key(|(_, w)| *w)
        else {
            break;
        };
        slot.1 -= 1;
    }
    let mut hidden = 0;
    while total(&shown) > avail32 {
        let Some(i) = shown
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| drop_rank(*c) != u8::MAX)
            .min_by_key(|(_, (c, _))| drop_rank(*c))
            .map(|(i, _)| i)
        else {
            break;
        };
        shown.remove(i);
        hidden += 1;
    }
    (shown, hidden)
}

/// `alice@example.com` from a From/To header value.
fn short_uri(header: &str) -> String {
    let uri = uri_of(header);
    let uri = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("tel:"))
        .unwrap_or(uri);
    escape::text(uri.split(';').next().unwrap_or(uri)).into_owned()
}

/// The most severe finding's rule id, when it is a warning or an error
/// (info findings are for the ladder: a list scanned for failures stays quiet).
fn findings_cell(d: &Dialog, model: &Model, now: i64) -> String {
    match model.worst_finding(d, now) {
        Some((s, rule)) if s > crate::model::findings::Severity::Info => rule.to_owned(),
        _ => String::new(),
    }
}

/// The text of one cell.
#[must_use]
pub fn cell(c: Column, d: &Dialog, at: Clock, model: &Model) -> String {
    let first = d.first_request();
    match c {
        Column::Index => (d.id.0 + 1).to_string(),
        Column::Start => clock(d.first_ts()),
        Column::Method => d.method_label(),
        Column::From => short_uri(d.from()),
        Column::To => short_uri(d.to()),
        Column::Src => first.map(|m| m.src().to_string()).unwrap_or_default(),
        Column::Dst => first.map(|m| m.dst().to_string()).unwrap_or_default(),
        Column::Msgs => d.messages.len().to_string(),
        Column::State => d.state_at(at).name(),
        Column::Duration => duration(d.duration_at(at)),
        Column::Pdd => d.pdd_ns().map_or_else(|| "-".into(), millis),
        Column::Transport => first
            .map(|m| m.transport.as_str().to_ascii_uppercase())
            .unwrap_or_default(),
        Column::CallId => escape::text(d.call_id()).into_owned(),
        Column::UserAgent => d
            .user_agent
            .as_deref()
            .map(|u| escape::text(u).into_owned())
            .unwrap_or_default(),
        Column::Seen => seen_at(d, model),
        Column::Findings => findings_cell(d, model, at.now_ns),
    }
}

/// Where a dialog was captured: `here`, an agent (`2001@10.0.0.5`), or the
/// first and how many more.
fn seen_at(d: &Dialog, model: &Model) -> String {
    let origins = model.origins_of(d);
    let first = origins
        .first()
        .map(|o| model.origin_name(*o))
        .unwrap_or_default();
    match origins.len() {
        0 | 1 => first,
        n => format!("{first} +{}", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million dialogs: the `#` column widens to seven digits (it cut
    /// them to "1000…"), taking the room from the flexible columns.
    #[test]
    fn the_number_column_is_as_wide_as_the_last_number() {
        let cols = [Column::Index, Column::From, Column::To, Column::State];
        let width_of = |digits| {
            let (layout, hidden) = fit_columns(&cols, 100, digits);
            assert_eq!(hidden, 0);
            let total: u16 = layout.iter().map(|(_, w)| w + 1).sum();
            assert!(total <= 100, "{layout:?}");
            layout
                .iter()
                .find(|(c, _)| *c == Column::Index)
                .map(|(_, w)| *w)
        };
        assert_eq!(width_of(1), Some(Column::Index.width()));
        assert_eq!(width_of(7), Some(7));
    }
}
