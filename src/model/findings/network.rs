//! Rules about what the capture can show, and about the network between the
//! peers: NAT, private addresses, fragments.

use std::net::IpAddr;

use super::{Context, Finding, Severity};
use crate::decode::Transport;
use crate::model::Method;
use crate::sip::headers;
use crate::sip::scan::Defects;

/// Rules whose verdict needs both sides of the traffic in the capture.
const NEED_BOTH_SIDES: &[&str] = &[
    "one-way-media",
    "no-media",
    "early-media-silence",
    "media-stops-before-bye",
];

/// Rules that losses at the capture point can fake.
const NEED_NO_LOSS: &[&str] = &["poor-media-quality", "media-dropout"];

pub(super) fn capture_coverage(cx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    let silent = cx.silent_peers();
    if let Some(peer) = silent.first() {
        let evidence: Vec<usize> = cx
            .msgs()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.dst() == *peer)
            .map(|(i, _)| i)
            .take(8)
            .collect();
        out.push(
            Finding::new(
                "capture-coverage",
                Severity::Info,
                format!("{peer} never sent anything the capture shows: only one side is seen"),
            )
            .messages(evidence),
        );
    }
    let cut: Vec<usize> = cx
        .msgs()
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.defects.contains(Defects::TRUNCATED_BODY)
                || m.defects.contains(Defects::TRUNCATED_HEADERS)
        })
        .map(|(i, _)| i)
        .collect();
    if !cut.is_empty() {
        out.push(
            Finding::new(
                "capture-coverage",
                Severity::Info,
                format!("{} message(s) cut short (snap length)", cut.len()),
            )
            .messages(cut),
        );
    }
    let s = cx.model.stats();
    if s.dropped_kernel + s.tcp_gaps + s.fragments_dropped + s.dropped_channel > 0 {
        out.push(Finding::new(
            "capture-coverage",
            Severity::Info,
            format!(
                "the capture lost packets: kernel {}, channel {}, TCP gaps {}, fragments {}",
                s.dropped_kernel, s.dropped_channel, s.tcp_gaps, s.fragments_dropped
            ),
        ));
    }
    out
}

/// Lowers what the capture cannot show: rules that need both sides when one
/// is silent, quality rules when packets were lost at the capture point.
pub(super) fn apply_coverage(cx: &Context, findings: &mut [Finding]) {
    let one_sided = cx.one_sided();
    let s = cx.model.stats();
    let lossy = s.dropped_kernel + s.dropped_channel > 0;
    for f in findings.iter_mut() {
        let unsure = (one_sided && NEED_BOTH_SIDES.contains(&f.rule))
            || (lossy && NEED_NO_LOSS.contains(&f.rule));
        if unsure && f.severity > Severity::Info {
            f.severity = Severity::Info;
            f.summary
                .push_str(" (unknown: the capture cannot show it all)");
        }
    }
}

/// The literal address a header value's SIP URI names.
fn uri_ip(value: &[u8]) -> Option<IpAddr> {
    headers::uri_host(value).and_then(headers::ip)
}

pub(super) fn response_misrouted_nat(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    for (i, req) in msgs.iter().enumerate() {
        if req.method().is_none_or(|m| m == Method::Ack) || req.retransmission() {
            continue;
        }
        let Some(cseq) = req.cseq else { continue };
        let Some(resp) = msgs.iter().enumerate().skip(i).find(|(_, m)| {
            m.status().is_some() && m.cseq == Some(cseq) && m.src().ip() == req.dst().ip()
        }) else {
            continue;
        };
        let elsewhere = resp.1.dst() != req.src();
        let again = msgs.iter().enumerate().skip(resp.0).find(|(_, m)| {
            m.retransmission()
                && m.method() == req.method()
                && m.cseq == Some(cseq)
                && m.src() == req.src()
        });
        if !elsewhere && again.is_none() {
            continue;
        }
        let Some(raw) = cx.headers(i) else { continue };
        let Some(via) = raw.first("Via", Some(b'v')) else {
            continue;
        };
        let sent_by = headers::via_host(via).and_then(headers::ip);
        let rport = headers::param(via, "rport").is_some_and(|v| !v.is_empty())
            || headers::param(via, "received").is_some();
        let mismatch = sent_by.is_some_and(|ip| ip != req.src().ip());
        if !mismatch || rport && !elsewhere {
            continue;
        }
        let summary = format!(
            "Via says {} but the request came from {}; the response went to {}{}",
            sent_by.map(|a| a.to_string()).unwrap_or_default(),
            req.src(),
            resp.1.dst(),
            if again.is_some() {
                ", and the request was sent again"
            } else {
                ""
            }
        );
        return vec![
            Finding::new("response-misrouted-nat", Severity::Error, summary).messages(
                [i, resp.0]
                    .into_iter()
                    .chain(again.map(|(a, _)| a))
                    .collect(),
            ),
        ];
    }
    Vec::new()
}

