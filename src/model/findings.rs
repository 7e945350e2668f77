//! Conclusions about a call, typed: one-way media, poor media quality, no
//! common codec, hold, an offer refused. Each comes from a [`Rule`], a
//! function over a dialog's [`Context`]; views and reports only present
//! them (style, words, JSON).
//!
//! A finding names its evidence by index: messages in the dialog's
//! `messages`, streams in [`Model::streams_of`]'s order (the report's
//! `rtp_streams`). Rule ids are stable kebab-case strings: scripts match on
//! them.
//!
//! To add a rule: write `fn(&Context) -> Vec<Finding>` and list it in
//! [`RULES`].

use std::fmt;

use serde::Serialize;

use super::media::RtpStream;
use super::sdp_diff::{Concern, SdpChange, SdpKind};
use super::{Dialog, Model};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing (a hold).
    Info,
    /// Something may be wrong (media one way, loss).
    Warning,
    /// The call cannot work as set up (no common codec, offer refused).
    Error,
}

/// What was found, with the figures that say so.
#[derive(Debug, Clone, PartialEq)]
pub enum FindingKind {
    /// A stream whose reverse direction never came.
    OneWayMedia,
    /// A stream that lost packets or whose MOS is below [`POOR_MOS`].
    PoorMediaQuality { mos: f64, lost: i64 },
    /// An answer that shares no codec with its offer.
    NoCommonCodec,
    /// A re-offer that puts the media on hold.
    Hold,
    /// An offer refused with 488 or 606, without an answer.
    OfferRefused { code: u16 },
}

impl FindingKind {
    /// The rule's stable id.
    #[must_use]
    pub fn id(&self) -> &'static str {
        match self {
            Self::OneWayMedia => "one-way-media",
            Self::PoorMediaQuality { .. } => "poor-media-quality",
            Self::NoCommonCodec => "no-common-codec",
            Self::Hold => "hold",
            Self::OfferRefused { .. } => "codec-mismatch-488",
        }
    }

    /// How much it matters.
    #[must_use]
    pub fn severity(&self) -> Severity {
        match self {
            Self::Hold => Severity::Info,
            Self::OneWayMedia | Self::PoorMediaQuality { .. } => Severity::Warning,
            Self::NoCommonCodec | Self::OfferRefused { .. } => Severity::Error,
        }
    }
}

/// One conclusion about a dialog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable kebab-case id of the rule (`one-way-media`).
    pub rule: &'static str,
    pub severity: Severity,
    /// Indices in the dialog's messages that show it.
    pub messages: Vec<usize>,
    /// Indices in the dialog's streams ([`Model::streams_of`]) that show it.
    pub streams: Vec<usize>,
    /// One line for people.
    pub text: String,
    #[serde(skip)]
    pub kind: FindingKind,
}

impl Finding {
    /// A finding of `kind`, its id and severity from the kind.
    #[must_use]
    pub fn new(kind: FindingKind, messages: Vec<usize>, streams: Vec<usize>, text: String) -> Self {
        Self {
            rule: kind.id(),
            severity: kind.severity(),
            messages,
            streams,
            text,
            kind,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.text)
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
}

/// A diagnosis rule.
pub type Rule = fn(&Context) -> Vec<Finding>;

/// Every rule, in the order their findings are listed.
pub const RULES: &[Rule] = &[
    no_common_codec,
    offer_refused,
    one_way_media,
    poor_media_quality,
    hold,
];

/// Below this MOS a stream's quality is poor (a person hears it).
pub const POOR_MOS: f64 = 3.6;

/// Does `s` sound poor: packets lost, or a MOS below [`POOR_MOS`]?
#[must_use]
pub fn poor_media_quality_of(s: &RtpStream) -> bool {
    s.stats.lost() > 0 || s.mos() < POOR_MOS
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

fn one_way_media(cx: &Context) -> Vec<Finding> {
    one_way(&cx.streams)
        .into_iter()
        .zip(&cx.streams)
        .enumerate()
        .filter(|(_, (one_way, _))| *one_way)
        .map(|(i, (_, s))| {
            Finding::new(
                FindingKind::OneWayMedia,
                Vec::new(),
                vec![i],
                format!(
                    "media {} → {}: {} packets, none came back",
                    s.src, s.dst, s.stats.packets
                ),
            )
        })
        .collect()
}

fn poor_media_quality(cx: &Context) -> Vec<Finding> {
    cx.streams
        .iter()
        .enumerate()
        .filter(|(_, s)| poor_media_quality_of(s))
        .map(|(i, s)| {
            let lost = s.stats.lost();
            let mos = s.mos();
            let expected = s.stats.expected().max(1);
            Finding::new(
                FindingKind::PoorMediaQuality { mos, lost },
                Vec::new(),
                vec![i],
                format!(
                    "media {} → {}: MOS {mos:.2}, {lost} lost ({:.1}%)",
                    s.src,
                    s.dst,
                    lost.max(0) as f64 * 100.0 / expected as f64
                ),
            )
        })
        .collect()
}

/// The SDP changes' lines of one concern, as findings of `kind`.
fn concerns(cx: &Context, concern: Concern, kind: &FindingKind) -> Vec<Finding> {
    cx.sdp_changes
        .iter()
        .flat_map(|c| {
            c.lines
                .iter()
                .filter(move |l| l.concern == Some(concern))
                .map(move |l| {
                    let messages = c.against.into_iter().chain([c.message]).collect();
                    Finding::new(kind.clone(), messages, Vec::new(), l.text.clone())
                })
        })
        .collect()
}

fn no_common_codec(cx: &Context) -> Vec<Finding> {
    concerns(cx, Concern::NoCommonCodec, &FindingKind::NoCommonCodec)
}

fn hold(cx: &Context) -> Vec<Finding> {
    concerns(cx, Concern::Hold, &FindingKind::Hold)
}

fn offer_refused(cx: &Context) -> Vec<Finding> {
    cx.sdp_changes
        .iter()
        .filter(|c| c.kind == SdpKind::Refused)
        .filter_map(|c| {
            let code = cx.dialog.messages.get(c.message)?.status()?;
            Some(Finding::new(
                FindingKind::OfferRefused { code },
                c.against.into_iter().chain([c.message]).collect(),
                Vec::new(),
                c.summary.join("; "),
            ))
        })
        .collect()
}

impl Model {
    /// What the rules conclude about a dialog, rule by rule.
    #[must_use]
    pub fn findings(&self, d: &Dialog) -> Vec<Finding> {
        let cx = Context {
            model: self,
            dialog: d,
            streams: self.streams_of(d).collect(),
            sdp_changes: self.sdp_changes(d),
        };
        RULES.iter().flat_map(|rule| rule(&cx)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings_of(capture: &str) -> Vec<Vec<Finding>> {
        let model = crate::replay(format!("tests/data/{capture}")).unwrap();
        model.dialogs().map(|d| model.findings(d)).collect()
    }

    fn rules(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.rule).collect()
    }

    /// tshark (`-q -z rtp,streams`) lists one stream in this capture,
    /// 10.0.2.15:28120 → 10.0.2.20:6000, and none back.
    #[test]
    fn one_way_media_is_found_where_nothing_came_back() {
        let calls = findings_of("lundgrel-sipp-scenarios__sip-rtp-g729a.pcap");
        let f: Vec<&Finding> = calls.iter().flatten().collect();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "one-way-media");
        assert_eq!(f[0].kind, FindingKind::OneWayMedia);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].streams, [0]);
        assert!(f[0].text.contains("10.0.2.15:28120 → 10.0.2.20:6000"));
    }

