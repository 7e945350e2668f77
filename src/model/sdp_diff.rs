//! What an SDP changed, by meaning: an answer against its offer (codecs
//! accepted and dropped, the codec that will be used, "no common codec"), and
//! an offer against the same side's previous SDP (hold and resume, a new
//! address or port, codecs, ptime, telephone-event, rtcp-mux, crypto).

use std::fmt;

use serde::{Serialize, Serializer};

use super::message::Addr;
use super::{Dialog, Model};
use crate::sip::headers::eq_ignore_case;
use crate::sip::sdp::{Direction, Media, Sdp};

/// One SDP in a dialog: which message, when, who sent it, what it says.
#[derive(Debug, Clone, Copy)]
pub struct SdpAt<'a> {
    pub message: usize,
    pub ts_ns: i64,
    pub from: Addr,
    pub sdp: &'a Sdp,
}

/// How an SDP relates to the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpKind {
    /// Against the offer it answers.
    Answer,
    /// Against the same side's previous SDP (none for the first offer).
    Offer,
    /// A 488 or 606 to the offer: no answer SDP.
    Refused,
}

impl SdpKind {
    /// The name the JSON report uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Offer => "offer",
            Self::Refused => "refused",
        }
    }
}

impl PartialEq<&str> for SdpKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for SdpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a change means for the call, when it is worth a person's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Concern {
    /// An answer that shares no codec with its offer: no media can flow.
    NoCommonCodec,
    /// An offer that puts the media on hold (`sendonly`, `inactive`,
    /// `c=0.0.0.0`).
    Hold,
    /// An offer that takes the media off hold.
    Resume,
}

/// One change in words, and what it means when that matters. In JSON it is
/// its text alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub concern: Option<Concern>,
}

impl Note {
    fn plain(text: String) -> Self {
        Self {
            text,
            concern: None,
        }
    }

    fn of(concern: Concern, text: String) -> Self {
        Self {
            text,
            concern: Some(concern),
        }
    }
}

impl From<String> for Note {
    fn from(text: String) -> Self {
        Self::plain(text)
    }
}

impl Serialize for Note {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl PartialEq<&str> for Note {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What one m-line changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaChange {
    pub media: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
    /// The codec that will be used (the answer's first common one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Human-readable changes, e.g. "hold (sendonly)", "address 10.0.0.1:4000 → 10.0.0.2:4002".
    pub notes: Vec<Note>,
}

/// What one SDP changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdpChange {
    /// Index of the message in its dialog.
    pub message: usize,
    pub ts: f64,
    /// `answer` (against the offer it answers), `offer` (against the same
    /// side's previous SDP; none for the first offer), or `refused` (a 488 or
    /// 606 to the offer).
    pub kind: SdpKind,
    /// Index of the message it is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<usize>,
    pub media: Vec<MediaChange>,
    /// One line per change, for people.
    pub summary: Vec<String>,
    /// The same lines, each with what it means ([`Concern`]): what views
    /// style and findings read.
    #[serde(skip)]
    pub lines: Vec<Note>,
}

impl SdpChange {
    fn new(
        message: usize,
        ts_ns: i64,
        kind: SdpKind,
        against: Option<usize>,
        media: Vec<MediaChange>,
        lines: Vec<Note>,
    ) -> Self {
        Self {
            message,
            ts: ts_ns as f64 / 1e9,
            kind,
            against,
            summary: lines.iter().map(|l| l.text.clone()).collect(),
            lines,
            media,
        }
    }
}

/// Every note of every m-line, as `audio: note`.
fn note_lines(media: &[MediaChange]) -> impl Iterator<Item = Note> + '_ {
    media.iter().flat_map(|m| {
        m.notes.iter().map(move |n| Note {
            text: format!("{}: {}", m.media, n.text),
            concern: n.concern,
        })
    })
}

/// Codec names of an m-line, without telephone-event and comfort noise
/// (they are not what the call speaks).
fn codecs(m: &Media) -> Vec<String> {
    if m.is_t38() {
        return vec!["T.38".to_owned()];
    }
    codec_names(m)
        .filter(|n| !n.eq_ignore_ascii_case("telephone-event") && !n.eq_ignore_ascii_case("CN"))
        .map(str::to_owned)
        .collect()
}