pub(super) fn nat_contact_private(cx: &Context) -> Vec<Finding> {
    for (i, m) in cx.msgs().iter().enumerate() {
        let carries_contact = matches!(m.method(), Some(Method::Invite | Method::Register))
            || (m.status().is_some_and(|c| (200..300).contains(&c))
                && matches!(m.cseq, Some((_, Method::Invite))));
        if !carries_contact || m.retransmission() || headers_private(m.src().ip()) {
            continue;
        }
        let Some(contact) = cx.with_first(i, "Contact", Some(b'm'), uri_ip) else {
            continue;
        };
        if headers::is_private(contact) {
            return vec![
                Finding::new(
                    "nat-contact-private",
                    Severity::Warning,
                    format!(
                        "Contact names private {contact} in a message from public {}",
                        m.src()
                    ),
                )
                .messages(vec![i]),
            ];
        }
    }
    Vec::new()
}

fn headers_private(ip: IpAddr) -> bool {
    headers::is_private(ip) || ip.is_loopback()
}

pub(super) fn sdp_private_address(cx: &Context) -> Vec<Finding> {
    for (i, m) in cx.msgs().iter().enumerate() {
        if !m.has_sdp() || m.retransmission() {
            continue;
        }
        let Some(parsed) = cx.parsed(i) else {
            continue;
        };
        let Some(sdp) = parsed.sdp.as_ref() else {
            continue;
        };
        for media in sdp.media.iter().filter(|x| x.port != 0) {
            let Some(c) = media
                .connection
                .as_deref()
                .or(sdp.connection.as_deref())
                .and_then(|c| headers::ip(c.as_bytes()))
            else {
                continue;
            };
            // The SDP crosses into public address space (sent from, or to,
            // a public address): the far side cannot reach a private c=.
            let peer_public = !headers_private(m.src().ip()) || !headers_private(m.dst().ip());
            // (RTP from it last: it looks through every stream of the capture.)
            if headers::is_private(c) && peer_public && !cx.rtp_at(c, None, false) {
                return vec![
                    Finding::new(
                        "sdp-private-address",
                        Severity::Warning,
                        format!(
                            "SDP asks for {} at private {c}:{} ({} → {}), and no RTP came from it",
                            media.media,
                            media.port,
                            m.src(),
                            m.dst()
                        ),
                    )
                    .messages(vec![i]),
                ];
            }
        }
    }
    Vec::new()
}

/// Larger than this over UDP, a SIP message should have gone over TCP
/// (RFC 3261 18.1.1).
const UDP_LIMIT: usize = 1300;

pub(super) fn udp_fragmented_sip(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let big: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.transport == Transport::Udp
                && !m.retransmission()
                && (m.raw_len() > UDP_LIMIT || m.frame_count() > 1)
        })
        .map(|(i, _)| i)
        .collect();
    let Some(&first) = big.first() else {
        return Vec::new();
    };
    let answered = |i: usize| {
        msgs.get(i)
            .and_then(|m| m.cseq.filter(|_| m.method().is_some()))
            .is_none_or(|cseq| {
                msgs.iter()
                    .any(|x| x.status().is_some() && x.cseq == Some(cseq))
            })
    };
    let unanswered: Vec<usize> = big.iter().copied().filter(|i| !answered(*i)).collect();
    let small_answered = msgs.iter().enumerate().any(|(i, m)| {
        m.method().is_some_and(|x| x != Method::Ack) && !big.contains(&i) && answered(i)
    });
    let m = msgs.get(unanswered.first().copied().unwrap_or(first));
    let size = m.map_or(0, crate::model::Message::raw_len);
    let frags = m.map_or(0, crate::model::Message::frame_count);
    if !unanswered.is_empty() && small_answered {
        return vec![
            Finding::new(
                "udp-fragmented-sip",
                Severity::Error,
                format!(
                    "a {size}-byte request over UDP ({frags} frame(s)) went unanswered while smaller ones were answered"
                ),
            )
            .messages(unanswered),
        ];
    }
    vec![
        Finding::new(
            "udp-fragmented-sip",
            Severity::Warning,
            format!(
                "{} message(s) over UDP larger than {UDP_LIMIT} bytes or fragmented (the first: {size} bytes, {frags} frame(s))",
                big.len()
            ),
        )
        .messages(big),
    ]
}
