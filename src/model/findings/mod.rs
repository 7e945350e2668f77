//! Conclusions about a call, typed: why it failed and what the capture shows
//! of it. Each comes from a [`Rule`], a function over a dialog's
//! [`Context`]; views and reports only present them (style, words, JSON).
//!
//! A finding names its evidence by index: messages in the dialog's
//! `messages`, streams in [`Model::streams_of`]'s order (the report's
//! `rtp_streams`). Rule ids are stable kebab-case strings (the catalogue in
//! [`catalogue::CATALOGUE`], after docs/diagnosis.md): scripts match on them.
//!
//! Evidence, not verdicts: a rule that needs a timer to have fired says
//! nothing (or says it at a lower severity) when the capture ends before it
//! could; a capture that sees one side only lowers what depends on the other
//! (`capture-coverage`).
//!
//! Findings are worked out when asked (a report, a view) and kept per dialog
//! until the dialog changes ([`Model::findings`]): drawing never recomputes
//! them, and the capture path never runs them.
//!
//! To add a rule: write `fn(&Context) -> Vec<Finding>`, list it in
//! [`RULES`] and describe it in the catalogue.

pub mod catalogue;
mod extra;
mod hold_resume;
mod in_dialog;
mod media;
mod network;
mod payload;
mod record_route;
mod registration;
mod rewritten;
mod signalling;
#[cfg(test)]
mod tests;
mod transactions;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use super::media::RtpStream;
use super::sdp_diff::SdpChange;
use super::{Dialog, DialogId, Message, Method, Model, Parsed, Prefetched};
use crate::hash::Map;
use crate::sip::headers::Lines;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, or what the capture cannot decide.
    Info,
    /// Something may be wrong (media one way, loss, a slow answer).
    Warning,
    /// The call failed, or cannot work as set up.
    Error,
}

impl Severity {
    /// The name reports use: `error`, `warning`, `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// One step less (what a capture that cannot show it all makes of it).
    #[must_use]
    pub fn lower(self) -> Self {
        match self {
            Self::Error => Self::Warning,
            Self::Warning | Self::Info => Self::Info,
        }
    }
}

/// One conclusion about a dialog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable kebab-case id of the rule (`ack-missing`).
    pub rule: &'static str,
    pub severity: Severity,
    /// One line for people, with the figures that say so.
    pub summary: String,
    /// What the rule means (from the catalogue).
    pub explanation: &'static str,
    /// What to try (from the catalogue).
    pub fix: &'static str,
    /// Indices in the dialog's messages that show it.
    pub messages: Vec<usize>,
    /// Indices in the dialog's streams ([`Model::streams_of`]) that show it.
    pub streams: Vec<usize>,
}

impl Finding {
    /// A finding of rule `rule`, its explanation and fix from the catalogue.
    #[must_use]
    pub fn new(rule: &'static str, severity: Severity, summary: String) -> Self {
        let info = catalogue::info(rule);
        Self {
            rule,
            severity,
            summary,
            explanation: info.map_or("", |i| i.explanation),
            fix: info.map_or("", |i| i.fix),
            messages: Vec::new(),
            streams: Vec::new(),
        }
    }

    /// With these messages as evidence (sorted, each once).
    #[must_use]
    pub fn messages(mut self, mut m: Vec<usize>) -> Self {
        m.sort_unstable();
        m.dedup();
        self.messages = m;
        self
    }

    /// With these streams as evidence.
    #[must_use]
    pub fn streams(mut self, s: Vec<usize>) -> Self {
        self.streams = s;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.summary)
    }
}

