//! The media streams of the dialogs in the ladder: one row per stream with
//! its quality figures (RTP; fax over UDPTL shows `fax (T.38)`, packets and
//! loss, no jitter nor MOS), and for the selected stream its packets per second over
//! time, with the opposite direction overlaid.
//!
//! ```text
//!  RTP streams  4 streams   columns 4→
//!   Source → Destination           Codec       Pkts  Lost  Lost% Jitter ms    MOS
//! > …0.0.10:6000 → …0.0.20:6000    PCMA         217     0   0.0% 0.37/0.83   4.40
//! [packet-rate chart]
//! ```
//!
//! The figure columns come most useful first; what does not fit is a
//! sideways scroll away (←/→), the address column staying. `u` shows the
//! streams no dialog's SDP explains instead.

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

/// A figure column: its title, width, alignment and how a stream fills it.
struct Column {
    title: &'static str,
    width: usize,
    right: bool,
    cell: fn(&RtpStream) -> String,
}

/// The figure columns, most useful first: at 80 columns the address, codec,
/// packets, loss, jitter and MOS fit; the rest is a sideways scroll away.
const COLUMNS: [Column; crate::ui::screens::streams::MAX_FIRST_COLUMN + 1] = [
    Column {
        title: "Codec",
        width: 9,
        right: false,
        cell: |s| escape::text(&s.label()).into_owned(),
    },
    Column {
        title: "Pkts",
        width: 6,
        right: true,
        cell: |s| s.stats.packets.to_string(),
    },
    Column {
        title: "Lost",
        width: 5,
        right: true,
        cell: |s| s.stats.lost().to_string(),
    },
    Column {
        title: "Lost%",
        width: 6,
        right: true,
        cell: |s| {
            let st = &s.stats;
            format!(
                "{:.1}%",
                st.lost().max(0) as f64 * 100.0 / st.expected().max(1) as f64
            )
        },
    },
    Column {
        title: "Jitter ms",
        width: 11,
        right: false,
        cell: |s| {
            if s.is_fax() {
                return "-".into();
            }
            format!(
                "{:.2}/{:.2}",
                s.stats.mean_jitter_ms(),
                s.stats.max_jitter_ms
            )
        },
    },
    Column {
        title: "MOS",
        width: 4,
        right: true,
        cell: |s| {
            if s.is_fax() {
                "-".into()
            } else {
                format!("{:.2}", s.mos())
            }
        },
    },
    Column {
        title: "SSRC",
        width: 10,
        right: false,
        cell: |s| {
            if s.is_fax() {
                "-".into()
            } else {
                format!("0x{:08X}", s.ssrc)
            }
        },
    },
    Column {
        title: "Seq",
        width: 4,
        right: true,
        cell: |s| s.stats.seq_errors.to_string(),
    },
    Column {
        title: "Max Δms",
        width: 7,
        right: true,
        cell: |s| format!("{:.1}", s.stats.max_delta_ns as f64 / 1e6),
    },
    Column {
        title: "DTMF",
        width: 8,
        right: false,
        cell: |s| s.dtmf.clone(),
    },
];

/// The width of the fax streams' label, `fax (T.38)`.
const FAX_LABEL_WIDTH: usize = 10;

/// `text` in `width` cells: cut at the end with `…` (left-aligned text), or
/// padded.
fn fit(text: &str, width: usize, right: bool) -> String {
    let n = text.chars().count();
    if n > width {
        let keep: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{keep}…")
    } else if right {
        format!("{text:>width$}")
    } else {
        format!("{text:<width$}")
    }
}

/// An address in `width` cells, keeping its distinguishing tail (the end of
/// the IP and the port), as sngrep does.
fn tail(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_owned();
    }
    let keep: String = text.chars().skip(n + 1 - width.max(1)).collect();
    format!("…{keep}")
}

/// How the table is laid out at a width: the address column's width and the
/// figure columns shown (from `first`, as many as fit).
struct Layout {
    address: usize,
    /// The codec column widened to its longest name when everything fits.
    codec: usize,
    first: usize,
    shown: usize,
}

impl Layout {
    /// The address takes what it needs (up to 45), or what is left once
    /// codec to MOS fit (at least 21); the figure columns from `first`
    /// follow while they fit.
    fn new(width: usize, streams: &[&RtpStream], first: usize) -> Self {
        let first = first.min(COLUMNS.len() - 1);
        // "fax (T.38)" is one cell wider than the codec column.
        let codec_min = if streams.iter().any(|s| s.is_fax()) {
            FAX_LABEL_WIDTH
        } else {
            COLUMNS[0].width
        };
        let width_of = |i: usize, c: &Column| if i == 0 { codec_min } else { c.width };
        let natural = streams
            .iter()
            .map(|s| address(s).chars().count())
            .max()
            .unwrap_or(20)
            .clamp(20, 45);
        let essentials: usize = COLUMNS
            .iter()
            .enumerate()
            .skip(first)
            .take(6)
            .map(|(i, c)| width_of(i, c) + 1)
            .sum();
        let address = natural.min(width.saturating_sub(2 + essentials)).max(21);
        let mut used = 2 + address;
        let mut shown = 0;
        for (i, c) in COLUMNS.iter().enumerate().skip(first) {
            if used + 1 + width_of(i, c) > width && shown > 0 {
                break;
            }
            used += 1 + width_of(i, c);
            shown += 1;
        }
        let mut codec = codec_min;
        if first == 0 && shown == COLUMNS.len() {
            let longest = streams
                .iter()
                .map(|s| s.label().chars().count())
                .max()
                .unwrap_or(0)
                .min(15);
            codec += longest
                .saturating_sub(codec)
                .min(width.saturating_sub(used));
        }
        Self {
            address,
            codec,
            first,
            shown,
        }
    }

