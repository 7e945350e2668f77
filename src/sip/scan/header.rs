//! Header lines: which header a name is (compact forms included), and what
//! the scanner takes from its value (Call-ID, CSeq, Via branches, lengths).
#![warn(clippy::indexing_slicing)]

use super::{Defects, Head, Span, is_token_char, memchr, swar, trim_end, trim_span, trim_start};
use crate::sip::lines::{self, Block};

/// The headers the scanner extracts, after compact forms are expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    CallId,
    CSeq,
    From,
    To,
    Via,
    Contact,
    ContentType,
    ContentLength,
    UserAgent,
    Server,
    Reason,
    Warning,
    XCallId,
    Expires,
}

/// The name of `len` bytes at `at` in `buf`, packed little-endian into a
/// `u128` (names of 2 to 15 bytes: no header the scanner keeps is longer).
fn pack(buf: &[u8], at: usize, len: usize) -> u128 {
    let keep = (1u128 << (8 * len.min(15))) - 1;
    if let Some(w) = buf
        .get(at..at + 16)
        .and_then(|w| <[u8; 16]>::try_from(w).ok())
    {
        return u128::from_le_bytes(w) & keep;
    }
    // Near the end of the buffer: byte by byte.
    let mut w = [0u8; 16];
    for (d, s) in w.iter_mut().zip(buf.get(at..at + len).unwrap_or_default()) {
        *d = *s;
    }
    u128::from_le_bytes(w) & keep
}

/// A known header name, lowercase, packed as [`pack`] does, with the mask
/// of its letters' case bit: `(word | case) == name` compares a packed
/// name without regard to the case of its letters, and its other bytes
/// (`-`) exactly, as `eq_ignore_ascii_case` does.
struct Name {
    name: u128,
    case: u128,
}

const fn name(s: &[u8]) -> Name {
    let mut name = 0u128;
    let mut case = 0u128;
    let mut i = 0;
    let mut rest = s;
    while let [b, tail @ ..] = rest {
        name |= (*b as u128) << (8 * i);
        if b.is_ascii_lowercase() {
            case |= 0x20u128 << (8 * i);
        }
        i += 1;
        rest = tail;
    }
    Name { name, case }
}

impl Name {
    fn is(&self, w: u128) -> bool {
        w | self.case == self.name
    }
}

const TO: Name = name(b"to");
const VIA: Name = name(b"via");
const FROM: Name = name(b"from");
const CSEQ: Name = name(b"cseq");
const X_CID: Name = name(b"x-cid");
const REASON: Name = name(b"reason");
const SERVER: Name = name(b"server");
const CALL_ID: Name = name(b"call-id");
const CONTACT: Name = name(b"contact");
const EXPIRES: Name = name(b"expires");
const WARNING: Name = name(b"warning");
const X_CALL_ID: Name = name(b"x-call-id");
const USER_AGENT: Name = name(b"user-agent");
const CONTENT_TYPE: Name = name(b"content-type");
const CONTENT_LENGTH: Name = name(b"content-length");

/// Which header the name `[at, at + len)` of `buf` is.
fn classify(buf: &[u8], at: usize, len: usize) -> Option<Known> {
    let name = buf.get(at..at + len).unwrap_or_default();
    if let [one] = name {
        return match one.to_ascii_lowercase() {
            b'i' => Some(Known::CallId),
            b'f' => Some(Known::From),
            b't' => Some(Known::To),
            b'v' => Some(Known::Via),
            b'm' => Some(Known::Contact),
            b'l' => Some(Known::ContentLength),
            b'c' => Some(Known::ContentType),
            _ => None,
        };
    }
    // Dispatch on length: one or a few word comparisons per header.
    let w = match len {
        2..=7 | 9 | 10 | 12 | 14 => pack(buf, at, len),
        _ => return None,
    };
    let known = match name.len() {
        2 if TO.is(w) => Known::To,
        3 if VIA.is(w) => Known::Via,
        4 if FROM.is(w) => Known::From,
        4 if CSEQ.is(w) => Known::CSeq,
        5 if X_CID.is(w) => Known::XCallId,
        6 if REASON.is(w) => Known::Reason,
        6 if SERVER.is(w) => Known::Server,
        7 if CALL_ID.is(w) => Known::CallId,
        7 if CONTACT.is(w) => Known::Contact,
        7 if EXPIRES.is(w) => Known::Expires,
        7 if WARNING.is(w) => Known::Warning,
        9 if X_CALL_ID.is(w) => Known::XCallId,
        10 if USER_AGENT.is(w) => Known::UserAgent,
        12 if CONTENT_TYPE.is(w) => Known::ContentType,
        14 if CONTENT_LENGTH.is(w) => Known::ContentLength,
        _ => return None,
    };
    Some(known)
}