/// What rules look at: one dialog, its streams and its SDP changes, worked
/// out once for all rules.
pub struct Context<'m> {
    pub model: &'m Model,
    pub dialog: &'m Dialog,
    /// In [`Model::streams_of`]'s order: finding stream indices point here.
    pub streams: Vec<&'m RtpStream>,
    pub sdp_changes: Vec<SdpChange>,
    /// Capture time now: the end of a file, the newest packet live.
    pub now_ns: i64,
    /// Messages' bytes the rules read, by index, with their header lines
    /// once found.
    raws: RefCell<Vec<Seen<'m>>>,
    /// Messages parsed (from those bytes), by index; `None` when the bytes
    /// could not be read.
    parses: RefCell<Vec<(usize, Option<Arc<Parsed>>)>>,
    /// Bytes read ahead for a run of dialogs (a report), looked at before
    /// the file.
    prefetched: Option<&'m Prefetched>,
    /// [`Context::silent_peers`], once worked out.
    silent: std::cell::OnceCell<Vec<super::Addr>>,
    /// The dialog's transactions (`signalling::transactions`), once found:
    /// several rules walk them.
    transactions: std::cell::OnceCell<Vec<(usize, &'m Message, u32, Method)>>,
    /// Why the call failed (`signalling::call_failure`), once found.
    failure: std::cell::OnceCell<Option<(usize, usize, &'m Message)>>,
}

/// A message's bytes as the rules read them: read ahead for a run of
/// dialogs, held by the model, or read from the capture file (shared by
/// the rules that read one message).
#[derive(Clone)]
enum Bytes<'m> {
    Ahead(&'m [u8]),
    Held(&'m [u8]),
    Read(Rc<[u8]>),
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Ahead(b) | Self::Held(b) => b,
            Self::Read(r) => r,
        }
    }
}

/// A message the rules read: its index, its bytes, and its header lines
/// once a rule or its parse asked for them.
struct Seen<'m> {
    at: usize,
    bytes: Bytes<'m>,
    lines: Option<Rc<Lines>>,
}

/// A message's bytes with its header lines found ([`Context::headers`]):
/// lookups as [`crate::sip::headers`] makes them, without walking the
/// lines again for each.
pub(super) struct Headers<'m> {
    bytes: Bytes<'m>,
    lines: Rc<Lines>,
}

impl Headers<'_> {
    /// [`crate::sip::headers::values`].
    pub(super) fn values<'a>(
        &'a self,
        name: &'a str,
        compact: Option<u8>,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.lines.values(&self.bytes, name, compact)
    }

    /// [`crate::sip::headers::first`].
    pub(super) fn first<'a>(&'a self, name: &'a str, compact: Option<u8>) -> Option<&'a [u8]> {
        self.lines.first(&self.bytes, name, compact)
    }

    /// [`crate::sip::headers::has`].
    pub(super) fn has(&self, name: &str, compact: Option<u8>) -> bool {
        self.first(name, compact).is_some()
    }

    /// [`crate::sip::headers::body`].
    pub(super) fn body(&self) -> &[u8] {
        self.lines.body(&self.bytes)
    }
}

/// 64 × T1: Timers B, F and H, and the 2xx retransmission limit.
pub const TIMER_64T1_NS: i64 = 32_000_000_000;

impl<'m> Context<'m> {
    /// The context of `d` in `model`, at capture time `now_ns`.
    #[must_use]
    pub fn new(model: &'m Model, d: &'m Dialog, now_ns: i64) -> Self {
        Self::with_prefetched(model, d, now_ns, None)
    }

    /// [`Context::new`], reading messages' bytes from `prefetched` where
    /// they are.
    #[must_use]
    pub fn with_prefetched(
        model: &'m Model,
        d: &'m Dialog,
        now_ns: i64,
        prefetched: Option<&'m Prefetched>,
    ) -> Self {
        let mut cx = Self {
            model,
            dialog: d,
            streams: model.streams_of(d).collect(),
            sdp_changes: Vec::new(),
            now_ns: now_ns.max(model.now_ns()),
            raws: RefCell::new(Vec::new()),
            parses: RefCell::new(Vec::new()),
            prefetched,
            silent: std::cell::OnceCell::new(),
            transactions: std::cell::OnceCell::new(),
            failure: std::cell::OnceCell::new(),
        };
        cx.sdp_changes = super::sdp_diff::sdp_changes_of(d, |i| cx.parsed(i));
        cx
    }

    /// Message `i` parsed ([`Model::parsed`], without a copy of its SDP's
    /// bytes: `sdp_body` is `None`), from the bytes the rules read: each
    /// message is read and parsed once per diagnosis. `None` when its bytes
    /// cannot be read.
    pub fn parsed(&self, i: usize) -> Option<Arc<Parsed>> {
        if let Some((_, p)) = self.parses.borrow().iter().find(|(at, _)| *at == i) {
            return p.clone();
        }
        let m = self.msgs().get(i)?;
        let p = self.raw(i).map(|raw| {
            // One walk of the header lines for the parse and the rules.
            let plain = crate::sip::headers::plain(&raw);
            let p = super::parsed::parse_known(m, &raw, false, plain.as_ref());
            if let Some(plain) = plain
                && let Some(seen) = self.raws.borrow_mut().iter_mut().find(|s| s.at == i)
                && seen.lines.is_none()
            {
                seen.lines = Some(Rc::new(plain.lines));
            }
            Arc::new(p)
        });
        self.parses.borrow_mut().push((i, p.clone()));
        p
    }

