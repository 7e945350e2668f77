//! The filter form (F7) and the column picker (F10), drawn over the call list.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::config::Column;
use crate::keymap::Action;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::filter::FormField;
use crate::ui::save::{SAVE_FIELDS, SaveDialog};
use crate::ui::screens::columns::picker_rows;
use crate::ui::theme;
use crate::ui::widgets::put;

fn boxed(buf: &mut Buffer, area: Rect, w: u16, h: u16, title: &str) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    // Clear resets every cell, so nothing of the list (its cursor) shows through;
    // the border keeps what is around from reading as part of the box.
    ratatui::widgets::Widget::render(ratatui::widgets::Clear, r, buf);
    ratatui::widgets::Widget::render(
        ratatui::widgets::Block::bordered().border_style(theme::dim()),
        r,
        buf,
    );
    put(
        buf,
        r,
        r.x + 1,
        r.y,
        &format!(" {title} "),
        w.saturating_sub(2),
        theme::header(),
    );
    r
}

pub fn draw_filter(buf: &mut Buffer, area: Rect, app: &AppState) {
    let h = u16::try_from(FormField::ALL.len()).unwrap_or(7) + 4;
    let r = boxed(
        buf,
        area,
        70,
        h,
        "Filter   Tab next field   Enter apply   Esc cancel",
    );
    for (i, field) in FormField::ALL.into_iter().enumerate() {
        let y = r.y + 2 + u16::try_from(i).unwrap_or(0);
        let focus = field == app.form.focus;
        let value = app.form.value(field);
        put(
            buf,
            r,
            r.x + 1,
            y,
            field.label(),
            32,
            if focus { theme::title() } else { Style::new() },
        );
        let text = format!("{}{}", escape::text(value), if focus { "_" } else { "" });
        put(
            buf,
            r,
            r.x + 34,
            y,
            &text,
            r.width.saturating_sub(35),
            if focus { theme::cursor() } else { Style::new() },
        );
    }
}

/// The save dialog: four fields, a line for errors or progress, and keys.
pub fn draw_save(buf: &mut Buffer, area: Rect, app: &AppState) {
    let Some(form) = &app.save else {
        return;
    };
    // As wide as the screen allows (paths and messages are long), up to 120.
    let w = area.width.saturating_sub(4).clamp(40, 120);
    let r = boxed(
        buf,
        area,
        w,
        12,
        "Save   Tab/↑↓ field   ←→ Space change   Enter save   Esc cancel",
    );
    let inner = r.width.saturating_sub(13);
    let what = form
        .choices
        .get(form.what)
        .map_or_else(String::new, |(w, ids)| SaveDialog::label(*w, ids.len()));
    let rtp = if !form.format.holds_frames() {
        "(pcap and pcapng only)".to_owned()
    } else if form.with_rtp {
        "[x] with RTP and RTCP".to_owned()
    } else {
        "[ ] SIP only".to_owned()
    };
    // The path scrolls so the cursor stays in view (typed text: a control
    // character shows as `?`, one cell for one character).
    let chars: Vec<char> = form
        .path
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let pos = form.cursor.unwrap_or(chars.len()).min(chars.len());
    let room = usize::from(inner).saturating_sub(2).max(1);
    let start = (pos + 1).saturating_sub(room);
    let end = chars.len().min(start + room);
    let shown: String = (if start > 0 { "…" } else { "" })
        .chars()
        .chain(chars.get(start..end).unwrap_or_default().iter().copied())
        .collect();
    let values = [
        format!("‹ {what} ›"),
        format!("‹ {} ›", form.format.name()),
        rtp,
        shown,
    ];
    for (i, (label, value)) in SAVE_FIELDS.iter().zip(values.iter()).enumerate() {
        let y = r.y + 2 + u16::try_from(i).unwrap_or(0);
        let focus = i == form.focus;
        put(
            buf,
            r,
            r.x + 2,
            y,
            label,
            8,
            if focus { theme::title() } else { Style::new() },
        );
        let path_field = i == 3;
        put(
            buf,
            r,
            r.x + 11,
            y,
            value,
            inner,
            match (focus, path_field) {
                (true, false) => theme::cursor(),
                (true, true) => theme::title(),
                _ => Style::new(),
            },
        );
        if focus && path_field {
            // The cursor: the cell where the next character goes.
            let col = u16::try_from(pos - start + usize::from(start > 0)).unwrap_or(0);
            let x = r.x + 11 + col;
            if x < r.right().saturating_sub(1)
                && let Some(cell) = buf.cell_mut((x, y))
            {
                cell.set_style(theme::cursor());
            }
        }
    }
    let note = if let Some(s) = &app.saving {
        let done = s.done.load(std::sync::atomic::Ordering::Relaxed);
        let pct = (done * 100).checked_div(s.total).unwrap_or(100);
        format!(
            "writing {} … {done} of {} packets ({pct}%)   Esc cancels",
            s.path.display(),
            s.total
        )
    } else {
        form.message.clone().unwrap_or_default()
    };
    // Messages wrap at spaces over up to four lines inside the box.
    let width = usize::from(r.width.saturating_sub(4)).max(1);
    for (i, text) in wrap(&escape::text(&note), width).iter().take(4).enumerate() {
        put(
            buf,
            r,
            r.x + 2,
            r.y + 7 + u16::try_from(i).unwrap_or(0),
            text,
            r.width.saturating_sub(4),
            theme::title(),
        );
    }
}

/// Lines of at most `width` characters, broken at spaces where one is near
/// (a word longer than the line is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

pub fn draw_columns(buf: &mut Buffer, area: Rect, app: &AppState) {
    let h = u16::try_from(Column::ALL.len()).unwrap_or(14) + 4;
    let hint = format!(
        "Columns   {} show/hide   {}/{} move   {} done",
        app.keymap.hint(Action::Select),
        app.keymap.hint(Action::PaneUp),
        app.keymap.hint(Action::PaneDown),
        app.keymap.hint(Action::Back)
    );
    let r = boxed(buf, area, 60, h, &hint);
    for (i, c) in picker_rows(&app.columns).iter().enumerate() {
        let y = r.y + 2 + u16::try_from(i).unwrap_or(0);
        let pos = app.columns.iter().position(|x| x == c);
        let mark = pos.map_or("[ ]   ".to_owned(), |p| format!("[x] {:<2}", p + 1));
        let style = if i == app.column_picker.cursor {
            theme::cursor()
        } else {
            Style::new()
        };
        put(
            buf,
            r,
            r.x + 2,
            y,
            &format!("{mark} {}", c.title()),
            r.width.saturating_sub(3),
            style,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_cuts_only_what_cannot_fit() {
        assert_eq!(
            wrap("sipscope runs as nobody here: choose a directory", 20),
            ["sipscope runs as", "nobody here: choose", "a directory"]
        );
        assert_eq!(
            wrap("/a/very/long/path/name x", 10),
            ["/a/very/lo", "ng/path/na", "me x"]
        );
        assert!(wrap("", 10).is_empty());
    }
}
