//! A tolerant SDP scanner: what linking media to calls, and explaining a
//! negotiation, needs. It accepts FQDNs in `c=`, LF-only lines, unknown
//! attributes and junk lines, and never fails: an unreadable line is skipped.
#![warn(clippy::indexing_slicing)]

use serde::Serialize;

/// Media direction (RFC 3264 section 5.1; `sendrecv` when none is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// One `a=rtpmap` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub media: String,
    pub port: u16,
    pub proto: String,
    /// The format list as written (payload numbers for RTP).
    pub formats: Vec<String>,
    /// The connection address that applies: the media's own `c=`, else the session's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rtpmap: Vec<RtpMap>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fmtp: Vec<(u8, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptime: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtcp_port: Option<u16>,
    pub rtcp_mux: bool,
    pub crypto: bool,
    pub fingerprint: bool,
}

impl Media {
    /// A fax m-line: `m=image ... udptl t38` (T.38 over UDPTL).
    #[must_use]
    pub fn is_t38(&self) -> bool {
        self.media.eq_ignore_ascii_case("image")
            && self.formats.iter().any(|f| f.eq_ignore_ascii_case("t38"))
    }

    /// The codec name of a payload type: from rtpmap, else the static table.
    #[must_use]
    pub fn codec_name(&self, pt: u8) -> Option<String> {
        self.codec(pt).map(str::to_owned)
    }

    /// [`Media::codec_name`], borrowed.
    #[must_use]
    pub fn codec(&self, pt: u8) -> Option<&str> {
        self.rtpmap
            .iter()
            .find(|m| m.payload_type == pt)
            .map(|m| m.encoding.as_str())
            .or_else(|| static_payload_name(pt))
    }
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Sdp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The session-level `c=` address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    pub media: Vec<Media>,
}

impl Sdp {
    /// Each m-line with a port (not refused), with the address it names
    /// (its own `c=`, else the session's), when that is an IP address.
    pub fn media_at(&self) -> impl Iterator<Item = (std::net::IpAddr, u16, &Media)> {
        self.media.iter().filter(|m| m.port != 0).filter_map(|m| {
            let ip = ip_addr(
                m.connection
                    .as_deref()
                    .or(self.connection.as_deref())?
                    .as_bytes(),
            )?;
            Some((ip, m.port, m))
        })
    }

