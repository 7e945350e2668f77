//! Headers the scanner does not keep (Via with its parameters,
//! WWW-Authenticate, Authorization, Session-Expires, Require, Retry-After,
//! Reason...), read from a message's bytes when a diagnosis rule asks.
//!
//! Pure functions over bytes, off the capture path: the scanner stays as fast
//! as it was, and only the messages a rule looks at are read again. They
//! never panic and never allocate; what they return lies inside the bytes
//! they were given.
#![warn(clippy::indexing_slicing)]

use std::net::IpAddr;

/// The searchers for the blank line, made once (making one costs more than
/// a search through a message's headers).
static CRLF2: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n\r\n"));
static LF2: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n\n"));

/// The header section: bytes up to the blank line (or all of them). (What
/// [`section_lines`] walks, kept to check it.)
#[cfg(test)]
fn header_section(raw: &[u8]) -> &[u8] {
    let end = CRLF2
        .find(raw)
        .or_else(|| LF2.find(raw))
        .unwrap_or(raw.len());
    raw.get(..end).unwrap_or(raw)
}

/// The body: bytes after the blank line (empty without one).
#[must_use]
pub fn body(raw: &[u8]) -> &[u8] {
    if let Some(i) = CRLF2.find(raw) {
        return raw.get(i + 4..).unwrap_or_default();
    }
    LF2.find(raw)
        .and_then(|i| raw.get(i + 2..))
        .unwrap_or_default()
}

/// `a.eq_ignore_ascii_case(b)`, stopping at the first byte that differs
/// (the standard comparison costs more on the short names compared here:
/// they mostly differ early, or in length).
#[inline]
#[must_use]
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn trim(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
use super::sdp::lines;

/// The lines of the header section, as `lines(header_section(raw))` gives
/// them, found as they are walked: the section's end (the first
/// `\r\n\r\n`, else the first `\n\n`) is seen at its line, so a search
/// through the headers for the blank line is only made when a `\n\n` comes
/// first (then a `\r\n\r\n` further on still ends the section).
fn section_lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut next = Some(0);
    // Where the section ends, once a `\n\n` came before a `\r\n\r\n`.
    let mut limit = None;
    std::iter::from_fn(move || {
        let s = next?;
        let rest = raw.get(s..limit.unwrap_or(raw.len()))?;
        let Some(i) = memchr::memchr(b'\n', rest) else {
            next = None;
            return Some(rest);
        };
        let e = s + i;
        if limit.is_none() {
            if e >= 1 && raw.get(e - 1) == Some(&b'\r') && raw.get(e + 1..e + 3) == Some(b"\r\n") {
                next = None;
                return raw.get(s..e - 1);
            }
            if raw.get(e + 1) == Some(&b'\n') {
                match CRLF2.find(raw.get(e..).unwrap_or_default()) {
                    Some(k) => limit = Some(e + k),
                    None => {
                        next = None;
                        return raw.get(s..e);
                    }
                }
            }
        }
        next = Some(e + 1);
        raw.get(s..e)
    })
}

/// The values of every header called `name` (or by its one-letter compact
/// form, when it has one), in order of appearance; the start line is
/// skipped and folded continuation lines are left out.
pub fn values<'a>(
    raw: &'a [u8],
    name: &'a str,
    compact: Option<u8>,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    let initial = name.as_bytes().first().map(u8::to_ascii_lowercase);
    section_lines(raw)
        .skip(1)
        .filter_map(move |line| named(line, name, initial, compact))
}

/// The value of a header line when the header is `name` (or its compact
/// form); `initial` is the name's first letter, lowercased.
#[inline]
fn named<'a>(
    line: &'a [u8],
    name: &str,
    initial: Option<u8>,
    compact: Option<u8>,
) -> Option<&'a [u8]> {
    // A line that starts with a letter neither form of the name starts
    // with is not the header (its name is what stands before the colon).
    if let (Some(initial), Some(b)) = (initial, line.first().filter(|b| !b.is_ascii_whitespace())) {
        let b = b.to_ascii_lowercase();
        if b != initial && compact.is_none_or(|c| c.to_ascii_lowercase() != b) {
            return None;
        }
    }
    let colon = memchr::memchr(b':', line)?;
    let n = trim(line.get(..colon)?);
    let named = eq_ignore_case(n, name.as_bytes())
        || compact.is_some_and(|c| n.len() == 1 && eq_ignore_case(n, &[c]));
    named.then(|| trim(line.get(colon + 1..).unwrap_or_default()))
}

