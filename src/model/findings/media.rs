//! Rules over the media: what the SDP negotiated, and what the RTP did.

use std::sync::Arc;

use super::{Context, Finding, Severity, one_way, secs};
use crate::model::sdp_diff::{Concern, SdpKind};
use crate::model::{Method, Parsed, media::RtpStream};
use crate::sip::sdp::Sdp;

/// Media flowed both ways (some stream each way, none one-way).
fn media_both_ways(cx: &Context) -> bool {
    !cx.streams.is_empty() && one_way(&cx.streams).iter().all(|o| !o)
}

fn held(cx: &Context) -> bool {
    cx.sdp_changes
        .iter()
        .any(|c| c.lines.iter().any(|l| l.concern == Some(Concern::Hold)))
}

/// The SDP of message `i`, parsed ([`Context::parsed`]).
pub(super) fn sdp_of(cx: &Context, i: usize) -> Option<SdpOf> {
    let p = cx.parsed(i)?;
    p.sdp.is_some().then_some(SdpOf(p))
}

/// A message's parse that holds an SDP, read as that SDP (not copied).
pub(super) struct SdpOf(Arc<Parsed>);

impl std::ops::Deref for SdpOf {
    type Target = Sdp;

    fn deref(&self) -> &Sdp {
        // Made only when the parse holds an SDP.
        self.0.sdp.as_ref().unwrap_or(&EMPTY)
    }
}

static EMPTY: std::sync::LazyLock<Sdp> = std::sync::LazyLock::new(Sdp::default);

pub(super) fn codec_mismatch(cx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &cx.sdp_changes {
        let evidence: Vec<usize> = c.against.into_iter().chain([c.message]).collect();
        if c.kind == SdpKind::Refused {
            out.push(
                Finding::new(
                    "codec-mismatch-488",
                    Severity::Error,
                    // Each line says it was refused, and with what code.
                    c.summary.join("; "),
                )
                .messages(evidence.clone()),
            );
        }
        for l in c
            .lines
            .iter()
            .filter(|l| l.concern == Some(Concern::NoCommonCodec))
        {
            // An answer naming codecs the offer did not, while media flows
            // both ways anyway: worth knowing, not a failure.
            let (severity, tail) = if media_both_ways(cx) {
                (
                    Severity::Info,
                    "; media flowed both ways all the same".to_owned(),
                )
            } else {
                (Severity::Error, String::new())
            };
            out.push(
                Finding::new("codec-mismatch-488", severity, format!("{}{tail}", l.text))
                    .messages(evidence.clone()),
            );
        }
    }
    // 415 (and 606 without SDP in the offer) to an INVITE.
    for (i, m) in cx.dialog.messages.iter().enumerate() {
        if m.status() == Some(415)
            && !m.retransmission()
            && matches!(m.cseq, Some((_, Method::Invite)))
        {
            out.push(
                Finding::new(
                    "codec-mismatch-488",
                    Severity::Error,
                    "INVITE answered 415 Unsupported Media Type".into(),
                )
                .messages(vec![i]),
            );
        }
    }
    out
}

fn is_srtp(proto: &str) -> bool {
    proto.to_ascii_uppercase().contains("SAVP")
}

pub(super) fn srtp_mismatch(cx: &Context) -> Vec<Finding> {
    for c in cx.sdp_changes.iter().filter(|c| c.kind == SdpKind::Answer) {
        let Some(against) = c.against else { continue };
        let (Some(offer), Some(answer)) = (sdp_of(cx, against), sdp_of(cx, c.message)) else {
            continue;
        };
        for (o, a) in offer.media.iter().zip(&answer.media) {
            if a.port == 0 || o.port == 0 {
                continue;
            }
            let (os, as_) = (is_srtp(&o.proto), is_srtp(&a.proto));
            let problem = if os != as_ {
                Some(format!(
                    "{}: offer {} answered {}",
                    o.media, o.proto, a.proto
                ))
            } else if os && o.crypto && !o.fingerprint && !a.crypto {
                Some(format!(
                    "{}: SRTP offered with a=crypto, answer has none",
                    o.media
                ))
            } else if os && o.fingerprint && !o.crypto && !a.fingerprint {
                Some(format!(
                    "{}: DTLS-SRTP offered, answer has no fingerprint",
                    o.media
                ))
            } else {
                None
            };
            if let Some(text) = problem {
                return vec![
                    Finding::new("srtp-mismatch", Severity::Error, text)
                        .messages(vec![against, c.message]),
                ];
            }
        }
    }
    Vec::new()
}

fn telephone_event(m: &crate::sip::sdp::Media) -> Option<u8> {
    m.rtpmap
        .iter()
        .find(|r| r.encoding.eq_ignore_ascii_case("telephone-event"))
        .map(|r| r.payload_type)
}