    /// A response's reason phrase as sent ([`Model::reason`]), from
    /// [`Context::parsed`].
    #[must_use]
    pub fn reason(&self, i: usize) -> Option<Cow<'static, str>> {
        let m = self.msgs().get(i)?;
        let code = m.status()?;
        let standard = Cow::Borrowed(crate::sip::reason(code));
        if !m.own_reason() {
            return Some(standard);
        }
        Some(
            self.parsed(i)
                .and_then(|p| p.reason.clone())
                .map_or(standard, Cow::Owned),
        )
    }

    /// [`Model::status_text`] of `m`, one of the dialog's messages, from
    /// [`Context::parsed`].
    fn status_text(&self, m: &Message) -> String {
        let Some(i) = self.msgs().iter().position(|x| std::ptr::eq(x, m)) else {
            return self.model.status_text(m);
        };
        crate::model::status_text(m.status().unwrap_or(0), self.reason(i).as_deref())
    }

    fn msgs(&self) -> &'m [Message] {
        &self.dialog.messages
    }

    /// The SDPs of the dialog's messages, retransmissions left out: each
    /// message's index and its SDP, parsed ([`Context::parsed`]).
    fn sdps(&self) -> impl Iterator<Item = (usize, media::SdpOf)> + '_ {
        self.msgs()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.has_sdp() && !m.retransmission())
            .filter_map(|(i, _)| Some((i, media::sdp_of(self, i)?)))
    }

    /// A message's bytes, when they can still be read: where they were
    /// read ahead, or read from the capture file, once per diagnosis
    /// (several rules read one message).
    fn raw(&self, i: usize) -> Option<Bytes<'m>> {
        let m = self.msgs().get(i)?;
        // The few messages already read first: a search through what was
        // read ahead for the whole run of dialogs costs more.
        if let Some(s) = self.raws.borrow().iter().find(|s| s.at == i) {
            return Some(s.bytes.clone());
        }
        let r = if let Some(b) = self.prefetched.and_then(|p| p.get(m)) {
            Bytes::Ahead(b)
        } else {
            match self.model.raw(m).ok()? {
                Cow::Borrowed(b) => Bytes::Held(b),
                Cow::Owned(v) => Bytes::Read(Rc::from(v)),
            }
        };
        self.raws.borrow_mut().push(Seen {
            at: i,
            bytes: r.clone(),
            lines: None,
        });
        Some(r)
    }

    /// Message `i`'s bytes with its header lines, found once per diagnosis
    /// (several rules read one message's headers).
    fn headers(&self, i: usize) -> Option<Headers<'m>> {
        let bytes = self.raw(i)?;
        let mut raws = self.raws.borrow_mut();
        let seen = raws.iter_mut().find(|s| s.at == i)?;
        let lines = seen
            .lines
            .get_or_insert_with(|| Rc::new(Lines::of(&bytes)))
            .clone();
        Some(Headers { bytes, lines })
    }

    /// What `f` makes of the first value of a header of message `i`
    /// ([`crate::sip::headers::first`]): from its header lines when a rule
    /// or its parse found them, else by a walk that stops at the header (a
    /// message that one rule reads one header of is not walked whole).
    fn with_first<R>(
        &self,
        i: usize,
        name: &str,
        compact: Option<u8>,
        f: impl FnOnce(&[u8]) -> Option<R>,
    ) -> Option<R> {
        let bytes = self.raw(i)?;
        let lines = self
            .raws
            .borrow()
            .iter()
            .find(|s| s.at == i)
            .and_then(|s| s.lines.clone());
        match lines {
            Some(lines) => f(lines.first(&bytes, name, compact)?),
            None => f(crate::sip::headers::first(&bytes, name, compact)?),
        }
    }

    /// The first value of a header of message `i`, as text.
    fn header(&self, i: usize, name: &str, compact: Option<u8>) -> Option<String> {
        let h = self.headers(i)?;
        h.first(name, compact)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Non-retransmitted responses to the transaction `(cseq, method)`.
    fn responses(&self, cseq: u32, method: Method) -> impl Iterator<Item = (usize, &'m Message)> {
        self.msgs().iter().enumerate().filter(move |(_, m)| {
            m.status().is_some() && !m.retransmission() && m.cseq == Some((cseq, method))
        })
    }

    /// Every send of the request `(cseq, method)` on its first hop (the
    /// first send's source and destination; through a proxy, the copy one
    /// hop on is not a retransmission).
    fn sends(&self, cseq: u32, method: Method) -> Vec<usize> {
        let of = |m: &Message| m.method() == Some(method) && m.cseq == Some((cseq, method));
        let Some(first) = self.msgs().iter().find(|m| of(m)) else {
            return Vec::new();
        };
        self.msgs()
            .iter()
            .enumerate()
            .filter(|(_, m)| of(m) && m.src() == first.src() && m.dst() == first.dst())
            .map(|(i, _)| i)
            .collect()
    }

    /// Did the capture go on for `span_ns` after `ts`?
    fn saw_past(&self, ts: i64, span_ns: i64) -> bool {
        self.now_ns - ts >= span_ns
    }

    /// Did any stream of the capture (this dialog's or another's: a B2BUA
    /// may tie it to its other leg) come from `ip` (and `port`), or also go
    /// to it when `either_way`?
    fn rtp_at(&self, ip: std::net::IpAddr, port: Option<u16>, either_way: bool) -> bool {
        let at = |a: &super::Addr| a.ip() == ip && port.is_none_or(|p| a.port() == p);
        let hit = |s: &RtpStream| at(&s.src) || (either_way && at(&s.dst));
        self.streams.iter().any(|s| hit(s)) || self.model.media.streams().iter().any(hit)
    }

    /// Peers that received requests yet never sent anything in the capture:
    /// the capture shows one side of the dialog only. Worked out once per
    /// diagnosis (three rules ask).
    fn silent_peers(&self) -> &[super::Addr] {
        self.silent.get_or_init(|| {
            let msgs = self.msgs();
            // Who sent anything, each address once (a dialog has few).
            let mut senders: smallvec::SmallVec<[std::net::IpAddr; 4]> = smallvec::SmallVec::new();
            for m in msgs {
                let ip = m.src().ip();
                if !senders.contains(&ip) {
                    senders.push(ip);
                }
            }
            let mut silent: Vec<super::Addr> = Vec::new();
            for m in msgs.iter().filter(|m| m.method().is_some()) {
                if !silent.contains(&m.dst()) && !senders.contains(&m.dst().ip()) {
                    silent.push(m.dst());
                }
            }
            silent
        })
    }

    /// Does the capture see only one side of this dialog?
    fn one_sided(&self) -> bool {
        !self.silent_peers().is_empty()
    }

    /// INVITE `CSeq`s of the initial transaction(s): those sent before the
    /// first 2xx to an INVITE (a challenge makes a second one).
    fn initial_invites(&self) -> Vec<u32> {
        let answered = self
            .msgs()
            .iter()
            .find(|m| {
                m.status().is_some_and(|c| (200..300).contains(&c))
                    && m.cseq.map(|c| c.1) == Some(Method::Invite)
            })
            .map_or(i64::MAX, |m| m.ts_ns);
        let mut v: Vec<u32> = self
            .msgs()
            .iter()
            .filter(|m| m.method() == Some(Method::Invite) && m.ts_ns <= answered)
            .filter_map(|m| m.cseq.map(|c| c.0))
            .collect();
        v.dedup();
        v
    }

    /// The first message that is a request `method`, and its index.
    fn first_request(&self, method: Method) -> Option<(usize, &'m Message)> {
        self.msgs()
            .iter()
            .enumerate()
            .find(|(_, m)| m.method() == Some(method))
    }
}