/// [`named`] of a line that does not start with whitespace, compared in
/// place: the header's name is what stands before the line's first colon,
/// trimmed, and `name` is a token (no whitespace, no colon), so it is that
/// name when the line starts with it and only whitespace stands between it
/// and a colon (no search for the colon, which costs more than the
/// comparison on the lines that start with the name's letter).
#[inline]
fn named_in_place<'a>(line: &'a [u8], name: &str, compact: Option<u8>) -> Option<&'a [u8]> {
    let name = name.as_bytes();
    let starts = line.len() >= name.len()
        && line
            .iter()
            .zip(name)
            .all(|(x, y)| x.eq_ignore_ascii_case(y));
    if starts && let Some(rest) = colon_after(line.get(name.len()..)?) {
        return Some(trim(rest));
    }
    if let (Some(c), Some(first)) = (compact, line.first())
        && first.eq_ignore_ascii_case(&c)
        && let Some(rest) = colon_after(line.get(1..)?)
    {
        return Some(trim(rest));
    }
    None
}

/// What follows the colon when `b` is whitespace, then a colon.
#[inline]
fn colon_after(mut b: &[u8]) -> Option<&[u8]> {
    loop {
        match b {
            [b':', rest @ ..] => return Some(rest),
            [w, rest @ ..] if w.is_ascii_whitespace() => b = rest,
            _ => return None,
        }
    }
}

/// A message's header lines as [`values`] walks them (start line left
/// out), found once: several lookups in one message cost one walk. Each
/// line is a range of the bytes it was made from; [`Lines::values`] over
/// those bytes gives what [`values`] gives.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    lines: smallvec::SmallVec<[(u32, u32); 20]>,
    /// Where the body starts ([`body`]), when known.
    body: Option<u32>,
}

impl Lines {
    /// The lines of `raw`, as [`values`] walks them.
    #[must_use]
    pub fn of(raw: &[u8]) -> Self {
        if let Some(p) = plain(raw) {
            return p.lines;
        }
        let at = |s: &[u8]| s.as_ptr().addr().wrapping_sub(raw.as_ptr().addr());
        let mut lines = smallvec::SmallVec::new();
        for line in section_lines(raw).skip(1) {
            let start = at(line);
            let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(start + line.len())) else {
                // Past 4 GiB (never for a message): no lines, as none can
                // be told apart.
                return Self::default();
            };
            lines.push((s, e));
        }
        Self { lines, body: None }
    }

    /// [`values`] of `raw`, the bytes these lines were found in.
    pub fn values<'a>(
        &'a self,
        raw: &'a [u8],
        name: &'a str,
        compact: Option<u8>,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        let initial = name.as_bytes().first().map(u8::to_ascii_lowercase);
        let compact_lower = compact.map(|c| c.to_ascii_lowercase());
        self.lines.iter().filter_map(move |&(s, e)| {
            // Most lines are not the header: told by their first letter
            // here, without a call ([`named`] tells it the same way).
            if let (Some(initial), Some(&b)) = (initial, raw.get(s as usize))
                && !b.is_ascii_whitespace()
            {
                let b = b.to_ascii_lowercase();
                if b != initial && compact_lower != Some(b) {
                    return None;
                }
            }
            let line = raw.get(s as usize..e as usize)?;
            match line.first() {
                Some(b) if !b.is_ascii_whitespace() => named_in_place(line, name, compact),
                _ => named(line, name, initial, compact),
            }
        })
    }

    /// [`first`] of `raw`.
    #[must_use]
    pub fn first<'a>(
        &'a self,
        raw: &'a [u8],
        name: &'a str,
        compact: Option<u8>,
    ) -> Option<&'a [u8]> {
        self.values(raw, name, compact).next()
    }

    /// [`body`] of `raw`.
    #[must_use]
    pub fn body<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        match self.body {
            Some(b) => raw.get(b as usize..).unwrap_or_default(),
            None => body(raw),
        }
    }
}

