//! SIP messages: the scanner ([`scan`]), SDP ([`sdp`]), the strict RFC 3261
//! check through rsip ([`strict`]), and [`SipMessage`], the owned value the
//! capture thread hands to the model.

pub mod headers;
pub mod hop;
mod lines;
pub mod scan;
pub mod sdp;
pub mod strict;
mod swar;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::decode::{Frames, Transport};
pub use scan::{Head, Span, StartLine};

/// Media addresses a message carries worked out ([`SipMessage::media_addresses`]):
/// an SDP that announces more (a hostile one with thousands of `m=` lines)
/// keeps none, and they are read from its body again when asked, so what a
/// message holds on its way to the model stays small.
pub const MAX_MEDIA_ADDRESSES: usize = 16;

const UNSPECIFIED: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// One SIP message as captured: its bytes, where and when it travelled, the
/// scanner's spans into the bytes, and the frames that carried it.
#[derive(Debug, Clone)]
pub struct SipMessage {
    pub ts_ns: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    pub raw: Raw,
    pub head: Head,
    pub frames: Frames,
    /// `(source, offset)` when `raw` lies whole and contiguous in a capture
    /// file, so the model may drop it from memory and read it back later.
    pub raw_in_file: Option<(u16, u64)>,
    /// The HEP agent that captured it; `None` when this sipscope did.
    pub origin: Option<Origin>,
    /// Its SDP: the body, or the SDP part of a multipart body; empty when
    /// it carries none. Found once, where the message is built.
    sdp: Span,
    /// Where its SDP expects media (`sdp::media_addresses`), worked out on
    /// the capture thread; `None` when there are more than
    /// [`MAX_MEDIA_ADDRESSES`].
    media: Option<Box<[SocketAddr]>>,
    /// Whether its SDP has an `m=image` line (`None`: not known, when
    /// `media` is).
    image: Option<bool>,
}

/// A message's bytes: a range of a shared, reference-counted buffer. Read
/// from a capture file, that buffer is the reader's chunk, shared by every
/// message read from it (no copy, no allocation per message; the chunk is
/// freed, or reused by the reader, once the last of them is dropped).
/// Elsewhere (live, reassembled, HEP) a message gets a buffer of its own.
/// Whoever keeps a message's bytes for long copies them ([`Raw::to_boxed`]),
/// so that a chunk is never held by one message.
#[derive(Clone)]
pub struct Raw {
    buf: Arc<[u8]>,
    start: u32,
    end: u32,
}

impl Raw {
    /// `range` of a shared buffer (empty if it lies outside).
    #[must_use]
    pub fn shared(buf: &Arc<[u8]>, range: std::ops::Range<usize>) -> Self {
        let ok = range.start <= range.end && range.end <= buf.len();
        let (start, end) = if ok { (range.start, range.end) } else { (0, 0) };
        Self {
            buf: Arc::clone(buf),
            start: u32::try_from(start).unwrap_or(0),
            end: u32::try_from(end).unwrap_or(0),
        }
    }

    /// Keeps only its first `len` bytes (all of them if it has fewer).
    fn truncate(&mut self, len: usize) {
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.end = self.start.saturating_add(len).min(self.end);
    }

    /// The bytes copied into a buffer of their own.
    #[must_use]
    pub fn copy(bytes: &[u8]) -> Self {
        Self {
            buf: Arc::from(bytes),
            start: 0,
            end: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        }
    }

    /// The bytes, copied into an allocation of their own (to keep them).
    #[must_use]
    pub fn to_boxed(&self) -> Box<[u8]> {
        Box::from(&**self)
    }
}

impl std::ops::Deref for Raw {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.buf
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

impl AsRef<[u8]> for Raw {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// A vantage point: the HEP agent that captured a message, by its capture
/// agent id (chunk 12) and the address it sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub agent_id: Option<u32>,
    pub agent: std::net::IpAddr,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.agent_id {
            Some(id) => write!(f, "{id}@{}", self.agent),
            None => write!(f, "{}", self.agent),
        }
    }
}

impl SipMessage {
    /// Builds a message from its bytes (copied) and the scanner's spans.
    #[must_use]
    pub fn new(
        ts_ns: i64,
        addrs: (SocketAddr, SocketAddr),
        transport: Transport,
        raw: &[u8],
        head: Head,
        frames: Frames,
        raw_in_file: Option<(u16, u64)>,
    ) -> Self {
        Self::with_raw(
            ts_ns,
            addrs,
            transport,
            Raw::copy(raw),
            head,
            frames,
            raw_in_file,
        )
    }

