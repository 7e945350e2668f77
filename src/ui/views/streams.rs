//! The RTP streams of the dialogs in the ladder: one row per stream with its
//! quality figures, and for the selected stream its packets per second over
//! time, with the opposite direction overlaid.
//!
//! ```text
//! RTP streams  3 streams
//!   Source → Destination                  SSRC        Codec  Pkts  Lost    Seq  Jitter ms  Max Δ  MOS  DTMF
//! > 127.0.0.10:6000 → 127.0.0.20:6000     0xDEE0EE8F  PCMA    236  0 0.0%    0  0.35/0.83   34.8  4.40
//! [packet-rate chart]
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use crate::keymap::Action;
use crate::model::Model;
use crate::model::findings::poor_media_quality_of;
use crate::model::media::RtpStream;
use crate::text::escape;
use crate::ui::app::AppState;
use crate::ui::theme;
use crate::ui::widgets::{fill_row, footer, put, title_bar};

fn row(s: &RtpStream) -> String {
    let st = &s.stats;
    let expected = st.expected().max(1);
    format!(
        "{:<45} 0x{:08X}  {:<15} {:>6} {:>5} {:>5.1}% {:>4}  {:>5.2}/{:<6.2} {:>7.1} {:>4.2}  {}",
        format!("{} → {}", s.src, s.dst),
        s.ssrc,
        escape::text(&s.codec().unwrap_or_else(|| "?".into())),
        st.packets,
        st.lost(),
        st.lost().max(0) as f64 * 100.0 / expected as f64,
        st.seq_errors,
        st.mean_jitter_ms(),
        st.max_jitter_ms,
        st.max_delta_ns as f64 / 1e6,
        s.mos(),
        s.dtmf,
    )
}

/// Points of a stream's packets per second, seconds from `t0`.
fn points(s: &RtpStream, t0: i64) -> Vec<(f64, f64)> {
    s.rate
        .iter()
        .map(|(sec, n, _)| ((sec - t0) as f64, f64::from(*n)))
        .collect()
}

/// Points of a stream's jitter (ms) over time, seconds from `t0`.
fn jitter_points(s: &RtpStream, t0: i64) -> Vec<(f64, f64)> {
    s.rate
        .iter()
        .map(|(sec, _, j)| ((sec - t0) as f64, f64::from(*j)))
        .collect()
}

/// One chart of a stream and its reverse direction.
fn draw_chart(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    fwd: &[(f64, f64)],
    rev: Option<&[(f64, f64)]>,
) {
    let all = || fwd.iter().chain(rev.unwrap_or_default());
    let max_x = all().map(|p| p.0).fold(1.0, f64::max);
    let max_y = all().map(|p| p.1).fold(0.1, f64::max) * 1.1;
    let mut sets = vec![
        Dataset::default()
            .name("→")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(Color::LightGreen))
            .data(fwd),
    ];
    if let Some(rev) = rev {
        sets.push(
            Dataset::default()
                .name("←")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::LightCyan))
                .data(rev),
        );
    }
    Chart::new(sets)
        .x_axis(
            Axis::default()
                .title("s")
                .bounds([0.0, max_x])
                .labels(["0".to_owned(), format!("{max_x:.0}")]),
        )
        .y_axis(
            Axis::default()
                .title(title.to_owned())
                .bounds([0.0, max_y])
                .labels(["0".to_owned(), format!("{max_y:.1}")]),
        )
        .render(area, buf);
}

/// The title: how many streams, and how many packets were not kept for
/// export.
fn title(model: &Model, streams: &[&RtpStream]) -> String {
    let not_kept: u64 = streams.iter().map(|s| s.frames_not_kept).sum();
    let budget = model
        .rtp_keep_per_call()
        .map_or_else(|| "all".to_owned(), |b| format!("{} MB per call", b >> 20));
    format!(
        " RTP streams  {} stream{}{}",
        streams.len(),
        if streams.len() == 1 { "" } else { "s" },
        if not_kept > 0 {
            format!(
                "   media not kept for export: {not_kept} packets (budget {budget}, --rtp-keep)"
            )
        } else {
            String::new()
        }
    )
}

/// The column names, and a word when there is nothing below them.
fn draw_header(buf: &mut Buffer, area: Rect, empty: bool) {
    let header = format!(
        "  {:<45} {:<10}  {:<15} {:>6} {:>5} {:>6} {:>4}  {:<12} {:>7} {:>4}  {}",
        "Source → Destination",
        "SSRC",
        "Codec",
        "Pkts",
        "Lost",
        "Lost%",
        "Seq",
        "Jitter mean/max",
        "Max Δms",
        "MOS",
        "DTMF"
    );
    put(
        buf,
        area,
        area.x,
        area.y + 1,
        &header,
        area.width,
        theme::column_header(),
    );
    if empty {
        put(
            buf,
            area,
            area.x + 2,
            area.y + 2,
            "no RTP seen for these dialogs",
            area.width,
            theme::dim(),
        );
    }
}