/// What [`crate::sip::scan::scan`] reads of a plain message (see [`plain`])
/// for its body, Content-Type and Warning, and its header lines as
/// [`values`] walks them: one walk for both. Ranges of the message's bytes.
#[derive(Debug, Clone)]
pub struct Plain {
    pub lines: Lines,
    /// Where the body starts: after the blank line.
    pub body_start: usize,
    /// The first Content-Length the scanner reads (digits only, at most 9).
    pub content_length: Option<u32>,
    /// The first non-empty Content-Type (`c`) value.
    pub content_type: std::ops::Range<usize>,
    /// The first non-empty Warning value.
    pub warning: std::ops::Range<usize>,
}

/// A message's header section read in one walk, when it is plain: every
/// line after the start line ends with CRLF, none is folded (none starts
/// with whitespace), and a blank CRLF line ends them (the start line ends
/// with CRLF too). Then the scanner and [`values`] see the same lines and
/// the same end: what [`Plain`] says is what they read. `None` for any
/// other message (read it the long way).
#[must_use]
pub fn plain(raw: &[u8]) -> Option<Plain> {
    let first = memchr::memchr(b'\n', raw)?;
    if first == 0 || raw.get(first - 1) != Some(&b'\r') || u32::try_from(raw.len()).is_err() {
        return None;
    }
    let mut p = Plain {
        lines: Lines::default(),
        body_start: 0,
        content_length: None,
        content_type: 0..0,
        warning: 0..0,
    };
    let mut s = first + 1;
    loop {
        let e = s + memchr::memchr(b'\n', raw.get(s..)?)?;
        let line = raw.get(s..e)?;
        if line == b"\r" {
            p.body_start = e + 1;
            // The last line as `section_lines` gives it: without its CR.
            if let Some(last) = p.lines.lines.last_mut() {
                last.1 -= 1;
            }
            p.lines.body = u32::try_from(p.body_start).ok();
            return Some(p);
        }
        let (&lead, &end) = (line.first()?, line.last()?);
        if line.len() < 2 || end != b'\r' || lead.is_ascii_whitespace() {
            return None;
        }
        p.lines
            .lines
            .push((u32::try_from(s).ok()?, u32::try_from(e).ok()?));
        // Only the three headers the scanner's reading here depends on.
        if maybe_read(line)
            && let Some(colon) = memchr::memchr(b':', line)
        {
            let name = trim(line.get(..colon)?);
            let value = trim(line.get(colon + 1..)?);
            let at = value.as_ptr().addr().wrapping_sub(raw.as_ptr().addr());
            let span = at..at + value.len();
            let is = |long: &[u8], short: Option<u8>| {
                eq_ignore_case(name, long)
                    || short.is_some_and(|c| name.len() == 1 && eq_ignore_case(name, &[c]))
            };
            if is(b"content-type", Some(b'c')) {
                if p.content_type.is_empty() {
                    p.content_type = span;
                }
            } else if is(b"content-length", Some(b'l')) {
                if p.content_length.is_none()
                    && !value.is_empty()
                    && value.len() <= 9
                    && value.iter().all(u8::is_ascii_digit)
                {
                    p.content_length = Some(
                        value
                            .iter()
                            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
                    );
                }
            } else if is(b"warning", None) && p.warning.is_empty() {
                p.warning = span;
            }
        }
        s = e + 1;
    }
}

/// May `line` (not empty, not starting with whitespace, at least two bytes)
/// be a Content-Type, Content-Length or Warning header ([`plain`])? Told by
/// a letter or two, before any search for its colon: `Content-` has an `o`
/// second and an `e` fifth (`Call-ID`, `CSeq` and `Contact` do not), a
/// compact name (`c`, `l`) is followed by whitespace or the colon, and
/// `Warning` has an `a` second.
#[inline]
fn maybe_read(line: &[u8]) -> bool {
    let (Some(&lead), Some(&second)) = (line.first(), line.get(1)) else {
        return false;
    };
    let compact = second == b':' || second.is_ascii_whitespace();
    match lead | 0x20 {
        b'c' => compact || (second | 0x20 == b'o' && line.get(4).is_some_and(|b| b | 0x20 == b'e')),
        b'l' => compact,
        b'w' => second | 0x20 == b'a',
        _ => false,
    }
}

/// The first value of a header, if present.
#[must_use]
pub fn first<'a>(raw: &'a [u8], name: &'a str, compact: Option<u8>) -> Option<&'a [u8]> {
    values(raw, name, compact).next()
}

