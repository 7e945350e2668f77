//! Header lines: which header a name is (compact forms included), and what
//! the scanner takes from its value (Call-ID, CSeq, Via branches, lengths).
#![warn(clippy::indexing_slicing)]

use super::{Defects, Head, Span, is_token_char, memchr, trim_end, trim_span, trim_start};

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

fn classify(name: &[u8]) -> Option<Known> {
    let first = name.first()?.to_ascii_lowercase();
    let is = |full: &[u8]| name.eq_ignore_ascii_case(full);
    // Dispatch on length and first letter: one comparison per header at most.
    match (name.len(), first) {
        (1, b'i') => Some(Known::CallId),
        (1, b'f') => Some(Known::From),
        (1, b't') => Some(Known::To),
        (1, b'v') => Some(Known::Via),
        (1, b'm') => Some(Known::Contact),
        (1, b'l') => Some(Known::ContentLength),
        (1, b'c') => Some(Known::ContentType),
        (2, b't') if is(b"to") => Some(Known::To),
        (3, b'v') if is(b"via") => Some(Known::Via),
        (4, b'f') if is(b"from") => Some(Known::From),
        (4, b'c') if is(b"cseq") => Some(Known::CSeq),
        (5, b'x') if is(b"x-cid") => Some(Known::XCallId),
        (6, b'r') if is(b"reason") => Some(Known::Reason),
        (6, b's') if is(b"server") => Some(Known::Server),
        (7, b'c') if is(b"call-id") => Some(Known::CallId),
        (7, b'c') if is(b"contact") => Some(Known::Contact),
        (7, b'e') if is(b"expires") => Some(Known::Expires),
        (7, b'w') if is(b"warning") => Some(Known::Warning),
        (9, b'x') if is(b"x-call-id") => Some(Known::XCallId),
        (10, b'u') if is(b"user-agent") => Some(Known::UserAgent),
        (12, b'c') if is(b"content-type") => Some(Known::ContentType),
        (14, b'c') if is(b"content-length") => Some(Known::ContentLength),
        _ => None,
    }
}

/// Reads one (unfolded) header line `[start, end)` into `head`.
pub(super) fn header_line(
    buf: &[u8],
    start: usize,
    end: usize,
    head: &mut Head,
    seen_via: &mut bool,
) {
    let line = buf.get(start..end).unwrap_or_default();
    // Header names are short: a plain loop beats a SIMD search's set-up.
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        head.defects.insert(Defects::BAD_HEADER_LINE);
        return;
    };
    let name = trim_end(trim_start(line.get(..colon).unwrap_or_default()));
    let (vs, ve) = trim_span(buf, start + colon + 1, end);
    let value = Span::new(vs, ve);
    let Some(known) = classify(name) else {
        return;
    };
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

fn set_first(slot: &mut Span, value: Span) {
    if slot.is_empty() {
        *slot = value;
    }
}

fn cseq(buf: &[u8], vs: usize, ve: usize, head: &mut Head) {
    let v = buf.get(vs..ve).unwrap_or_default();
    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 10 {
        head.defects.insert(Defects::BAD_CSEQ);
        return;
    }
    let num = v
        .get(..digits)
        .unwrap_or_default()
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    let Ok(num) = u32::try_from(num) else {
        head.defects.insert(Defects::BAD_CSEQ);
        return;
    };
    let (ms, me) = trim_span(buf, vs + digits, ve);
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

/// Ends a parameter value.
fn is_param_end(b: u8) -> bool {
    matches!(b, b';' | b',' | b'>' | b' ' | b'\t' | b'\r' | b'\n')
}

/// Where a parameter value starting at `s` ends: `;`, `,`, `>` or whitespace.
fn param_value(buf: &[u8], s: usize, ve: usize) -> Span {
    let rest = buf.get(s..ve).unwrap_or_default();
    let len = rest
        .iter()
        .position(|b| is_param_end(*b))
        .unwrap_or(rest.len());
    Span::new(s, s + len)
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