pub(super) fn dtmf_mismatch(cx: &Context) -> Vec<Finding> {
    let msgs = &cx.dialog.messages;
    let mut negotiated = false;
    for c in cx.sdp_changes.iter().filter(|c| c.kind == SdpKind::Answer) {
        let Some(against) = c.against else { continue };
        let (Some(offer), Some(answer)) = (sdp_of(cx, against), sdp_of(cx, c.message)) else {
            continue;
        };
        for (o, a) in offer.media.iter().zip(&answer.media) {
            match (telephone_event(o), telephone_event(a)) {
                (Some(po), Some(pa)) if po != pa => {
                    return vec![
                        Finding::new(
                            "dtmf-mismatch",
                            Severity::Warning,
                            format!("telephone-event is payload type {po} in the offer, {pa} in the answer"),
                        )
                        .messages(vec![against, c.message]),
                    ];
                }
                (Some(_), Some(_)) => negotiated = true,
                (Some(po), None) if a.port != 0 => {
                    return vec![
                        Finding::new(
                            "dtmf-mismatch",
                            Severity::Info,
                            format!(
                                "the answer left out telephone-event ({po}): RFC 4733 digits may be ignored"
                            ),
                        )
                        .messages(vec![against, c.message]),
                    ];
                }
                _ => {}
            }
        }
    }
    // INFO digits: refused, or sent while RFC 4733 was agreed.
    for (i, m) in msgs.iter().enumerate() {
        if m.method() == Some(Method::Info) && !m.retransmission() {
            let Some((cseq, _)) = m.cseq else { continue };
            if let Some((r, resp)) = cx
                .responses(cseq, Method::Info)
                .find(|(_, r)| matches!(r.status(), Some(405 | 415 | 501)))
            {
                return vec![
                    Finding::new(
                        "dtmf-mismatch",
                        Severity::Warning,
                        format!(
                            "INFO answered {}: the peer does not take digits that way",
                            resp.status().unwrap_or(0)
                        ),
                    )
                    .messages(vec![i, r]),
                ];
            }
            let relay = cx.headers(i).is_some_and(|raw| {
                raw.first("Content-Type", Some(b'c'))
                    .is_some_and(|ct| ct.to_ascii_lowercase().windows(4).any(|w| w == b"dtmf"))
            });
            if relay && negotiated {
                return vec![
                    Finding::new(
                        "dtmf-mismatch",
                        Severity::Warning,
                        "digits sent as SIP INFO while RFC 4733 telephone-event was negotiated"
                            .into(),
                    )
                    .messages(vec![i]),
                ];
            }
        }
    }
    Vec::new()
}

pub(super) fn early_media_silence(cx: &Context) -> Vec<Finding> {
    let msgs = &cx.dialog.messages;
    let Some((e, early)) = msgs.iter().enumerate().find(|(_, m)| {
        m.has_sdp()
            && !m.retransmission()
            && m.status().is_some_and(|c| (180..200).contains(&c))
            && matches!(m.cseq, Some((_, Method::Invite)))
    }) else {
        return Vec::new();
    };
    if cx.model.stats().rtp_packets == 0 {
        return Vec::new(); // no RTP captured at all: nothing to say
    }
    let fin = msgs.iter().enumerate().find(|(_, m)| {
        m.ts_ns > early.ts_ns
            && m.status().is_some_and(|c| c >= 200)
            && matches!(m.cseq, Some((_, Method::Invite)))
    });
    let end = fin.map_or(cx.now_ns, |(_, m)| m.ts_ns);
    if end - early.ts_ns < 2_000_000_000 {
        return Vec::new();
    }
    let Some(sdp) = sdp_of(cx, e) else {
        return Vec::new();
    };
    let ports: Vec<u16> = sdp
        .media
        .iter()
        .map(|m| m.port)
        .filter(|p| *p != 0)
        .collect();
    let heard = cx.streams.iter().any(|s| {
        ports.contains(&s.src.port()) && s.stats.first_ns <= end && s.src.ip() != early.dst().ip()
    });
    if heard || ports.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(
            "early-media-silence",
            Severity::Warning,
            format!(
                "{} with SDP, then {} without RTP toward the caller",
                early.status().unwrap_or(183),
                secs(end - early.ts_ns)
            ),
        )
        .messages(std::iter::once(e).chain(fin.map(|(i, _)| i)).collect()),
    ]
}

/// A stream went one way with at least this many packets: an error.
const ONE_WAY_PACKETS: u64 = 50;

pub(super) fn one_way_media(cx: &Context) -> Vec<Finding> {
    let answered = cx.dialog.answer_ns().is_some();
    let hold = held(cx);
    one_way(&cx.streams)
        .into_iter()
        .zip(&cx.streams)
        .enumerate()
        .filter(|(_, (one_way, _))| *one_way)
        .map(|(i, (_, s))| {
            let severity = if hold {
                Severity::Info
            } else if answered && s.stats.packets >= ONE_WAY_PACKETS {
                Severity::Error
            } else {
                Severity::Warning
            };
            Finding::new(
                "one-way-media",
                severity,
                format!(
                    "media {} → {}: {} packets, none came back",
                    s.src, s.dst, s.stats.packets
                ),
            )
            .streams(vec![i])
        })
        .collect()
}

