//! The tolerant, zero-copy SIP scanner: bytes in, a [`Head`] of spans out.
//!
//! It reads what real traffic sends, not only what RFC 3261 allows: compact
//! header names, folded lines, LF-only line ends, odd whitespace around the
//! colon, IPv6 hosts, unknown methods and bytes that are not UTF-8. It never
//! allocates on the hot path and never panics: every span it returns lies
//! inside the buffer it was given. A message it cannot fully make sense of is
//! still returned, with [`Head::malformed`] set, so nothing is dropped silently.
#![warn(clippy::indexing_slicing)]

mod head;
mod header;
mod start_line;

use super::lines::LineEnds;
use super::swar;
pub use head::{Defects, Head, Span, StartLine};
use header::header_line;
pub use header::tag;
use start_line::parse_start_line;
pub use start_line::{looks_like_sip, next_start_line};

/// The largest message the scanner accepts (headers and body): 256 KiB, what
/// a real body reaches (an INVITE of 65 KB over TCP was seen). A TCP flow
/// buffers as much at most (`decode::tcp`), so memory stays bounded.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// A start line longer than this (no line end yet) is not waited for.
const MAX_START_LINE: usize = 8192;

/// How [`scan`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A message of `len` bytes (headers and body), possibly flagged malformed.
    Message { head: Head, len: usize },
    /// The buffer starts like SIP but more bytes are needed (stream transports).
    Incomplete,
    /// The buffer does not start with a SIP start line.
    NotSip,
}

/// How to treat a message that runs past the end of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// A datagram: the buffer is all there is; a short message is truncated.
    Datagram,
    /// A stream: a short message is incomplete; wait for more bytes.
    Stream,
}

fn first_line(buf: &[u8]) -> &[u8] {
    let end = memchr(b'\n', buf).unwrap_or(buf.len());
    buf.get(..end).unwrap_or_default()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// RFC 3261 token characters, by byte: letters, digits and
/// `-.!%*_+'~` and the backtick.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0u8;
    let mut rest: &mut [bool] = &mut t;
    while let [slot, tail @ ..] = rest {
        *slot = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c = c.wrapping_add(1);
        rest = tail;
    }
    t
};

fn is_token_char(b: u8) -> bool {
    TOKEN.get(usize::from(b)).copied().unwrap_or(false)
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
    s.get(n..).unwrap_or_default()
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    s.get(..s.len() - n).unwrap_or_default()
}

/// Narrows `[start, end)` of `buf` past leading and trailing whitespace.
fn trim_span(buf: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    end = end.min(buf.len());
    while start < end && buf.get(start).is_some_and(u8::is_ascii_whitespace) {
        start += 1;
    }
    while end > start && buf.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    (start, end)
}

/// Scans one SIP message at the start of `buf`.
///
/// With [`Framing::Stream`], a message whose headers or body are not all in
/// `buf` yet gives [`Scan::Incomplete`]; with [`Framing::Datagram`] it is
/// returned with what there is and flagged truncated.
#[must_use]
pub fn scan(buf: &[u8], framing: Framing) -> Scan {
    let mut head = Head::default();
    match scan_into(buf, framing, &mut head) {
        Scanned::Message(len) => Scan::Message { head, len },
        Scanned::Incomplete => Scan::Incomplete,
        Scanned::NotSip => Scan::NotSip,
    }
}

/// How [`scan_into`] ended: [`Scan`] without the head, written in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned {
    /// A message of this many bytes (headers and body); its spans are in
    /// the head given.
    Message(usize),
    Incomplete,
    NotSip,
}

