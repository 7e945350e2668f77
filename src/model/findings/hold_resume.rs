//! A hold or a resume that did not take: its re-offer refused, the held
//! side sending on, or no media after the resume.

use std::net::IpAddr;

use super::{Context, Finding, Severity, secs};
use crate::model::Method;
use crate::model::media::{RtpStream, StreamKind};
use crate::model::sdp_diff::{Concern, SdpChange, SdpKind};

const RULE: &str = "hold-resume-failure";
/// How long after its 2xx a hold or a resume has to take effect.
const SETTLE_NS: i64 = 2_000_000_000;
/// Packets the held side may still send after [`SETTLE_NS`] (a second of
/// 20 ms audio is 50): a few late ones are not "kept sending".
const STRAY_PACKETS: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Hold,
    Resume,
}

impl Intent {
    fn of(c: &SdpChange) -> Option<Self> {
        let has = |concern| c.lines.iter().any(|l| l.concern == Some(concern));
        if c.kind != SdpKind::Offer || c.against.is_none() {
            None
        } else if has(Concern::Hold) {
            Some(Self::Hold)
        } else if has(Concern::Resume) {
            Some(Self::Resume)
        } else {
            None
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Hold => "hold",
            Self::Resume => "resume",
        }
    }
}

pub(super) fn hold_resume_failure(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let offers: Vec<(&SdpChange, Intent)> = cx
        .sdp_changes
        .iter()
        .filter_map(|c| Some((c, Intent::of(c)?)))
        .collect();
    let mut out = Vec::new();
    for (k, &(c, intent)) in offers.iter().enumerate() {
        // The offer in a re-INVITE or UPDATE, and the final answer to it
        // (unanswered: the transaction rules say so).
        let Some(req) = msgs.get(c.message) else {
            continue;
        };
        let Some((fi, fin)) = final_answer(cx, c.message) else {
            continue;
        };
        let Some((_, method)) = req.cseq else {
            continue;
        };
        let code = fin.status().unwrap_or(0);
        // 491 is glare, retried or not: `reinvite-glare-491`.
        if code >= 400 && code != 491 {
            let stays = match intent {
                Intent::Hold => "off hold",
                Intent::Resume => "on hold",
            };
            out.push(
                Finding::new(
                    RULE,
                    Severity::Warning,
                    format!(
                        "{} {method} refused: {} (the call stays {stays})",
                        intent.word(),
                        cx.status_text(fin)
                    ),
                )
                .messages(vec![c.message, fi]),
            );
            continue;
        }
        if !(200..300).contains(&code) {
            continue;
        }
        let ok_ns = fin.ts_ns;
        // What happens next: another hold or resume, the BYE, or the end.
        let next_offer = offers
            .get(k + 1)
            .and_then(|(n, _)| msgs.get(n.message))
            .map(|m| m.ts_ns);
        let bye = msgs
            .iter()
            .skip(fi)
            .find(|m| m.method() == Some(Method::Bye))
            .map(|m| m.ts_ns);
        let until = [next_offer, bye]
            .into_iter()
            .flatten()
            .fold(cx.now_ns, i64::min);
        match intent {
            Intent::Hold => {
                if let Some(f) = held_side_sends(cx, c, ok_ns, until) {
                    out.push(f.messages(vec![c.message, fi]));
                }
            }
            Intent::Resume => {
                if until - ok_ns > SETTLE_NS
                    && cx.saw_past(ok_ns, SETTLE_NS)
                    && let Some(f) = silent_after_resume(cx, ok_ns)
                {
                    out.push(f.messages(vec![c.message, fi]));
                }
            }
        }
    }
    out
}

