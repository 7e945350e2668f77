//! The tolerant, zero-copy SIP scanner: bytes in, a [`Head`] of spans out.
//!
//! It reads what real traffic sends, not only what RFC 3261 allows: compact
//! header names, folded lines, LF-only line ends, odd whitespace around the
//! colon, IPv6 hosts, unknown methods and bytes that are not UTF-8. It never
//! allocates on the hot path and never panics: every span it returns lies
//! inside the buffer it was given. A message it cannot fully make sense of is
//! still returned, with [`Head::malformed`] set, so nothing is dropped silently.
#![warn(clippy::indexing_slicing)]

/// The largest message the scanner accepts (headers and body): 256 KiB, what
/// a real body reaches (an INVITE of 65 KB over TCP was seen). A TCP flow
/// buffers as much at most (`decode::tcp`), so memory stays bounded.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// A start line longer than this (no line end yet) is not waited for.
const MAX_START_LINE: usize = 8192;

/// A byte range inside the message buffer. `u32` keeps [`Head`] small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Messages are capped at MAX_MESSAGE, far below u32::MAX.
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The bytes this span covers, or an empty slice if it lies outside `buf`.
    #[must_use]
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }
}

/// What the first line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Span, uri: Span },
    Response { code: u16, reason: Span },
}

/// Why a message is flagged malformed. Several may hold at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects(u16);

impl Defects {
    pub const NO_CALL_ID: Self = Self(1);
    pub const NO_CSEQ: Self = Self(1 << 1);
    pub const BAD_CSEQ: Self = Self(1 << 2);
    pub const NO_FROM_OR_TO: Self = Self(1 << 3);
    pub const NO_VIA: Self = Self(1 << 4);
    pub const BAD_CONTENT_LENGTH: Self = Self(1 << 5);
    /// The body is shorter than Content-Length says (snap length, truncation).
    pub const TRUNCATED_BODY: Self = Self(1 << 6);
    /// The header section never ended (snap length, truncation).
    pub const TRUNCATED_HEADERS: Self = Self(1 << 7);
    pub const BAD_HEADER_LINE: Self = Self(1 << 8);
    pub const TOO_LARGE: Self = Self(1 << 9);

    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Human-readable names of the defects, for reports and the UI.
    #[must_use]
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(Defects, &str); 10] = [
            (Defects::NO_CALL_ID, "no Call-ID"),
            (Defects::NO_CSEQ, "no CSeq"),
            (Defects::BAD_CSEQ, "bad CSeq"),
            (Defects::NO_FROM_OR_TO, "no From or To"),
            (Defects::NO_VIA, "no Via"),
            (Defects::BAD_CONTENT_LENGTH, "bad Content-Length"),
            (Defects::TRUNCATED_BODY, "body truncated"),
            (Defects::TRUNCATED_HEADERS, "headers truncated"),
            (Defects::BAD_HEADER_LINE, "bad header line"),
            (Defects::TOO_LARGE, "message too large"),
        ];
        NAMES
            .iter()
            .filter(|(d, _)| self.contains(*d))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// The spans of one SIP message: everything the model and the views need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub start_line: Option<StartLine>,
    pub call_id: Span,
    pub cseq_num: Option<u32>,
    pub cseq_method: Span,
    /// From and To, whole; [`tag`] reads their tags when someone asks (the
    /// model does not need them, and the hot path is faster without).
    pub from: Span,
    pub to: Span,
    pub via_branch: Span,
    /// The branch of the second Via (a proxy's request carries the
    /// previous hop's there); empty when there is none.
    pub via_branch2: Span,
    /// A second Via was seen (with a branch or not).
    pub second_via: bool,
    pub contact: Span,
    pub content_type: Span,
    pub content_length: Option<u32>,
    pub user_agent: Span,
    pub server: Span,
    pub reason: Span,
    pub warning: Span,
    /// X-Call-ID / X-CID: the Call-ID of a correlated leg.
    pub x_call_id: Span,
    pub expires: Span,
    pub body: Span,
    pub defects: Defects,
}

impl Head {
    #[must_use]
    pub fn malformed(&self) -> bool {
        !self.defects.is_empty()
    }
}

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

