//! Drawing helpers every view uses: clipped text, the title bar, the footer
//! with the status line or key hints.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::app::AppState;
use super::theme;

/// Writes `text` at (x, y), at most `width` cells, clipped to `area`.
pub fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, text: &str, width: u16, style: Style) {
    if y < area.y || y >= area.bottom() || x >= area.right() || x < area.x {
        return;
    }
    let max = width.min(area.right() - x);
    buf.set_stringn(x, y, text, usize::from(max), style);
}

/// The first row: a title on the header colour across the whole width.
pub fn title_bar(buf: &mut Buffer, area: Rect, text: &str) {
    fill_row(buf, area, area.y, theme::header());
    put(buf, area, area.x, area.y, text, area.width, theme::header());
}

/// Fills one row of `area` with a style.
pub fn fill_row(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    if y >= area.y && y < area.bottom() {
        buf.set_style(Rect::new(area.x, y, area.width, 1), style);
    }
}

/// The last line: the status message, or key hints.
pub fn footer(
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