    /// [`SipMessage::new`] with bytes already held ([`Raw::shared`]).
    /// Inline: the message is then built where the caller puts it.
    #[must_use]
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn with_raw(
        ts_ns: i64,
        (src, dst): (SocketAddr, SocketAddr),
        transport: Transport,
        raw: Raw,
        head: Head,
        frames: Frames,
        raw_in_file: Option<(u16, u64)>,
    ) -> Self {
        let sdp = sdp_span(&raw, &head);
        let (media, image) = media_of(&raw, sdp);
        Self {
            ts_ns,
            src,
            dst,
            transport,
            raw,
            head,
            frames,
            raw_in_file,
            origin: None,
            sdp,
            media,
            image,
        }
    }

    /// The SIP messages of a datagram that lies in `chunk` at `range` (the
    /// file reader's buffer), pushed on `out` as [`scan::messages`] finds
    /// them, each scanned straight into the message that holds it: its
    /// [`Head`] is written once, in place, never moved. `raw_in_file` is
    /// where the datagram lies in its capture file. Their frames are left
    /// empty. Returns how many were pushed.
    #[allow(clippy::too_many_arguments)]
    pub fn push_shared(
        out: &mut Vec<SipMessage>,
        chunk: &Arc<[u8]>,
        range: std::ops::Range<usize>,
        ts_ns: i64,
        (src, dst): (SocketAddr, SocketAddr),
        transport: Transport,
        raw_in_file: Option<(u16, u64)>,
    ) -> usize {
        let payload = chunk.get(range.clone()).unwrap_or_default();
        let mut at = 0;
        let mut pushed = 0;
        loop {
            // CRLF keep-alives between messages are skipped; what cannot
            // start a message is not given one (scan says `NotSip` on
            // this byte alone).
            while matches!(payload.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
            if !payload.get(at).is_some_and(u8::is_ascii_alphabetic) {
                break;
            }
            let rest = payload.get(at..).unwrap_or_default();
            out.push(Self {
                ts_ns,
                src,
                dst,
                transport,
                raw: Raw::shared(chunk, range.start + at..range.end),
                head: Head::default(),
                frames: Frames::new(),
                raw_in_file: None,
                origin: None,
                sdp: Span::default(),
                media: None,
                image: None,
            });
            let Some(msg) = out.last_mut() else { break };
            let scan::Scanned::Message(len) =
                scan::scan_into(rest, scan::Framing::Datagram, &mut msg.head)
            else {
                out.pop();
                break;
            };
            msg.raw.truncate(len);
            msg.raw_in_file = raw_in_file.map(|(s, o)| (s, o + at as u64));
            msg.sdp = sdp_span(&msg.raw, &msg.head);
            (msg.media, msg.image) = media_of(&msg.raw, msg.sdp);
            pushed += 1;
            at += len.max(1);
        }
        pushed
    }

    /// Re-reads one message from its bytes (for a view, a report or export:
    /// not the capture path). Endpoints and frames are left empty.
    #[must_use]
    pub fn parse_one(raw: &[u8]) -> Option<Self> {
        match scan::scan(raw, scan::Framing::Datagram) {
            scan::Scan::Message { head, len } => Some(Self::new(
                0,
                (UNSPECIFIED, UNSPECIFIED),
                Transport::Udp,
                raw.get(..len).unwrap_or(raw),
                head,
                Frames::new(),
                None,
            )),
            _ => None,
        }
    }

    fn span(&self, s: scan::Span) -> &[u8] {
        s.get(&self.raw)
    }

    /// The method of a request.
    #[must_use]
    pub fn method(&self) -> Option<&[u8]> {
        match self.head.start_line? {
            StartLine::Request { method, .. } => Some(self.span(method)),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self.head.start_line? {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    #[must_use]
    pub fn call_id(&self) -> &[u8] {
        self.span(self.head.call_id)
    }

    #[must_use]
    pub fn cseq_method(&self) -> &[u8] {
        self.span(self.head.cseq_method)
    }

    #[must_use]
    pub fn body(&self) -> &[u8] {
        self.span(self.head.body)
    }

    /// A header value by the scanner's span, lossily as text.
    #[must_use]
    pub fn text(&self, s: scan::Span) -> String {
        String::from_utf8_lossy(self.span(s)).into_owned()
    }

    /// Does its SDP have a line starting `m=image` (a fax offer)? `None`
    /// when that was not worked out (an SDP with more than
    /// [`MAX_MEDIA_ADDRESSES`] media): the caller looks for itself.
    #[must_use]
    pub fn sdp_has_image(&self) -> Option<bool> {
        self.image
    }

    /// Does it carry SDP: its body (by Content-Type, or by its first
    /// line), or one part of a multipart body?
    #[must_use]
    pub fn has_sdp(&self) -> bool {
        !self.sdp.is_empty()
    }

    /// The media addresses found when the message was built, if they were
    /// held (none for an SDP naming more than `MAX_MEDIA_ADDRESSES`): what
    /// the model reads ahead, never parsing again.
    #[must_use]
    pub fn held_media_addresses(&self) -> &[SocketAddr] {
        self.media.as_deref().unwrap_or_default()
    }

    /// The SDP body, also when it is one part of a multipart body.
    #[must_use]
    pub fn sdp_body(&self) -> Option<&[u8]> {
        (!self.sdp.is_empty()).then(|| self.span(self.sdp))
    }

    /// Where its SDP expects media ([`sdp::media_addresses`]; empty without
    /// SDP): worked out when the message was built, or read from the body
    /// now when it announces more than [`MAX_MEDIA_ADDRESSES`].
    #[must_use]
    pub fn media_addresses(&self) -> std::borrow::Cow<'_, [SocketAddr]> {
        match &self.media {
            Some(addrs) => std::borrow::Cow::Borrowed(addrs),
            None => std::borrow::Cow::Owned(sdp::media_addresses(self.span(self.sdp)).into_vec()),
        }
    }
}

/// Where the SDP of a message lies: its body when that is SDP (by
/// Content-Type, or by its first line when there is none), else the SDP
/// part of a multipart body; empty when there is none.
/// Where the SDP at `sdp` in `raw` expects media ([`SipMessage::media`]'s
/// field: none when there is no SDP, `None` past [`MAX_MEDIA_ADDRESSES`]),
/// and whether it has an `m=image` line (not known in the latter case).
#[inline]
fn media_of(raw: &[u8], sdp: Span) -> (Option<Box<[SocketAddr]>>, Option<bool>) {
    if sdp.is_empty() {
        return (Some(Box::default()), Some(false));
    }
    match sdp::media_lines_upto(sdp.get(raw), MAX_MEDIA_ADDRESSES) {
        Some((addrs, image)) => (Some(Box::from(addrs.as_slice())), Some(image)),
        None => (None, None),
    }
}

pub(crate) fn sdp_span(raw: &[u8], head: &Head) -> Span {
    let body = head.body.get(raw);
    if body.is_empty() {
        return Span::default();
    }
    let ct = head.content_type.get(raw);
    // As written (nearly always) before any case-blind comparison.
    let starts = |p: &[u8]| {
        ct.get(..p.len())
            .is_some_and(|c| c == p || c.eq_ignore_ascii_case(p))
    };
    if starts(b"application/sdp") || (ct.is_empty() && sdp::looks_like_sdp(body)) {
        return head.body;
    }
    if !starts(b"multipart/") {
        return Span::default();
    }
    let Some(at) = memchr::memmem::find(body, b"\nv=0") else {
        return Span::default();
    };
    let rest = body.get(at + 1..).unwrap_or_default();
    let end = memchr::memmem::find(rest, b"\n--").map_or(rest.len(), |e| e + 1);
    let start = head.body.start as usize + at + 1;
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(start + end).unwrap_or(u32::MAX),
    }
}

/// The standard reason phrase of a status code (RFC 3261 and friends).
#[must_use]
pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(content_type: &str, body: &str) -> SipMessage {
        let raw = format!(
            "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        SipMessage::parse_one(raw.as_bytes()).unwrap()
    }

    #[test]
    fn messages_scanned_in_place_are_the_pipelined_messages_of_a_datagram() {
        let one = "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nCall-ID: one\r\nCSeq: 7 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nContent-Length: 0\r\n\r\n";
        let sdp = "v=0\r\nc=IN IP4 192.0.2.9\r\nm=audio 4002 RTP/AVP 0\r\n";
        let two = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKb\r\nCall-ID: two\r\nCSeq: 8 INVITE\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        // Bytes before and after the datagram in the chunk, CRLF between
        // its messages, and garbage after them.
        let chunk: Arc<[u8]> = format!("xx{one}\r\n{two}\x01junkyy").into_bytes().into();
        let range = 2..chunk.len() - 2;
        let addrs = (
            "192.0.2.1:5060".parse().unwrap(),
            "192.0.2.2:5060".parse().unwrap(),
        );
        let mut out = Vec::new();
        let n = SipMessage::push_shared(
            &mut out,
            &chunk,
            range,
            5,
            addrs,
            Transport::Udp,
            Some((3, 100)),
        );
        assert_eq!(n, 2);
        assert_eq!(&*out[0].raw, one.as_bytes());
        assert_eq!(&*out[1].raw, two.as_bytes());
        assert_eq!(out[0].call_id(), b"one");
        assert_eq!(out[1].call_id(), b"two");
        assert_eq!(out[0].head.cseq_num, Some(7));
        assert_eq!(out[1].status(), Some(200));
        assert_eq!(out[0].raw_in_file, Some((3, 100)));
        assert_eq!(out[1].raw_in_file, Some((3, 100 + one.len() as u64 + 2)));
        assert_eq!(out[1].sdp_body(), Some(sdp.as_bytes()));
        assert_eq!(
            out[1].media_addresses().to_vec(),
            ["192.0.2.9:4002".parse().unwrap()]
        );
        assert!(out.iter().all(|m| m.ts_ns == 5 && m.frames.is_empty()));
        // Nothing that is SIP: nothing pushed.
        let rtp: Arc<[u8]> = Arc::from(&[0x80u8, 0, 1, 2][..]);
        assert_eq!(
            SipMessage::push_shared(&mut out, &rtp, 0..4, 0, addrs, Transport::Udp, None),
            0
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_message_stays_within_384_bytes() {
        // Batches of 512 messages travel to the model: what the flag for
        // fax offers added had to fit in the padding.
        assert!(std::mem::size_of::<SipMessage>() <= 384);
    }

    #[test]
    fn an_image_line_is_seen_where_the_media_are_read() {
        let fax = message(
            "application/sdp",
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\nm=image 4002 udptl t38\r\n",
        );
        assert_eq!(fax.sdp_has_image(), Some(true));
        let audio = message(
            "application/sdp",
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=x:m=image\r\n",
        );
        assert_eq!(audio.sdp_has_image(), Some(false));
        assert_eq!(message("text/plain", "hi").sdp_has_image(), Some(false));
    }

    #[test]
    fn the_sdp_and_its_addresses_are_found_when_the_message_is_built() {
        let m = message(
            "application/SDP",
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
        );
        assert!(m.has_sdp());
        assert_eq!(
            m.media_addresses().to_vec(),
            ["192.0.2.1:4000".parse().unwrap()]
        );
        let multipart = "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 0\r\n--b--\r\n";
        let m = message("multipart/mixed;boundary=b", multipart);
        assert_eq!(
            m.sdp_body(),
            Some(&b"v=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 0\r\n"[..])
        );
        assert_eq!(
            m.media_addresses().to_vec(),
            ["192.0.2.2:5000".parse().unwrap()]
        );
        let m = message(
            "text/plain",
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
        );
        assert!(!m.has_sdp());
        assert!(m.sdp_body().is_none());
        assert!(m.media_addresses().is_empty());
    }

    #[test]
    fn an_sdp_with_thousands_of_media_keeps_none_and_reads_them_when_asked() {
        let mut body = String::from("v=0\r\nc=IN IP4 192.0.2.1\r\n");
        for port in 1000..6000 {
            body += "m=audio ";
            body += &port.to_string();
            body += " RTP/AVP 0\r\n";
        }
        let m = message("application/sdp", &body);
        assert!(m.media.is_none(), "no more than {MAX_MEDIA_ADDRESSES} held");
        let addrs = m.media_addresses();
        assert_eq!(addrs.len(), 5000);
        assert_eq!(addrs[4999], "192.0.2.1:5999".parse().unwrap());
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn what_travels_to_the_model_stays_small() {
        let (msg, head) = (
            std::mem::size_of::<super::SipMessage>(),
            std::mem::size_of::<super::Head>(),
        );
        println!("SipMessage {msg} bytes, Head {head} bytes");
        assert!(msg <= 384 && head <= 160, "SipMessage {msg}, Head {head}");
    }
}

/// For tests comparing two readings of the same bytes: `base` with each
/// byte replaced by each of `with`, each byte removed, and cut before and
/// after each byte.
#[cfg(test)]
pub(crate) fn mutations(base: &[u8], with: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..base.len() {
        for &b in with {
            let mut v = base.to_vec();
            v[i] = b;
            out.push(v);
        }
        let mut v = base.to_vec();
        v.remove(i);
        out.push(v);
        out.push(base[..i].to_vec());
        out.push(base[i..].to_vec());
    }
    out
}