    /// One line: `audio 10.0.0.1:4000 PCMU,PCMA sendonly` per m-line, `; `
    /// between them. Text from the wire, not escaped.
    #[must_use]
    pub fn summary(&self) -> String {
        self.media
            .iter()
            .map(|m| {
                let codecs: Vec<String> = m
                    .formats
                    .iter()
                    .filter_map(|f| f.parse::<u8>().ok())
                    .filter_map(|pt| m.codec_name(pt))
                    .collect();
                let dir = match m.direction {
                    Direction::SendRecv => "",
                    Direction::SendOnly => " sendonly",
                    Direction::RecvOnly => " recvonly",
                    Direction::Inactive => " inactive",
                };
                let addr = m.connection.as_deref().unwrap_or("?");
                // IPv6 in brackets, so the port stands apart.
                let addr = if addr.contains(':') {
                    format!("[{addr}]")
                } else {
                    addr.to_owned()
                };
                if m.is_t38() {
                    return format!("fax (T.38) {addr}:{}{dir}", m.port);
                }
                format!("{} {addr}:{} {}{dir}", m.media, m.port, codecs.join(","))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The encoding name of a static RTP payload type (RFC 3551 table 4).
#[must_use]
pub fn static_payload_name(pt: u8) -> Option<&'static str> {
    Some(match pt {
        0 => "PCMU",
        3 => "GSM",
        4 => "G723",
        5 | 6 | 16 | 17 => "DVI4",
        7 => "LPC",
        8 => "PCMA",
        9 => "G722",
        10 | 11 => "L16",
        12 => "QCELP",
        13 => "CN",
        14 => "MPA",
        15 => "G728",
        18 => "G729",
        25 => "CelB",
        26 => "JPEG",
        28 => "nv",
        31 => "H261",
        32 => "MPV",
        33 => "MP2T",
        34 => "H263",
        _ => return None,
    })
}

/// `b` as text, trimmed: lossily UTF-8 (checked first as it is: nearly
/// always valid, and checking is cheaper than the lossy reading).
fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.trim().to_owned(),
        Err(_) => String::from_utf8_lossy(b).trim().to_owned(),
    }
}

fn split_ws(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(u8::is_ascii_whitespace).filter(|s| !s.is_empty())
}

/// A number as `str::parse` reads the trimmed text: plain digits (up to
/// nineteen) here, anything else by the standard parser.
fn parse_num<T: std::str::FromStr + TryFrom<u64>>(b: &[u8]) -> Option<T> {
    if matches!(b.len(), 1..=19) && b.iter().all(u8::is_ascii_digit) {
        let v = b
            .iter()
            .fold(0u64, |v, d| v * 10 + u64::from(d.wrapping_sub(b'0')));
        return T::try_from(v).ok();
    }
    std::str::from_utf8(b).ok()?.trim().parse().ok()
}

/// `c=IN IP4 192.0.2.1/127` gives `192.0.2.1`.
fn connection_address(value: &[u8]) -> Option<String> {
    let mut parts = split_ws(value);
    let _net = parts.next()?;
    let _addr_type = parts.next()?;
    let addr = parts.next()?;
    let addr = addr.split(|b| *b == b'/').next().unwrap_or(addr);
    Some(text(addr))
}

/// Does this body look like SDP (starts with `v=`, possibly after blank lines)?
#[must_use]
pub fn looks_like_sdp(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body.get(start..).is_some_and(|b| b.starts_with(b"v="))
}

/// Where an SDP expects media: each `m=` line's port at its connection
/// address (the media's `c=`, else the session's). A light scan, without
/// allocating, for every SDP the capture sees; rejected streams (port 0)
/// and hold by `0.0.0.0` are left out.
#[must_use]
pub fn media_addresses(body: &[u8]) -> smallvec::SmallVec<[std::net::SocketAddr; 4]> {
    media_addresses_upto(body, usize::MAX).unwrap_or_default()
}

/// The searcher for `m=` lines, made once (making one costs more than a
/// search).
static M_LINE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\nm="));

/// [`media_addresses`], or `None` as soon as there are more than `limit`
/// (the scan stops there: a hostile SDP costs no more).
#[must_use]
pub fn media_addresses_upto(
    body: &[u8],
    limit: usize,
) -> Option<smallvec::SmallVec<[std::net::SocketAddr; 4]>> {
    media_lines_upto(body, limit).map(|(addrs, _)| addrs)
}

/// [`media_addresses_upto`], and whether an `m=` line's value starts with
/// `image` (a fax offer: the pipeline then learns its endpoints), found on
/// the way at no cost.
#[must_use]
pub fn media_lines_upto(
    body: &[u8],
    limit: usize,
) -> Option<(smallvec::SmallVec<[std::net::SocketAddr; 4]>, bool)> {
    type Addrs = smallvec::SmallVec<[std::net::SocketAddr; 4]>;
    let mut out = Addrs::new();
    let mut image = false;
    let mut session: Option<std::net::IpAddr> = None;
    // The current m= line: its port and its own c= address, if any yet.
    let mut current: Option<(u16, Option<std::net::IpAddr>)> = None;
    let flush = |m: Option<(u16, Option<std::net::IpAddr>)>,
                 session: Option<std::net::IpAddr>,
                 out: &mut Addrs| {
        if let Some((port, own)) = m
            && let Some(ip) = own.or(session)
            && port != 0
            && !ip.is_unspecified()
        {
            out.push(std::net::SocketAddr::new(ip, port));
        }
    };
    // This runs on every SDP the capture sees: the lines' ends come from
    // a mask a block at a time (`LineEnds`), and only the `m=` and `c=`
    // lines are read further.
    let mut lines = super::lines::LineEnds::new(body);
    let mut at = 0;
    while at < body.len() {
        let end = lines.find(at, body.len()).unwrap_or(body.len());
        let raw = body.get(at..end).unwrap_or_default();
        at = end + 1;
        let (is_m, value) = match raw {
            [b'm', b'=', value @ ..] => (true, value),
            [b'c', b'=', value @ ..] => (false, value),
            _ => continue,
        };
        let value = value.strip_suffix(b"\r").unwrap_or(value);
        if is_m {
            flush(current.take(), session, &mut out);
            if out.len() > limit {
                return None;
            }
            image |= value.starts_with(b"image");
            current = port_word(value).and_then(port).map(|p| (p, None));
        } else {
            let a = c_address(value).and_then(ip_addr);
            match current.as_mut() {
                Some((_, own)) => *own = a,
                None => session = a,
            }
        }
    }
    flush(current, session, &mut out);
    (out.len() <= limit).then_some((out, image))
}

/// The port word of an `m=` value (`audio 49170 RTP/AVP 0`): its second
/// word, as [`nth_word`] gives it; the usual spelling (one space after the
/// media) read without counting words.
fn port_word(value: &[u8]) -> Option<&[u8]> {
    let media = word_end(value);
    if media > 0
        && let Some(rest) = value.get(media + 1..)
        && value.get(media) == Some(&b' ')
        && rest.first().is_some_and(|b| !b.is_ascii_whitespace())
    {
        return rest.get(..word_end(rest));
    }
    nth_word(value, 1)
}

/// The address of a `c=` value (`IN IP4 192.0.2.1/127`): its third word up
/// to a `/`, as [`nth_word`] and a split give it; `IN IP4 ` as written
/// read without counting words.
fn c_address(value: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = value.strip_prefix(b"IN IP4 ")
        && rest.first().is_some_and(|b| !b.is_ascii_whitespace())
    {
        let end = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(rest.len());
        return rest.get(..end);
    }
    nth_word(value, 2).and_then(|a| a.split(|b| *b == b'/').next())
}

/// `split_ws(s).nth(n)`, without the iterator.
fn nth_word(s: &[u8], mut n: usize) -> Option<&[u8]> {
    let mut i = 0;
    loop {
        i += s
            .get(i..)?
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if i >= s.len() {
            return None;
        }
        let start = i;
        i += s
            .get(i..)?
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
        if n == 0 {
            return s.get(start..i);
        }
        n -= 1;
    }
}

/// An `m=` line's port (`49170` or `49170/2`), as `parse_num` reads it:
/// up to five digits here, anything else by the standard parser.
fn port(word: &[u8]) -> Option<u16> {
    let p = word.split(|b| *b == b'/').next().unwrap_or(word);
    if matches!(p.len(), 1..=5) && p.iter().all(u8::is_ascii_digit) {
        let v = p
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(d.wrapping_sub(b'0')));
        return u16::try_from(v).ok();
    }
    parse_num::<u16>(p)
}

