//! Text exports: the messages as sngrep saves them, and the ladder as the
//! flow a person pastes into a ticket.
//!
//! Text from the wire is written with control characters escaped (`\e`,
//! `\xNN`): a file that is later `cat` to a terminal must not drive it.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::flow::Flow;
use crate::model::{Dialog, Model};

/// Every message of `dialogs` in time order: a header line (date and time,
/// source -> destination, transport), then the message, then a blank line.
///
/// # Errors
/// When writing fails (a message whose bytes cannot be read back is
/// written as a note instead).
pub fn write_messages(model: &Model, dialogs: &[&Dialog], out: &mut impl Write) -> io::Result<()> {
    for a in Flow::new(dialogs.to_vec(), false).arrows {
        let m = a.message;
        writeln!(
            out,
            "{} {}",
            crate::text::utc_micros(m.ts_ns),
            m.route("->")
        )?;
        match model.raw(m) {
            Ok(raw) => {
                for line in raw.split(|b| *b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    writeln!(out, "{}", crate::text::escape::bytes(line))?;
                }
            }
            Err(e) => writeln!(out, "(message bytes unavailable: {e})")?,
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Narrowest distance between two hosts' lines.
const MIN_COLUMN: usize = 24;

/// The ladder as text: the calls (numbered when there are several, with
/// their state, duration and PDD as the call list shows them), a
/// header naming the hosts (one column each, in order of appearance), then
/// one line per message: date and time, delta, the call's number, an arrow
/// from its source column to its destination column carrying its label, and
/// after the last column what its SDP says.
///
/// ```text
/// 2026-11-29 14:12:03.120     +0.000  |------ INVITE (1) SDP ----->|  audio 10.0.0.1:4000 PCMU
/// ```
///
/// # Errors
/// When writing fails.
pub fn write_flow(model: &Model, dialogs: &[&Dialog], out: &mut impl Write) -> io::Result<()> {
    let flow = Flow::new(dialogs.to_vec(), false);
    let several = dialogs.len() > 1;
    for (i, d) in dialogs.iter().enumerate() {
        let tag = if several {
            format!("[{}] ", i + 1)
        } else {
            String::new()
        };
        let clock = model.clock();
        writeln!(
            out,
            "{tag}Call-ID {}  {} -> {}  {}  {}{}",
            crate::text::escape::text(d.call_id()),
            crate::text::escape::text(crate::text::uri_of(d.from())),
            crate::text::escape::text(crate::text::uri_of(d.to())),
            d.state_at(clock).name(),
            crate::text::duration(d.duration_at(clock)),
            d.pdd_ns()
                .map(|n| format!("  PDD {} ms", crate::text::millis(n)))
                .unwrap_or_default(),
        )?;
    }
    writeln!(out)?;
    let labels: Vec<String> = flow
        .arrows
        .iter()
        .map(|a| {
            let m = a.message;
            let mut l = model.arrow_label(m);
            if m.has_sdp() {
                l.push_str(" SDP");
            }
            l
        })
        .collect();
    // Wide enough for the longest label between two neighbouring columns.
    let column = labels
        .iter()
        .map(|l| l.chars().count() + 6)
        .max()
        .unwrap_or(0)
        .max(MIN_COLUMN);
    let call_width = if several {
        format!("[{}]", dialogs.len()).len() + 1
    } else {
        0
    };
    let lead = " ".repeat(23 + 2 + 11 + 2 + call_width);
    let mut header = lead.clone();
    let mut axis = lead;
    for (i, h) in flow.columns.iter().enumerate() {
        let _ = write!(
            header,
            "{:<column$}",
            format!("{}={}", column_name(i), h.addr)
        );
        let _ = write!(axis, "{:<column$}", column_name(i));
    }
    writeln!(out, "{}", header.trim_end())?;
    writeln!(out, "{}", axis.trim_end())?;
    let mut prev = flow.arrows.first().map_or(0, |a| a.message.ts_ns);
    for (a, label) in flow.arrows.iter().zip(&labels) {
        let (m, call, from, to) = (a.message, a.call, a.from, a.to);
        let delta = (m.ts_ns - prev) as f64 / 1e9;
        prev = m.ts_ns;
        let tag = if several {
            format!("{:<call_width$}", format!("[{}]", call + 1))
        } else {
            String::new()
        };
        let mut line = arrow_line(flow.columns.len(), column, from, to, label);
        if m.has_sdp()
            && let Some(sdp) = model.sdp(m).ok().flatten()
        {
            let _ = write!(line, "  {}", crate::text::escape::text(&sdp.summary()));
        }
        writeln!(
            out,
            "{}  {:>+11.3}  {tag}{}",
            crate::text::utc_micros(m.ts_ns)
                .get(..23)
                .unwrap_or_default(),
            delta,
            line.trim_end()
        )?;
    }
    Ok(())
}

/// `A`, `B`, ... `Z`, `AA`...
fn column_name(i: usize) -> String {
    let letter = |n: usize| char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
    if i < 26 {
        letter(i).to_string()
    } else {
        format!("{}{}", letter(i / 26 - 1), letter(i))
    }
}

/// One row of the flow: every host's line `|`, and an arrow with the label
/// in its middle between `from` and `to`.
fn arrow_line(columns: usize, column: usize, from: usize, to: usize, label: &str) -> String {
    let mut cells: Vec<char> = Vec::new();
    for i in 0..columns {
        cells.push('|');
        if i + 1 < columns {
            cells.extend(std::iter::repeat_n(' ', column - 1));
        }
    }
    let (lo, hi) = (from.min(to) * column, from.max(to) * column);
    if lo == hi {
        // To itself: a note beside the line.
        let mut s: String = cells.iter().collect();
        s.insert_str((lo + 1).min(s.len()), &format!(" <> {label}"));
        return s;
    }
    for c in cells.iter_mut().take(hi).skip(lo + 1) {
        *c = '-';
    }
    if to > from {
        cells[hi - 1] = '>';
    } else {
        cells[lo + 1] = '<';
    }
    let text: Vec<char> = format!(" {label} ").chars().collect();
    let span = hi - lo - 3;
    let shown = text.len().min(span);
    let start = lo + 2 + (span - shown) / 2;
    for (k, ch) in text.iter().take(shown).enumerate() {
        cells[start + k] = *ch;
    }
    cells.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_point_between_their_columns_with_the_label_inside() {
        let right = arrow_line(3, 30, 0, 1, "INVITE (1)");
        assert!(right.starts_with("|---"), "{right}");
        assert_eq!(right.find('>'), Some(29));
        assert!(right.contains(" INVITE (1) "));
        let left = arrow_line(3, 30, 2, 1, "200 OK (1 INVITE)");
        assert_eq!(left.find('<'), Some(31));
        assert!(left.starts_with('|'));
        assert!(left.contains("200 OK (1 INVITE)"));
        assert_eq!(column_name(27), "AB");
    }
}
