//! What a message's bytes say once parsed (its SDP, its Warning, a strict
//! parser's verdict), kept so that drawing never parses nor reads the capture
//! file again for a message it has already shown.
//!
//! Parsed on first use, not at ingest: the capture path stays as it was, and
//! only the messages a person looks at (or a report reads) are parsed. The
//! cache is bounded ([`CAPACITY`] messages) and emptied when full.

use std::io;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::message::{Addr, RawLoc};
use super::{Message, Model};
use crate::hash::Map;
use crate::sip::sdp::Sdp;
use crate::sip::strict::Verdict;

/// Messages whose parse is kept at once: far more than a screen shows.
pub const CAPACITY: usize = 4096;

/// One message, parsed.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The SDP, when the message carries one.
    pub sdp: Option<Sdp>,
    /// [`Sdp::summary`] of it, for the ladder's arrows and the message pane
    /// (made when first asked: a report never asks).
    sdp_summary: OnceLock<Option<String>>,
    /// The body's bytes when it is SDP (as written); not kept by a
    /// diagnosis's own parse ([`crate::model::findings::Context::parsed`]).
    pub sdp_body: Option<Box<[u8]>>,
    /// The Warning header's text, if any.
    pub warning: Option<String>,
    /// A response's reason phrase as sent, when it is not the standard one
    /// ([`Message::own_reason`]); lossily UTF-8, not escaped.
    pub reason: Option<String>,
    /// rsip's and sdp-rs's opinion, made when first asked (it is dear).
    strict: OnceLock<Verdict>,
}

/// Which message an entry is for. A message's bytes never change; where they
/// are (file offset, or the address of its own heap copy) names it, and its
/// time and addresses guard against an address reused after an eviction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    source: u16,
    at: u64,
    len: usize,
    inline: bool,
    ts_ns: i64,
    src: Addr,
    dst: Addr,
}

impl Key {
    fn of(m: &Message) -> Self {
        let (source, at, len, inline) = match m.raw_loc() {
            RawLoc::Inline(b) => (0, b.as_ptr().addr() as u64, b.len(), true),
            RawLoc::File {
                source,
                offset,
                len,
            } => (source, offset, len as usize, false),
        };
        Self {
            source,
            at,
            len,
            inline,
            ts_ns: m.ts_ns,
            src: m.src(),
            dst: m.dst(),
        }
    }
}

/// The bounded cache the model keeps (interior mutability: views hold `&Model`).
#[derive(Debug, Default)]
pub(crate) struct Cache {
    entries: Mutex<Map<Key, Arc<Parsed>>>,
    /// The last hop compared (the ladder shows one selected arrow's).
    hop: Mutex<Option<HopEntry>>,
}

type HopEntry = ((Key, Key), Arc<Vec<crate::sip::hop::Rewrite>>);

impl Cache {
    fn get(&self, key: &Key) -> Option<Arc<Parsed>> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: Key, p: Arc<Parsed>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, p);
    }
}

/// What `raw`, the bytes of `m`, say once parsed: what
/// [`crate::sip::SipMessage::parse_one`] reads of them, without its copy of the bytes
/// nor its media addresses (nothing here reads them).
pub(crate) fn parse(m: &Message, raw: &[u8]) -> Parsed {
    parse_with(m, raw, true)
}

/// [`parse`]; without a copy of the SDP's bytes (`sdp_body` is `None`)
/// unless `keep_body`: a diagnosis never reads them.
pub(crate) fn parse_with(m: &Message, raw: &[u8], keep_body: bool) -> Parsed {
    parse_known(m, raw, keep_body, crate::sip::headers::plain(raw).as_ref())
}

