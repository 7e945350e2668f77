//! RTP payload types the receiver never agreed to: a stream carrying a
//! codec its receiver's SDP does not list.

use std::net::IpAddr;

use super::{Context, Finding, Severity};
use crate::model::media::StreamKind;
use crate::model::sdp_diff::Concern;

/// Payload types that are not the call's codec: comfort noise (13, and the
/// old 19) and what an SDP names `CN` or `telephone-event` (DTMF has its
/// own rule, `dtmf-mismatch`).
fn is_voice(pt: u8, names: &[(u8, String)]) -> bool {
    if matches!(pt, 13 | 19) {
        return false;
    }
    !names.iter().any(|(p, n)| {
        *p == pt && (n.eq_ignore_ascii_case("CN") || n.eq_ignore_ascii_case("telephone-event"))
    })
}

pub(super) fn rtp_payload_unexpected(cx: &Context) -> Vec<Finding> {
    if !cx
        .streams
        .iter()
        .any(|s| s.kind == StreamKind::Rtp && s.stats.packets > 0)
    {
        return Vec::new();
    }
    // An answer with no codec in common says it already (`codec-mismatch-488`).
    if cx.sdp_changes.iter().any(|c| {
        c.lines
            .iter()
            .any(|l| l.concern == Some(Concern::NoCommonCodec))
    }) {
        return Vec::new();
    }
    // Every SDP of the call: which formats each address accepts (over all
    // its SDPs: a re-INVITE may add codecs), and every name a payload type
    // was given.
    let mut accepts: Vec<(IpAddr, u16, Vec<u8>, usize)> = Vec::new();
    let mut names: Vec<(u8, String)> = Vec::new();
    for (i, sdp) in cx.sdps() {
        for (ip, port, media) in sdp.media_at() {
            let formats = media.formats.iter().filter_map(|f| f.parse::<u8>().ok());
            match accepts.iter_mut().find(|a| a.0 == ip && a.1 == port) {
                Some(a) => {
                    a.2.extend(formats);
                    a.3 = i;
                }
                None => accepts.push((ip, port, formats.collect(), i)),
            }
            for r in &media.rtpmap {
                names.push((r.payload_type, r.encoding.clone()));
            }
        }
    }
    let name = |pt: u8| -> String {
        names
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, n)| n.clone())
            .or_else(|| crate::sip::sdp::static_payload_name(pt).map(str::to_owned))
            .map_or_else(|| pt.to_string(), |n| format!("{pt} {n}"))
    };
    let mut out = Vec::new();
    for (k, s) in cx.streams.iter().enumerate() {
        if s.kind != StreamKind::Rtp {
            continue;
        }
        let Some((_, _, listed, sdp_at)) = accepts
            .iter()
            .find(|a| a.0 == s.dst.ip() && a.1 == s.dst.port())
        else {
            continue; // no SDP names where it went: nothing to hold it to
        };
        let unexpected: Vec<u8> = s
            .stats
            .payload_types
            .iter()
            .copied()
            .filter(|pt| !listed.contains(pt) && is_voice(*pt, &names))
            .collect();
        if unexpected.is_empty() {
            continue;
        }
        let mut listed_voice: Vec<u8> = Vec::new();
        for pt in listed.iter().copied().filter(|pt| is_voice(*pt, &names)) {
            if !listed_voice.contains(&pt) {
                listed_voice.push(pt);
            }
        }
        out.push(
            Finding::new(
                "rtp-payload-unexpected",
                Severity::Warning,
                format!(
                    "{} → {} carried {}, which the receiver's SDP does not list (it lists {})",
                    s.src,
                    s.dst,
                    unexpected
                        .iter()
                        .map(|pt| name(*pt))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if listed_voice.is_empty() {
                        "no codec".to_owned()
                    } else {
                        listed_voice
                            .iter()
                            .map(|pt| name(*pt))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )
            .messages(vec![*sdp_at])
            .streams(vec![k]),
        );
    }
    out
}
