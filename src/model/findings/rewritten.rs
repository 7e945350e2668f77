//! What a NAT or a SIP ALG rewrote on the way: RTP from another address
//! than its SDP announced, and an SDP whose addresses disagree.

use std::net::IpAddr;

use super::{Context, Finding, Severity};
use crate::model::media::StreamKind;
use crate::sip::headers;

/// Every media address the call's SDPs named, with the message that named
/// it first.
fn announced(cx: &Context) -> Vec<(IpAddr, u16, usize)> {
    let mut out: Vec<(IpAddr, u16, usize)> = Vec::new();
    for (i, sdp) in cx.sdps() {
        for (ip, port, _) in sdp.media_at() {
            if !out.iter().any(|a| a.0 == ip && a.1 == port) {
                out.push((ip, port, i));
            }
        }
    }
    out
}

/// A stream sent to an address the call's SDP announced came from an
/// address no SDP of the call names: a NAT rewrote its source (the far end
/// must send back to where it comes from: symmetric RTP, "comedia").
pub(super) fn rtp_source_not_in_sdp(cx: &Context) -> Vec<Finding> {
    if !cx.streams.iter().any(|s| s.kind == StreamKind::Rtp) {
        return Vec::new();
    }
    let announced = announced(cx);
    let mut out = Vec::new();
    for (k, s) in cx.streams.iter().enumerate() {
        if s.kind != StreamKind::Rtp || s.stats.packets == 0 {
            continue;
        }
        let Some(&(_, _, named_at)) = announced
            .iter()
            .find(|a| a.0 == s.dst.ip() && a.1 == s.dst.port())
        else {
            continue;
        };
        if announced.iter().any(|a| a.0 == s.src.ip()) {
            continue;
        }
        let others: Vec<String> = announced
            .iter()
            .filter(|a| a.0 != s.dst.ip())
            .map(|a| a.0.to_string())
            .fold(Vec::new(), |mut v, ip| {
                if !v.contains(&ip) {
                    v.push(ip);
                }
                v
            });
        out.push(
            Finding::new(
                "rtp-source-not-in-sdp",
                Severity::Info,
                format!(
                    "RTP to {} came from {}, an address no SDP of the call names{}",
                    s.dst,
                    s.src,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" (the sender's SDP said {})", others.join(", "))
                    }
                ),
            )
            .messages(
                announced
                    .iter()
                    .filter(|a| a.0 != s.dst.ip())
                    .map(|a| a.2)
                    .chain([named_at])
                    .collect(),
            )
            .streams(vec![k]),
        );
    }
    out
}

/// Could this address text be private ([`headers::is_private`])? A cheap
/// look at its start, so most origins are not parsed (every SDP is asked).
fn may_be_private(a: &str) -> bool {
    ["10.", "172.", "192.168.", "169.254."]
        .iter()
        .any(|p| a.starts_with(p))
        || a.starts_with(['f', 'F'])
}

/// An SDP whose origin (`o=`) names a private address while its media
/// address (`c=`) is public: something on the path rewrote `c=` and left
/// `o=`, as a SIP ALG in a router does (a media relay that rewrites `c=`
/// only does the same, on purpose).
pub(super) fn sip_alg_suspected(cx: &Context) -> Vec<Finding> {
    for (i, sdp) in cx.sdps() {
        let Some(origin) = sdp
            .origin
            .as_deref()
            .and_then(|o| o.rsplit(' ').next())
            .filter(|a| may_be_private(a))
            .and_then(|a| headers::ip(a.as_bytes()))
        else {
            continue;
        };
        if !headers::is_private(origin) {
            continue;
        }
        let Some((public, port, _)) = sdp.media_at().find(|(ip, ..)| {
            !headers::is_private(*ip) && !ip.is_loopback() && !ip.is_unspecified()
        }) else {
            continue;
        };
        return vec![
            Finding::new(
                "sip-alg-suspected",
                Severity::Info,
                format!(
                    "SDP from {}: o= names private {origin}, c= public {public}:{port}: rewritten on the way (a SIP ALG, or a media relay)",
                    cx.msgs().get(i).map_or_else(String::new, |m| m.src().to_string())
                ),
            )
            .messages(vec![i]),
        ];
    }
    Vec::new()
}