/// Up to eight bytes packed little-endian, as a line's first eight are.
const fn word(s: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    let mut rest = s;
    while let [b, tail @ ..] = rest {
        w |= (*b as u64) << (8 * i);
        i += 1;
        rest = tail;
    }
    w
}

/// The low `n` bytes of a word.
const fn low(n: u32) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// The header names most stacks write, as they write them, colon
/// included: the line's first eight bytes name the header and place the
/// colon, without the general search and case-blind comparison. `Some`
/// with the header (`None`: one the scanner does not keep) and the
/// colon's offset in the line; `None` for any other line. Inlined where
/// each line is read.
#[allow(clippy::inline_always)]
#[inline(always)]
fn canonical(line: &[u8]) -> Option<(Option<Known>, usize)> {
    let w = u64::from_le_bytes(line.get(..8)?.try_into().ok()?);
    let then = |at: usize, s: &[u8]| line.get(at..at + s.len()) == Some(s);
    // The first byte picks the few names to compare the word with.
    let found = match w.to_le_bytes()[0] {
        b'V' if w & low(4) == word(b"Via:") => (Some(Known::Via), 3),
        b'F' if w & low(5) == word(b"From:") => (Some(Known::From), 4),
        b'T' if w & low(3) == word(b"To:") => (Some(Known::To), 2),
        b'C' if w == word(b"Call-ID:") => (Some(Known::CallId), 7),
        b'C' if w & low(5) == word(b"CSeq:") => (Some(Known::CSeq), 4),
        b'C' if w == word(b"Contact:") => (Some(Known::Contact), 7),
        b'C' if w == word(b"Content-") && then(8, b"Length:") => (Some(Known::ContentLength), 14),
        b'C' if w == word(b"Content-") && then(8, b"Type:") => (Some(Known::ContentType), 12),
        b'E' if w == word(b"Expires:") => (Some(Known::Expires), 7),
        b'U' if w == word(b"User-Age") && then(8, b"nt:") => (Some(Known::UserAgent), 10),
        b'S' if w & low(7) == word(b"Server:") => (Some(Known::Server), 6),
        b'S' if w == word(b"Supporte") && then(8, b"d:") => (None, 9),
        b'M' if w == word(b"Max-Forw") && then(8, b"ards:") => (None, 12),
        b'R' if w & low(6) == word(b"Route:") => (None, 5),
        b'R' if w == word(b"Record-R") && then(8, b"oute:") => (None, 12),
        b'W' if w == word(b"WWW-Auth") && then(8, b"enticate:") => (None, 16),
        b'A' if w & low(6) == word(b"Allow:") => (None, 5),
        b'A' if w == word(b"Authoriz") && then(8, b"ation:") => (None, 13),
        _ => return None,
    };
    Some(found)
}

