//! Help: built from the key map itself, so it shows the keys in force.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::keymap::Action;
use crate::ui::app::AppState;
use crate::ui::widgets::{put, title_bar};

/// The help text, one line per action (also used by the docs test).
#[must_use]
pub fn lines(app: &AppState) -> Vec<String> {
    let mut out = vec![
        "Keys (rebind any in the config file's [keys] table: action = [\"key\", ...])".to_owned(),
        String::new(),
    ];
    for a in Action::ALL {
        out.push(format!(
            "  {:<22} {:<16} {}",
            app.keymap.hint(a),
            a.name(),
            a.describe()
        ));
    }
    out.push(String::new());
    out.push("Mouse: click a row to move to it, wheel to scroll.".to_owned());
    out
}

/// ```text
///  sipscope help   lines 1-22 of 38   ↓↑ PgDn PgUp scroll   Esc/q close
/// Keys (rebind any ...)
///   ↑/k  up  ...
/// ```
pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState) {
    let lines = lines(app);
    let visible = usize::from(area.height.saturating_sub(1));
    let max = lines.len().saturating_sub(visible);
    app.help
        .max_scroll
        .set(Some(u16::try_from(max).unwrap_or(u16::MAX)));
    let first = usize::from(app.help.scroll).min(max);
    let last = (first + visible).min(lines.len());
    let title = if max == 0 {
        " sipscope help   Esc/q close".to_owned()
    } else {
        format!(
            " sipscope help   lines {}-{last} of {}   {} scroll   Esc/q close",
            first + 1,
            lines.len(),
            if last < lines.len() {
                "more below: ↓ PgDn"
            } else {
                "↑ PgUp"
            }
        )
    };
    title_bar(buf, area, &title);
    for (i, line) in lines.iter().skip(first).take(visible).enumerate() {
        let Ok(dy) = u16::try_from(i + 1) else { break };
        put(
            buf,
            area,
            area.x,
            area.y + dy,
            line,
            area.width,
            ratatui::style::Style::new(),
        );
    }
}
