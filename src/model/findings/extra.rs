//! Rules beyond the thirty the issue asked for: loops, scanners, secrets in
//! clear, media that starts late.

use super::{Context, Finding, Severity, secs};
use crate::model::Method;
use crate::sip::headers;

pub(super) fn routing_loop(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    if let Some((i, m)) = msgs
        .iter()
        .enumerate()
        .find(|(_, m)| matches!(m.status(), Some(482 | 483)) && !m.retransmission())
    {
        let req = m
            .cseq
            .and_then(|(n, meth)| cx.sends(n, meth).first().copied());
        return vec![
            Finding::new(
                "routing-loop",
                Severity::Error,
                format!(
                    "{} from {}: the request went round in circles",
                    cx.status_text(m),
                    m.src()
                ),
            )
            .messages(req.into_iter().chain([i]).collect()),
        ];
    }
    // The same INVITE (one CSeq) passing the capture point again and again
    // with Max-Forwards nearly spent.
    let Some((i, invite)) = cx.first_request(Method::Invite) else {
        return Vec::new();
    };
    let Some((cseq, _)) = invite.cseq else {
        return Vec::new();
    };
    let copies: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.method() == Some(Method::Invite) && m.cseq == invite.cseq && !m.retransmission()
        })
        .map(|(k, _)| k)
        .collect();
    if copies.len() < 3 {
        return Vec::new();
    }
    let last = copies.last().copied().unwrap_or(i);
    let hops_left = cx
        .headers(last)
        .and_then(|raw| raw.first("Max-Forwards", None).and_then(headers::number));
    match hops_left {
        Some(n) if n <= 5 => vec![
            Finding::new(
                "routing-loop",
                Severity::Error,
                format!(
                    "INVITE (CSeq {cseq}) passed {} times, Max-Forwards down to {n}",
                    copies.len()
                ),
            )
            .messages(copies),
        ],
        _ => Vec::new(),
    }
}

/// User-Agents of SIP scanners (`friendly-scanner` is `SIPVicious`'s).
const SCANNERS: &[&str] = &[
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sundayddr",
    "iWar",
    "pplsip",
];

/// The scanners' names, lowercased, each with its searcher: made once.
static FINDERS: std::sync::LazyLock<Vec<(&str, memchr::memmem::Finder<'static>)>> =
    std::sync::LazyLock::new(|| {
        SCANNERS
            .iter()
            .map(|s| {
                let lower = s.to_ascii_lowercase().into_bytes();
                (*s, memchr::memmem::Finder::new(&lower).into_owned())
            })
            .collect()
    });

/// The scanner a User-Agent names, if any. Dialogs come from a few
/// User-Agents, over and over: the last few answers are kept per thread.
fn scanner_named(ua: &str) -> Option<&'static str> {
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(Box<str>, Option<&'static str>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    /// User-Agents whose answer is kept.
    const KEPT: usize = 8;
    SEEN.with_borrow_mut(|seen| {
        if let Some(at) = seen.iter().position(|(u, _)| **u == *ua) {
            return seen.get(at).and_then(|(_, name)| *name);
        }
        let lower = ua.to_ascii_lowercase();
        let name = FINDERS
            .iter()
            .find(|(_, f)| f.find(lower.as_bytes()).is_some())
            .map(|(s, _)| *s);
        if seen.len() >= KEPT {
            seen.remove(0);
        }
        seen.push((Box::from(ua), name));
        name
    })
}

pub(super) fn scanner_fraud(cx: &Context) -> Vec<Finding> {
    let Some(ua) = cx.dialog.user_agent.as_deref() else {
        return Vec::new();
    };
    let Some(name) = scanner_named(ua) else {
        return Vec::new();
    };
    let first = cx.msgs().first();
    vec![
        Finding::new(
            "scanner-fraud",
            Severity::Warning,
            format!(
                "User-Agent {name:?} from {}: a SIP scanner",
                first.map(|m| m.src().to_string()).unwrap_or_default()
            ),
        )
        .messages(vec![0]),
    ]
}

/// What `cleartext-secrets` looks for in an SDP body, searchers made once.
static CRYPTO: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"a=crypto:"));
static INLINE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"inline:"));

pub(super) fn cleartext_secrets(cx: &Context) -> Vec<Finding> {
    // Every transport sipscope reads is in clear (UDP, TCP, WebSocket): an
    // SDES key in the SDP is readable by anyone on the path.
    for (i, m) in cx.msgs().iter().enumerate() {
        if !m.has_sdp() || m.retransmission() {
            continue;
        }
        let Some(raw) = cx.headers(i) else { continue };
        let body = raw.body();
        if CRYPTO.find(body).is_some() && INLINE.find(body).is_some() {
            return vec![
                Finding::new(
                    "cleartext-secrets",
                    Severity::Warning,
                    format!(
                        "SRTP keys (a=crypto inline:) readable in clear, {} over {}",
                        m.label(),
                        m.transport.as_str().to_ascii_uppercase()
                    ),
                )
                .messages(vec![i]),
            ];
        }
    }
    Vec::new()
}

pub(super) fn late_media(cx: &Context) -> Vec<Finding> {
    let msgs = cx.msgs();
    let Some(answer) = msgs.iter().position(|m| {
        m.status().is_some_and(|c| (200..300).contains(&c))
            && matches!(m.cseq, Some((_, Method::Invite)))
    }) else {
        return Vec::new();
    };
    let Some(at) = msgs.get(answer).map(|m| m.ts_ns) else {
        return Vec::new();
    };
    let Some((s, first)) = cx
        .streams
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.stats.first_ns))
        .min_by_key(|(_, t)| *t)
    else {
        return Vec::new();
    };
    let late = first - at;
    if late <= 2_000_000_000 {
        return Vec::new();
    }
    vec![
        Finding::new(
            "late-media",
            Severity::Warning,
            format!("the first RTP came {} after the answer", secs(late)),
        )
        .messages(vec![answer])
        .streams(vec![s]),
    ]
}