/// Reads one (unfolded) header line `[start, end)` into `head`. Inlined
/// into the scanner's loop, its one caller for nearly every line.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(super) fn header_line(
    buf: &[u8],
    start: usize,
    end: usize,
    head: &mut Head,
    seen_via: &mut bool,
) {
    let line = buf.get(start..end).unwrap_or_default();
    let (known, colon) = match canonical(line) {
        Some(found) => found,
        None => {
            // Header names are short: a plain loop beats a SIMD search's set-up.
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                head.defects.insert(Defects::BAD_HEADER_LINE);
                return;
            };
            let raw_name = line.get(..colon).unwrap_or_default();
            let name = trim_end(trim_start(raw_name));
            let lead = raw_name.len() - trim_start(raw_name).len();
            (classify(buf, start + lead, name.len()), colon)
        }
    };
    let Some(known) = known else {
        return;
    };
    let (vs, ve) = value_span(line, colon + 1, start);
    let value = Span::new(vs, ve);
    match known {
        Known::CallId => set_first(&mut head.call_id, value),
        Known::CSeq => {
            if head.cseq_num.is_none() {
                cseq(buf, vs, ve, head);
            }
        }
        Known::From => {
            if head.from.is_empty() {
                head.from = value;
            }
        }
        Known::To => {
            if head.to.is_empty() {
                head.to = value;
            }
        }
        Known::Via if !head.second_via => {
            // The usual value (one, with neither quotes nor `<`): one pass
            // says so and finds its branch, without the general walk.
            if let Some(branch) = plain_via_branch(buf, vs, ve) {
                if *seen_via {
                    head.second_via = true;
                    head.via_branch2 = branch;
                } else {
                    *seen_via = true;
                    head.via_branch = branch;
                }
                return;
            }
            // Only the first value of the first Via is the top Via; the next
            // value, on that line or the next Via line, is the second.
            let first_end = first_value_end(buf, vs, ve);
            if *seen_via {
                head.second_via = true;
                head.via_branch2 = param(buf, vs, first_end, b"branch");
            } else {
                *seen_via = true;
                head.via_branch = param(buf, vs, first_end, b"branch");
                if first_end < ve {
                    let s2 = first_end + 1;
                    head.second_via = true;
                    head.via_branch2 = param(buf, s2, first_value_end(buf, s2, ve), b"branch");
                }
            }
        }
        Known::Via => {}
        Known::Contact => set_first(&mut head.contact, value),
        Known::ContentType => set_first(&mut head.content_type, value),
        Known::ContentLength => {
            let v = value.get(buf);
            if v.is_empty() || v.len() > 9 || !v.iter().all(u8::is_ascii_digit) {
                head.defects.insert(Defects::BAD_CONTENT_LENGTH);
            } else if head.content_length.is_none() {
                head.content_length =
                    Some(v.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')));
            }
        }
        Known::UserAgent => set_first(&mut head.user_agent, value),
        Known::Server => set_first(&mut head.server, value),
        Known::Reason => set_first(&mut head.reason, value),
        Known::Warning => set_first(&mut head.warning, value),
        Known::XCallId => set_first(&mut head.x_call_id, value),
        Known::Expires => set_first(&mut head.expires, value),
    }
}

/// Where the value of a header line lies: `line[from..]` without the
/// whitespace around it, as positions in the buffer (`line` starts at `at`
/// there); what `trim_span` gives, read from the line.
#[inline]
fn value_span(line: &[u8], from: usize, at: usize) -> (usize, usize) {
    let v = line.get(from..).unwrap_or_default();
    // As nearly every stack writes it: one space before, CR after.
    if let [b' ', first, .., last, b'\r'] = v
        && !first.is_ascii_whitespace()
        && !last.is_ascii_whitespace()
    {
        return (at + from + 1, at + from + v.len() - 1);
    }
    if let [b' ', only, b'\r'] = v
        && !only.is_ascii_whitespace()
    {
        return (at + from + 1, at + from + 2);
    }
    let lead = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let keep = v
        .get(lead..)
        .unwrap_or_default()
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    (at + from + lead, at + from + lead + keep)
}

fn set_first(slot: &mut Span, value: Span) {
    if slot.is_empty() {
        *slot = value;
    }
}