/// [`parse_with`], given what [`crate::sip::headers::plain`] read of `raw`
/// (`None`: not plain). A plain message is not scanned again: its body,
/// Content-Type and Warning are what the scanner would read (a reason
/// phrase of its own needs the scan: it is in the start line).
pub(crate) fn parse_known(
    m: &Message,
    raw: &[u8],
    keep_body: bool,
    plain: Option<&crate::sip::headers::Plain>,
) -> Parsed {
    use crate::sip::scan::{Head, MAX_MESSAGE, Span};
    let span = |r: &std::ops::Range<usize>| Span {
        start: u32::try_from(r.start).unwrap_or(u32::MAX),
        end: u32::try_from(r.end).unwrap_or(u32::MAX),
    };
    if let Some(p) = plain
        && !m.own_reason()
        && raw.len() <= MAX_MESSAGE
        && crate::sip::scan::looks_like_sip(raw)
    {
        // The scanner's framing of a datagram: Content-Length, else the
        // rest; a body cut short runs to the end.
        let available = raw.len().saturating_sub(p.body_start);
        let body_len = p.content_length.map_or(available, |n| n as usize);
        let total = p.body_start + body_len;
        if total <= MAX_MESSAGE {
            let len = if body_len > available {
                raw.len()
            } else {
                total
            };
            let head = Head {
                body: span(&(p.body_start..len)),
                content_type: span(&p.content_type),
                warning: span(&p.warning),
                ..Head::default()
            };
            return finish(m, raw, &head, len, keep_body);
        }
    }
    let crate::sip::scan::Scan::Message { head, len } =
        crate::sip::scan::scan(raw, crate::sip::scan::Framing::Datagram)
    else {
        return Parsed::default();
    };
    finish(m, raw, &head, len, keep_body)
}

/// A [`Parsed`] from what the scanner read of `raw` (`len` bytes of it are
/// the message).
fn finish(
    m: &Message,
    raw: &[u8],
    head: &crate::sip::scan::Head,
    len: usize,
    keep_body: bool,
) -> Parsed {
    let raw = raw.get(..len).unwrap_or(raw);
    let text = |s: crate::sip::scan::Span| String::from_utf8_lossy(s.get(raw)).into_owned();
    let sdp_span = crate::sip::sdp_span(raw, head);
    let body = (!sdp_span.is_empty()).then(|| sdp_span.get(raw));
    let sdp = if m.has_sdp() {
        body.map(crate::sip::sdp::parse)
    } else {
        None
    };
    let w = head.warning;
    let reason = match head.start_line {
        Some(crate::sip::StartLine::Response { reason, .. }) if m.own_reason() => {
            Some(text(reason))
        }
        _ => None,
    };
    Parsed {
        reason,
        sdp_summary: OnceLock::new(),
        sdp,
        sdp_body: body.filter(|_| keep_body).map(Box::from),
        warning: (!w.is_empty()).then(|| text(w)),
        strict: OnceLock::new(),
    }
}

/// Messages' bytes read ahead from the capture files, a stretch at a time:
/// what a report will read of a run of dialogs, in a few reads instead of
/// one per message ([`Model::prefetch`]).
#[derive(Debug, Default)]
pub struct Prefetched {
    /// Stretches of file `source` from `start`, by `(source, start)`, and
    /// where their bytes are in `bytes`.
    stretches: Vec<(u16, u64, std::ops::Range<usize>)>,
    /// The stretches' bytes, one after the other, in the first `used` (kept
    /// from one run of dialogs to the next: neither fresh pages nor zeroing
    /// each time).
    bytes: Vec<u8>,
    used: usize,
}

/// Messages closer than this in a file are read in one stretch. A gap read
/// costs its copy from the page cache (about 0.45 µs a KiB here), a read of
/// its own about 0.25 µs: on the 20,000-call capture 16 KiB made 16,621
/// reads of 158 MB in all (1.8 times the file), 2 KiB 49,301 of 64 MB.
const PREFETCH_GAP: u64 = 2 << 10;
/// The longest stretch read at once.
const PREFETCH_STRETCH: u64 = 1 << 20;
/// The most read ahead for one run of dialogs; beyond, messages are read
/// one by one when asked.
const PREFETCH_BUDGET: u64 = 16 << 20;

impl Prefetched {
    /// The bytes of `m`, when they were read ahead.
    #[must_use]
    pub fn get(&self, m: &Message) -> Option<&[u8]> {
        let super::RawLoc::File {
            source,
            offset,
            len,
        } = m.raw_loc()
        else {
            return None;
        };
        let at = self
            .stretches
            .partition_point(|(s, start, _)| (*s, *start) <= (source, offset))
            .checked_sub(1)?;
        let (s, start, range) = self.stretches.get(at)?;
        if *s != source {
            return None;
        }
        let stretch = self.bytes.get(range.clone())?;
        let from = usize::try_from(offset.checked_sub(*start)?).ok()?;
        stretch.get(from..from.checked_add(len as usize)?)
    }
}

