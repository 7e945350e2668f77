//! The views. Each reads the model and the app state and draws into a
//! buffer; none keeps state of its own or knows a key code. A list view
//! records where it drew its rows in its screen's state (`DrawnRows`), so a
//! click finds the row under it.

pub mod call_list;
pub mod forms;
pub mod help;
pub mod ladder;
pub mod message;
pub mod message_diff;
pub mod sdp_diff;
pub mod streams;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::app::AppState;
use super::screens::Screen;
use super::theme;
use crate::model::Model;

/// Draws the whole screen for the current view.
pub fn render(frame: &mut Frame<'_>, app: &AppState, model: &Model) {
    let area = frame.area();
    draw(frame.buffer_mut(), area, app, model);
}

/// Draws into any buffer (the tests and benchmarks use this directly).
pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    draw_screen(buf, area, app, model, app.screen());
}

fn draw_screen(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model, screen: Screen) {
    match screen {
        Screen::CallList => call_list::draw(buf, area, app, model),
        Screen::Ladder => ladder::draw(buf, area, app, model),
        Screen::Message => message::draw_full(buf, area, app, model),
        Screen::Help => help::draw(buf, area, app),
        Screen::Streams => streams::draw(buf, area, app, model),
        Screen::SdpDiff => sdp_diff::draw(buf, area, app, model),
        Screen::MessageDiff => message_diff::draw(buf, area, app, model),
        Screen::FilterForm => {
            call_list::draw(buf, area, app, model);
            forms::draw_filter(buf, area, app);
        }
        Screen::Columns => {
            call_list::draw(buf, area, app, model);
            forms::draw_columns(buf, area, app);
        }
        Screen::Save => {
            let below = app
                .stack
                .iter()
                .rev()
                .nth(1)
                .copied()
                .filter(|s| *s != Screen::Save)
                .unwrap_or(Screen::CallList);
            draw_screen(buf, area, app, model, below);
            forms::draw_save(buf, area, app);
        }
    }
}

/// Writes `text` at (x, y), at most `width` cells, clipped to `area`.
pub(crate) fn put(
    buf: &mut Buffer,
    area: Rect,
    x: u16,
    y: u16,
    text: &str,
    width: u16,
    style: Style,
) {
    if y < area.y || y >= area.bottom() || x >= area.right() || x < area.x {
        return;
    }
    let max = width.min(area.right() - x);
    buf.set_stringn(x, y, text, usize::from(max), style);
}

/// The first row: a title on the header colour across the whole width.
pub(crate) fn title_bar(buf: &mut Buffer, area: Rect, text: &str) {
    fill_row(buf, area, area.y, theme::header());
    put(buf, area, area.x, area.y, text, area.width, theme::header());
}

/// Fills one row of `area` with a style.
pub(crate) fn fill_row(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    if y >= area.y && y < area.bottom() {
        buf.set_style(Rect::new(area.x, y, area.width, 1), style);
    }
}

/// The last line: the status message, or key hints.
pub(crate) fn footer(
    buf: &mut Buffer,
    area: Rect,
    app: &AppState,
    hints: &[(crate::keymap::Action, &str)],
) {
    let y = area.bottom().saturating_sub(1);
    if area.height < 2 {
        return;
    }
    if let Some(s) = &app.status {
        let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
        put(
            buf,
            area,
            area.x,
            y,
            &super::escape::text(&one_line),
            area.width,
            theme::warning(),
        );
        return;
    }
    let text: Vec<String> = hints
        .iter()
        .map(|(a, label)| format!("{} {label}", app.keymap.hint(*a)))
        .collect();
    put(
        buf,
        area,
        area.x,
        y,
        &text.join("  "),
        area.width,
        theme::dim(),
    );
}

/// `HH:MM:SS.mmm` (UTC) of a capture timestamp.
#[must_use]
pub fn clock(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let ms = ts_ns.rem_euclid(1_000_000_000) / 1_000_000;
    let t = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}.{ms:03}", t / 3600, t % 3600 / 60, t % 60)
}

/// A duration for people: `850ms`, `12.3s`, `4:05`, `1:02:03`.
#[must_use]
pub fn duration(ns: i64) -> String {
    let ms = ns / 1_000_000;
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s < 60 {
        return format!("{}.{}s", s, (ms % 1000) / 100);
    }
    if s < 3600 {
        return format!("{}:{:02}", s / 60, s % 60);
    }
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

pub use crate::sip::reason;

#[cfg(test)]
mod tests {
    #[test]
    fn formats_times_and_durations() {
        assert_eq!(super::clock(1_795_306_588_257_567_000), "00:16:28.257");
        assert_eq!(super::duration(305_000_000), "305ms");
        assert_eq!(super::duration(9_012_000_000), "9.0s");
        assert_eq!(super::duration(125_000_000_000), "2:05");
    }
}