/// The codec name of each format of an m-line that names one, borrowed.
fn codec_names(m: &Media) -> impl Iterator<Item = &str> {
    m.formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .filter_map(|pt| m.codec(pt))
}

/// [`codecs`] of an m-line, and whether it offers telephone-event, from
/// one walk of its formats.
fn codecs_and_event(m: &Media) -> (Vec<String>, bool) {
    let (names, event) = codecs_and_event_borrowed(m);
    (names.into_iter().map(str::to_owned).collect(), event)
}

/// [`codecs_and_event`], the names borrowed (for a comparison that keeps
/// none of them).
fn codecs_and_event_borrowed(m: &Media) -> (Vec<&str>, bool) {
    let mut event = false;
    let mut out = Vec::new();
    for n in codec_names(m) {
        if eq_ignore_case(n.as_bytes(), b"telephone-event") {
            event = true;
        } else if !eq_ignore_case(n.as_bytes(), b"CN") {
            out.push(n);
        }
    }
    if m.is_t38() {
        return (vec!["T.38"], event);
    }
    (out, event)
}

fn address(m: &Media) -> String {
    let c = m.connection.as_deref().unwrap_or("?");
    if c.contains(':') {
        format!("[{c}]:{}", m.port)
    } else {
        format!("{c}:{}", m.port)
    }
}

/// Do two m-lines have one [`address`] (compared without writing it)?
fn same_address(a: &Media, b: &Media) -> bool {
    a.port == b.port
        && a.connection.as_deref().unwrap_or("?") == b.connection.as_deref().unwrap_or("?")
}

/// Is this m-line on hold (RFC 3264 8.4, and the old `c=0.0.0.0` way)?
fn held(m: &Media) -> bool {
    matches!(m.direction, Direction::SendOnly | Direction::Inactive)
        || m.connection.as_deref() == Some("0.0.0.0")
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::SendRecv => "sendrecv",
        Direction::SendOnly => "sendonly",
        Direction::RecvOnly => "recvonly",
        Direction::Inactive => "inactive",
    }
}

/// An answer against its offer, m-line by m-line (RFC 3264: same order).
fn answer(offer: &Sdp, ans: &Sdp) -> Vec<MediaChange> {
    offer
        .media
        .iter()
        .zip(&ans.media)
        .map(|(o, a)| {
            let (offered, offer_event) = codecs_and_event(o);
            let (answered, answer_event) = codecs_and_event(a);
            let in_offer = |c: &String| {
                offered
                    .iter()
                    .any(|x| eq_ignore_case(x.as_bytes(), c.as_bytes()))
            };
            let any_accepted = answered.iter().any(in_offer);
            let dropped: Vec<String> = offered
                .iter()
                .filter(|c| {
                    !answered
                        .iter()
                        .any(|x| eq_ignore_case(x.as_bytes(), c.as_bytes()))
                })
                .cloned()
                .collect();
            let mut notes = Vec::new();
            if a.port == 0 {
                notes.push(Note::plain(format!("{} rejected (port 0)", o.media)));
            } else if !any_accepted && !offered.is_empty() {
                notes.push(Note::of(
                    Concern::NoCommonCodec,
                    format!(
                        "no common codec: offer {}; answer {}",
                        offered.join(", "),
                        if answered.is_empty() {
                            "none".to_owned()
                        } else {
                            answered.join(", ")
                        }
                    ),
                ));
            }
            if a.direction != o.direction {
                notes.push(
                    format!(
                        "direction {} → {}",
                        direction_name(o.direction),
                        direction_name(a.direction)
                    )
                    .into(),
                );
            }
            if offer_event && !answer_event {
                notes.push(
                    "telephone-event dropped: no RFC 4733 DTMF"
                        .to_owned()
                        .into(),
                );
            }
            if o.rtcp_mux && !a.rtcp_mux {
                notes.push("rtcp-mux refused".to_owned().into());
            }
            if (o.crypto || o.fingerprint) && !(a.crypto || a.fingerprint) && a.port != 0 {
                notes.push("encryption offered, answered without".to_owned().into());
            }
            // The answer's codecs the offer has, moved (the rest dropped).
            let mut accepted = answered;
            accepted.retain(in_offer);
            MediaChange {
                media: o.media.clone(),
                codec: accepted.first().cloned(),
                offered,
                accepted,
                dropped,
                notes,
            }
        })
        .collect()
}

