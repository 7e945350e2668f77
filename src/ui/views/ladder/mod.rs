//! The ladder (call flow): one column per endpoint, one arrow per message.
//!
//! ```text
//! Call flow  1-31140@127.0.0.10   time: absolute                 │ 00:16:28.257 127.0.0.10:5061 → ...
//!               127.0.0.10:5061        127.0.0.20:5060           │ INVITE sip:bob@... SIP/2.0
//! 00:16:28.257        │──INVITE (1) SDP PCMU──►│                 │ Via: ...
//! 00:16:28.257        │◄─────100 Trying (1)────│                 │
//! ```
//! Under the title, one line per diagnosis finding of the dialogs in view
//! (worst first, at most [`MAX_FINDING_ROWS`]): `E ack-missing: 200 OK sent
//! 7 times...`; the arrows a finding rests on carry a `◆` in its colour.
//! Only the rows in view are drawn; the selected arrow stays in view.

mod header;
mod lines;
mod rows;

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::keymap::Action;
use crate::model::flow::Flow;
use crate::model::media::RtpStream;
use crate::model::{DialogId, Message, Model};
use crate::text::clock;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::screens::LadderState;
use crate::ui::widgets::{footer, title_bar};

use header::{column_positions, draw_columns, draw_findings, flow_findings, title};
use lines::{Line, Placement};
use rows::{draw_arrows, draw_lanes, draw_timers, fired, hop_delay};

/// Rows above the arrows: title and endpoint names.
const TOP: u16 = 2;
/// Findings lines under the title, at most.
const MAX_FINDING_ROWS: usize = 3;
/// The time column's width.
const TIME_WIDTH: u16 = 13;
/// Media lanes drawn at most (more streams: the streams view, `r`).
const MAX_LANES: usize = 6;

/// The ladder on the left; the message pane on the right when shown and
/// there is room; the footer below both.
fn split(area: Rect, l: &LadderState) -> (Rect, Option<Rect>) {
    let show_pane = l.show_raw && area.width >= 60;
    let ladder_w = if show_pane {
        area.width * 3 / 5
    } else {
        area.width
    };
    let ladder = Rect::new(area.x, area.y, ladder_w, area.height.saturating_sub(1));
    let pane = Rect::new(
        area.x + ladder_w,
        area.y,
        area.width - ladder_w,
        area.height.saturating_sub(1),
    );
    (ladder, show_pane.then_some(pane))
}