pub(super) fn no_media(cx: &Context) -> Vec<Finding> {
    let d = cx.dialog;
    if !cx.streams.is_empty() || d.answer_ns().is_none() || cx.model.stats().rtp_packets == 0 {
        return Vec::new();
    }
    let msgs = &d.messages;
    let Some((a, answer)) = msgs.iter().enumerate().find(|(_, m)| {
        m.status().is_some_and(|c| (200..300).contains(&c))
            && matches!(m.cseq, Some((_, Method::Invite)))
    }) else {
        return Vec::new();
    };
    let talk = d.talk_ns().unwrap_or(cx.now_ns - answer.ts_ns);
    // Media addresses the SDPs name (not port 0); RTP at any of them, tied
    // to this dialog or to another leg of a B2BUA, is media.
    let mut addrs = Vec::new();
    for (i, _) in msgs.iter().enumerate().filter(|(_, m)| m.has_sdp()) {
        if let Some(sdp) = sdp_of(cx, i) {
            addrs.extend(sdp.media_at().map(|(ip, port, _)| (ip, port)));
        }
    }
    if talk < 3_000_000_000
        || addrs.is_empty()
        || addrs
            .iter()
            .any(|(ip, port)| cx.rtp_at(*ip, Some(*port), true))
    {
        return Vec::new();
    }
    vec![
        Finding::new(
            "no-media",
            Severity::Error,
            format!(
                "answered, {} of call, and no RTP captured for it (other calls' RTP was)",
                secs(talk)
            ),
        )
        .messages(vec![a]),
    ]
}

pub(super) fn media_stops_before_bye(cx: &Context) -> Vec<Finding> {
    let Some((b, bye)) = cx.first_request(Method::Bye) else {
        return Vec::new();
    };
    if held(cx) {
        return Vec::new();
    }
    let stopped: Vec<(usize, &&RtpStream)> = cx
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| bye.ts_ns - s.stats.last_ns >= 5_000_000_000)
        .collect();
    let Some((_, s)) = stopped.first() else {
        return Vec::new();
    };
    // A call switched to fax: its audio stopped at the re-INVITE, and the
    // fax streams went on.
    if cx
        .model
        .fax_of(cx.dialog)
        .any(|f| bye.ts_ns - f.stats.last_ns < 5_000_000_000)
    {
        return Vec::new();
    }
    vec![
        Finding::new(
            "media-stops-before-bye",
            Severity::Warning,
            format!(
                "media {} → {} stopped {} before the BYE",
                s.src,
                s.dst,
                secs(bye.ts_ns - s.stats.last_ns)
            ),
        )
        .messages(vec![b])
        .streams(stopped.iter().map(|(i, _)| *i).collect()),
    ]
}

pub(super) fn poor_media_quality(cx: &Context) -> Vec<Finding> {
    cx.streams
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let st = &s.stats;
            let lost = st.lost().max(0);
            let pct = lost as f64 * 100.0 / st.expected().max(1) as f64;
            let mos = s.mos();
            let (mean_j, max_j) = (st.mean_jitter_ms(), st.max_jitter_ms);
            let severity = if pct >= 5.0 || mos < 3.0 {
                Severity::Error
            } else if pct >= 2.0 || mos < 3.6 || mean_j > 30.0 || max_j > 50.0 {
                Severity::Warning
            } else {
                return None;
            };
            Some(
                Finding::new(
                    "poor-media-quality",
                    severity,
                    format!(
                        "media {} → {}: MOS {mos:.2}, {lost} lost ({pct:.1}%), jitter mean {mean_j:.1} ms, max {max_j:.1} ms",
                        s.src, s.dst
                    ),
                )
                .streams(vec![i]),
            )
        })
        .collect()
}

pub(super) fn media_dropout(cx: &Context) -> Vec<Finding> {
    if held(cx) {
        return Vec::new();
    }
    cx.streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.stats.max_delta_ns > 1_000_000_000)
        .map(|(i, s)| {
            let gap = s.stats.max_delta_ns;
            let dead = if gap >= 5_000_000_000 {
                " of dead air"
            } else {
                ""
            };
            Finding::new(
                "media-dropout",
                Severity::Warning,
                format!("media {} → {}: a gap of {}{dead}", s.src, s.dst, secs(gap)),
            )
            .streams(vec![i])
        })
        .collect()
}

pub(super) fn hold(cx: &Context) -> Vec<Finding> {
    cx.sdp_changes
        .iter()
        // A hold refused is no hold (`hold-resume-failure` says it).
        .filter(|c| {
            super::hold_resume::final_answer(cx, c.message)
                .is_none_or(|(_, f)| f.status().is_none_or(|s| s < 300))
        })
        .flat_map(|c| {
            c.lines
                .iter()
                .filter(|l| l.concern == Some(Concern::Hold))
                .map(move |l| {
                    Finding::new("hold", Severity::Info, l.text.clone())
                        .messages(c.against.into_iter().chain([c.message]).collect())
                })
        })
        .collect()
}