/// Is `m` a message a diagnosis (and a report) usually reads the bytes of:
/// one with SDP, a reason phrase of its own, a Contact the rules look at
/// (INVITE, REGISTER and their 2xx), or a failure's headers? (What to read
/// ahead, [`Model::prefetch`]; any other is read when asked.) Not a
/// challenge (401, 407: read only when a challenge loop or a refused call
/// ends with it; most are answered by a request with credentials) nor a
/// 487 (read only when no CANCEL asked for it).
#[must_use]
pub fn read_ahead(m: &Message) -> bool {
    m.has_sdp()
        || m.own_reason()
        || matches!(m.method(), Some(Method::Invite | Method::Register))
        || m.status().is_some_and(|c| {
            (c >= 300 && !matches!(c, 401 | 407 | 487))
                || ((200..300).contains(&c)
                    && matches!(m.cseq, Some((_, Method::Invite | Method::Register))))
        })
}

/// Seconds, for summaries: `31.5 s`; under a second, `56 ms`.
fn secs(ns: i64) -> String {
    // Under a second, in ms: "0.0 s" would hide a 56 ms answer.
    if ns.unsigned_abs() < 999_500_000 {
        format!("{} ms", (ns as f64 / 1e6).round())
    } else {
        format!("{:.1} s", ns as f64 / 1e9)
    }
}

