//! What a box in the middle rewrote: the same message before and after a
//! hop (a proxy, an SBC, a SIP ALG), compared header by header and SDP line
//! by SDP line. Pure over bytes; the model pairs the messages
//! ([`crate::model::flow`]).
#![warn(clippy::indexing_slicing)]

use super::scan::{Framing, Scan, scan};

/// One difference between the message before the hop and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// The request-URI changed (a proxy routed it on).
    RequestUri { before: String, after: String },
    /// A header (lower-case, long name) that only the later message has.
    Added { header: String, value: String },
    /// A header that only the earlier message had.
    Removed { header: String, value: String },
    /// A header with other values.
    Changed {
        header: String,
        before: String,
        after: String,
    },
    /// An SDP line of one type (`c`, `o`, `m`...) with other values.
    Sdp {
        line: char,
        before: String,
        after: String,
    },
}

impl std::fmt::Display for Rewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RequestUri { before, after } => write!(f, "Request-URI {before} → {after}"),
            Self::Added { header, value } => write!(f, "+ {header}: {value}"),
            Self::Removed { header, value } => write!(f, "- {header}: {value}"),
            Self::Changed {
                header,
                before,
                after,
            } => write!(f, "{header}: {before} → {after}"),
            Self::Sdp {
                line,
                before,
                after,
            } => write!(f, "SDP {line}={before} → {line}={after}"),
        }
    }
}

/// Differences listed at most (a message rewritten whole is said so by
/// the first ones).
const MAX_REWRITES: usize = 40;

/// What changed from `before` (the message as it reached the box) to
/// `after` (as the box sent it on). Headers compare by their long names,
/// case-insensitively, their values in order; Via values one by one.
#[must_use]
pub fn rewrites(before: &[u8], after: &[u8]) -> Vec<Rewrite> {
    let (a, b) = (Parts::of(before), Parts::of(after));
    let mut out = Vec::new();
    if let (Some(ua), Some(ub)) = (&a.uri, &b.uri)
        && ua != ub
    {
        out.push(Rewrite::RequestUri {
            before: ua.clone(),
            after: ub.clone(),
        });
    }
    let mut names: Vec<&str> = Vec::new();
    for (n, _) in a.headers.iter().chain(&b.headers) {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    for name in names {
        let va = a.values(name);
        let vb = b.values(name);
        if va == vb {
            continue;
        }
        if name == "via" {
            for v in vb.iter().filter(|v| !va.contains(v)) {
                out.push(Rewrite::Added {
                    header: name.to_owned(),
                    value: (*v).to_owned(),
                });
            }
            for v in va.iter().filter(|v| !vb.contains(v)) {
                out.push(Rewrite::Removed {
                    header: name.to_owned(),
                    value: (*v).to_owned(),
                });
            }
            continue;
        }
        out.push(match (va.is_empty(), vb.is_empty()) {
            (true, _) => Rewrite::Added {
                header: name.to_owned(),
                value: vb.join(", "),
            },
            (_, true) => Rewrite::Removed {
                header: name.to_owned(),
                value: va.join(", "),
            },
            _ => Rewrite::Changed {
                header: name.to_owned(),
                before: va.join(", "),
                after: vb.join(", "),
            },
        });
    }
    sdp_rewrites(&a.sdp, &b.sdp, &mut out);
    out.truncate(MAX_REWRITES);
    out
}

/// SDP lines of each type compared in order.
fn sdp_rewrites(a: &[(char, String)], b: &[(char, String)], out: &mut Vec<Rewrite>) {
    let mut types: Vec<char> = Vec::new();
    for (t, _) in a.iter().chain(b) {
        if !types.contains(t) {
            types.push(*t);
        }
    }
    for t in types {
        let la: Vec<&str> = a
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, v)| v.as_str())
            .collect();
        let lb: Vec<&str> = b
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, v)| v.as_str())
            .collect();
        if la != lb {
            out.push(Rewrite::Sdp {
                line: t,
                before: la.join(" | "),
                after: lb.join(" | "),
            });
        }
    }
}

