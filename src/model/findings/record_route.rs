//! Record-Route ignored: a proxy asked, in the 2xx, to stay in the path of
//! the call, and the caller's later requests went around it.

use super::{Context, Finding, Severity};
use crate::model::Method;

/// The caller (the initial INVITE's sender, where the capture sees it)
/// got a 2xx through a proxy that record-routes, then sent its ACK, BYE or
/// re-INVITE straight to another address with no `Route` header: the
/// proxy never sees them (a lost ACK, a 481 to the BYE, a call the proxy
/// keeps open).
///
/// Only the caller's side is judged: a capture on a proxy that sees both
/// legs shows the proxy itself forwarding requests without a Route (its
/// own entry taken off), which is right.
pub(super) fn record_route_ignored(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some(invite) = msgs.iter().find(|m| m.method() == Some(Method::Invite)) else {
        return Vec::new();
    };
    let caller = invite.src();
    // The first 2xx to an INVITE that reached the caller.
    let Some((ok_i, ok)) = msgs.iter().enumerate().find(|(_, m)| {
        m.dst() == caller
            && m.status().is_some_and(|s| (200..300).contains(&s))
            && matches!(m.cseq, Some((_, Method::Invite)))
    }) else {
        return Vec::new();
    };
    // From the messages' addresses alone first: the caller's requests after
    // the 2xx that went elsewhere than the 2xx came from. Most calls have
    // none, and their bytes are not read.
    let around: Vec<usize> = msgs
        .iter()
        .enumerate()
        .skip(ok_i + 1)
        .filter(|(_, m)| {
            m.src() == caller
                && m.dst() != ok.src()
                && !m.retransmission()
                && m.method().is_some_and(|x| x != Method::Cancel)
        })
        .map(|(i, _)| i)
        .collect();
    if around.is_empty() {
        return Vec::new();
    }
    let record_routes = cx
        .headers(ok_i)
        .is_some_and(|raw| raw.has("Record-Route", None));
    if !record_routes {
        return Vec::new();
    }
    let unrouted: Vec<usize> = around
        .into_iter()
        .filter(|&i| cx.headers(i).is_some_and(|raw| !raw.has("Route", None)))
        .collect();
    let Some(first) = unrouted.first().and_then(|&i| msgs.get(i)) else {
        return Vec::new();
    };
    let named: Vec<String> = unrouted
        .iter()
        .filter_map(|&i| msgs.get(i)?.method())
        .map(|m| m.as_str().to_owned())
        .collect();
    let mut evidence = vec![ok_i];
    evidence.extend(&unrouted);
    vec![
        Finding::new(
            "record-route-ignored",
            Severity::Warning,
            format!(
                "the 2xx came through {} with Record-Route; {} went straight to {} with no Route",
                ok.src(),
                named.join(", "),
                first.dst()
            ),
        )
        .messages(evidence),
    ]
}