/// `table_rows` rows of streams, scrolled to keep the cursor's in view; a
/// stream of poor quality (the model's finding) in the warning style.
fn draw_table(
    buf: &mut Buffer,
    area: Rect,
    streams: &[&RtpStream],
    cursor: usize,
    table_rows: u16,
) {
    let first = cursor.saturating_sub(usize::from(table_rows.saturating_sub(1)));
    for (i, s) in streams
        .iter()
        .enumerate()
        .skip(first)
        .take(usize::from(table_rows))
    {
        let y = area.y + 2 + u16::try_from(i - first).unwrap_or(0);
        let style = if poor_media_quality_of(s) {
            theme::warning()
        } else {
            Style::new()
        };
        put(
            buf,
            area,
            area.x,
            y,
            if i == cursor { ">" } else { " " },
            2,
            style,
        );
        put(
            buf,
            area,
            area.x + 2,
            y,
            &row(s),
            area.width.saturating_sub(2),
            style,
        );
        if i == cursor {
            fill_row(buf, area, y, theme::cursor());
        }
    }
}

/// What the far end's RTCP says of the selected stream, on row `y`.
fn draw_rtcp(buf: &mut Buffer, area: Rect, y: u16, s: &RtpStream) {
    let Some(r) = s.rtcp else { return };
    let line = format!(
        "RTCP from the receiver: {:.1}% lost lately, {} lost in all, jitter {:.2} ms{}  ({} reports)",
        r.fraction_lost_pct,
        r.cumulative_lost,
        r.jitter_ms,
        r.rtt_ms
            .map_or(String::new(), |t| format!(", round trip {t:.1} ms")),
        r.reports
    );
    put(
        buf,
        area,
        area.x + 2,
        y,
        &line,
        area.width.saturating_sub(2),
        theme::dim(),
    );
}

/// Packets per second above, jitter below, for stream `s` with its reverse
/// direction (from `streams`) overlaid.
fn draw_charts(buf: &mut Buffer, chart: Rect, s: &RtpStream, streams: &[&RtpStream]) {
    let reverse = streams.iter().find(|r| r.src == s.dst && r.dst == s.src);
    let starts = [s.rate.front(), reverse.and_then(|r| r.rate.front())];
    let t0 = starts
        .iter()
        .flatten()
        .map(|(t, _, _)| *t)
        .min()
        .unwrap_or(0);
    let top = Rect::new(chart.x, chart.y, chart.width, chart.height / 2);
    let bottom = Rect::new(
        chart.x,
        chart.y + top.height,
        chart.width,
        chart.height - top.height,
    );
    let rev = reverse.map(|r| points(r, t0));
    draw_chart(buf, top, "pkt/s", &points(s, t0), rev.as_deref());
    let rev_j = reverse.map(|r| jitter_points(r, t0));
    draw_chart(
        buf,
        bottom,
        "jitter ms",
        &jitter_points(s, t0),
        rev_j.as_deref(),
    );
}

pub fn draw(buf: &mut Buffer, area: Rect, app: &AppState, model: &Model) {
    let streams = app.ladder_streams(model);
    title_bar(buf, area, &title(model, &streams));
    draw_header(buf, area, streams.is_empty());
    // The table takes what it needs, up to half the screen; the chart the rest.
    let table_rows = u16::try_from(streams.len())
        .unwrap_or(u16::MAX)
        .min(area.height / 2);
    let cursor = app.streams.cursor.min(streams.len().saturating_sub(1));
    draw_table(buf, area, &streams, cursor, table_rows);
    if let Some(s) = streams.get(cursor) {
        draw_rtcp(buf, area, area.y + 2 + table_rows, s);
    }
    let chart_top = area.y + 3 + table_rows;
    let chart = Rect::new(
        area.x,
        chart_top,
        area.width,
        area.bottom().saturating_sub(chart_top + 1),
    );
    if let Some(s) = streams.get(cursor)
        && chart.height >= 4
        && chart.width >= 20
    {
        draw_charts(buf, chart, s, &streams);
    }
    footer(
        buf,
        area,
        app,
        &[
            (Action::Back, "back"),
            (Action::Down, "next stream"),
            (Action::Save, "save"),
            (Action::Help, "help"),
        ],
    );
}