/// An offer against the same side's previous SDP (a re-INVITE or UPDATE).
fn reoffer(prev: &Sdp, now: &Sdp) -> Vec<MediaChange> {
    now.media
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut notes = Vec::new();
            let (offered, now_event) = codecs_and_event(n);
            // A first offer is compared with itself: nothing changed.
            let same = |p: &&Media| std::ptr::eq(*p, n);
            if let Some(p) = prev.media.get(i).filter(|p| !same(p)) {
                match (held(p), held(n)) {
                    (false, true) => notes.push(Note::of(
                        Concern::Hold,
                        format!(
                            "hold ({})",
                            if n.connection.as_deref() == Some("0.0.0.0") {
                                "c=0.0.0.0"
                            } else {
                                direction_name(n.direction)
                            }
                        ),
                    )),
                    (true, false) => {
                        notes.push(Note::of(
                            Concern::Resume,
                            format!("resume ({})", direction_name(n.direction)),
                        ));
                    }
                    _ if p.direction != n.direction => {
                        notes.push(
                            format!(
                                "direction {} → {}",
                                direction_name(p.direction),
                                direction_name(n.direction)
                            )
                            .into(),
                        );
                    }
                    _ => {}
                }
                if !same_address(p, n) && n.connection.as_deref() != Some("0.0.0.0") {
                    notes.push(format!("address {} → {}", address(p), address(n)).into());
                }
                let (before, before_event) = codecs_and_event_borrowed(p);
                let kind = |m: &Media| -> String {
                    if m.is_t38() {
                        "fax (T.38)".to_owned()
                    } else {
                        m.media.clone()
                    }
                };
                let same_kind = |a: &Media, b: &Media| match (a.is_t38(), b.is_t38()) {
                    (true, true) => true,
                    (false, false) => a.media == b.media,
                    _ => false,
                };
                if !same_kind(p, n) {
                    // A switch to fax (or back): what changed is the kind of
                    // media, not its codecs.
                    notes.push(format!("{} → {}", kind(p), kind(n)).into());
                } else if !before
                    .iter()
                    .copied()
                    .eq(offered.iter().map(String::as_str))
                {
                    notes.push(
                        format!("codecs {} → {}", before.join(", "), offered.join(", ")).into(),
                    );
                }
                if p.ptime != n.ptime {
                    notes.push(
                        format!(
                            "ptime {} → {}",
                            p.ptime.map_or("-".to_owned(), |v| v.to_string()),
                            n.ptime.map_or("-".to_owned(), |v| v.to_string())
                        )
                        .into(),
                    );
                }
                if before_event != now_event {
                    notes.push(
                        format!(
                            "telephone-event {}",
                            if now_event { "added" } else { "removed" }
                        )
                        .into(),
                    );
                }
                if p.rtcp_mux != n.rtcp_mux {
                    notes.push(
                        format!("rtcp-mux {}", if n.rtcp_mux { "added" } else { "removed" }).into(),
                    );
                }
                if (p.crypto || p.fingerprint) != (n.crypto || n.fingerprint) {
                    notes.push(
                        format!(
                            "encryption {}",
                            if n.crypto || n.fingerprint {
                                "added"
                            } else {
                                "removed"
                            }
                        )
                        .into(),
                    );
                }
            } else if prev.media.get(i).is_none() {
                notes.push(format!("{} stream added", n.media).into());
            }
            MediaChange {
                media: n.media.clone(),
                offered,
                accepted: Vec::new(),
                dropped: Vec::new(),
                codec: None,
                notes,
            }
        })
        .collect()
}

