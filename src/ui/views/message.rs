//! One message's raw text with SIP colouring: start line bold, header names
//! coloured, SDP in its own colour. Beside the ladder, or full screen.
//! Everything from the wire is escaped (see `text::escape`).

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::keymap::Action;
use crate::model::{Message, Model};
use crate::text::clock;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::theme;
use crate::ui::widgets::{footer, put, title_bar};

/// One drawn line: a header name (coloured) and the rest.
struct Line {
    name: String,
    rest: String,
    style: Style,
}

fn lines(raw: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut in_body = false;
    for (i, l) in raw.split(|b| *b == b'\n').enumerate() {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if i == 0 {
            out.push(Line {
                name: String::new(),
                rest: escape::bytes(l),
                style: theme::title(),
            });
            continue;
        }
        if l.is_empty() && !in_body {
            in_body = true;
            out.push(Line {
                name: String::new(),
                rest: String::new(),
                style: Style::new(),
            });
            continue;
        }
        if in_body {
            out.push(Line {
                name: String::new(),
                rest: escape::bytes(l),
                style: theme::sdp_line(),
            });
        } else if let Some(colon) = l.iter().position(|b| *b == b':') {
            let (n, r) = l.split_at(colon);
            out.push(Line {
                name: escape::bytes(n),
                rest: escape::bytes(r),
                style: Style::new(),
            });
        } else {
            out.push(Line {
                name: String::new(),
                rest: escape::bytes(l),
                style: Style::new(),
            });
        }
    }
    out
}

fn heading(m: &Message) -> String {
    format!("{} {}", clock(m.ts_ns), m.route("→"))
}

/// One screen row: a header name (only on a line's first row) and text.
struct Row {
    name: String,
    text: String,
    style: Style,
}

/// Lines wrapped to `width`: long Via, Contact and Authorization lines are
/// read in full, not cut at the edge.
fn wrap(lines: Vec<Line>, width: u16) -> Vec<Row> {
    let width = usize::from(width.max(1));
    let mut rows = Vec::new();
    for l in lines {
        let mut name = l.name;
        let mut text: Vec<char> = l.rest.chars().collect();
        let mut room = width.saturating_sub(name.chars().count()).max(1);
        loop {
            let take = text.len().min(room);
            let head: String = text.drain(..take).collect();
            rows.push(Row {
                name: std::mem::take(&mut name),
                text: head,
                style: l.style,
            });
            if text.is_empty() {
                break;
            }
            room = width;
        }
    }
    rows
}

/// Draws the message from `scroll` (clamped so the last row stays in view).
fn draw_lines(buf: &mut Buffer, area: Rect, raw: &[u8], scroll: &Cell<u16>) {
    let rows = wrap(lines(raw), area.width);
    let max = rows.len().saturating_sub(usize::from(area.height));
    let from = usize::from(scroll.get()).min(max);
    scroll.set(u16::try_from(from).unwrap_or(u16::MAX));
    for (i, row) in rows.iter().skip(from).enumerate() {
        let Ok(dy) = u16::try_from(i) else { break };
        let y = area.y + dy;
        if y >= area.bottom() {
            break;
        }
        let name_w = u16::try_from(row.name.chars().count()).unwrap_or(u16::MAX);
        put(
            buf,
            area,
            area.x,
            y,
            &row.name,
            area.width,
            theme::sip_header_name(),
        );
        put(
            buf,
            area,
            area.x.saturating_add(name_w),
            y,
            &row.text,
            area.width.saturating_sub(name_w),
            row.style,
        );
    }
}

/// The pane beside the ladder: `notes` (the hop, other vantage points) go
/// under the heading, at most half the pane.
pub fn draw_pane(
    buf: &mut Buffer,
    area: Rect,
    model: &Model,
    m: &Message,
    notes: &[String],
    scroll: &Cell<u16>,
) {
    if area.width < 3 || area.height < 2 {
        return;
    }
    let inner = Rect::new(area.x + 1, area.y, area.width - 1, area.height);
    for y in area.y..area.bottom() {
        put(buf, area, area.x, y, "│", 1, theme::dim());
    }
    put(
        buf,
        inner,
        inner.x,
        inner.y,
        &heading(m),
        inner.width,
        theme::header(),
    );
    let mut top = inner.y + 1;
    for note in notes.iter().take(usize::from(inner.height / 2)) {
        put(buf, inner, inner.x, top, note, inner.width, theme::hop());
        top += 1;
    }
    if let Some(summary) = model.sdp_summary(m) {
        put(
            buf,
            inner,
            inner.x,
            top,
            &format!("SDP: {}", crate::text::escape::text(&summary)),
            inner.width,
            theme::sdp_line(),
        );
        top += 1;
    }
    if !m.defects.is_empty() {
        put(
            buf,
            inner,
            inner.x,
            top,
            &format!("malformed: {}", m.defects.names().join(", ")),
            inner.width,
            theme::warning(),
        );
        top += 1;
    }
    let body = Rect::new(
        inner.x,
        top,
        inner.width,
        inner.bottom().saturating_sub(top),
    );
    match model.raw(m) {
        Ok(raw) => draw_lines(buf, body, &raw, scroll),
        Err(e) => put(
            buf,
            body,
            body.x,
            body.y,
            &format!("cannot read the message: {e}"),
            body.width,
            theme::warning(),
        ),
    }
}

/// The selected message, full screen, with rsip's strict verdict.
pub fn draw_full(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let msgs = app.ladder_messages(model);
    let Some((d, m)) = app.ladder.as_ref().and_then(|l| msgs.get(l.cursor)) else {
        return;
    };
    title_bar(
        buf,
        area,
        &format!(" {}   Call-ID {}", heading(m), escape::text(d.call_id())),
    );
    let raw = model
        .raw(m)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or_default();
    let verdict = model.strict_verdict(m);
    let strict = match (&verdict.sip_error, &verdict.sdp_error) {
        (None, None) => "strict RFC 3261 parse (rsip): ok".to_owned(),
        (Some(e), _) => format!("strict RFC 3261 parse (rsip): {e}"),
        (None, Some(e)) => format!("strict SDP parse (sdp-rs): {e}"),
    };
    let style = if verdict.is_strict() {
        theme::dim()
    } else {
        theme::warning()
    };
    put(
        buf,
        area,
        area.x,
        area.y + 1,
        &escape::text(&strict),
        area.width,
        style,
    );
    let body = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(3),
    );
    draw_lines(buf, body, &raw, &app.message.scroll);
    footer(
        buf,
        area,
        app,
        &[
            (Action::Back, "back"),
            (Action::Down, "scroll"),
            (Action::PageDown, "page"),
        ],
    );
}
