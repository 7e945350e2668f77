//! The ladder's rows: time, column lines and arrows, the timers that
//! fired between them (placed by [`super::lines`]), and the media lanes
//! beside them.

use std::collections::HashMap;
use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::lines::Line;
use super::{TIME_WIDTH, TOP};
use crate::model::flow::{Arrow, Flow};
use crate::model::media::RtpStream;
use crate::model::timers::Fired;
use crate::model::{Dialog, DialogId, Kind, Message, Model};
use crate::text::clock;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::screens::{ColourMode, LadderState, TimeMode};
use crate::ui::theme;
use crate::ui::widgets::put;

/// The timers that fired in the flow's dialogs, in time order.
pub(super) fn fired(app: &AppState, model: &Model, flow: &Flow) -> Vec<Fired> {
    let now = app.now(model);
    let mut fired: Vec<Fired> = flow
        .dialogs
        .iter()
        .flat_map(|d| crate::model::timers::fired(d, now, model.session_expires(d)))
        .collect();
    fired.sort_by_key(|f| f.ts_ns);
    fired
}

/// The screen line of each of `lines` (under the column names).
fn line_ys(ladder: Rect, lines: &[Line]) -> impl Iterator<Item = (u16, Line)> + '_ {
    lines
        .iter()
        .enumerate()
        .map(move |(k, line)| (ladder.y + TOP + u16::try_from(k).unwrap_or(0), *line))
}

/// The timers' marker lines, each at its own time (see [`super::lines`]).
pub(super) fn draw_timers(
    buf: &mut Buffer,
    ladder: Rect,
    mode: TimeMode,
    flow: &Flow,
    fired: &[Fired],
    lines: &[Line],
) {
    let t0 = flow.arrows.first().map_or(0, |a| a.message.ts_ns);
    // The arrow before each marker, for the time since it.
    let mut prev = t0;
    for (y, line) in line_ys(ladder, lines) {
        let f = match line {
            Line::Arrow(i) => {
                prev = flow.arrows.get(i).map_or(prev, |a| a.message.ts_ns);
                continue;
            }
            Line::Timer(k) => match fired.get(k) {
                Some(f) => f,
                None => continue,
            },
        };
        let time = time_at(mode, f.ts_ns, prev, t0);
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

pub(super) fn arrow_style(
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

/// One media lane per stream beside the arrows, on the arrows' time axis:
/// `┃` while packets flow between this row's time and the next's, `┊` for a
/// gap inside the stream, nothing before it starts or after it ends. The
/// header names the lane (`1→`, `1←`: a stream and its reverse); a lane whose
/// reverse never came is marked `!` (one-way audio, as the model finds it).
pub(super) fn draw_lanes(
    buf: &mut Buffer,
    area: Rect,
    x0: u16,
    lanes: &[(&RtpStream, bool)],
    msgs: &[Arrow],
    (fired, shown): (&[Fired], &[Line]),
) {
    // Each line's time: its arrow's, or its timer's.
    let at = |line: Line| match line {
        Line::Arrow(i) => msgs.get(i).map(|a| a.message.ts_ns),
        Line::Timer(k) => fired.get(k).map(|f| f.ts_ns),
    };
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
        for (j, (y, line)) in line_ys(area, shown).enumerate() {
            let Some(from) = at(line) else { continue };
            // Until the next line's time; the last line's, until the next
            // arrow (below the screen) or the stream's end.
            let next = shown.get(j + 1).copied().and_then(at).or(match line {
                Line::Arrow(i) => msgs.get(i + 1).map(|n| n.message.ts_ns),
                Line::Timer(_) => None,
            });
            let to = next.unwrap_or(last).max(from);
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

/// The time column of arrow `i`, as the time mode says.
pub(super) fn time_text(mode: TimeMode, msgs: &[Arrow], i: usize, t0: i64) -> String {
    let ts = msgs.get(i).map_or(t0, |a| a.message.ts_ns);
    let prev = i
        .checked_sub(1)
        .and_then(|p| msgs.get(p))
        .map_or(ts, |p| p.message.ts_ns);
    time_at(mode, ts, prev, t0)
}

/// A row's time: the clock, `+` the time since `prev`, or since `t0`.
pub(super) fn time_at(mode: TimeMode, ts: i64, prev: i64, t0: i64) -> String {
    match mode {
        TimeMode::Absolute => clock(ts),
        TimeMode::Delta => format!("{:+.3}", (ts - prev) as f64 / 1e9),
        TimeMode::FromStart => format!("{:.3}", (ts - t0) as f64 / 1e9),
    }
}

/// One arrow from x `from` to x `to` on row `y` with `text` in its middle
/// (a note beside the line when both ends are one column).
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_arrow(
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
pub(super) fn draw_arrows(
    buf: &mut Buffer,
    area: Rect,
    ladder: Rect,
    l: &LadderState,
    model: &Model,
    flow: &Flow,
    legs: &[DialogId],
    xs: &[u16],
    evidence: &HashMap<*const Message, crate::model::findings::Severity>,
    lines: &[Line],
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
    for (y, line) in line_ys(ladder, lines) {
        let Line::Arrow(index) = line else { continue };
        let Some(a) = msgs.get(index) else { continue };
        let (d, m) = (a.dialog, a.message);
        let time = time_text(l.time_mode, msgs, index, t0);
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
        if m.retransmission()
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
            m.retransmission(),
            style,
        );
        if index == l.cursor {
            buf.set_style(
                Rect::new(ladder.x, y, ladder.width, 1).intersection(area),
                theme::cursor(),
            );
        }
    }
}

/// A hop's delay for people: `0.4ms`, `12ms`, `1.20s`.
pub(super) fn hop_delay(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}