/// An IP address as `str::parse` reads it. The usual dotted quad (no
/// leading zeros) is read here, byte by byte; anything else goes to the
/// standard parser.
pub(crate) fn ip_addr(a: &[u8]) -> Option<std::net::IpAddr> {
    if let Some(octets) = dotted_quad(a) {
        return Some(std::net::IpAddr::from(octets));
    }
    std::str::from_utf8(a).ok()?.parse().ok()
}

/// Four parts of one to three digits, no leading zero, each at most 255,
/// read in one pass; `None` for anything else.
fn dotted_quad(a: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let (mut n, mut value, mut digits) = (0usize, 0u16, 0u8);
    for b in a {
        if b.is_ascii_digit() {
            if digits == 3 || (digits == 1 && value == 0) {
                return None;
            }
            value = value * 10 + u16::from(b - b'0');
            digits += 1;
        } else if *b == b'.' && digits > 0 {
            *octets.get_mut(n)? = u8::try_from(value).ok()?;
            (n, value, digits) = (n + 1, 0, 0);
        } else {
            return None;
        }
    }
    if n != 3 || digits == 0 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(value).ok()?;
    Some(octets)
}

/// The pieces of `bytes` between newlines, as `split(|b| *b == b'\n')`
/// gives them, found by `memchr` rather than byte by byte.
#[cfg(test)]
pub(crate) fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'\n', r) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Scans an SDP body. Lines that do not parse are skipped.
///
/// A media section (its `m=` line and the lines up to the next) seen
/// lately on this thread with the same bytes but its port is taken from a
/// small memo ([`Sections`]) instead of read again: call after call a
/// phone sends the same codecs and attributes. The result is the same
/// either way (tests compare it with [`parse_fresh`]).
#[must_use]
pub fn parse(body: &[u8]) -> Sdp {
    SECTIONS.with_borrow_mut(|memo| parse_in(body, Some(memo)))
}

/// [`parse`] without the memo: every line read.
#[must_use]
pub fn parse_fresh(body: &[u8]) -> Sdp {
    parse_in(body, None)
}

thread_local! {
    /// Each thread's memo of media sections ([`parse`]).
    static SECTIONS: std::cell::RefCell<Sections> = const {
        std::cell::RefCell::new(Sections { kept: Vec::new(), next: 0 })
    };
}

/// Media sections kept at once.
const SECTIONS_KEPT: usize = 16;
/// The longest section kept (a hostile one may be far longer).
const SECTION_BYTES: usize = 1024;

/// Media sections read lately, with what they parsed to: the bytes before
/// the port (`m=audio `) and after it to the section's end, the session's
/// direction then (a section starts from it), and its [`Media`] (before the
/// session's connection is filled in). A section that holds an `o=` line
/// is never kept (that line sets the session's origin).
#[derive(Debug)]
struct Sections {
    kept: Vec<Section>,
    /// The one the next new section replaces, once full.
    next: usize,
}