/// Does the message carry the header at all?
#[must_use]
pub fn has(raw: &[u8], name: &str, compact: Option<u8>) -> bool {
    first(raw, name, compact).is_some()
}

/// A parameter of a header value (`nonce` of a challenge, `rport` of a Via,
/// `refresher` of Session-Expires): its value unquoted, or empty for a flag.
/// Matches at a parameter boundary (after `;`, `,` or a space), by name
/// case-insensitively.
#[must_use]
pub fn param<'a>(value: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let n = name.len();
    let mut i = 0;
    while i + n <= value.len() {
        let at_boundary = i == 0
            || value
                .get(i - 1)
                .is_some_and(|b| matches!(b, b';' | b',' | b' ' | b'\t'));
        // Compared only where a parameter may start.
        let matches = at_boundary
            && value
                .get(i..i + n)
                .is_some_and(|w| eq_ignore_case(w, name.as_bytes()));
        let after = value.get(i + n).copied();
        if at_boundary && matches && matches!(after, None | Some(b'=' | b';' | b',' | b' ')) {
            if after != Some(b'=') {
                return Some(&[]);
            }
            let rest = value.get(i + n + 1..).unwrap_or_default();
            if let Some(quoted) = rest.strip_prefix(b"\"") {
                let end = memchr::memchr(b'"', quoted).unwrap_or(quoted.len());
                return quoted.get(..end);
            }
            let end = rest
                .iter()
                .position(|b| matches!(b, b';' | b',' | b' ' | b'\t' | b'>'))
                .unwrap_or(rest.len());
            return rest.get(..end);
        }
        i += 1;
    }
    None
}

/// The leading number of a value (`1800;refresher=uac`, `120 (busy)`).
#[must_use]
pub fn number(value: &[u8]) -> Option<u64> {
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(value.get(..digits)?).ok()?.parse().ok()
}

/// The host of a SIP URI in a header value (`"A" <sip:a@10.0.0.1:5060;ob>`
/// gives `10.0.0.1`; an IPv6 reference loses its brackets).
#[must_use]
pub fn uri_host(value: &[u8]) -> Option<&[u8]> {
    let start = uri_start(value)?;
    let rest = value.get(start..)?;
    let end = rest
        .iter()
        .position(|b| matches!(b, b'>' | b';' | b'?' | b' ' | b','))
        .unwrap_or(rest.len());
    let hostport = rest.get(..end)?;
    let hostport = match memchr::memrchr(b'@', hostport) {
        Some(at) => hostport.get(at + 1..)?,
        None => hostport,
    };
    host_of(hostport)
}

/// Where a SIP URI's host part may start: after the first `sip:`, else
/// after the first `sips:`. Each ends at a colon (values are short: a look
/// at each colon costs less than a substring search).
fn uri_start(value: &[u8]) -> Option<usize> {
    let after = |scheme: &[u8]| {
        let colons = value.iter().enumerate().filter(|(_, b)| **b == b':');
        colons
            .map(|(i, _)| i)
            .find(|&i| i >= scheme.len() && value.get(i - scheme.len()..i) == Some(scheme))
            .map(|i| i + 1)
    };
    after(b"sip").or_else(|| after(b"sips"))
}

/// `host` of `host:port`, `[v6]:port` or `host`.
fn host_of(hostport: &[u8]) -> Option<&[u8]> {
    if let Some(v6) = hostport.strip_prefix(b"[") {
        let end = memchr::memchr(b']', v6)?;
        return v6.get(..end);
    }
    let end = memchr::memchr(b':', hostport).unwrap_or(hostport.len());
    let host = hostport.get(..end)?;
    (!host.is_empty()).then_some(host)
}

/// A Via value's sent-by host (`SIP/2.0/UDP 10.0.0.1:5060;branch=...`).
#[must_use]
pub fn via_host(value: &[u8]) -> Option<&[u8]> {
    let after_proto = value
        .iter()
        .position(u8::is_ascii_whitespace)
        .and_then(|i| value.get(i..))?;
    let sent_by = trim(after_proto);
    let end = sent_by
        .iter()
        .position(|b| matches!(b, b';' | b',' | b' '))
        .unwrap_or(sent_by.len());
    host_of(sent_by.get(..end)?)
}

