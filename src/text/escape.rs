//! Text from the wire, made safe to draw: no control character, escape
//! sequence or invalid UTF-8 ever reaches the terminal as such.
//!
//! `ESC[2J` shows as `\e[2J`, BEL as `\a`, other controls as `\xNN`, bytes
//! that are not UTF-8 as `\xNN`, and tabs as a space.

use std::borrow::Cow;
use std::fmt::Write;

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push(' '),
        '\u{1b}' => out.push_str("\\e"),
        '\u{07}' => out.push_str("\\a"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        c if c.is_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        // Bidirectional overrides and zero-width characters can disguise text.
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}' => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// A string safe to draw.
#[must_use]
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Bytes (one line, without its line end) made safe to draw.
#[must_use]
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(text("evil\u{1b}[2Jua"), "evil\\e[2Jua");
        assert_eq!(text("\u{1b}]0;title\u{07}"), "\\e]0;title\\a");
        assert_eq!(text("\u{9b}31m"), "\\x9b31m");
        assert_eq!(bytes(b"a\xff\x00b"), "a\\xff\\x00b");
        assert_eq!(text("plain"), "plain");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(text("a\u{202e}b"), "a\\u{202e}b");
    }
}