fn cseq(buf: &[u8], vs: usize, ve: usize, head: &mut Head) {
    let v = buf.get(vs..ve).unwrap_or_default();
    // The number, read as its digits are counted (eleven are too many).
    let (mut num, mut digits) = (0u64, 0usize);
    for d in v {
        if !d.is_ascii_digit() || digits > 10 {
            break;
        }
        num = num * 10 + u64::from(d - b'0');
        digits += 1;
    }
    if digits == 0 || digits > 10 {
        head.defects.insert(Defects::BAD_CSEQ);
        return;
    }
    let Ok(num) = u32::try_from(num) else {
        head.defects.insert(Defects::BAD_CSEQ);
        return;
    };
    // One space between number and method, nothing after (the value is
    // trimmed), as nearly every stack writes it; else the trimming loops.
    let (ms, me) = match v.get(digits..) {
        Some([b' ', first, .., last] | [b' ', first @ last])
            if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() =>
        {
            (vs + digits + 1, ve)
        }
        _ => trim_span(buf, vs + digits, ve),
    };
    let method = buf.get(ms..me).unwrap_or_default();
    if method.is_empty() || !method.iter().all(|b| is_token_char(*b)) {
        head.defects.insert(Defects::BAD_CSEQ);
        return;
    }
    head.cseq_num = Some(num);
    head.cseq_method = Span::new(ms, me);
}

/// End of the first comma-separated value in `[vs, ve)`, outside quotes and `<>`.
fn first_value_end(buf: &[u8], vs: usize, ve: usize) -> usize {
    let value = buf.get(vs..ve).unwrap_or_default();
    let Some(comma) = memchr(b',', value) else {
        return ve;
    };
    // Quotes or angle brackets before the comma: walk it carefully.
    if memchr::memchr2(b'"', b'<', value.get(..comma).unwrap_or_default()).is_none() {
        return vs + comma;
    }
    let mut in_quotes = false;
    let mut in_angle = false;
    for (i, b) in value.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => in_angle = true,
            b'>' if !in_quotes => in_angle = false,
            b',' if !in_quotes && !in_angle => return vs + i,
            _ => {}
        }
    }
    ve
}

/// The bytes that end a parameter value (`;`, `,`, `>`, space, tab, CR,
/// LF), as a bit set over the first 64 byte values: they all lie there.
const PARAM_END: u64 =
    1 << b';' | 1 << b',' | 1 << b'>' | 1 << b' ' | 1 << b'\t' | 1 << b'\r' | 1 << b'\n';

/// Ends a parameter value.
fn is_param_end(b: u8) -> bool {
    b < 64 && PARAM_END >> b & 1 == 1
}

/// Where a parameter value starting at `s` ends: `;`, `,`, `>` or whitespace.
fn param_value(buf: &[u8], s: usize, ve: usize) -> Span {
    let rest = buf.get(s..ve).unwrap_or_default();
    Span::new(s, s + param_end(rest))
}

/// The first byte of `rest` that ends a parameter value (its length when
/// none does). Eight bytes a step: a word with none of `;`, `,`, `>` nor a
/// byte below `!` (the whitespace among them) is passed over whole.
fn param_end(rest: &[u8]) -> usize {
    let exact = |from: usize| {
        rest.get(from..)
            .unwrap_or_default()
            .iter()
            .position(|b| is_param_end(*b))
            .map_or(rest.len(), |k| from + k)
    };
    let ends =
        |w: u64| swar::eq(w, b';') | swar::eq(w, b',') | swar::eq(w, b'>') | swar::below(w, b'!');
    let mut i = 0;
    while let Some(w) = swar::word_at(rest, i) {
        let m = ends(w);
        if m != 0 {
            // A candidate: the bytes from it decide (a control byte below
            // `!` that is not whitespace does not end the value).
            return exact(i + swar::first(m));
        }
        i += 8;
    }
    // The last bytes: the last eight, less those already passed.
    if i >= rest.len() {
        return rest.len();
    }
    let Some(last) = rest.len().checked_sub(8) else {
        return exact(i);
    };
    let m = swar::word_at(rest, last).map_or(0, ends) & (u64::MAX << (8 * (i - last)));
    if m == 0 {
        return rest.len();
    }
    exact(last + swar::first(m))
}