/// The final answer to message `i` when it is an INVITE or UPDATE (an
/// offer of a re-INVITE or UPDATE): its index and the response.
pub(super) fn final_answer<'m>(
    cx: &Context<'m>,
    i: usize,
) -> Option<(usize, &'m crate::model::Message)> {
    let msgs = cx.msgs();
    let req = msgs.get(i)?;
    let (cseq, method @ (Method::Invite | Method::Update)) = req.cseq? else {
        return None;
    };
    if req.method() != Some(method) {
        return None;
    }
    msgs.iter().enumerate().skip(i + 1).find(|(_, m)| {
        m.cseq == Some((cseq, method))
            && !m.retransmission()
            && m.status().is_some_and(|s| s >= 200)
    })
}

/// The hold offer's media addresses (where the held side sends to): each
/// m-line's, or the same side's previous SDP's when the hold says
/// `c=0.0.0.0`.
fn offerer_addresses(cx: &Context, c: &SdpChange) -> Vec<(IpAddr, u16)> {
    let addresses = |i: usize| -> Vec<(IpAddr, u16)> {
        super::media::sdp_of(cx, i).map_or_else(Vec::new, |sdp| {
            sdp.media_at()
                .filter(|(ip, ..)| !ip.is_unspecified())
                .map(|(ip, port, _)| (ip, port))
                .collect()
        })
    };
    let now = addresses(c.message);
    if now.is_empty() {
        c.against.map(addresses).unwrap_or_default()
    } else {
        now
    }
}

/// Packets of `s` in the whole seconds between `from_ns` and `to_ns` (its
/// per-second series: what is left of it).
fn packets_between(s: &RtpStream, from_ns: i64, to_ns: i64) -> u64 {
    s.rate
        .iter()
        .filter(|(sec, _, _)| {
            let start = sec.saturating_mul(1_000_000_000);
            start >= from_ns && start.saturating_add(1_000_000_000) <= to_ns
        })
        .map(|(_, n, _)| u64::from(*n))
        .sum()
}

/// The held side went on sending to the side that put the call on hold,
/// more than [`SETTLE_NS`] after the hold's 2xx and before what came next.
fn held_side_sends(cx: &Context, c: &SdpChange, ok_ns: i64, until: i64) -> Option<Finding> {
    let addrs = offerer_addresses(cx, c);
    let from = ok_ns + SETTLE_NS;
    let (i, s, n) = cx
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StreamKind::Rtp)
        .filter(|(_, s)| addrs.contains(&(s.dst.ip(), s.dst.port())))
        .map(|(i, s)| (i, *s, packets_between(s, from, until)))
        .find(|(_, _, n)| *n > STRAY_PACKETS)?;
    Some(
        Finding::new(
            RULE,
            Severity::Warning,
            format!(
                "the held side kept sending: {n} packets {} → {} in the whole seconds from {} after the hold was accepted",
                s.src,
                s.dst,
                secs(SETTLE_NS)
            ),
        )
        .streams(vec![i]),
    )
}

/// No RTP either way within [`SETTLE_NS`] of the resume's 2xx, where the
/// call had media before.
fn silent_after_resume(cx: &Context, ok_ns: i64) -> Option<Finding> {
    let rtp: Vec<&RtpStream> = cx
        .streams
        .iter()
        .copied()
        .filter(|s| s.kind == StreamKind::Rtp && s.stats.packets > 0)
        .collect();
    if rtp.is_empty() {
        return None; // no media at all: `no-media` or the capture's reach
    }
    // By the second: a packet in the resume's own second counts as media.
    let first = ok_ns.div_euclid(1_000_000_000);
    let last = (ok_ns + SETTLE_NS).div_euclid(1_000_000_000);
    // A series let go (the call was evicted) cannot say.
    if rtp.iter().any(|s| s.rate.is_empty()) {
        return None;
    }
    let flowing = rtp.iter().any(|s| {
        s.rate
            .iter()
            .any(|(sec, n, _)| (first..=last).contains(sec) && *n > 0)
    });
    (!flowing).then(|| {
        Finding::new(
            RULE,
            Severity::Warning,
            format!("no RTP either way within {} of the resume", secs(SETTLE_NS)),
        )
    })
}
