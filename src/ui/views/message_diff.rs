//! Two messages marked with Space in the ladder, side by side, with the
//! lines that differ highlighted (sngrep's message diff).

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

fn lines(model: &Model, m: &Message) -> Vec<String> {
    match model.raw(m) {
        Ok(raw) => raw
            .split(|c| *c == b'\n')
            .map(|l| escape::bytes(l.strip_suffix(b"\r").unwrap_or(l)))
            .collect(),
        Err(e) => vec![format!("cannot read the message: {e}")],
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let msgs = app.ladder_messages(model);
    let Some(l) = &app.ladder else { return };
    let picked: Vec<&Message> = l
        .marked
        .iter()
        .filter_map(|i| msgs.get(*i))
        .map(|(_, m)| *m)
        .collect();
    let [a, b] = picked.as_slice() else { return };
    title_bar(
        buf,
        area,
        " Message diff   lines in one message only are highlighted",
    );
    let half = area.width / 2;
    let (left, right) = (lines(model, a), lines(model, b));
    let head = |m: &Message| {
        format!(
            "── {} {} {} → {}",
            model.arrow_label(m),
            clock(m.ts_ns),
            m.src(),
            m.dst()
        )
    };
    put(buf, area, area.x, area.y + 1, &head(a), half, theme::dim());
    put(buf, area, area.x + half, area.y + 1, "│", 1, theme::dim());
    put(
        buf,
        area,
        area.x + half + 1,
        area.y + 1,
        &head(b),
        area.width.saturating_sub(half + 1),
        theme::dim(),
    );
    for i in 0..left.len().max(right.len()) {
        let Ok(dy) = u16::try_from(i) else { break };
        let y = area.y + 2 + dy;
        if y >= area.bottom().saturating_sub(1) {
            break;
        }
        let style = |line: &String, other: &[String]| {
            if other.contains(line) {
                Style::new()
            } else {
                theme::selected()
            }
        };
        if let Some(x) = left.get(i) {
            put(buf, area, area.x, y, x, half, style(x, &right));
        }
        put(buf, area, area.x + half, y, "│", 1, theme::dim());
        if let Some(x) = right.get(i) {
            put(
                buf,
                area,
                area.x + half + 1,
                y,
                x,
                area.width.saturating_sub(half + 1),
                style(x, &left),
            );
        }
    }
    footer(buf, area, app, &[(Action::Back, "back")]);
}