#[derive(Debug)]
struct Section {
    direction: Direction,
    bytes: Vec<u8>,
    /// `bytes[..port]` comes before the port's word, the rest after it.
    port: usize,
    media: Media,
}

/// The end of the word at the start of `b` (whitespace as [`split_ws`]
/// sees it).
fn word_end(b: &[u8]) -> usize {
    b.iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(b.len())
}

/// Where a section that starts at `body[at..]` (an `m=` line) ends: the
/// start of the next line that starts with `m=`, else the body's end.
fn section_end(body: &[u8], at: usize) -> usize {
    let from = at + memchr::memchr(b'\n', body.get(at..).unwrap_or_default()).unwrap_or(0);
    body.get(from..)
        .and_then(|rest| M_LINE.find(rest))
        .map_or(body.len(), |i| from + i + 1)
}

impl Sections {
    /// The media of a kept section that `body[at..]` starts with (under
    /// `direction`), with its own port, and where that section ends.
    fn find(&self, body: &[u8], at: usize, direction: Direction) -> Option<(Media, usize)> {
        let rest = body.get(at..)?;
        // The port's word, the same for every kept section whose bytes
        // before it match (found once).
        let mut port_word: Option<(usize, &[u8])> = None;
        for k in &self.kept {
            let (before, after) = k.bytes.split_at_checked(k.port)?;
            if k.direction != direction || !rest.starts_with(before) {
                continue;
            }
            let word = match port_word {
                Some((n, w)) if n == before.len() => w,
                _ => {
                    let w = rest.get(before.len()..)?;
                    let w = w.get(..word_end(w))?;
                    port_word = Some((before.len(), w));
                    w
                }
            };
            // The section must end where the kept one did: at the body's
            // end, or where a line starts with `m=` (looked at before the
            // bytes are compared: most kept sections end elsewhere).
            let end = at + before.len() + word.len() + after.len();
            let next_m = body
                .get(end.wrapping_sub(1)..)
                .is_some_and(|b| b.starts_with(b"\nm="));
            if word.is_empty() || (end != body.len() && !next_m) {
                continue;
            }
            let tail = rest.get(before.len() + word.len()..)?;
            if !tail.starts_with(after) {
                continue;
            }
            let mut media = k.media.clone();
            media.port = port(word).unwrap_or(0);
            return Some((media, end));
        }
        None
    }

    /// Keeps the section `body[at..end]` (its `m=` line first), which
    /// parsed to `media` under `direction`.
    fn keep(&mut self, body: &[u8], at: usize, end: usize, direction: Direction, media: &Media) {
        let Some(bytes) = body.get(at..end).filter(|b| b.len() <= SECTION_BYTES) else {
            return;
        };
        // The port is the `m=` line's second word.
        let line = bytes
            .get(..memchr::memchr(b'\n', bytes).unwrap_or(bytes.len()))
            .unwrap_or_default();
        let value = line.get(2..).unwrap_or_default();
        let Some(media_start) = value.iter().position(|b| !b.is_ascii_whitespace()) else {
            return;
        };
        let after_media = media_start + word_end(value.get(media_start..).unwrap_or_default());
        let Some(port_start) = value
            .get(after_media..)
            .and_then(|v| v.iter().position(|b| !b.is_ascii_whitespace()))
            .map(|i| 2 + after_media + i)
        else {
            return;
        };
        let port_end = port_start + word_end(line.get(port_start..).unwrap_or_default());
        let mut kept = Vec::with_capacity(bytes.len());
        kept.extend_from_slice(bytes.get(..port_start).unwrap_or_default());
        kept.extend_from_slice(bytes.get(port_end..).unwrap_or_default());
        let section = Section {
            direction,
            bytes: kept,
            port: port_start,
            media: media.clone(),
        };
        if self.kept.len() < SECTIONS_KEPT {
            self.kept.push(section);
        } else if let Some(slot) = self.kept.get_mut(self.next) {
            *slot = section;
            self.next = (self.next + 1) % SECTIONS_KEPT;
        }
    }
}

/// A section being read line by line, to keep once read.
#[derive(Clone, Copy)]
struct Open {
    start: usize,
    end: usize,
    direction: Direction,
    /// It holds an `o=` line: not kept.
    origin: bool,
}