/// The address a host names, when it is a literal one.
#[must_use]
pub fn ip(host: &[u8]) -> Option<IpAddr> {
    super::sdp::ip_addr(host)
}

/// Is this a private address: RFC 1918, `169.254/16`, `fc00::/7`,
/// `fe80::/10`, and the deprecated site-local `fec0::/10` (not
/// `100.64/10`, which carrier NAT shares)?
#[must_use]
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 || first & 0xffc0 == 0xfec0
        }
    }
}

/// The status code of a `message/sipfrag` body (`SIP/2.0 200 OK`).
#[must_use]
pub fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let rest = trim(body).strip_prefix(b"SIP/2.0 ")?;
    let code = number(rest)?;
    u16::try_from(code).ok().filter(|c| (100..700).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"SIP/2.0 401 Unauthorized\r\n\
        v: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport\r\n\
        WWW-Authenticate: Digest realm=\"x\", nonce=\"abc\", algorithm=MD5\r\n\
        Session-Expires: 1800;refresher=uac\r\n\
        Contact: \"A\" <sip:alice@[fd00::1]:5062;ob>\r\n\
        \r\nSIP/2.0 486 Busy Here\r\n";

    #[test]
    #[allow(clippy::indexing_slicing)]
    fn section_lines_are_the_lines_of_the_header_section() {
        let mut cases: Vec<Vec<u8>> = [
            &b""[..],
            b"\n",
            b"\n\n",
            b"\r\n\r\n",
            b"\r\n\r\nx",
            b"a\n\nb\r\n\r\nc",
            b"a\r\n\r\nb\n\nc",
            b"a\n\r\nb\r\n\r\n",
            b"a\r\n\r",
            b"a\n\n",
            b"\rx\r\n\r\n",
            MSG,
        ]
        .iter()
        .map(|b| b.to_vec())
        .collect();
        // Every byte of a message replaced by a line end's, removed, or the
        // message cut there.
        let base: &[u8] = b"INVITE sip:b@x SIP/2.0\r\nVia: a\r\n v : b\r\nContact: <sip:a@10.0.0.1>\r\nm:c\r\n\tX: :\r\n\r\nv=0\r\n\r\n";
        cases.extend(crate::sip::mutations(base, b"\n\rx"));
        // How `values` read each line before: the name trimmed, then compared.
        let reference = |raw: &'static [u8], name: &'static str, compact: Option<u8>| {
            lines(header_section(raw))
                .skip(1)
                .filter_map(move |line| {
                    let colon = memchr::memchr(b':', line)?;
                    let n = trim(line.get(..colon)?);
                    let named = n.eq_ignore_ascii_case(name.as_bytes())
                        || compact.is_some_and(|c| n.len() == 1 && n.eq_ignore_ascii_case(&[c]));
                    named.then(|| trim(line.get(colon + 1..).unwrap_or_default()))
                })
                .collect::<Vec<_>>()
        };
        for raw in cases {
            let raw: &'static [u8] = Box::leak(raw.into_boxed_slice());
            let ours: Vec<&[u8]> = section_lines(raw).collect();
            let theirs: Vec<&[u8]> = lines(header_section(raw)).collect();
            assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(raw));
            for (name, compact) in [
                ("Contact", Some(b'm')),
                ("Via", Some(b'v')),
                ("via", None),
                ("x", None),
                ("", None),
                ("", Some(b'X')),
            ] {
                let ours: Vec<&[u8]> = values(raw, name, compact).collect();
                assert_eq!(ours, reference(raw, name, compact), "{name} {raw:?}");
            }
        }
    }

    #[test]
    fn lines_found_once_read_as_values_does() {
        let base: &[u8] = b"INVITE sip:b@x SIP/2.0\r\nVia: a\r\nv : b\r\nContact: <sip:a@10.0.0.1>\r\nm:c\r\nContent-Type: application/sdp\r\nl: 4\r\nWarning: 399 x\r\n\r\nv=0\r\n\r\n";
        let mut cases = crate::sip::mutations(base, b"\n\r :\t");
        cases.extend(crate::sip::mutations(MSG, b"\n\r"));
        let mut plain_ones = 0;
        for raw in &cases {
            let p = plain(raw);
            plain_ones += usize::from(p.is_some());
            let lines = Lines::of(raw);
            for (name, compact) in [
                ("Contact", Some(b'm')),
                ("Via", Some(b'v')),
                ("content-type", Some(b'c')),
                ("Warning", None),
                ("x", None),
                ("", None),
                ("", Some(b'X')),
            ] {
                let once: Vec<&[u8]> = lines.values(raw, name, compact).collect();
                let walked: Vec<&[u8]> = values(raw, name, compact).collect();
                assert_eq!(once, walked, "{name} {:?}", String::from_utf8_lossy(raw));
            }
            assert_eq!(
                lines.body(raw),
                body(raw),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
            // What the scanner reads of a plain message is what `plain` says.
            if let Some(p) = p
                && let crate::sip::scan::Scan::Message { head, .. } =
                    crate::sip::scan::scan(raw, crate::sip::scan::Framing::Datagram)
            {
                let span = |r: &std::ops::Range<usize>| raw.get(r.clone()).unwrap();
                assert_eq!(span(&p.content_type), head.content_type.get(raw));
                assert_eq!(span(&p.warning), head.warning.get(raw));
                assert_eq!(p.content_length, head.content_length);
                assert_eq!(
                    Some(p.body_start),
                    body(raw).as_ptr().addr().checked_sub(raw.as_ptr().addr())
                );
                assert_eq!(
                    p.body_start,
                    head.body.start as usize,
                    "{:?}",
                    String::from_utf8_lossy(raw)
                );
            }
        }
        assert!(plain_ones > 100, "{plain_ones}");
    }

    #[test]
    fn uri_host_finds_the_scheme_as_a_substring_search_does() {
        // The reading it replaced: the first `sip:`, else the first `sips:`.
        let reference = |value: &[u8]| {
            memchr::memmem::find(value, b"sip:")
                .map(|i| i + 4)
                .or_else(|| memchr::memmem::find(value, b"sips:").map(|i| i + 5))
        };
        let mut cases = crate::sip::mutations(
            b"\"A\" <sips:a@10.0.0.1:5060;ob>, <sip:b@[fd00::1]>",
            b":sp",
        );
        cases.extend(crate::sip::mutations(b"sip:sips:x", b":s"));
        for v in cases {
            assert_eq!(
                uri_start(&v),
                reference(&v),
                "{:?}",
                String::from_utf8_lossy(&v)
            );
        }
    }

    #[test]
    fn headers_are_read_by_name_and_compact_form() {
        let via = first(MSG, "Via", Some(b'v')).unwrap();
        assert_eq!(via_host(via), Some(&b"10.0.0.5"[..]));
        assert_eq!(param(via, "rport"), Some(&b""[..]));
        assert_eq!(param(via, "received"), None);
        let auth = first(MSG, "www-authenticate", None).unwrap();
        assert_eq!(param(auth, "nonce"), Some(&b"abc"[..]));
        let se = first(MSG, "Session-Expires", Some(b'x')).unwrap();
        assert_eq!(number(se), Some(1800));
        assert_eq!(param(se, "refresher"), Some(&b"uac"[..]));
        let contact = first(MSG, "Contact", Some(b'm')).unwrap();
        assert_eq!(uri_host(contact), Some(&b"fd00::1"[..]));
        assert!(is_private(ip(b"fd00::1").unwrap()));
        assert!(!is_private(ip(b"100.64.0.1").unwrap()));
        assert!(is_private(ip(b"192.168.1.1").unwrap()));
        assert_eq!(sipfrag_status(body(MSG)), Some(486));
        assert!(!has(MSG, "Require", None));
    }

    #[test]
    fn garbage_never_panics() {
        for b in [
            &b""[..],
            b":",
            b"\n:",
            b"x\nVia:",
            b"x\nVia: SIP/2.0/UDP [",
            b"sip:@",
        ] {
            let _ = first(b, "Via", Some(b'v')).map(via_host);
            let _ = uri_host(b);
            let _ = param(b, "a");
            let _ = sipfrag_status(b);
            let _ = body(b);
        }
        assert_eq!(param(b"a=", "a"), Some(&b""[..]));
        assert_eq!(
            param(b"x;nonce=\"unterminated", "nonce"),
            Some(&b"unterminated"[..])
        );
    }
}