/// The dialogs that have messages in the flow, by id.
fn legs(flow: &Flow) -> Vec<DialogId> {
    let mut ids: Vec<DialogId> = flow.arrows.iter().map(|a| a.dialog.id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The lines in view: from the arrow drawn first last time, moved just
/// enough to keep the cursor's arrow (with the timers around it) in view;
/// recorded with the rows' place, for the next draw and the mouse.
fn lines_in_view(
    l: &LadderState,
    ladder: Rect,
    placement: &Placement,
    visible: usize,
) -> Vec<Line> {
    let offset = placement.scroll(l.drawn.first(), l.cursor, visible);
    l.drawn.record(
        Rect {
            y: ladder.y + TOP,
            height: ladder.height.saturating_sub(TOP),
            ..ladder
        },
        offset,
    );
    let lines = placement.lines(offset, visible);
    l.set_lines(lines.iter().map(|line| match line {
        Line::Arrow(i) => Some(*i),
        Line::Timer(_) => None,
    }));
    lines
}

/// The HEP agents that saw the flow's messages.
fn flow_agents(model: &Model, flow: &Flow) -> Vec<crate::sip::Origin> {
    let mut out: Vec<crate::sip::Origin> = Vec::new();
    let origins = flow
        .arrows
        .iter()
        .map(|a| a.message.origin())
        .chain(flow.sightings.iter().map(|s| s.origin));
    for o in origins.filter_map(|o| model.origin(o)) {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// What the pane says of the selected arrow before its bytes: the hop it
/// is (delay, and what the box in the middle rewrote), and where else it
/// was seen.
fn hop_notes(model: &Model, flow: &Flow, index: usize) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(arrow) = flow.arrows.get(index) else {
        return notes;
    };
    let msg = arrow.message;
    if let Some(prev) = arrow.hop_from.and_then(|j| flow.arrows.get(j)) {
        let before = prev.message;
        notes.push(format!(
            "hop: forwarded {} after {} → {}",
            hop_delay(msg.ts_ns - before.ts_ns),
            before.src(),
            before.dst()
        ));
        match model.hop_rewrites(before, msg) {
            Ok(list) if list.is_empty() => notes.push("  nothing rewritten".to_owned()),
            Ok(list) => notes.extend(
                list.iter()
                    .map(|w| format!("  {}", escape::text(&w.to_string()))),
            ),
            Err(e) => notes.push(format!("  cannot compare: {e}")),
        }
    }
    if arrow.also_seen > 0 {
        notes.push(format!(
            "seen at {} {}",
            model.origin_name(msg.origin()),
            clock(msg.ts_ns)
        ));
        for seen in flow.sightings_of(index) {
            notes.push(format!(
                "seen at {} +{}",
                model.origin_name(seen.origin),
                hop_delay(seen.ts_ns - msg.ts_ns)
            ));
        }
    }
    notes
}

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let Some(l) = &app.ladder else { return };
    let flow = model.flow(&l.dialogs, l.extended, l.merge_by_ip);
    let (whole, pane) = split(area, l);
    let legs = legs(&flow);
    title_bar(buf, area, &title(l, &flow, legs.len()));

    // Findings under the title, across the ladder and the pane; both move
    // down to make room (while at least a few arrows still fit).
    let findings = flow_findings(model, &flow, app.now(model));
    let rows = findings
        .len()
        .min(MAX_FINDING_ROWS)
        .min(usize::from(whole.height.saturating_sub(TOP + 3)));
    let across = Rect {
        height: whole.height,
        ..area
    };
    draw_findings(
        buf,
        across,
        &findings,
        rows,
        &app.keymap.hint(crate::keymap::Action::Findings),
    );
    let shift = u16::try_from(rows).unwrap_or(0);
    let ladder = Rect {
        y: whole.y + shift,
        height: whole.height.saturating_sub(shift),
        ..whole
    };
    // The pane starts under the findings (its first row was the title's).
    let pane = pane.map(|p| {
        let down = if shift > 0 { shift + 1 } else { 0 };
        Rect {
            y: p.y + down,
            height: p.height.saturating_sub(down),
            ..p
        }
    });
    let evidence: HashMap<*const Message, crate::model::findings::Severity> = findings
        .iter()
        .filter(|(_, f)| f.severity > crate::model::findings::Severity::Info)
        .flat_map(|(d, f)| {
            f.messages
                .iter()
                .filter_map(|i| d.messages.get(*i))
                .map(|m| (std::ptr::from_ref(m), f.severity))
        })
        .collect();

    // Media lanes on the right of the arrows: one per RTP stream (at most 6).
    let streams = flow.streams(model);
    let one_way = crate::model::findings::one_way(&streams);
    let lanes: Vec<(&RtpStream, bool)> = streams
        .iter()
        .copied()
        .zip(one_way)
        .take(MAX_LANES)
        .collect();
    let lanes_w = if lanes.is_empty() || ladder.width < 60 {
        0
    } else {
        u16::try_from(lanes.len()).unwrap_or(0) * 2 + 1
    };
    // Columns, in order of first appearance.
    let xs = column_positions(
        flow.columns.len(),
        ladder.x + TIME_WIDTH,
        ladder.width.saturating_sub(TIME_WIDTH + 1 + lanes_w),
    );
    let agents = flow_agents(model, &flow);
    draw_columns(buf, ladder, app, &flow.columns, &xs, lanes_w, &agents);

    // Arrows in view, and the timers that fired between them.
    let visible = usize::from(ladder.height.saturating_sub(TOP));
    let fired = fired(app, model, &flow);
    let times: Vec<i64> = flow.arrows.iter().map(|a| a.message.ts_ns).collect();
    let shown = lines_in_view(l, ladder, &Placement::new(&times, &fired), visible);
    draw_arrows(
        buf, area, ladder, l, model, &flow, &legs, &xs, &evidence, &shown,
    );
    draw_timers(buf, ladder, l.time_mode, &flow, &fired, &shown);
    if lanes_w > 0 {
        let lx = ladder.right().saturating_sub(lanes_w) + 1;
        draw_lanes(buf, ladder, lx, &lanes, &flow.arrows, (&fired, &shown));
    }
    if let Some(pane) = pane
        && let Some(a) = flow.arrows.get(l.cursor)
    {
        let notes = hop_notes(model, &flow, l.cursor);
        super::message::draw_pane(buf, pane, model, a.message, &notes, &l.pane_scroll);
    }
    footer(
        buf,
        area,
        app,
        &[
            (Action::Back, "back"),
            (Action::Open, "message"),
            (Action::Raw, "raw pane"),
            (Action::TimeMode, "time"),
            (Action::MergeByIp, "merge IPs"),
            (Action::ColourMode, "colours"),
            (Action::Extended, "legs"),
            (Action::Streams, "RTP"),
            (Action::SdpDiff, "SDP diff"),
            (Action::Save, "save"),
            (Action::PaneDown, "scroll pane"),
        ],
    );
}