    /// The columns shown, each with its width.
    fn columns(&self) -> impl Iterator<Item = (&'static Column, usize)> {
        COLUMNS
            .iter()
            .enumerate()
            .skip(self.first)
            .take(self.shown)
            .map(|(i, c)| (c, if i == 0 { self.codec } else { c.width }))
    }

    /// Columns out of sight on the left, and on the right.
    fn hidden(&self) -> (usize, usize) {
        (
            self.first,
            COLUMNS.len().saturating_sub(self.first + self.shown),
        )
    }

    fn header(&self) -> String {
        let mut line = format!("  {}", fit("Source → Destination", self.address, false));
        for (c, width) in self.columns() {
            line.push(' ');
            line.push_str(&fit(c.title, width, c.right));
        }
        line
    }

    fn row(&self, s: &RtpStream) -> String {
        let mut line = fit(&address_in(s, self.address), self.address, false);
        for (c, width) in self.columns() {
            line.push(' ');
            line.push_str(&fit(&(c.cell)(s), width, c.right));
        }
        line
    }
}

/// "src → dst", each side shortened to its tail when the whole does not fit.
fn address(s: &RtpStream) -> String {
    format!("{} → {}", s.src, s.dst)
}

fn address_in(s: &RtpStream, width: usize) -> String {
    let whole = address(s);
    if whole.chars().count() <= width {
        return whole;
    }
    let side = width.saturating_sub(3) / 2;
    format!(
        "{} → {}",
        tail(&s.src.to_string(), side),
        tail(&s.dst.to_string(), width.saturating_sub(3 + side))
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

/// The title: whose streams, how many, the columns out of sight, and how
/// many packets were not kept for export.
fn title(model: &Model, app: &AppState, streams: &[&RtpStream], layout: &Layout) -> String {
    let not_kept: u64 = streams.iter().map(|s| s.frames_not_kept).sum();
    let budget = model
        .rtp_keep_per_call()
        .map_or_else(|| "all".to_owned(), |b| format!("{} MB per call", b >> 20));
    let (left, right) = layout.hidden();
    let kinds = if streams.iter().any(|s| s.is_fax()) {
        "RTP and fax streams"
    } else {
        "RTP streams"
    };
    format!(
        " {kinds}{}  {} stream{}{}{}",
        if app.streams.unassociated {
            " not tied to a dialog"
        } else {
            ""
        },
        streams.len(),
        if streams.len() == 1 { "" } else { "s" },
        if left + right > 0 {
            format!(
                "   columns {}{}",
                if left > 0 {
                    format!("←{left} ")
                } else {
                    String::new()
                },
                if right > 0 {
                    format!("{right}→")
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        },
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
fn draw_header(buf: &mut Buffer, area: Rect, layout: &Layout, empty: Option<&str>) {
    put(
        buf,
        area,
        area.x,
        area.y + 1,
        &layout.header(),
        area.width,
        theme::column_header(),
    );
    if let Some(why) = empty {
        put(
            buf,
            area,
            area.x + 2,
            area.y + 2,
            why,
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
    (streams, layout): (&[&RtpStream], &Layout),
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
            &layout.row(s),
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
    let line = if s.is_fax() {
        let st = &s.stats;
        format!(
            "T.38 fax over UDPTL: {} packets, {} lost, {} out of sequence, {} malformed",
            st.packets,
            st.lost(),
            st.seq_errors,
            s.malformed
        )
    } else if let Some(r) = s.rtcp {
        rtcp_line(&r)
    } else {
        return;
    };
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

fn rtcp_line(r: &crate::model::media::RtcpView) -> String {
    format!(
        "RTCP from the receiver: {:.1}% lost lately, {} lost in all, jitter {:.2} ms{}  ({} reports)",
        r.fraction_lost_pct,
        r.cumulative_lost,
        r.jitter_ms,
        r.rtt_ms
            .map_or(String::new(), |t| format!(", round trip {t:.1} ms")),
        r.reports
    )
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
    if s.is_fax() {
        // Fax has no timestamps, so no jitter: the packet rate takes it all.
        let rev = reverse.map(|r| points(r, t0));
        draw_chart(buf, chart, "pkt/s", &points(s, t0), rev.as_deref());
        return;
    }
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
    let streams = app.shown_streams(model);
    let layout = Layout::new(usize::from(area.width), &streams, app.streams.column);
    title_bar(buf, area, &title(model, app, &streams, &layout));
    let empty = streams.is_empty().then_some(if app.streams.unassociated {
        "no RTP outside the dialogs' SDP"
    } else {
        "no RTP seen for these dialogs (u: RTP not tied to a dialog)"
    });
    draw_header(buf, area, &layout, empty);
    // The table takes what it needs, up to half the screen; the chart the rest.
    let table_rows = u16::try_from(streams.len())
        .unwrap_or(u16::MAX)
        .min(area.height / 2);
    let cursor = app.streams.cursor.min(streams.len().saturating_sub(1));
    draw_table(buf, area, (&streams, &layout), cursor, table_rows);
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
            (Action::ScrollRight, "columns"),
            (Action::Unassociated, "not tied to a dialog"),
            (Action::Save, "save"),
            (Action::Help, "help"),
        ],
    );
}