/// An offer refused without an answer (488 or 606): what was offered, and
/// the response's Warning, if any.
#[must_use]
pub fn refused(offer: &SdpAt, message: usize, ts_ns: i64, code: u16, warning: &str) -> SdpChange {
    let media: Vec<MediaChange> = offer
        .sdp
        .media
        .iter()
        .map(|m| MediaChange {
            media: m.media.clone(),
            offered: codecs(m),
            accepted: Vec::new(),
            dropped: codecs(m),
            codec: None,
            notes: vec![
                format!(
                    "offer refused with {code}: offered {}{warning}",
                    codecs(m).join(", ")
                )
                .into(),
            ],
        })
        .collect();
    let lines = note_lines(&media).collect();
    SdpChange::new(
        message,
        ts_ns,
        SdpKind::Refused,
        Some(offer.message),
        media,
        lines,
    )
}

/// The changes along a dialog's SDPs, in order. An SDP answers the pending
/// offer when it comes from the other side; otherwise it is an offer.
#[must_use]
pub fn changes(sdps: &[SdpAt]) -> Vec<SdpChange> {
    let mut out = Vec::new();
    let mut pending: Option<&SdpAt> = None;
    let mut last_by_side: Vec<(Addr, &SdpAt)> = Vec::new();
    for s in sdps {
        let previous_same_side = last_by_side
            .iter()
            .find(|(a, _)| *a == s.from)
            .map(|(_, p)| *p);
        let (kind, against, media) = match pending {
            Some(offer) if offer.from != s.from => {
                pending = None;
                (
                    SdpKind::Answer,
                    Some(offer.message),
                    answer(offer.sdp, s.sdp),
                )
            }
            _ => {
                pending = Some(s);
                match previous_same_side {
                    Some(p) => (SdpKind::Offer, Some(p.message), reoffer(p.sdp, s.sdp)),
                    None => (SdpKind::Offer, None, reoffer(s.sdp, s.sdp)),
                }
            }
        };
        let lines = note_lines(&media)
            .chain(media.iter().filter_map(|m| {
                m.codec.as_ref().map(|c| {
                    // `audio: codec PCMU (dropped PCMA, G729)`, in one string.
                    let mut text = String::with_capacity(
                        m.media.len()
                            + c.len()
                            + 9
                            + m.dropped.iter().map(|d| d.len() + 2).sum::<usize>()
                            + 11,
                    );
                    text.push_str(&m.media);
                    text.push_str(": codec ");
                    text.push_str(c);
                    for (k, d) in m.dropped.iter().enumerate() {
                        text.push_str(if k == 0 { " (dropped " } else { ", " });
                        text.push_str(d);
                    }
                    if !m.dropped.is_empty() {
                        text.push(')');
                    }
                    Note::plain(text)
                })
            }))
            .collect();
        out.push(SdpChange::new(
            s.message, s.ts_ns, kind, against, media, lines,
        ));
        match last_by_side.iter_mut().find(|(a, _)| *a == s.from) {
            Some(slot) => slot.1 = s,
            None => last_by_side.push((s.from, s)),
        }
    }
    out
}

impl Model {
    /// What each SDP of a dialog changed (parsed from the messages' bytes).
    #[must_use]
    pub fn sdp_changes(&self, d: &Dialog) -> Vec<SdpChange> {
        sdp_changes_of(d, |i| self.parsed(d.messages.get(i)?).ok())
    }
}

