//! The views. Each reads the model and the app state and draws into a
//! buffer; none keeps state of its own or knows a key code. A list view
//! records where it drew its rows in its screen's state (`DrawnRows`), so a
//! click finds the row under it.

pub mod call_list;
pub mod findings;
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

use super::app::AppState;
use super::screens::Screen;
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
        Screen::Findings => findings::draw(buf, area, app, model),
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
