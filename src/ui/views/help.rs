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

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState) {
    title_bar(buf, area, " sipscope help   (any key closes)");
    for (i, line) in lines(app)
        .iter()
        .skip(usize::from(app.help.scroll))
        .enumerate()
    {
        let Ok(dy) = u16::try_from(i + 1) else { break };
        if dy >= area.height {
            break;
        }
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