/// [`parse`], with the memo or without.
fn parse_in(body: &[u8], mut memo: Option<&mut Sections>) -> Sdp {
    let mut sdp = Sdp::default();
    let mut session_direction = Direction::SendRecv;
    let mut open: Option<Open> = None;
    let mut at = 0;
    loop {
        // The section read fresh is over: keep it.
        if let Some(o) = open.filter(|o| at >= o.end) {
            if let (Some(memo), Some(m), false) = (memo.as_deref_mut(), sdp.media.last(), o.origin)
            {
                memo.keep(body, o.start, o.end, o.direction, m);
            }
            open = None;
        }
        let rest = body.get(at..).unwrap_or_default();
        let (raw, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i).unwrap_or_default(), Some(at + i + 1)),
            None => (rest, None),
        };
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let (Some(&kind), Some(b'=')) = (line.first(), line.get(1)) {
            if kind == b'm'
                && let Some(memo) = memo.as_deref_mut()
            {
                if let Some((media, end)) = memo.find(body, at, session_direction) {
                    sdp.media.push(media);
                    if end >= body.len() {
                        break;
                    }
                    at = end;
                    continue;
                }
                open = Some(Open {
                    start: at,
                    end: section_end(body, at),
                    direction: session_direction,
                    origin: false,
                });
            }
            if kind == b'o'
                && let Some(o) = open.as_mut()
            {
                o.origin = true;
            }
            line_into(
                kind,
                line.get(2..).unwrap_or_default(),
                &mut sdp,
                &mut session_direction,
            );
        }
        let Some(n) = next else { break };
        at = n;
    }
    // The last section, read to the body's end.
    if let (Some(o), Some(memo), Some(m)) = (open, memo, sdp.media.last())
        && !o.origin
    {
        memo.keep(body, o.start, o.end, o.direction, m);
    }
    // The session's address where a section has none (borrowed, not
    // copied first).
    let Sdp {
        connection, media, ..
    } = &mut sdp;
    for m in media {
        if m.connection.is_none() {
            m.connection.clone_from(connection);
        }
    }
    sdp
}

/// One line `kind=value` into `sdp`.
fn line_into(kind: u8, value: &[u8], sdp: &mut Sdp, session_direction: &mut Direction) {
    match kind {
        b'o' => sdp.origin = Some(text(value)),
        b'c' => {
            let addr = connection_address(value);
            match sdp.media.last_mut() {
                Some(m) => m.connection = addr,
                None => sdp.connection = addr,
            }
        }
        b'm' => {
            let mut parts = split_ws(value);
            let media = parts.next().map(text).unwrap_or_default();
            let port = parts.next().and_then(port).unwrap_or(0);
            let proto = parts.next().map(text).unwrap_or_default();
            let formats = parts.map(text).collect();
            sdp.media.push(Media {
                media,
                port,
                proto,
                formats,
                connection: None,
                direction: *session_direction,
                rtpmap: Vec::new(),
                fmtp: Vec::new(),
                ptime: None,
                rtcp_port: None,
                rtcp_mux: false,
                crypto: false,
                fingerprint: false,
            });
        }
        b'a' => attribute(value, sdp, session_direction),
        _ => {}
    }
}