/// [`Model::sdp_changes`] with the messages' parses from `parsed` (by
/// index): a diagnosis reads each message once for all its rules.
pub(crate) fn sdp_changes_of(
    d: &Dialog,
    parsed: impl Fn(usize) -> Option<std::sync::Arc<super::Parsed>>,
) -> Vec<SdpChange> {
    let held: Vec<(usize, std::sync::Arc<super::Parsed>)> = d
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.has_sdp() && !m.retransmission())
        .filter_map(|(i, _)| Some((i, parsed(i)?)))
        .collect();
    let sdps: Vec<SdpAt> = held
        .iter()
        .filter_map(|(i, p)| {
            let m = d.messages.get(*i)?;
            Some(SdpAt {
                message: *i,
                ts_ns: m.ts_ns,
                from: m.src(),
                sdp: p.sdp.as_ref()?,
            })
        })
        .collect();
    let mut out = changes(&sdps);
    // An offer refused outright (488, 606) has no answer SDP to compare:
    // say what was offered and why it was refused.
    for (i, m) in d.messages.iter().enumerate() {
        let Some(code @ (488 | 606)) = m.status() else {
            continue;
        };
        if m.retransmission() {
            continue;
        }
        let Some(offer) = sdps.iter().rev().find(|s| s.message < i) else {
            continue;
        };
        let answered = out
            .iter()
            .any(|c| c.kind == SdpKind::Answer && c.against == Some(offer.message));
        if answered {
            continue;
        }
        let warning = parsed(i)
            .and_then(|p| p.warning.clone())
            .map(|w| format!(" (Warning: {w})"))
            .unwrap_or_default();
        out.push(refused(offer, i, m.ts_ns, code, &warning));
    }
    out.sort_by_key(|c| c.message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(message: usize, from: &str, body: &str) -> SdpAt<'static> {
        SdpAt {
            message,
            ts_ns: 0,
            from: from.parse::<std::net::SocketAddr>().unwrap().into(),
            sdp: Box::leak(Box::new(crate::sip::sdp::parse(body.as_bytes()))),
        }
    }

    const A: &str = "192.0.2.1:5060";
    const B: &str = "192.0.2.2:5060";

    #[test]
    fn no_common_codec_is_said_in_words() {
        let offer = at(
            0,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
        );
        let ans = at(
            2,
            B,
            "v=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 18\r\n",
        );
        let c = changes(&[offer, ans]);
        assert_eq!(c[1].kind, "answer");
        assert_eq!(c[1].against, Some(0));
        assert!(
            c[1].summary
                .iter()
                .any(|s| s == "audio: no common codec: offer PCMU, PCMA; answer G729"),
            "{:?}",
            c[1].summary
        );
    }

    #[test]
    fn a_reinvite_to_t38_is_a_switch_to_fax() {
        let first = at(
            0,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 8\r\n",
        );
        let fax = at(
            1,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=image 4002 udptl t38\r\na=T38FaxVersion:0\r\n",
        );
        let summary = fax.sdp.summary();
        let c = changes(&[first, fax]);
        assert!(
            c[1].summary
                .iter()
                .any(|s| s.ends_with("audio → fax (T.38)")),
            "{:?}",
            c[1].summary
        );
        assert!(!c[1].summary.iter().any(|s| s.contains("codecs")));
        assert_eq!(summary, "fax (T.38) 192.0.2.1:4002");
    }

    #[test]
    fn answer_keeps_and_drops_codecs() {
        let offer = at(
            0,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8 18\r\n",
        );
        let ans = at(
            1,
            B,
            "v=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 8\r\n",
        );
        let m = &changes(&[offer, ans])[1].media[0];
        assert_eq!(m.accepted, ["PCMA"]);
        assert_eq!(m.dropped, ["PCMU", "G729"]);
        assert_eq!(m.codec.as_deref(), Some("PCMA"));
    }

    #[test]
    fn reinvite_hold_and_resume() {
        let first = at(
            0,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 8\r\n",
        );
        let answer = at(
            1,
            B,
            "v=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 8\r\n",
        );
        let hold = at(
            5,
            A,
            "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 8\r\na=sendonly\r\n",
        );
        let hold_ans = at(
            6,
            B,
            "v=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 5000 RTP/AVP 8\r\na=recvonly\r\n",
        );
        let resume = at(
            9,
            A,
            "v=0\r\nc=IN IP4 192.0.2.9\r\nm=audio 4002 RTP/AVP 8\r\n",
        );
        let c = changes(&[first, answer, hold, hold_ans, resume]);
        assert_eq!(c[2].summary, ["audio: hold (sendonly)"]);
        assert_eq!(c[2].against, Some(0));
        assert_eq!(c[3].media[0].notes, ["direction sendonly → recvonly"]);
        assert_eq!(
            c[4].summary,
            [
                "audio: resume (sendrecv)",
                "audio: address 192.0.2.1:4000 → 192.0.2.9:4002"
            ]
        );
    }
}