/// A message taken apart for comparing.
#[derive(Default)]
struct Parts {
    uri: Option<String>,
    /// (long lower-case name, value), unfolded, in order; Via split at commas.
    headers: Vec<(String, String)>,
    /// SDP lines (type, value), when the body is SDP.
    sdp: Vec<(char, String)>,
}

impl Parts {
    fn of(raw: &[u8]) -> Self {
        let mut p = Self::default();
        let head_end = memchr::memmem::find(raw, b"\r\n\r\n")
            .map(|i| (i, i + 4))
            .or_else(|| memchr::memmem::find(raw, b"\n\n").map(|i| (i, i + 2)));
        let (head, body) = match head_end {
            Some((h, b)) => (
                raw.get(..h).unwrap_or(raw),
                raw.get(b..).unwrap_or_default(),
            ),
            None => (raw, &[][..]),
        };
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
        if let Some(start) = lines.next() {
            let mut words = start.split_whitespace();
            if let (Some(_method), Some(uri), Some("SIP/2.0")) =
                (words.next(), words.next(), words.next())
            {
                p.uri = Some(uri.to_owned());
            }
        }
        for line in lines {
            if line.starts_with([' ', '\t']) {
                // A folded line continues the header before.
                if let Some((_, v)) = p.headers.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = long_name(&name.trim().to_ascii_lowercase());
            if name == "via" {
                for v in value.split(',') {
                    p.headers.push((name.clone(), v.trim().to_owned()));
                }
            } else {
                p.headers.push((name, value.trim().to_owned()));
            }
        }
        if matches!(scan(raw, Framing::Datagram), Scan::Message { .. })
            && super::sdp::looks_like_sdp(body)
        {
            let text = String::from_utf8_lossy(body);
            for line in text.lines() {
                let mut chars = line.chars();
                if let (Some(t), Some('=')) = (chars.next(), chars.next()) {
                    p.sdp.push((t, chars.as_str().trim_end().to_owned()));
                }
            }
        }
        p
    }

    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Compact header names (RFC 3261 7.3.3, RFC 3515, RFC 4028) in full.
fn long_name(name: &str) -> String {
    match name {
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "m" => "contact",
        "l" => "content-length",
        "c" => "content-type",
        "k" => "supported",
        "s" => "subject",
        "e" => "content-encoding",
        "r" => "refer-to",
        "x" => "session-expires",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: &[u8] = b"INVITE sip:bob@pbx.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa\r\nMax-Forwards: 70\r\n\
From: <sip:alice@a>;tag=1\r\nTo: <sip:bob@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:alice@10.0.0.5:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 62\r\n\r\n\
v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 0\r\n";

    const SENT: &[u8] = b"INVITE sip:bob@10.0.0.9:5060 SIP/2.0\r\n\
Record-Route: <sip:203.0.113.1;lr>\r\n\
Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKp, SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa\r\n\
Max-Forwards: 69\r\nf: <sip:alice@a>;tag=1\r\nTo: <sip:bob@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:alice@203.0.113.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 66\r\n\r\n\
v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\nc=IN IP4 203.0.113.1\r\nm=audio 4000 RTP/AVP 0\r\n";

    #[test]
    fn a_proxy_and_an_alg_rewrite_what_they_touch_and_nothing_else() {
        let r = rewrites(RECEIVED, SENT);
        let text: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "Request-URI sip:bob@pbx.example → sip:bob@10.0.0.9:5060",
                "+ via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKp",
                "max-forwards: 70 → 69",
                "contact: <sip:alice@10.0.0.5:5060> → <sip:alice@203.0.113.1:5060>",
                "content-length: 62 → 66",
                "+ record-route: <sip:203.0.113.1;lr>",
                "SDP c=IN IP4 10.0.0.5 → c=IN IP4 203.0.113.1",
            ]
        );
        // The compact `f:` is From: unchanged.
        assert!(!text.iter().any(|t| t.starts_with("from")));
    }

    #[test]
    fn the_same_message_has_no_rewrites_and_garbage_never_panics() {
        assert!(rewrites(SENT, SENT).is_empty());
        for n in 0..SENT.len() {
            let _ = rewrites(SENT.get(..n).unwrap_or_default(), RECEIVED);
        }
        let _ = rewrites(b"\xff\xfe:\r\n\r\n\x00", b"");
    }
}