fn attribute(value: &[u8], sdp: &mut Sdp, session_direction: &mut Direction) {
    let colon = value.iter().position(|b| *b == b':');
    let (name, arg) = match colon {
        Some(i) => (
            value.get(..i).unwrap_or_default(),
            value.get(i + 1..).unwrap_or_default(),
        ),
        None => (value, &[][..]),
    };
    let name = name.trim_ascii();
    let direction = match name {
        b"sendrecv" => Some(Direction::SendRecv),
        b"sendonly" => Some(Direction::SendOnly),
        b"recvonly" => Some(Direction::RecvOnly),
        b"inactive" => Some(Direction::Inactive),
        _ => None,
    };
    let Some(m) = sdp.media.last_mut() else {
        // Session level: only the direction and security attributes matter.
        if let Some(d) = direction {
            *session_direction = d;
        }
        return;
    };
    if let Some(d) = direction {
        m.direction = d;
        return;
    }
    match name {
        b"rtpmap" => {
            let mut parts = split_ws(arg);
            let Some(pt) = parts.next().and_then(parse_num::<u8>) else {
                return;
            };
            let Some(enc) = parts.next() else { return };
            let mut fields = enc.split(|b| *b == b'/');
            let encoding = fields.next().map(text).unwrap_or_default();
            let clock_rate = fields.next().and_then(parse_num).unwrap_or(0);
            let channels = fields.next().and_then(parse_num);
            m.rtpmap.push(RtpMap {
                payload_type: pt,
                encoding,
                clock_rate,
                channels,
            });
        }
        b"fmtp" => {
            let arg = arg.trim_ascii();
            let split = arg
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(arg.len());
            if let Some(pt) = parse_num::<u8>(arg.get(..split).unwrap_or_default()) {
                m.fmtp
                    .push((pt, text(arg.get(split..).unwrap_or_default())));
            }
        }
        b"ptime" => m.ptime = parse_num(arg),
        b"rtcp" => m.rtcp_port = split_ws(arg).next().and_then(parse_num),
        b"rtcp-mux" => m.rtcp_mux = true,
        b"crypto" => m.crypto = true,
        b"fingerprint" => m.fingerprint = true,
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    // RFC 3264 section 10.1, with an FQDN in c= (sdp-rs rejects this).
    const OFFER: &[u8] = b"v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n\
s=\r\n\
c=IN IP4 host.atlanta.example.com\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 0 8 97\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:97 iLBC/8000\r\n\
a=fmtp:97 mode=30\r\n\
a=ptime:20\r\n\
m=video 51372 RTP/AVP 31 32\r\n\
c=IN IP6 2001:db8::5\r\n\
a=rtpmap:31 H261/90000\r\n\
a=sendonly\r\n\
a=rtcp-mux\r\n";

    #[test]
    fn reads_media_codecs_and_connections() {
        let sdp = parse(OFFER);
        assert_eq!(sdp.connection.as_deref(), Some("host.atlanta.example.com"));
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!((audio.port, audio.proto.as_str()), (49170, "RTP/AVP"));
        assert_eq!(audio.formats, ["0", "8", "97"]);
        assert_eq!(audio.codec_name(97).as_deref(), Some("iLBC"));
        assert_eq!(audio.fmtp, [(97, "mode=30".to_owned())]);
        assert_eq!(audio.ptime, Some(20));
        assert_eq!(audio.direction, Direction::SendRecv);
        let video = &sdp.media[1];
        assert_eq!(video.connection.as_deref(), Some("2001:db8::5"));
        assert_eq!(video.direction, Direction::SendOnly);
        assert!(video.rtcp_mux);
        assert_eq!(video.codec_name(32).as_deref(), Some("MPV"));
    }

    #[test]
    fn garbage_and_truncation_never_panic() {
        for n in 0..OFFER.len() {
            let _ = parse(&OFFER[..n]);
        }
        let sdp = parse(b"m=\na=rtpmap:\na=rtpmap:999 X\nc=IN\n=\n\xff\xfe");
        assert_eq!(sdp.media.len(), 1);
        assert!(sdp.media[0].rtpmap.is_empty());
    }

    /// The reading before the memo: every line in turn.
    fn line_by_line(body: &[u8]) -> Sdp {
        let mut sdp = Sdp::default();
        let mut session_direction = Direction::SendRecv;
        for raw in lines(body) {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if let (Some(&kind), Some(b'=')) = (line.first(), line.get(1)) {
                line_into(kind, &line[2..], &mut sdp, &mut session_direction);
            }
        }
        let session_conn = sdp.connection.clone();
        for m in &mut sdp.media {
            if m.connection.is_none() {
                m.connection.clone_from(&session_conn);
            }
        }
        sdp
    }

    #[test]
    fn a_section_from_the_memo_is_what_reading_it_gives() {
        let base: &[u8] = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\nm=video 0 RTP/AVP 31\nc=IN IP4 192.0.2.9\nm=image 9 udptl t38\na=sendonly";
        let mut cases: Vec<Vec<u8>> = [
            &b"m=audio 1 RTP/AVP 0\na=sendonly"[..],
            b"m=audio 2 RTP/AVP 0\na=sendonlym=video 3 x",
            b"m=audio 2 RTP/AVP 0\na=sendonly\nm=video 3 x",
            b"m=audio 2 RTP/AVP 0\na=sendonly\no=x\n",
            b"m=audio 3 RTP/AVP 0\na=sendonly\no=x\n",
            b"m=audio  RTP/AVP 0\na=sendonly",
            b"m=audio\n1 RTP/AVP 0\na=sendonly",
            b"m=audio 1\r\n",
            b"m=audio 77\r\n",
            b"m=audio 77/2 RTP/AVP 0\r\n",
            b"m=audio 1/2 RTP/AVP 0\r\n",
            b"m=audio 99999 RTP/AVP 0\r\n",
            b"m=audio 1\x85 RTP/AVP 0\r\n",
        ]
        .iter()
        .map(|b| b.to_vec())
        .collect();
        for port in ["1", "65535", "x", "0001", "65536"] {
            cases.push(
                String::from_utf8_lossy(base)
                    .replace("4000", port)
                    .into_bytes(),
            );
        }
        cases.extend(crate::sip::mutations(
            base,
            &[b'\n', b'\r', b' ', b'1', b'm', b'o', b'c', b'a', b'=', 0xff],
        ));
        let mut memo = Sections {
            kept: Vec::new(),
            next: 0,
        };
        let mut hits = 0;
        for _ in 0..2 {
            for body in &cases {
                let want = line_by_line(body);
                assert_eq!(parse_in(body, None), want, "{body:?}");
                hits += usize::from(
                    body.starts_with(b"m=") && memo.find(body, 0, Direction::SendRecv).is_some(),
                );
                assert_eq!(parse_in(body, Some(&mut memo)), want, "{body:?}");
                assert!(memo.kept.len() <= SECTIONS_KEPT);
            }
        }
        assert!(hits > 10, "{hits}");
        // The thread's memo too.
        for body in &cases {
            assert_eq!(parse(body), line_by_line(body), "{body:?}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod reading_tests {
    /// Words an SDP may hold, and bytes that may break them.
    fn words() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = [
            "",
            "0",
            "8",
            "97",
            "255",
            "256",
            "65535",
            "65536",
            "4294967295",
            "4294967296",
            "0000000001",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "+5",
            "-1",
            " 7",
            "7 ",
            "\x0b7",
            "7\u{a0}",
            "1e3",
            "PCMU",
            " PCMU ",
            "\u{3000}opus\u{85}",
            "a\u{fffd}b",
            "mode=30",
            "RTP/AVP",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        for bad in [
            &b"\xff"[..],
            b"\xe2\x82",
            b"\xc3",
            b"a\xf0\x9f\x98",
            b"\xed\xa0\x80 x",
        ] {
            out.push(bad.to_vec());
            out.push([b"12", bad].concat());
            out.push([bad, b" 12 "].concat());
        }
        out
    }

    #[test]
    fn numbers_read_as_the_standard_parser_reads_them() {
        fn standard<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
            std::str::from_utf8(b).ok()?.trim().parse().ok()
        }
        for w in words() {
            assert_eq!(super::parse_num::<u8>(&w), standard::<u8>(&w), "{w:?}");
            assert_eq!(super::parse_num::<u16>(&w), standard::<u16>(&w), "{w:?}");
            assert_eq!(super::parse_num::<u32>(&w), standard::<u32>(&w), "{w:?}");
        }
    }

    #[test]
    fn text_is_the_lossy_trimmed_text() {
        for w in words() {
            assert_eq!(
                super::text(&w),
                String::from_utf8_lossy(&w).trim().to_owned(),
                "{w:?}"
            );
        }
    }

    #[test]
    fn lines_are_the_pieces_between_newlines() {
        for body in [
            &b""[..],
            b"\n",
            b"\n\n",
            b"a",
            b"a\n",
            b"\na",
            b"a\r\nb\r\n\r\nc",
            b"\nx\n\ny",
            b"v=0\r\nm=x\r\n\r\nz",
            b"INVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nbody\n",
        ] {
            let ours: Vec<&[u8]> = super::lines(body).collect();
            let split: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
            assert_eq!(ours, split, "{body:?}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod address_tests {
    #[test]
    fn media_addresses_follow_session_and_media_connections() {
        let sdp = b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\nm=audio 5000 RTP/AVP 8\r\nc=IN IP6 2001:db8::5\r\nm=audio 6000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
        let got: Vec<String> = super::media_addresses(sdp)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, ["192.0.2.1:4000", "[2001:db8::5]:5000"]);
        assert!(super::media_addresses(b"m=audio\r\nc=IN").is_empty());
    }

    /// The reading `media_addresses` replaced: every line in turn, words
    /// by `split`, numbers and addresses by the standard parsers.
    fn line_by_line(body: &[u8]) -> Vec<SocketAddr> {
        let words = |b: &'_ [u8]| {
            b.split(u8::is_ascii_whitespace)
                .filter(|s| !s.is_empty())
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        };
        let first = |w: &[u8]| w.split(|b| *b == b'/').next().unwrap_or(w).to_vec();
        let text = |w: Vec<u8>| String::from_utf8(w).ok();
        let mut out = Vec::new();
        let mut session: Option<IpAddr> = None;
        let mut current: Option<(u16, Option<IpAddr>)> = None;
        let flush = |m: Option<(u16, Option<IpAddr>)>, session, out: &mut Vec<SocketAddr>| {
            if let Some((port, own)) = m
                && let Some(ip) = own.or(session)
                && port != 0
                && !IpAddr::is_unspecified(&ip)
            {
                out.push(SocketAddr::new(ip, port));
            }
        };
        for raw in body.split(|b| *b == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            match (line.first(), line.get(1)) {
                (Some(b'm'), Some(b'=')) => {
                    flush(current.take(), session, &mut out);
                    let port = words(&line[2..])
                        .get(1)
                        .and_then(|w| text(first(w)))
                        .and_then(|t| t.trim().parse::<u16>().ok());
                    current = port.map(|p| (p, None));
                }
                (Some(b'c'), Some(b'=')) => {
                    let a = words(&line[2..])
                        .get(2)
                        .and_then(|w| text(first(w)))
                        .and_then(|t| t.parse::<IpAddr>().ok());
                    match current.as_mut() {
                        Some((_, own)) => *own = a,
                        None => session = a,
                    }
                }
                _ => {}
            }
        }
        flush(current, session, &mut out);
        out
    }

    use std::net::{IpAddr, SocketAddr};

    #[test]
    fn media_addresses_read_every_spelling_as_the_standard_parsers_do() {
        let base: &[u8] = b"v=0\r\no=- 1 1 IN IP4 198.18.0.136\r\ns=-\r\nc=IN IP4 198.18.0.136\r\nt=0 0\r\nm=audio 14190 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\nm=video 5004/2 RTP/AVP 31\nc=IN IP6 2001:db8::5\nm=image 6000 udptl t38\r\nc=IN IP4 10.1.2.3/127\r\n";
        let mut cases: Vec<Vec<u8>> = [
            "c=IN IP4 01.2.3.4\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 1.2.3.4.5\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 256.1.1.1\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 1.2.3\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 1..2.3\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 0.0.0.0\nm=audio 1 RTP/AVP 0",
            "c=IN IP4 255.255.255.255\nm=audio +5060 RTP/AVP 0",
            "c=IN IP4 9.9.9.9\nm=audio 005060 RTP/AVP 0",
            "c=IN IP4 9.9.9.9\nm=audio 65536 RTP/AVP 0",
            "c=IN IP4 9.9.9.9\nm=audio 65535 RTP/AVP 0",
            "c=IN IP4 9.9.9.9\nm=audio 0000000001 RTP/AVP 0",
            "c=IN IP4 ::ffff:1.2.3.4\nm=audio 7 x",
            "c=IN\tIP4\x0c1.2.3.4\nm=audio\t\t8 x",
            "m=audio 9 x\nc=IN IP4 1.2.3.4\r",
            "\nm=audio 9 x\r\n\r\nc=IN IP4 1.2.3.4\r\n",
            "c=IN IP4 1.2.3.4\nm=audio 9\u{85} x\nm=audio 10",
            "c=IN IP4 1.2.3.4\nm=a 1\nm=b 2\nm=c 3\nc=IN IP4 5.6.7.8\nm=d 4",
            // The spellings read without counting words, and their neighbours.
            "c=IN IP4 1.2.3.4/127/2 x\nm=audio 5/2 RTP/AVP 0",
            "c=IN IP4  1.2.3.4\nm=audio  5 x",
            "c=IN IP4 \t1.2.3.4\nm=audio \t5 x",
            "c=IN IP4 /1.2.3.4\nm=audio /5 x",
            "c=IN IP4 1.2.3.4\tx\nm= audio 5 x",
            "c=IN IP4 \nm=audio \nc=IN IP4 1.2.3.4\nm=audio 6",
            "c=IN IP4 1.2.3.4\nm=audio 7\r\nm=audio 8 \r\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Every byte of a real SDP replaced, removed, or the body cut there.
        cases.extend(crate::sip::mutations(
            base,
            &[
                b'\n', b'\r', b' ', b'/', b'0', b'.', b':', b'm', b'c', b'=', 0xff,
            ],
        ));
        for body in &cases {
            let want = line_by_line(body);
            assert_eq!(super::media_addresses(body).to_vec(), want, "{body:?}");
            let capped = super::media_addresses_upto(body, 2).map(|a| a.to_vec());
            assert_eq!(capped, (want.len() <= 2).then_some(want), "{body:?}");
        }
    }
}

#[cfg(test)]
mod quad_tests {
    #[test]
    fn a_dotted_quad_is_read_as_the_standard_parser_reads_it() {
        let parts = [
            "0", "1", "9", "10", "01", "00", "255", "256", "999", "1000", "", "a", " 1",
        ];
        for a in parts {
            for b in parts {
                for text in [
                    format!("{a}.{b}.{a}.{b}"),
                    format!("1.2.{a}.{b}"),
                    format!("{a}.{b}.3"),
                    format!("1.2.3.4.{a}"),
                    format!("{a}{b}"),
                    format!("1.2.3.{a}{b}"),
                ] {
                    let want = text
                        .parse::<std::net::Ipv4Addr>()
                        .ok()
                        .map(|ip| ip.octets());
                    assert_eq!(super::dotted_quad(text.as_bytes()), want, "{text}");
                }
            }
        }
    }
}
