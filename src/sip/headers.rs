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
    section_lines(raw).skip(1).filter_map(move |line| {
        // A line that starts with a letter neither form of the name starts
        // with is not the header (its name is what stands before the colon).
        if let (Some(initial), Some(b)) =
            (initial, line.first().filter(|b| !b.is_ascii_whitespace()))
        {
            let b = b.to_ascii_lowercase();
            if b != initial && compact.is_none_or(|c| c.to_ascii_lowercase() != b) {
                return None;
            }
        }
        let colon = memchr::memchr(b':', line)?;
        let n = trim(line.get(..colon)?);
        let named = n.eq_ignore_ascii_case(name.as_bytes())
            || compact.is_some_and(|c| n.len() == 1 && n.eq_ignore_ascii_case(&[c]));
        named.then(|| trim(line.get(colon + 1..).unwrap_or_default()))
    })
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
        let matches = value
            .get(i..i + n)
            .is_some_and(|w| w.eq_ignore_ascii_case(name.as_bytes()));
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
    static SIP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"sip:"));
    static SIPS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"sips:"));
    let start = SIP
        .find(value)
        .map(|i| i + 4)
        .or_else(|| SIPS.find(value).map(|i| i + 5))?;
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
    std::str::from_utf8(host).ok()?.parse().ok()
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