fn first_line(buf: &[u8]) -> &[u8] {
    let end = memchr(b'\n', buf).unwrap_or(buf.len());
    buf.get(..end).unwrap_or_default()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Parses a start line that begins at `base` in the message buffer.
fn parse_start_line(line: &[u8], base: usize) -> Option<StartLine> {
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
    if !tail.eq_ignore_ascii_case(b"SIP/2.0") {
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

/// Scans one SIP message at the start of `buf`.
///
/// With [`Framing::Stream`], a message whose headers or body are not all in
/// `buf` yet gives [`Scan::Incomplete`]; with [`Framing::Datagram`] it is
/// returned with what there is and flagged truncated.
#[must_use]
pub fn scan(buf: &[u8], framing: Framing) -> Scan {
    // RTP and most other traffic fail on the first byte, before any search.
    if !buf.first().is_some_and(u8::is_ascii_alphabetic) {
        return Scan::NotSip;
    }
    let first = first_line(buf);
    // On a stream, a start line cut by a segment boundary is not garbage
    // yet: wait for its end (a line longer than any start line is).
    if framing == Framing::Stream && first.len() == buf.len() && buf.len() < MAX_START_LINE {
        return Scan::Incomplete;
    }
    let Some(start_line) = parse_start_line(first, 0) else {
        return Scan::NotSip;
    };
    let mut head = Head {
        start_line: Some(start_line),
        ..Head::default()
    };
    let limit = buf.len().min(MAX_MESSAGE);

    // Walk header lines. `pos` is the start of the current line.
    let pos = first.len() + 1;
    if pos > buf.len() {
        // Only a start line, no LF at all.
        return match framing {
            Framing::Stream => Scan::Incomplete,
            Framing::Datagram => {
                head.defects.insert(Defects::TRUNCATED_HEADERS);
                finish_defects(&mut head);
                Scan::Message {
                    head,
                    len: buf.len(),
                }
            }
        };
    }
    // One SIMD pass finds every line end; a header is flushed once the next
    // line shows it is not folded onto (a line starting with SP or HT).
    let mut seen_via = false;
    let mut pending: Option<(usize, usize)> = None;
    let mut line_start = pos;
    let mut body_start = None;
    let region = buf.get(pos..limit).unwrap_or_default();
    for nl in memchr::memchr_iter(b'\n', region).map(|i| i + pos) {
        let line = trim_cr(buf.get(line_start..nl).unwrap_or_default());
        if line.is_empty() {
            body_start = Some(nl + 1);
            break;
        }
        match pending.as_mut() {
            Some(p) if matches!(line.first(), Some(b' ' | b'\t')) => p.1 = nl,
            _ => {
                if let Some((s, e)) = pending.replace((line_start, nl)) {
                    header_line(buf, s, e, &mut head, &mut seen_via);
                }
            }
        }
        line_start = nl + 1;
    }
    if let Some((s, e)) = pending.take() {
        header_line(buf, s, e, &mut head, &mut seen_via);
    }
    let Some(body_start) = body_start else {
        // The header section never ended within the buffer (or the limit).
        if buf.len() > MAX_MESSAGE {
            head.defects.insert(Defects::TOO_LARGE);
        } else if framing == Framing::Stream {
            return Scan::Incomplete;
        } else {
            head.defects.insert(Defects::TRUNCATED_HEADERS);
        }
        // Take what a partial last line says (a Call-ID may be complete).
        if line_start < limit {
            header_line(buf, line_start, limit, &mut head, &mut seen_via);
        }
        finish_defects(&mut head);
        return Scan::Message { head, len: limit };
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
        finish_defects(&mut head);
        return Scan::Message { head, len: limit };
    }
    if body_len > available {
        if framing == Framing::Stream {
            return Scan::Incomplete;
        }
        head.defects.insert(Defects::TRUNCATED_BODY);
        head.body = Span::new(body_start, buf.len());
        finish_defects(&mut head);
        return Scan::Message {
            head,
            len: buf.len(),
        };
    }
    head.body = Span::new(body_start, total);
    finish_defects(&mut head);
    Scan::Message { head, len: total }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
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

/// Reads one (unfolded) header line `[start, end)` into `head`.
fn header_line(buf: &[u8], start: usize, end: usize, head: &mut Head, seen_via: &mut bool) {
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