    #[test]
    fn media_both_ways_without_loss_is_no_finding() {
        for capture in [
            "michalcab-isa__real_sip_call.pcap",
            "michalcab-isa__i_was_called_by_another_pc.pcap",
        ] {
            for f in findings_of(capture) {
                assert!(f.is_empty(), "{capture}: {f:?}");
            }
        }
    }

    /// The G729 stream scores MOS 4.09 without loss (above the threshold);
    /// the same stream missing 20 of its 425 packets sounds poor.
    #[test]
    fn quality_is_poor_from_the_first_lost_packet_or_below_the_mos_threshold() {
        let model =
            crate::replay("tests/data/lundgrel-sipp-scenarios__sip-rtp-g729a.pcap").unwrap();
        let d = model.dialogs().next().unwrap();
        let s = model.streams_of(d).next().unwrap();
        assert!(s.mos() > POOR_MOS && s.stats.lost() == 0);
        assert!(!poor_media_quality_of(s));
        assert!(!rules(&model.findings(d)).contains(&"poor-media-quality"));

        let mut lossy = s.clone();
        lossy.stats.packets -= 1;
        assert!(poor_media_quality_of(&lossy), "one packet lost");
        lossy.stats.packets -= 19;
        assert!(lossy.mos() < POOR_MOS, "{}", lossy.mos());
        let cx = Context {
            model: &model,
            dialog: d,
            streams: vec![&lossy],
            sdp_changes: Vec::new(),
        };
        let f = poor_media_quality(&cx);
        assert_eq!(rules(&f), ["poor-media-quality"]);
        assert_eq!(f[0].streams, [0]);
        assert!(matches!(
            f[0].kind,
            FindingKind::PoorMediaQuality { lost: 20, .. }
        ));
        assert!(f[0].text.contains("20 lost (4.7%)"), "{}", f[0].text);
    }

    #[test]
    fn sdp_findings_point_at_offer_and_answer() {
        let calls = findings_of("synthetic_no_common_codec.pcap");
        assert_eq!(rules(&calls[0]), ["no-common-codec"]);
        assert_eq!(calls[0][0].messages, [0, 2]);
        assert_eq!(calls[0][0].severity, Severity::Error);
        assert_eq!(rules(&calls[1]), ["codec-mismatch-488"]);
        assert_eq!(calls[1][0].kind, FindingKind::OfferRefused { code: 488 });
        assert_eq!(calls[1][0].messages, [0, 1]);

        let calls = findings_of("gen__hold_resume_refer_rtp.pcap");
        assert_eq!(rules(&calls[0]), ["hold"]);
        assert_eq!(calls[0][0].severity, Severity::Info);
        assert_eq!(calls[0][0].text, "audio: hold (sendonly)");
        assert_eq!(calls[0][0].messages, [0, 4]);
    }
}
