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
            &crate::text::escape::text(&one_line),
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

pub use crate::text::{clock, duration};

pub use crate::sip::reason;