/// `486 Busy Here`: a code with its standard phrase (for a code no message
/// of the dialog carries, as a NOTIFY's sipfrag; a message's own phrase is
/// [`Model::status_text`]).
fn status_text(code: u16) -> String {
    crate::model::status_text(code, None)
}

/// One dialog's findings, with what they were read from ([`Model::diagnose`]).
pub struct Diagnosis<'m> {
    pub findings: Vec<Finding>,
    /// What the rules read: the dialog's streams, SDP changes, and the
    /// messages read and parsed so far ([`Context::parsed`]).
    pub context: Context<'m>,
}

/// A diagnosis rule.
pub type Rule = fn(&Context) -> Vec<Finding>;

/// Every rule, in the order their findings are listed (capture coverage
/// first: it says what the others may not know).
pub const RULES: &[Rule] = &[
    network::capture_coverage,
    signalling::final_failure_cause,
    signalling::forbidden_403,
    signalling::destination_4xx_6xx,
    signalling::upstream_5xx,
    signalling::auth_loop,
    transactions::invite_timeout,
    network::response_misrouted_nat,
    transactions::ack_missing,
    transactions::prack_missing,
    media::codec_mismatch,
    media::srtp_mismatch,
    media::dtmf_mismatch,
    media::early_media_silence,
    transactions::pdd_high,
    transactions::cancel_race,
    in_dialog::reinvite_glare,
    in_dialog::in_dialog_481,
    in_dialog::session_timer_expiry,
    registration::register_failure,
    registration::registration_lapse,
    network::nat_contact_private,
    network::sdp_private_address,
    network::udp_fragmented_sip,
    media::one_way_media,
    media::no_media,
    media::media_stops_before_bye,
    media::poor_media_quality,
    media::media_dropout,
    in_dialog::transfer_failed,
    extra::routing_loop,
    extra::late_media,
    extra::scanner_fraud,
    extra::cleartext_secrets,
    record_route::record_route_ignored,
    payload::rtp_payload_unexpected,
    rewritten::rtp_source_not_in_sdp,
    rewritten::sip_alg_suspected,
    hold_resume::hold_resume_failure,
    media::hold,
];

/// Below this MOS a stream's quality is poor (a person hears it).
pub const POOR_MOS: f64 = 3.6;

/// Does `s` sound poor: packets lost, or a MOS below [`POOR_MOS`]? (The
/// streams view's highlight; the rule's thresholds are in
/// `poor-media-quality`.)
#[must_use]
pub fn poor_media_quality_of(s: &RtpStream) -> bool {
    s.stats.lost() > 0 || (!s.is_fax() && s.mos() < POOR_MOS)
}

/// Which of `streams` went one way: no stream among them came back (source
/// and destination swapped). One flag per stream.
#[must_use]
pub fn one_way(streams: &[&RtpStream]) -> Vec<bool> {
    streams
        .iter()
        .map(|s| !streams.iter().any(|r| r.src == s.dst && r.dst == s.src))
        .collect()
}

/// What the cache knows a dialog's findings by: they change when its
/// messages or its streams do, or when time moves on (timers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    messages: usize,
    rtp_packets: u64,
    streams: usize,
    now_s: i64,
}

/// A dialog's findings and what they were worked out from.
type Cached = (Stamp, Arc<[Finding]>);

/// Findings per dialog, kept until the dialog changes (interior mutability:
/// views hold `&Model`).
#[derive(Debug, Default)]
pub(crate) struct Cache {
    entries: Mutex<Map<DialogId, Cached>>,
}

