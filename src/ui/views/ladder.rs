//! The ladder (call flow): one column per endpoint, one arrow per message.
//!
//! ```text
//! Call flow  1-31140@127.0.0.10   time: absolute                 │ 00:16:28.257 127.0.0.10:5061 → ...
//!               127.0.0.10:5061        127.0.0.20:5060           │ INVITE sip:bob@... SIP/2.0
//! 00:16:28.257        │──INVITE (1) SDP PCMU──►│                 │ Via: ...
//! 00:16:28.257        │◄─────100 Trying (1)────│                 │
//! ```
//! Only the rows in view are drawn; the selected arrow stays in view.

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::{clock, footer, put, title_bar};
use crate::keymap::Action;
use crate::model::{Addr, Dialog, Kind, Message, Model};
use crate::ui::app::AppState;
use crate::ui::screens::{ColourMode, LadderState, TimeMode};
use crate::ui::{escape, theme};

/// Rows above the arrows: title and endpoint names.
const TOP: u16 = 2;
const TIME_WIDTH: u16 = 13;

/// A ladder column: an `ip:port`, or an IP when merged.
fn endpoint_key(a: Addr, merge: bool) -> String {
    if merge {
        a.ip().to_string()
    } else {
        a.to_string()
    }
}

/// The name shown for a column: an alias from the config, else the address.
fn endpoint_name(app: &AppState, key: &str, addr: Addr) -> String {
    let aliases = &app.config.aliases;
    aliases
        .get(key)
        .or_else(|| aliases.get(&addr.ip().to_string()))
        .map_or_else(|| key.to_owned(), |a| escape::text(a).into_owned())
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
/// reverse never came is marked `!` (one-way audio).
#[allow(clippy::too_many_arguments)]
fn draw_lanes(
    buf: &mut Buffer,
    area: Rect,
    x0: u16,
    lanes: &[&&crate::model::media::RtpStream],
    all: &[&crate::model::media::RtpStream],
    msgs: &[(&Dialog, &Message)],
    offset: usize,
    visible: usize,
) {
    for (k, s) in lanes.iter().enumerate() {
        let x = x0 + u16::try_from(k * 2).unwrap_or(0);
        let one_way = !all.iter().any(|r| r.src == s.dst && r.dst == s.src);
        let name = format!("{}{}", k + 1, if one_way { "!" } else { "" });
        let style = if one_way {
            theme::warning()
        } else {
            theme::palette(k)
        };
        put(buf, area, x, area.y + 1, &name, 2, style);
        let (first, last) = (s.stats.first_ns, s.stats.last_ns);
        for (i, (_, m)) in msgs.iter().enumerate().skip(offset).take(visible) {
            let y = area.y + TOP + u16::try_from(i - offset).unwrap_or(0);
            let from = m.ts_ns;
            let to = msgs.get(i + 1).map_or(last, |(_, n)| n.ts_ns).max(from);
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

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let Some(l) = &app.ladder else { return };
    let msgs = app.ladder_messages(model);
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

    // Title.
    let first = msgs.first().map_or("", |(d, _)| d.call_id.as_str());
    let legs = {
        let mut ids: Vec<u64> = msgs.iter().map(|(d, _)| d.id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let title = format!(
        " Call flow  {}{}   {} message{}   time: {}   colours: {}{}",
        escape::text(first),
        match legs.len() {
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
                |(_, m)| {
                    let day = crate::report::utc(m.ts_ns.div_euclid(1_000_000_000));
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
        match (l.extended, legs.len() > l.dialogs.len()) {
            (false, _) => "",
            (true, true) => "   + X-Call-ID legs",
            (true, false) => "   (no X-Call-ID legs found)",
        },
    );
    title_bar(buf, area, &title);

    // Columns, in order of first appearance.
    let mut cols: Vec<(String, Addr)> = Vec::new();
    for (_, m) in &msgs {
        for a in [m.src, m.dst] {
            let k = endpoint_key(a, l.merge_by_ip);
            if !cols.iter().any(|(c, _)| *c == k) {
                cols.push((k, a));
            }
        }
    }
    // Media lanes on the right of the arrows: one per RTP stream (at most 6).
    let streams = app.ladder_streams(model);
    let lanes: Vec<_> = streams.iter().take(MAX_LANES).collect();
    let lanes_w = if lanes.is_empty() || ladder.width < 60 {
        0
    } else {
        u16::try_from(lanes.len()).unwrap_or(0) * 2 + 1
    };
    let left = ladder.x + TIME_WIDTH;
    let xs = column_positions(
        cols.len(),
        left,
        ladder.width.saturating_sub(TIME_WIDTH + 1 + lanes_w),
    );
    let spacing = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(ladder.width);
    for ((key, addr), x) in cols.iter().zip(&xs) {
        let name = endpoint_name(app, key, *addr);
        let w = u16::try_from(name.chars().count())
            .unwrap_or(u16::MAX)
            .min(spacing.saturating_sub(1).max(6));
        let start = x
            .saturating_sub(w / 2)
            .min(ladder.right().saturating_sub(w + lanes_w))
            .max(ladder.x);
        put(buf, ladder, start, area.y + 1, &name, w, theme::title());
    }

    // Arrows in view.
    let visible = usize::from(ladder.height.saturating_sub(TOP));
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
    let ids: HashMap<u64, usize> = legs.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut txns: HashMap<(u64, u32), usize> = HashMap::new();
    for (d, m) in &msgs {
        let n = txns.len();
        txns.entry((d.id.0, m.cseq.map_or(0, |(c, _)| c)))
            .or_insert(n);
    }
    let t0 = msgs.first().map_or(0, |(_, m)| m.ts_ns);
    let col_of = |a: Addr| {
        let k = endpoint_key(a, l.merge_by_ip);
        cols.iter().position(|(c, _)| *c == k).unwrap_or(0)
    };
    for (i, (d, m)) in msgs.iter().enumerate().skip(offset).take(visible) {
        let y = ladder.y + TOP + u16::try_from(i - offset).unwrap_or(0);
        let time = match l.time_mode {
            TimeMode::Absolute => clock(m.ts_ns),
            TimeMode::Delta => {
                let prev = i
                    .checked_sub(1)
                    .and_then(|p| msgs.get(p))
                    .map_or(m.ts_ns, |(_, p)| p.ts_ns);
                format!("+{:.3}", (m.ts_ns - prev) as f64 / 1e9)
            }
            TimeMode::FromStart => format!("{:.3}", (m.ts_ns - t0) as f64 / 1e9),
        };
        put(
            buf,
            ladder,
            ladder.x,
            y,
            &time,
            TIME_WIDTH - 1,
            theme::dim(),
        );
        for x in &xs {
            put(buf, ladder, *x, y, "│", 1, theme::dim());
        }
        let style = arrow_style(l, d, m, &ids, &txns);
        let (from_col, to_col) = (col_of(m.src), col_of(m.dst));
        let (Some(&xs_s), Some(&xs_e)) = (xs.get(from_col), xs.get(to_col)) else {
            continue;
        };
        let mut text = m.arrow_label();
        if m.has_sdp
            && let Ok(Some(sdp)) = model.sdp(m)
        {
            text.push_str(" SDP ");
            text.push_str(&escape::text(&sdp.summary()));
        }
        if from_col == to_col {
            put(
                buf,
                ladder,
                xs_s + 1,
                y,
                &format!("↺ {text}"),
                ladder.right().saturating_sub(xs_s + 1),
                style,
            );
        } else {
            let (lo, hi) = if xs_s < xs_e {
                (xs_s, xs_e)
            } else {
                (xs_e, xs_s)
            };
            let len = hi.saturating_sub(lo + 1);
            let dash = if m.retransmission { "╌" } else { "─" };
            let mut line: Vec<String> = (0..len).map(|_| dash.to_owned()).collect();
            if xs_s < xs_e {
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
        if i == l.cursor {
            buf.set_style(
                Rect::new(ladder.x, y, ladder.width, 1).intersection(area),
                theme::cursor(),
            );
        }
    }
    if lanes_w > 0 {
        let lx = ladder.right().saturating_sub(lanes_w) + 1;
        draw_lanes(buf, ladder, lx, &lanes, &streams, &msgs, offset, visible);
    }
    if show_pane && let Some((_, m)) = msgs.get(l.cursor) {
        super::message::draw_pane(buf, pane, model, m, &l.pane_scroll);
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