/// `param(.., b"branch")` for the usual value, with neither `<` nor `"`:
/// the first `;branch=` as written. `None` when the value has either (the
/// general walk reads it).
fn plain_branch(buf: &[u8], vs: usize, ve: usize) -> Option<Span> {
    let value = buf.get(vs..ve).unwrap_or_default();
    if memchr::memchr2(b'<', b'"', value).is_some() {
        return None;
    }
    Some(plain_branch_found(buf, vs, ve))
}

/// [`plain_branch`] of a value known to hold neither `<` nor `"`.
fn plain_branch_found(buf: &[u8], vs: usize, ve: usize) -> Span {
    let value = buf.get(vs..ve).unwrap_or_default();
    match first_branch(value) {
        Some(i) => param_value(buf, vs + i + 8, ve),
        // No `;branch=` as written: the general walk (case, spaces).
        None => param_slow(buf, vs, ve, b"branch"),
    }
}

/// The branch of a Via value `[vs, ve)` with no `,`, `<` nor `"` (one
/// value, read as [`plain_branch_found`] reads it), or `None` when it has
/// any of them. One pass of 32-byte blocks: each block's masks say whether
/// it holds any of the three, and where its semicolons are, each compared
/// with `;branch=` as one word.
fn plain_via_branch(buf: &[u8], vs: usize, ve: usize) -> Option<Span> {
    const PAT: u64 = u64::from_le_bytes(*b";branch=");
    let mut at = vs;
    let mut branch = None;
    while at < ve {
        let block = Block::at(buf, at);
        let inside = lines::before(at, ve);
        if (block.eq(b',') | block.eq(b'<') | block.eq(b'"')) & inside != 0 {
            return None;
        }
        if branch.is_none() {
            let mut semis = block.eq(b';') & inside;
            while semis != 0 {
                let p = at + semis.trailing_zeros() as usize;
                if p + 8 <= ve && swar::word_at(buf, p) == Some(PAT) {
                    branch = Some(p);
                    break;
                }
                semis &= semis - 1;
            }
        }
        at += lines::BLOCK;
    }
    Some(match branch {
        Some(p) => param_value(buf, p + 8, ve),
        // No `;branch=` as written: the general walk (case, spaces).
        None => param_slow(buf, vs, ve, b"branch"),
    })
}

/// Where the first `;branch=` as written lies in `value`: its semicolons
/// found eight bytes a step, each compared with the pattern as one word.
fn first_branch(value: &[u8]) -> Option<usize> {
    const PAT: u64 = u64::from_le_bytes(*b";branch=");
    let is_branch = |at: usize| swar::word_at(value, at) == Some(PAT);
    let mut i = 0;
    while let Some(w) = swar::word_at(value, i) {
        let mut m = swar::eq(w, b';');
        while m != 0 {
            let at = i + swar::first(m);
            if is_branch(at) {
                return Some(at);
            }
            m &= m - 1;
        }
        i += 8;
    }
    // The last bytes are too few to hold the pattern.
    None
}

/// `;tag=` and `;branch=` as nearly every stack writes them: found with one
/// SIMD search before the general parameter walk.
static TAG: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b";tag="));
static BRANCH: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b";branch="));

/// Finds `;name=value` in a header value, outside quotes and `<...>` (where
/// URI parameters live). The value ends at `;`, `,`, `>` or whitespace.
fn param(buf: &[u8], vs: usize, ve: usize, name: &[u8]) -> Span {
    if name == b"branch"
        && let Some(span) = plain_branch(buf, vs, ve)
    {
        return span;
    }
    param_slow(buf, vs, ve, name)
}

