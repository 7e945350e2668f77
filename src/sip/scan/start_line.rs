//! Start lines: recognising one (`looks_like_sip`), parsing it, and finding
//! the next one in a stream after a body of unknown length.
#![warn(clippy::indexing_slicing)]

use super::{Span, StartLine, first_line, is_token_char, trim_end, trim_span, trim_start};

/// Does `buf` start with a SIP request or status line?
///
/// Cheap enough to run on every UDP and TCP payload: RTP and most other
/// traffic is rejected on its first byte.
#[must_use]
pub fn looks_like_sip(buf: &[u8]) -> bool {
    let Some(&first) = buf.first() else {
        return false;
    };
    if !first.is_ascii_alphabetic() {
        return false;
    }
    let line = first_line(buf);
    parse_start_line(line, 0).is_some()
}

/// The methods a body glued to the next request may hide, longest first
/// where one ends another.
const METHODS: [&[u8]; 14] = [
    b"SUBSCRIBE",
    b"REGISTER",
    b"OPTIONS",
    b"MESSAGE",
    b"PUBLISH",
    b"INVITE",
    b"CANCEL",
    b"NOTIFY",
    b"UPDATE",
    b"PRACK",
    b"REFER",
    b"INFO",
    b"ACK",
    b"BYE",
];

/// Where the next SIP start line begins at or after `from`: the first line
/// that reads as one. A start line glued to the end of a body
/// (`helloOPTIONS sip:...`, `xSIP/2.0 200 OK`) begins at the known method
/// or at `SIP/2.0`.
#[must_use]
pub fn next_start_line(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    // Each pass moves to the next line, so this ends. Only whole lines
    // count: a last line without its end may read otherwise once the rest
    // arrives (and a message must scan the same cut from what follows).
    while at < buf.len() {
        let line = first_line(buf.get(at..)?);
        if at + line.len() >= buf.len() {
            return None;
        }
        if let Some(skip) = start_in_line(line) {
            return Some(at + skip);
        }
        at += line.len() + 1;
    }
    None
}

/// Where a start line begins in `line`, if it holds one: at 0, or after
/// bytes glued before a known method or before `SIP/2.0 `.
fn start_in_line(line: &[u8]) -> Option<usize> {
    if let Some(k) = memchr::memmem::find(line, b"SIP/2.0 ")
        && line
            .get(k..)
            .is_some_and(|l| parse_start_line(l, 0).is_some())
    {
        return Some(k);
    }
    parse_start_line(line, 0)?;
    let space = line.iter().position(|b| *b == b' ')?;
    let token = line.get(..space)?;
    if METHODS.contains(&token) {
        return Some(0);
    }
    // A known method behind glued bytes, else an unknown method as it is.
    Some(
        METHODS
            .iter()
            .find(|m| token.ends_with(m))
            .map_or(0, |m| space - m.len()),
    )
}

/// Parses a start line that begins at `base` in the message buffer.
pub(super) fn parse_start_line(line: &[u8], base: usize) -> Option<StartLine> {
    let line = trim_end(line);
    if let Some(rest) = line.strip_prefix(b"SIP/2.0 ") {
        let rest = trim_start(rest);
        let digits = rest.get(..3)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        if rest.get(3).is_some_and(|b| !b.is_ascii_whitespace()) {
            return None;
        }
        let code = digits
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        let reason_start = base + (line.len() - rest.len()) + 3;
        let reason_end = base + line.len();
        let (s, e) = trim_span(line, reason_start - base, reason_end - base);
        return Some(StartLine::Response {
            code,
            reason: Span::new(base + s, base + e),
        });
    }
    // Request: METHOD SP URI SP SIP/2.0
    let method_len = line.iter().take_while(|b| is_token_char(**b)).count();
    if method_len == 0 || line.get(method_len) != Some(&b' ') {
        return None;
    }
    let tail = line.get(line.len().checked_sub(7)?..)?;
    // As written (nearly always) before any case-blind comparison.
    if tail != b"SIP/2.0" && !tail.eq_ignore_ascii_case(b"SIP/2.0") {
        return None;
    }
    let uri_end = line.len() - 7;
    let (s, e) = trim_span(line, method_len + 1, uri_end);
    if e <= s {
        return None;
    }
    Some(StartLine::Request {
        method: Span::new(base, base + method_len),
        uri: Span::new(base + s, base + e),
    })
}