/// [`scan`], writing the message's spans into `head`, which must come empty
/// (`Head::default()`), rather than returning them: the capture path scans straight into
/// the message it builds, so the [`Head`] (160 bytes) is never moved. When
/// it returns anything but [`Scanned::Message`], `head` holds nothing
/// meaningful.
pub fn scan_into(buf: &[u8], framing: Framing, head: &mut Head) -> Scanned {
    // RTP and most other traffic fail on the first byte, before any search.
    if !buf.first().is_some_and(u8::is_ascii_alphabetic) {
        return Scanned::NotSip;
    }
    // The line feeds, found a block at a time for the whole header section.
    let mut lines = LineEnds::new(buf);
    let first = buf
        .get(..lines.find(0, buf.len()).unwrap_or(buf.len()))
        .unwrap_or_default();
    // On a stream, a start line cut by a segment boundary is not garbage
    // yet: wait for its end (a line longer than any start line is).
    if framing == Framing::Stream && first.len() == buf.len() && buf.len() < MAX_START_LINE {
        return Scanned::Incomplete;
    }
    let Some(start_line) = parse_start_line(first, 0) else {
        return Scanned::NotSip;
    };
    // `head` comes empty: filling it is the only write it gets.
    debug_assert_eq!(*head, Head::default());
    head.start_line = Some(start_line);
    let limit = buf.len().min(MAX_MESSAGE);

    // Walk header lines. `pos` is the start of the current line.
    let pos = first.len() + 1;
    if pos > buf.len() {
        // Only a start line, no LF at all.
        return match framing {
            Framing::Stream => Scanned::Incomplete,
            Framing::Datagram => {
                head.defects.insert(Defects::TRUNCATED_HEADERS);
                finish_defects(head);
                Scanned::Message(buf.len())
            }
        };
    }
    // `lines` gives each line's end from its block's mask; a header is read at its line's end unless the next line
    // starts with SP or HT (is folded onto it): the byte after the line
    // feed says so.
    let mut seen_via = false;
    let mut line_start = pos;
    // The header being read: from its first line's start to the end of its
    // last line seen (equal: none).
    let (mut header_start, mut header_end) = (pos, pos);
    let mut body_start = None;
    while let Some(nl) = lines.find(line_start, limit) {
        // The line's first byte says whether it is empty (or a lone CR:
        // the end of the headers).
        if nl == line_start || (nl == line_start + 1 && buf.get(line_start) == Some(&b'\r')) {
            body_start = Some(nl + 1);
            break;
        }
        line_start = nl + 1;
        if line_start < limit && matches!(buf.get(line_start), Some(b' ' | b'\t')) {
            header_end = nl;
            continue;
        }
        header_line(buf, header_start, nl, head, &mut seen_via);
        (header_start, header_end) = (line_start, line_start);
    }
    // A header whose folded next line never ended.
    if header_end > header_start {
        header_line(buf, header_start, header_end, head, &mut seen_via);
    }
    let Some(body_start) = body_start else {
        // The header section never ended within the buffer (or the limit).
        if buf.len() > MAX_MESSAGE {
            head.defects.insert(Defects::TOO_LARGE);
        } else if framing == Framing::Stream {
            return Scanned::Incomplete;
        } else {
            head.defects.insert(Defects::TRUNCATED_HEADERS);
        }
        // Take what a partial last line says (a Call-ID may be complete).
        if line_start < limit {
            header_line(buf, line_start, limit, head, &mut seen_via);
        }
        finish_defects(head);
        return Scanned::Message(limit);
    };

    if !seen_via {
        head.defects.insert(Defects::NO_VIA);
    }
    let available = buf.len().saturating_sub(body_start);
    let body_len = match head.content_length {
        Some(n) => n as usize,
        None => match framing {
            // RFC 3261 18.3: on UDP the body runs to the end of the datagram.
            Framing::Datagram => available,
            // An unreadable Content-Length (garbage, -1, 2^63): the body's
            // length is unknown, so it runs to the next start line (or to
            // what has arrived), never into the next message's method.
            Framing::Stream if head.defects.contains(Defects::BAD_CONTENT_LENGTH) => {
                next_start_line(buf, body_start).unwrap_or(buf.len()) - body_start
            }
            Framing::Stream => 0,
        },
    };
    let total = body_start + body_len;
    if total > MAX_MESSAGE {
        head.defects.insert(Defects::TOO_LARGE);
        head.body = Span::new(body_start.min(limit), limit);
        finish_defects(head);
        return Scanned::Message(limit);
    }
    if body_len > available {
        if framing == Framing::Stream {
            return Scanned::Incomplete;
        }
        head.defects.insert(Defects::TRUNCATED_BODY);
        head.body = Span::new(body_start, buf.len());
        finish_defects(head);
        return Scanned::Message(buf.len());
    }
    head.body = Span::new(body_start, total);
    finish_defects(head);
    Scanned::Message(total)
}

fn finish_defects(head: &mut Head) {
    if head.call_id.is_empty() {
        head.defects.insert(Defects::NO_CALL_ID);
    }
    if head.cseq_num.is_none() && !head.defects.contains(Defects::BAD_CSEQ) {
        head.defects.insert(Defects::NO_CSEQ);
    }
    if head.from.is_empty() || head.to.is_empty() {
        head.defects.insert(Defects::NO_FROM_OR_TO);
    }
}

/// The messages in a buffer that may hold several (pipelined over UDP, or a
/// TCP segment), with their offsets and lengths. Stops at the first stretch
/// that is not SIP; CRLF keep-alives between messages are skipped. Lazy: a
/// datagram with one message costs no allocation.
pub fn messages(buf: &[u8], framing: Framing) -> impl Iterator<Item = (usize, Head, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = buf.get(at..)?;
        at += rest
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        let rest = buf.get(at..).filter(|r| !r.is_empty())?;
        match scan(rest, framing) {
            Scan::Message { head, len } => {
                let start = at;
                at += len.max(1);
                Some((start, head, len))
            }
            Scan::Incomplete | Scan::NotSip => None,
        }
    })
}

/// [`messages`], collected.
#[must_use]
pub fn scan_all(buf: &[u8], framing: Framing) -> Vec<(usize, Head, usize)> {
    messages(buf, framing).collect()
}

#[cfg(test)]
mod tests;