/// [`param`] without the fast path for branches.
fn param_slow(buf: &[u8], vs: usize, ve: usize, name: &[u8]) -> Span {
    let value = buf.get(vs..ve).unwrap_or_default();
    // Header parameters follow the name-addr's closing '>', if there is one.
    let from = match memchr::memrchr(b'>', value) {
        Some(gt) if memchr(b'<', value).is_some() => gt + 1,
        _ => 0,
    };
    let tail = value.get(from..).unwrap_or_default();
    let quoted = memchr(b'"', tail).is_some();
    let fast = match name {
        b"tag" => Some(&*TAG),
        b"branch" => Some(&*BRANCH),
        _ => None,
    };
    if !quoted && let Some(at) = fast.and_then(|f| f.find(tail)) {
        return param_value(buf, vs + from + at + name.len() + 2, ve);
    }
    let mut i = from;
    while let Some(semi) = memchr(b';', value.get(i..).unwrap_or_default()) {
        let at = i + semi;
        i = at + 1;
        if quoted
            && value
                .get(from..at)
                .is_some_and(|v| memchr::memchr_iter(b'"', v).count() % 2 == 1)
        {
            continue;
        }
        let (ns, _) = trim_span(buf, vs + at + 1, ve);
        let after = ns + name.len();
        if !buf
            .get(ns..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let (eq, _) = trim_span(buf, after, ve);
        if buf.get(eq) != Some(&b'=') {
            continue;
        }
        let (s, _) = trim_span(buf, eq + 1, ve);
        return param_value(buf, s, ve);
    }
    Span::default()
}

/// The `tag` parameter of a From or To header (`header` as in [`Head`]).
#[must_use]
pub fn tag(buf: &[u8], header: Span) -> Span {
    param(buf, header.start as usize, header.end as usize, b"tag")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    /// Values made of the bytes that matter here (and a few others), of
    /// every length up to 40.
    fn values() -> impl Iterator<Item = Vec<u8>> {
        const BYTES: &[u8] = b";branch=;,> \t\r\nzZ9\x01\x7f\xff";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        (0..60_000).map(move |n| {
            let mut v = Vec::new();
            for _ in 0..n % 41 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed >> 32) as usize;
                if i.is_multiple_of(5) {
                    v.extend_from_slice(b";branch=");
                } else {
                    v.push(BYTES[i % BYTES.len()]);
                }
            }
            v
        })
    }

    #[test]
    fn a_parameter_value_ends_where_the_byte_loop_said() {
        for v in values() {
            let want = v.iter().position(|b| is_param_end(*b)).unwrap_or(v.len());
            assert_eq!(param_end(&v), want, "{v:?}");
        }
    }

    /// The Via read as before the one-pass reading: a `memchr3` for
    /// `,`, `<` and `"`, then the branch by the semicolons' words.
    fn via_branch_as_before(buf: &[u8], vs: usize, ve: usize) -> Option<Span> {
        let value = buf.get(vs..ve).unwrap_or_default();
        memchr::memchr3(b',', b'<', b'"', value)
            .is_none()
            .then(|| plain_branch_found(buf, vs, ve))
    }

    #[test]
    fn a_via_branch_is_what_the_searches_it_replaced_found() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for v in values() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Values of every length up to 100 (the blocks' edges), some
            // with `,`, `<` or `"`, inside a buffer with bytes around them
            // (which must not count).
            let mut value = v.clone();
            value.extend_from_slice(&v);
            value.extend_from_slice(&v);
            value.truncate((seed % 101) as usize);
            let odd = b",<\";"[(seed >> 8) as usize % 3];
            if !value.is_empty() && (seed >> 16).is_multiple_of(4) {
                let at = (seed >> 20) as usize % value.len();
                value[at] = odd;
            }
            let lead = (seed >> 40) as usize % 40;
            let mut buf = vec![b'<'; lead];
            buf.extend_from_slice(&value);
            buf.extend(std::iter::repeat_n(odd, (seed >> 48) as usize % 40));
            let (vs, ve) = (lead, lead + value.len());
            assert_eq!(
                plain_via_branch(&buf, vs, ve),
                via_branch_as_before(&buf, vs, ve),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_first_branch_is_where_the_search_for_semicolons_said() {
        for v in values() {
            let want = memchr::memchr_iter(b';', &v).find(|&i| v[i..].starts_with(b";branch="));
            assert_eq!(first_branch(&v), want, "{v:?}");
        }
    }
}