/// Dialogs whose findings are kept at once, beyond the table's own count.
const CACHE_SLACK: usize = 4096;

impl Model {
    fn stamp(&self, d: &Dialog, now_ns: i64) -> Stamp {
        let (streams, rtp_packets) = self
            .streams_of(d)
            .fold((0, 0), |(n, p), s| (n + 1, p + s.stats.packets));
        Stamp {
            messages: d.messages.len(),
            rtp_packets,
            streams,
            now_s: now_ns.max(self.now_ns()).div_euclid(1_000_000_000),
        }
    }

    /// What the rules conclude about a dialog, rule by rule, at the capture
    /// clock; worked out once and kept until the dialog (or the clock) moves.
    #[must_use]
    pub fn findings(&self, d: &Dialog) -> Arc<[Finding]> {
        self.findings_at(d, self.now_ns())
    }

    /// [`Model::findings`] at `now_ns` (live, the wall clock: a timer fires
    /// on a quiet link when it is due, not when the next packet comes).
    #[must_use]
    pub fn findings_at(&self, d: &Dialog, now_ns: i64) -> Arc<[Finding]> {
        let stamp = self.stamp(d, now_ns);
        if let Some((s, f)) = self
            .findings
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&d.id)
            && *s == stamp
        {
            return Arc::clone(f);
        }
        let f: Arc<[Finding]> = self.run_rules_at(d, now_ns).into();
        let mut entries = self
            .findings
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.len() + CACHE_SLACK {
            entries.clear();
        }
        entries.insert(d.id, (stamp, Arc::clone(&f)));
        f
    }

    /// The rules run now, without the cache.
    #[must_use]
    pub fn run_rules(&self, d: &Dialog) -> Vec<Finding> {
        self.run_rules_at(d, self.now_ns())
    }

    fn run_rules_at(&self, d: &Dialog, now_ns: i64) -> Vec<Finding> {
        self.diagnose_at(d, now_ns, None).findings
    }

    /// The rules run now, without the cache, with the SDP changes and
    /// streams they read: a report that writes each dialog once takes all
    /// three from one pass (and fills no cache).
    #[must_use]
    pub fn diagnose<'m>(&'m self, d: &'m Dialog) -> Diagnosis<'m> {
        self.diagnose_at(d, self.now_ns(), None)
    }

    /// [`Model::diagnose`], reading messages' bytes from `prefetched`
    /// ([`Model::prefetch`]) where they are.
    #[must_use]
    pub fn diagnose_prefetched<'m>(
        &'m self,
        d: &'m Dialog,
        prefetched: Option<&'m Prefetched>,
    ) -> Diagnosis<'m> {
        self.diagnose_at(d, self.now_ns(), prefetched)
    }

    fn diagnose_at<'m>(
        &'m self,
        d: &'m Dialog,
        now_ns: i64,
        prefetched: Option<&'m Prefetched>,
    ) -> Diagnosis<'m> {
        let cx = Context::with_prefetched(self, d, now_ns, prefetched);
        // Most rules find nothing (an empty vector, never allocated): only
        // what they found is moved.
        let mut findings: Vec<Finding> = Vec::new();
        for rule in RULES {
            let mut found = rule(&cx);
            if !found.is_empty() {
                findings.append(&mut found);
            }
        }
        network::apply_coverage(&cx, &mut findings);
        Diagnosis {
            findings,
            context: cx,
        }
    }

    /// The most severe finding of a dialog at `now_ns` (the first of that
    /// severity).
    #[must_use]
    pub fn worst_finding(&self, d: &Dialog, now_ns: i64) -> Option<(Severity, &'static str)> {
        let f = self.findings_at(d, now_ns);
        let worst = f.iter().map(|f| f.severity).max()?;
        f.iter()
            .find(|f| f.severity == worst)
            .map(|f| (f.severity, f.rule))
    }

    /// How many findings each rule made over every dialog (the JSON report's
    /// `findings`), by rule id.
    #[must_use]
    pub fn finding_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for d in self.dialogs() {
            for f in self.findings(d).iter() {
                *counts.entry(f.rule).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Is there a finding at `at_least` or worse in any dialog?
    #[must_use]
    pub fn has_finding(&self, at_least: Severity) -> bool {
        self.dialogs()
            .any(|d| self.findings(d).iter().any(|f| f.severity >= at_least))
    }
}
