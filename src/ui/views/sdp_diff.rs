//! The selected message's SDP beside the SDP it answers (or, for a re-offer,
//! the same side's previous SDP), with what changed said in words on top and
//! the lines that differ highlighted.
//!
//! ```text
//! SDP diff  200 OK (1 INVITE) answers INVITE (1)
//! audio: codec PCMA (dropped PCMU)
//! ── INVITE 00:16:38.089 ──────────────┬── 200 OK 00:16:38.593 ─────────────
//! m=audio 6000 RTP/AVP 0 8 101         │ m=audio 6000 RTP/AVP 8 101
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::keymap::Action;
use crate::model::sdp_diff::{Concern, SdpKind};
use crate::model::{Message, Model};
use crate::text::clock;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::theme;
use crate::ui::widgets::{footer, put, title_bar};

fn sdp_lines(model: &Model, m: &Message) -> Vec<String> {
    let Ok(p) = model.parsed(m) else {
        return vec!["(cannot read the message)".into()];
    };
    p.sdp_body
        .as_deref()
        .map(|b| {
            b.split(|c| *c == b'\n')
                .map(|l| escape::bytes(l.strip_suffix(b"\r").unwrap_or(l)))
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let msgs = app.ladder_messages(model);
    let Some((d, m)) = app.ladder.as_ref().and_then(|l| msgs.get(l.cursor)) else {
        return;
    };
    let Some(index) = d.messages.iter().position(|x| std::ptr::eq(x, *m)) else {
        return;
    };
    let changes = model.sdp_changes(d);
    let change = changes.iter().find(|c| c.message == index);
    let other = change
        .and_then(|c| c.against)
        .and_then(|i| d.messages.get(i));
    let relation = match (change.map(|c| c.kind), other) {
        (Some(SdpKind::Answer), Some(o)) => format!("answers {}", model.arrow_label(o)),
        (Some(SdpKind::Offer), Some(o)) => format!("replaces {}", model.arrow_label(o)),
        (Some(SdpKind::Refused), Some(o)) => format!("refuses {}", model.arrow_label(o)),
        _ => "the first offer".to_owned(),
    };
    title_bar(
        buf,
        area,
        &format!(" SDP diff  {} {relation}", model.arrow_label(m)),
    );
    let summary = change.map(|c| c.lines.as_slice()).unwrap_or_default();
    let mut y = area.y + 1;
    if summary.is_empty() {
        put(
            buf,
            area,
            area.x + 1,
            y,
            "no change",
            area.width,
            theme::dim(),
        );
        y += 1;
    }
    // The summary, the column heads and the footer share the height: a
    // summary longer than the screen is cut, never drawn over the footer.
    let last = area.bottom().saturating_sub(1);
    for s in summary {
        if y + 1 >= last {
            break;
        }
        let style = match s.concern {
            Some(Concern::NoCommonCodec | Concern::Hold) => theme::warning(),
            Some(Concern::Resume) | None => theme::title(),
        };
        put(
            buf,
            area,
            area.x + 1,
            y,
            &escape::text(&s.text),
            area.width,
            style,
        );
        y += 1;
    }
    let half = area.width / 2;
    let right_x = area.x + half + 1;
    let left_lines = other.map(|o| sdp_lines(model, o)).unwrap_or_default();
    let right_lines = sdp_lines(model, m);
    if y >= last {
        footer(buf, area, app, &[(Action::Back, "back")]);
        return;
    }
    let head = |msg: Option<&Message>| {
        msg.map_or_else(
            || "(none)".to_owned(),
            |x| format!("── {} {} ", model.arrow_label(x), clock(x.ts_ns)),
        )
    };
    put(buf, area, area.x, y, &head(other), half, theme::dim());
    put(buf, area, area.x + half, y, "│", 1, theme::dim());
    put(
        buf,
        area,
        right_x,
        y,
        &head(Some(m)),
        area.width.saturating_sub(half + 1),
        theme::dim(),
    );
    y += 1;
    let rows = left_lines.len().max(right_lines.len());
    for i in 0..rows {
        let Ok(dy) = u16::try_from(i) else { break };
        let row = y + dy;
        if row >= area.bottom().saturating_sub(1) {
            break;
        }
        if let Some(l) = left_lines.get(i) {
            let style = if right_lines.contains(l) {
                theme::dim()
            } else {
                theme::warning()
            };
            put(buf, area, area.x, row, l, half, style);
        }
        put(buf, area, area.x + half, row, "│", 1, theme::dim());
        if let Some(r) = right_lines.get(i) {
            let style = if other.is_none() || left_lines.contains(r) {
                ratatui::style::Style::new()
            } else {
                theme::selected()
            };
            put(
                buf,
                area,
                right_x,
                row,
                r,
                area.width.saturating_sub(half + 1),
                style,
            );
        }
    }
    footer(buf, area, app, &[(Action::Back, "back")]);
}