/// `403 Wrong password or domain [Forbidden]`: a status code, its reason
/// phrase as sent, and the standard phrase in brackets where it differs
/// (alone in brackets when none was sent). Escaped, ready to show.
#[must_use]
pub fn status_text(code: u16, sent: Option<&str>) -> String {
    let standard = crate::sip::reason(code);
    let words = match sent.map(str::trim) {
        None => standard.to_owned(),
        Some(s) if s == standard || standard.is_empty() => s.to_owned(),
        Some("") => format!("[{standard}]"),
        Some(s) => format!("{s} [{standard}]"),
    };
    crate::text::escape::text(format!("{code} {words}").trim_end()).into_owned()
}

impl Model {
    /// A response's reason phrase as sent: the standard text of its code
    /// when that is what was sent (no read), else read from its bytes
    /// through the cache (the standard text if they cannot be read).
    /// `None` for a request. Not escaped.
    #[must_use]
    pub fn reason(&self, m: &Message) -> Option<std::borrow::Cow<'static, str>> {
        let code = m.status()?;
        let standard = std::borrow::Cow::Borrowed(crate::sip::reason(code));
        if !m.own_reason() {
            return Some(standard);
        }
        Some(
            self.parsed(m)
                .ok()
                .and_then(|p| p.reason.clone())
                .map_or(standard, std::borrow::Cow::Owned),
        )
    }

    /// Reads ahead into `out` (what it held before is let go) the bytes of
    /// `messages` that lie in capture files, in stretches (messages less
    /// than 2 KiB apart are read at once, at most 1 MiB a read and 16 MiB
    /// in all); a stretch that cannot be read is left out (its messages are
    /// read one by one when asked).
    pub fn prefetch<'a>(&self, messages: impl Iterator<Item = &'a Message>, out: &mut Prefetched) {
        use std::os::unix::fs::FileExt;
        let mut at: Vec<(u16, u64, u64)> = messages
            .filter_map(|m| match m.raw_loc() {
                super::RawLoc::File {
                    source,
                    offset,
                    len,
                } => Some((source, offset, offset.saturating_add(u64::from(len)))),
                super::RawLoc::Inline(_) => None,
            })
            .collect();
        at.sort_unstable();
        let mut spans: Vec<(u16, u64, u64)> = Vec::new();
        for (source, start, end) in at {
            match spans.last_mut() {
                Some((s, from, to))
                    if *s == source
                        && start <= to.saturating_add(PREFETCH_GAP)
                        && end.max(*to) - *from <= PREFETCH_STRETCH =>
                {
                    *to = end.max(*to);
                }
                _ => spans.push((source, start, end)),
            }
        }
        out.stretches.clear();
        out.used = 0;
        let mut budget = PREFETCH_BUDGET;
        for (source, from, to) in spans {
            let n = to - from;
            if n > budget {
                break;
            }
            let Some(file) = self
                .sources
                .get(usize::from(source))
                .and_then(Option::as_ref)
                .and_then(|s| s.file.as_ref())
            else {
                continue;
            };
            let Ok(len) = usize::try_from(n) else {
                continue;
            };
            let at = out.used;
            if out.bytes.len() < at + len {
                out.bytes.resize(at + len, 0);
            }
            let read = out
                .bytes
                .get_mut(at..at + len)
                .is_some_and(|buf| file.read_exact_at(buf, from).is_ok());
            if read {
                budget -= n;
                out.used += len;
                out.stretches.push((source, from, at..at + len));
            }
        }
    }

    /// What a ladder arrow says of `m` ([`Message::arrow_label_with`]), with
    /// a response's reason phrase as sent (`403 Wrong password or domain`;
    /// the standard one in brackets when none was sent). Escaped.
    #[must_use]
    pub fn arrow_label(&self, m: &Message) -> String {
        let reason = match (m.status(), self.reason(m)) {
            (Some(code), Some(r))
                if r.trim().is_empty() && !crate::sip::reason(code).is_empty() =>
            {
                format!("[{}]", crate::sip::reason(code))
            }
            (_, r) => r.unwrap_or_default().into_owned(),
        };
        crate::text::escape::text(&m.arrow_label_with(&reason)).into_owned()
    }

    /// A response's status in words for summaries ([`status_text`]): the
    /// phrase as sent, the standard one in brackets where it differs.
    #[must_use]
    pub fn status_text(&self, m: &Message) -> String {
        let code = m.status().unwrap_or(0);
        status_text(code, self.reason(m).as_deref())
    }

    /// What the box between two hops of one message rewrote
    /// ([`crate::sip::hop::rewrites`]), `before` as it reached the box and
    /// `after` as it left; kept for the last pair asked.
    ///
    /// # Errors
    /// As [`Model::raw`].
    pub fn hop_rewrites(
        &self,
        before: &Message,
        after: &Message,
    ) -> io::Result<Arc<Vec<crate::sip::hop::Rewrite>>> {
        let key = (Key::of(before), Key::of(after));
        let mut last = self
            .parsed
            .hop
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((k, r)) = last.as_ref()
            && *k == key
        {
            return Ok(Arc::clone(r));
        }
        let r = Arc::new(crate::sip::hop::rewrites(
            &self.raw(before)?,
            &self.raw(after)?,
        ));
        *last = Some((key, Arc::clone(&r)));
        Ok(r)
    }

    /// A message parsed, from the cache or now (reading its bytes back from
    /// the capture file if need be). A failed read is not kept: it is tried
    /// again next time.
    ///
    /// # Errors
    /// As [`Model::raw`].
    pub fn parsed(&self, m: &Message) -> io::Result<Arc<Parsed>> {
        let key = Key::of(m);
        if let Some(p) = self.parsed.get(&key) {
            return Ok(p);
        }
        let raw = self.raw(m)?;
        let p = Arc::new(parse(m, &raw));
        self.parsed.put(key, Arc::clone(&p));
        Ok(p)
    }

    /// What the ladder and the message pane say of a message's SDP
    /// ([`Sdp::summary`]), or `None` without SDP (or bytes).
    #[must_use]
    pub fn sdp_summary(&self, m: &Message) -> Option<String> {
        if !m.has_sdp() {
            return None;
        }
        let p = self.parsed(m).ok()?;
        p.sdp_summary
            .get_or_init(|| p.sdp.as_ref().map(Sdp::summary))
            .clone()
    }

    /// The strict parsers' verdict on a message (rsip, and sdp-rs on its
    /// SDP), made once per message. A message whose bytes cannot be read is
    /// judged as empty.
    #[must_use]
    pub fn strict_verdict(&self, m: &Message) -> Verdict {
        let Ok(p) = self.parsed(m) else {
            return crate::sip::strict::check(&[], None);
        };
        p.strict
            .get_or_init(|| {
                let raw = self
                    .raw(m)
                    .map(std::borrow::Cow::into_owned)
                    .unwrap_or_default();
                crate::sip::strict::check(&raw, p.sdp_body.as_deref())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_is_parsed_once_and_read_from_the_cache_after() {
        let model = crate::replay("tests/data/gen__hold_resume_refer_rtp.pcap").unwrap();
        let d = model.dialogs().next().unwrap();
        let m = d.messages.iter().find(|m| m.has_sdp()).unwrap();
        let a = model.parsed(m).unwrap();
        let b = model.parsed(m).unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert_eq!(a.sdp, model.sdp(m).unwrap());
        assert_eq!(
            model.sdp_summary(m),
            model.sdp(m).unwrap().map(|s| s.summary())
        );
        let other = d.messages.iter().find(|m| !m.has_sdp()).unwrap();
        assert!(model.sdp_summary(other).is_none());
        assert!(model.parsed(other).unwrap().sdp.is_none());
    }

    #[test]
    fn a_parse_says_what_the_whole_message_parse_says() {
        for file in [
            "tests/data/gen__hold_resume_refer_rtp.pcap",
            "tests/data/gen__load_udp_2000calls_200cps.pcap",
        ] {
            let model = crate::replay(file).unwrap();
            let mut sdps = 0;
            for m in model.dialogs().flat_map(|d| d.messages.iter()) {
                let raw = model.raw(m).unwrap();
                let ours = super::parse(m, &raw);
                let p = crate::sip::SipMessage::parse_one(&raw).unwrap();
                let body = p.sdp_body();
                assert_eq!(ours.sdp_body.as_deref(), body);
                assert_eq!(
                    ours.sdp,
                    body.filter(|_| m.has_sdp()).map(crate::sip::sdp::parse)
                );
                let w = p.head.warning;
                assert_eq!(ours.warning, (!w.is_empty()).then(|| p.text(w)));
                if let Some(crate::sip::StartLine::Response { reason, .. }) = p.head.start_line
                    && m.own_reason()
                {
                    assert_eq!(ours.reason, Some(p.text(reason)));
                } else {
                    assert_eq!(ours.reason, None);
                }
                sdps += usize::from(ours.sdp.is_some());
            }
            assert!(sdps >= 6, "{file}: {sdps}");
        }
    }

    /// Parse without the plain reading: the scanner's.
    fn scanned(m: &crate::model::Message, raw: &[u8]) -> super::Parsed {
        super::parse_known(m, raw, true, None)
    }

    fn same(a: &super::Parsed, b: &super::Parsed, raw: &[u8]) {
        let what = String::from_utf8_lossy(raw);
        assert_eq!(a.sdp, b.sdp, "{what}");
        assert_eq!(a.sdp_body, b.sdp_body, "{what}");
        assert_eq!(a.warning, b.warning, "{what}");
        assert_eq!(a.reason, b.reason, "{what}");
    }

    #[test]
    fn a_plain_message_parses_as_the_scanner_reads_it() {
        let mut plain = 0;
        let mut files: Vec<_> = std::fs::read_dir("tests/data")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
        files.extend(
            std::fs::read_dir("tests/data/hostile")
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "pcap")),
        );
        for file in files {
            let Ok(model) = crate::replay(&file) else {
                continue;
            };
            for m in model.dialogs().flat_map(|d| d.messages.iter()) {
                let Ok(raw) = model.raw(m) else { continue };
                plain += usize::from(crate::sip::headers::plain(&raw).is_some());
                same(&super::parse(m, &raw), &scanned(m, &raw), &raw);
            }
        }
        assert!(plain > 1000, "{plain}");
        // SDP messages with every byte replaced, removed or cut there.
        let model = crate::replay("tests/data/gen__hold_resume_refer_rtp.pcap").unwrap();
        let mut sdps = 0;
        for m in model
            .dialogs()
            .flat_map(|d| d.messages.iter())
            .filter(|m| m.has_sdp())
            .take(3)
        {
            let raw = model.raw(m).unwrap();
            for raw in crate::sip::mutations(&raw, b"\n\r :0") {
                let ours = super::parse(m, &raw);
                sdps += usize::from(ours.sdp.is_some());
                same(&ours, &scanned(m, &raw), &raw);
            }
        }
        assert!(sdps > 1000, "{sdps}");
    }

    #[test]
    fn read_ahead_bytes_are_the_messages_bytes() {
        let model = crate::replay("tests/data/gen__load_udp_2000calls_200cps.pcap").unwrap();
        let dialogs: Vec<_> = model.dialogs().collect();
        let (ahead, rest) = dialogs.split_at(dialogs.len() / 2);
        let mut p = super::Prefetched::default();
        model.prefetch(ahead.iter().flat_map(|d| d.messages.iter()), &mut p);
        let mut seen = 0;
        for d in ahead {
            for m in &d.messages {
                assert_eq!(p.get(m), Some(&*model.raw(m).unwrap()));
                seen += 1;
            }
        }
        assert!(seen > 1000, "{seen}");
        // Read again for other dialogs: what was read before is let go.
        model.prefetch(rest.iter().take(3).flat_map(|d| d.messages.iter()), &mut p);
        let first = ahead.first().unwrap().messages.first().unwrap();
        assert_eq!(p.get(first), None);
        let m = rest.first().unwrap().messages.first().unwrap();
        assert_eq!(p.get(m), Some(&*model.raw(m).unwrap()));
    }
}
