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

use std::collections::HashMap;
use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::keymap::Action;
use crate::model::flow::{Arrow, Column, Flow};
use crate::model::media::RtpStream;
use crate::model::{Dialog, DialogId, Kind, Message, Model};
use crate::text::clock;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::screens::{ColourMode, LadderState, TimeMode};
use crate::ui::theme;
use crate::ui::widgets::{footer, put, title_bar};

/// Rows above the arrows: title and endpoint names.
const TOP: u16 = 2;
/// Findings lines under the title, at most.
const MAX_FINDING_ROWS: usize = 3;

/// The findings of the dialogs in the flow, worst first (stable within a
/// severity), with the dialog each belongs to.
fn flow_findings<'m>(
    model: &Model,
    flow: &Flow<'m>,
    now: i64,
) -> Vec<(&'m Dialog, crate::model::findings::Finding)> {
    let mut all: Vec<(&Dialog, crate::model::findings::Finding)> = flow
        .dialogs
        .iter()
        .flat_map(|d| {
            model
                .findings_at(d, now)
                .iter()
                .map(|f| (*d, f.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_by_key(|(_, f)| std::cmp::Reverse(f.severity));
    all
}

/// Timers that fired (RFC 3261 B, F, H and 64×T1; RFC 4028's refresh), as
/// marker rows under the last arrow, each at its own time.
fn draw_timers(
    buf: &mut Buffer,
    ladder: Rect,
    app: &AppState,
    model: &Model,
    flow: &Flow,
    (offset, visible): (usize, usize),
) {
    let shown = flow.arrows.len().saturating_sub(offset);
    if shown >= visible {
        return; // the last arrow is not in view, or no room under it
    }
    let Some(l) = &app.ladder else { return };
    let now = app.now(model);
    let mut fired: Vec<crate::model::timers::Fired> = flow
        .dialogs
        .iter()
        .flat_map(|d| crate::model::timers::fired(d, now, model.session_expires(d)))
        .collect();
    fired.sort_by_key(|f| f.ts_ns);
    let t0 = flow.arrows.first().map_or(0, |a| a.message.ts_ns);
    let last = flow.arrows.last().map_or(t0, |a| a.message.ts_ns);
    for (k, f) in fired.iter().take(visible - shown).enumerate() {
        let y = ladder.y + TOP + u16::try_from(shown + k).unwrap_or(0);
        let time = time_at(l.time_mode, f.ts_ns, last, t0);
        put(
            buf,
            ladder,
            ladder.x,
            y,
            &time,
            TIME_WIDTH - 1,
            theme::dim(),
        );
        put(
            buf,
            ladder,
            ladder.x + TIME_WIDTH - 1,
            y,
            &format!("⏱ {}", f.text),
            ladder.width.saturating_sub(TIME_WIDTH),
            theme::warning(),
        );
    }
}

/// The findings lines (at most `rows`); the last says how many more.
fn draw_findings(
    buf: &mut Buffer,
    area: Rect,
    findings: &[(&Dialog, crate::model::findings::Finding)],
    rows: usize,
    hint: &str,
) {
    for (k, (_, f)) in findings.iter().take(rows).enumerate() {
        let y = area.y + 1 + u16::try_from(k).unwrap_or(0);
        let more = findings.len() - rows;
        let tail = match (k + 1 == rows, more) {
            (true, 0) => format!("  ({hint}: what it means)"),
            (true, more) => format!("  (+{more} more, {hint})"),
            _ => String::new(),
        };
        let mark = match f.severity {
            crate::model::findings::Severity::Error => 'E',
            crate::model::findings::Severity::Warning => 'W',
            crate::model::findings::Severity::Info => 'i',
        };
        let line = format!(" {mark} {}: {}{tail}", f.rule, escape::text(&f.summary));
        put(
            buf,
            area,
            area.x,
            y,
            &line,
            area.width,
            theme::severity(f.severity),
        );
    }
}
const TIME_WIDTH: u16 = 13;

/// The name shown for a column: an alias from the config, else the address.
fn endpoint_name(app: &AppState, col: &Column) -> String {
    let key = col.key();
    let aliases = &app.config.aliases;
    aliases
        .get(&key)
        .or_else(|| aliases.get(&col.addr.ip().to_string()))
        .map_or_else(|| key.clone(), |a| escape::text(a).into_owned())
}

fn arrow_style(
    l: &LadderState,
    d: &Dialog,
    m: &Message,
    ids: &HashMap<u64, usize>,
    txns: &HashMap<(u64, u32), usize>,
) -> Style {
    match l.colour_mode {
        ColourMode::CallId => theme::palette(ids.get(&d.id.0).copied().unwrap_or(0)),
        ColourMode::Transaction => {
            let n = m.cseq.map_or(0, |(n, _)| n);
            theme::palette(txns.get(&(d.id.0, n)).copied().unwrap_or(0))
        }
        ColourMode::Kind => match m.kind {
            Kind::Request(_) => theme::request(),
            Kind::Response(c) => theme::status(c),
        },
    }
}

/// Media lanes drawn at most (more streams: the streams view, `r`).
const MAX_LANES: usize = 6;

/// One media lane per stream beside the arrows, on the arrows' time axis:
/// `┃` while packets flow between this row's time and the next's, `┊` for a
/// gap inside the stream, nothing before it starts or after it ends. The
/// header names the lane (`1→`, `1←`: a stream and its reverse); a lane whose
/// reverse never came is marked `!` (one-way audio, as the model finds it).
fn draw_lanes(
    buf: &mut Buffer,
    area: Rect,
    x0: u16,
    lanes: &[(&RtpStream, bool)],
    msgs: &[Arrow],
    rows: (usize, usize),
) {
    let (offset, visible) = rows;
    for (k, (s, one_way)) in lanes.iter().enumerate() {
        let one_way = *one_way;
        let x = x0 + u16::try_from(k * 2).unwrap_or(0);
        let name = format!("{}{}", k + 1, if one_way { "!" } else { "" });
        let style = if one_way {
            theme::warning()
        } else {
            theme::palette(k)
        };
        put(buf, area, x, area.y + 1, &name, 2, style);
        let (first, last) = (s.stats.first_ns, s.stats.last_ns);
        for (i, a) in msgs.iter().enumerate().skip(offset).take(visible) {
            let y = area.y + TOP + u16::try_from(i - offset).unwrap_or(0);
            let from = a.message.ts_ns;
            let to = msgs.get(i + 1).map_or(last, |n| n.message.ts_ns).max(from);
            if to < first || from > last {
                continue;
            }
            let (a, b) = (from.div_euclid(1_000_000_000), to.div_euclid(1_000_000_000));
            let flowing = s
                .rate
                .iter()
                .any(|(sec, n, _)| *sec >= a && *sec <= b && *n > 0);
            put(buf, area, x, y, if flowing { "┃" } else { "┊" }, 1, style);
        }
    }
}

/// The x position of each column, evenly spread over `width`.
fn column_positions(n: usize, left: u16, width: u16) -> Vec<u16> {
    if n <= 1 {
        return vec![left + width / 2];
    }
    let span = width.saturating_sub(2);
    let step = f64::from(span) / (n - 1) as f64;
    (0..n)
        .map(|i| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let off = (step * i as f64).round() as u16;
            left + 1 + off
        })
        .collect()
}

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

/// The title: the first Call-ID (and how many more), messages, modes.
fn title(l: &LadderState, flow: &Flow, legs: usize) -> String {
    let msgs = &flow.arrows;
    let first = msgs.first().map_or("", |a| a.dialog.call_id.as_str());
    format!(
        " Call flow  {}{}   {} message{}   time: {}   colours: {}{}",
        escape::text(first),
        match legs {
            0 | 1 => String::new(),
            2 => " and 1 more dialog".to_owned(),
            n => format!(" and {} more dialogs", n - 1),
        },
        msgs.len(),
        if msgs.len() == 1 { "" } else { "s" },
        match l.time_mode {
            // The clock column has no date: the title gives it (UTC).
            TimeMode::Absolute => msgs.first().map_or_else(
                || "absolute".to_owned(),
                |a| {
                    let day = crate::text::utc(a.message.ts_ns.div_euclid(1_000_000_000));
                    format!("absolute, {} UTC", day.get(..10).unwrap_or_default())
                },
            ),
            TimeMode::Delta => "delta".to_owned(),
            TimeMode::FromStart => "from start".to_owned(),
        },
        match l.colour_mode {
            ColourMode::Kind => "by kind",
            ColourMode::Transaction => "by transaction",
            ColourMode::CallId => "by Call-ID",
        },
        match (l.extended, legs > l.dialogs.len()) {
            (false, _) => "",
            (true, true) => "   + X-Call-ID legs",
            (true, false) => "   (no X-Call-ID legs found)",
        },
    )
}

/// The endpoints' names above their columns, each centred on its line and
/// cut to the spacing between lines.
fn draw_columns(
    buf: &mut Buffer,
    ladder: Rect,
    app: &AppState,
    columns: &[Column],
    xs: &[u16],
    lanes_w: u16,
    agents: &[crate::sip::Origin],
) {
    let spacing = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(ladder.width);
    for (col, x) in columns.iter().zip(xs) {
        let mut name = endpoint_name(app, col);
        // Several agents saw these dialogs: a column whose address is an
        // agent's says which (the agent runs on that box).
        let ids: Vec<String> = agents
            .iter()
            .filter(|o| o.agent == col.addr.ip())
            .map(|o| {
                o.agent_id
                    .map_or_else(|| "agent".to_owned(), |i| i.to_string())
            })
            .collect();
        if agents.len() > 1 && !ids.is_empty() {
            let _ = write!(name, " [{}]", ids.join(","));
        }
        let w = u16::try_from(name.chars().count())
            .unwrap_or(u16::MAX)
            .min(spacing.saturating_sub(1).max(6));
        let start = x
            .saturating_sub(w / 2)
            .min(ladder.right().saturating_sub(w + lanes_w))
            .max(ladder.x);
        put(buf, ladder, start, ladder.y + 1, &name, w, theme::title());
    }
}

/// The first arrow drawn: the last one drawn, moved just enough to keep
/// the cursor in view (recorded with the rows' place, for the next draw and
/// the mouse).
fn scroll_offset(l: &LadderState, ladder: Rect, visible: usize) -> usize {
    let mut offset = l.drawn.first();
    if l.cursor < offset {
        offset = l.cursor;
    } else if visible > 0 && l.cursor >= offset + visible {
        offset = l.cursor + 1 - visible;
    }
    l.drawn.record(
        Rect {
            y: ladder.y + TOP,
            height: ladder.height.saturating_sub(TOP),
            ..ladder
        },
        offset,
    );
    offset
}

/// The time column of arrow `i`, as the time mode says.
fn time_text(mode: TimeMode, msgs: &[Arrow], i: usize, t0: i64) -> String {
    let ts = msgs.get(i).map_or(t0, |a| a.message.ts_ns);
    let prev = i
        .checked_sub(1)
        .and_then(|p| msgs.get(p))
        .map_or(ts, |p| p.message.ts_ns);
    time_at(mode, ts, prev, t0)
}

/// A row's time: the clock, `+` the time since `prev`, or since `t0`.
fn time_at(mode: TimeMode, ts: i64, prev: i64, t0: i64) -> String {
    match mode {
        TimeMode::Absolute => clock(ts),
        TimeMode::Delta => format!("{:+.3}", (ts - prev) as f64 / 1e9),
        TimeMode::FromStart => format!("{:.3}", (ts - t0) as f64 / 1e9),
    }
}

/// One arrow from x `from` to x `to` on row `y` with `text` in its middle
/// (a note beside the line when both ends are one column).
#[allow(clippy::too_many_arguments)]
fn draw_arrow(
    buf: &mut Buffer,
    ladder: Rect,
    y: u16,
    (from, to): (u16, u16),
    same_column: bool,
    text: &str,
    dashed: bool,
    style: Style,
) {
    if same_column {
        put(
            buf,
            ladder,
            from + 1,
            y,
            &format!("↺ {text}"),
            ladder.right().saturating_sub(from + 1),
            style,
        );
        return;
    }
    let (lo, hi) = if from < to { (from, to) } else { (to, from) };
    let len = hi.saturating_sub(lo + 1);
    let dash = if dashed { "╌" } else { "─" };
    let mut line: Vec<String> = (0..len).map(|_| dash.to_owned()).collect();
    if from < to {
        if let Some(last) = line.last_mut() {
            *last = "►".into();
        }
    } else if let Some(first) = line.first_mut() {
        *first = "◄".into();
    }
    // The label sits in the middle of the arrow, clipped to fit.
    let lab: Vec<char> = text
        .chars()
        .take(usize::from(len.saturating_sub(4)))
        .collect();
    let start = (usize::from(len) - lab.len()) / 2;
    for (j, c) in lab.iter().enumerate() {
        if let Some(slot) = line.get_mut(start + j) {
            *slot = c.to_string();
        }
    }
    put(buf, ladder, lo + 1, y, &line.concat(), len, style);
}

/// An arrow's label ([`Model::arrow_label`]) with its reason phrase cut
/// (`…`, down to 8 characters) so that it and `extra` more characters fit
/// `room`: a carrier's long phrase must not push the CSeq and the marks
/// after it off the arrow.
fn fitted_label(model: &Model, m: &Message, extra: usize, room: usize) -> String {
    let full = model.arrow_label(m);
    let over = (full.chars().count() + extra).saturating_sub(room);
    let Some(reason) = model.reason(m).filter(|_| over > 0) else {
        return full;
    };
    let chars: Vec<char> = reason.trim().chars().collect();
    let keep = chars.len().saturating_sub(over + 1).max(8);
    if keep >= chars.len() {
        return full;
    }
    let cut: String = chars.iter().take(keep).chain(['…'].iter()).collect();
    escape::text(&m.arrow_label_with(&cut)).into_owned()
}

/// The rows in view: time, every column's line, the arrow with its label
/// (and what its SDP says), the cursor's row highlighted.
#[allow(clippy::too_many_arguments)]
fn draw_arrows(
    buf: &mut Buffer,
    area: Rect,
    ladder: Rect,
    l: &LadderState,
    model: &Model,
    flow: &Flow,
    legs: &[DialogId],
    xs: &[u16],
    (offset, visible): (usize, usize),
    evidence: &HashMap<*const Message, crate::model::findings::Severity>,
) {
    let msgs = &flow.arrows;
    let ids: HashMap<u64, usize> = legs.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
    let mut txns: HashMap<(u64, u32), usize> = HashMap::new();
    for a in msgs {
        let n = txns.len();
        txns.entry((a.dialog.id.0, a.message.cseq.map_or(0, |(c, _)| c)))
            .or_insert(n);
    }
    let t0 = msgs.first().map_or(0, |a| a.message.ts_ns);
    for (i, a) in msgs.iter().enumerate().skip(offset).take(visible) {
        let (d, m) = (a.dialog, a.message);
        let y = ladder.y + TOP + u16::try_from(i - offset).unwrap_or(0);
        let time = time_text(l.time_mode, msgs, i, t0);
        put(
            buf,
            ladder,
            ladder.x,
            y,
            &time,
            TIME_WIDTH - 1,
            theme::dim(),
        );
        for x in xs {
            put(buf, ladder, *x, y, "│", 1, theme::dim());
        }
        // Evidence of a finding: a mark between the time and the lines.
        if let Some(sev) = evidence.get(&std::ptr::from_ref(m)) {
            put(
                buf,
                ladder,
                ladder.x + TIME_WIDTH - 1,
                y,
                "◆",
                1,
                theme::severity(*sev),
            );
        }
        let style = arrow_style(l, d, m, &ids, &txns);
        let (Some(&from), Some(&to)) = (xs.get(a.from), xs.get(a.to)) else {
            continue;
        };
        let mut marks = String::new();
        // The same message one hop on: how long the box took.
        if let Some(prev) = a.hop_from.and_then(|j| msgs.get(j)) {
            marks.push_str(" ↪+");
            marks.push_str(&hop_delay(m.ts_ns - prev.message.ts_ns));
        }
        if a.also_seen > 0 {
            let _ = write!(marks, " ×{}", u32::from(a.also_seen) + 1);
        }
        // What draw_arrow leaves for the label.
        let room = if a.from == a.to {
            ladder.right().saturating_sub(from + 3)
        } else {
            from.abs_diff(to).saturating_sub(5)
        };
        let mut text = fitted_label(model, m, marks.chars().count(), usize::from(room));
        text.push_str(&marks);
        // A retransmission's place in the RFC 3261 schedule.
        if m.retransmission
            && let Some(r) = d
                .messages
                .iter()
                .position(|x| std::ptr::eq(x, m))
                .and_then(|i| crate::model::timers::resend_place(d, i))
        {
            text.push_str(" · ");
            text.push_str(&r.label());
        } else if let Some(summary) = model.sdp_summary(m) {
            // (A retransmission's SDP is its first send's: said once.)
            text.push_str(" SDP ");
            text.push_str(&escape::text(&summary));
        }
        draw_arrow(
            buf,
            ladder,
            y,
            (from, to),
            a.from == a.to,
            &text,
            m.retransmission,
            style,
        );
        if i == l.cursor {
            buf.set_style(
                Rect::new(ladder.x, y, ladder.width, 1).intersection(area),
                theme::cursor(),
            );
        }
    }
}

/// The HEP agents that saw the flow's messages.
fn flow_agents(model: &Model, flow: &Flow) -> Vec<crate::sip::Origin> {
    let mut out: Vec<crate::sip::Origin> = Vec::new();
    let origins = flow
        .arrows
        .iter()
        .map(|a| a.message.origin)
        .chain(flow.sightings.iter().map(|s| s.origin));
    for o in origins.filter_map(|o| model.origin(o)) {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// A hop's delay for people: `0.4ms`, `12ms`, `1.20s`.
fn hop_delay(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
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
            before.src,
            before.dst
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
            model.origin_name(msg.origin),
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

    // Arrows in view.
    let visible = usize::from(ladder.height.saturating_sub(TOP));
    let rows = (scroll_offset(l, ladder, visible), visible);
    draw_arrows(
        buf, area, ladder, l, model, &flow, &legs, &xs, rows, &evidence,
    );
    draw_timers(buf, ladder, app, model, &flow, rows);
    if lanes_w > 0 {
        let lx = ladder.right().saturating_sub(lanes_w) + 1;
        draw_lanes(buf, ladder, lx, &lanes, &flow.arrows, rows);
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
