//! The tolerant SIP scanner: `scan` (both framings) and `scan_all` on any bytes.
//! Besides "no panic", every message lies in the buffer and every span in its
//! head lies in the message, and a stream message does not depend on the bytes
//! that follow it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipscope::sip::scan::{Defects, Framing, Head, Scan, Span, StartLine, scan, scan_all, tag};

fn spans(h: &Head, msg: &[u8]) -> Vec<(&'static str, Span)> {
    let mut v = vec![
        ("call_id", h.call_id),
        ("cseq_method", h.cseq_method),
        ("from", h.from),
        ("from_tag", tag(msg, h.from)),
        ("to", h.to),
        ("to_tag", tag(msg, h.to)),
        ("via_branch", h.via_branch),
        ("contact", h.contact),
        ("content_type", h.content_type),
        ("user_agent", h.user_agent),
        ("server", h.server),
        ("reason", h.reason),
        ("warning", h.warning),
        ("x_call_id", h.x_call_id),
        ("expires", h.expires),
        ("body", h.body),
    ];
    match h.start_line {
        Some(StartLine::Request { method, uri }) => {
            v.push(("start.method", method));
            v.push(("start.uri", uri));
        }
        Some(StartLine::Response { reason, .. }) => v.push(("start.reason", reason)),
        None => {}
    }
    v
}

/// `msg` is the message's bytes (the buffer cut to `len`).
fn check_head(h: &Head, msg: &[u8], what: &str) {
    for (name, s) in spans(h, msg) {
        assert!(
            s.start <= s.end && s.end as usize <= msg.len(),
            "{what}: span {name} {s:?} outside a message of {} bytes",
            msg.len()
        );
        let _ = s.get(msg);
        let _ = (s.is_empty(), s.len());
    }
    let _ = (h.malformed(), h.defects.names(), h.defects.bits());
}

fn check_one(buf: &[u8], framing: Framing) {
    match scan(buf, framing) {
        Scan::Message { head, len } => {
            assert!(len <= buf.len(), "{framing:?}: len {len} > buf {}", buf.len());
            assert!(len > 0, "{framing:?}: empty message");
            check_head(&head, &buf[..len], &format!("{framing:?}"));
            // A complete stream message is the same when cut from what follows.
            if framing == Framing::Stream && !head.defects.contains(Defects::TOO_LARGE) {
                match scan(&buf[..len], framing) {
                    Scan::Message { head: h2, len: l2 } => {
                        assert_eq!(l2, len, "Stream: rescanning the message alone changed its length");
                        assert_eq!(h2, head, "Stream: rescanning the message alone changed its head");
                    }
                    other => panic!("Stream: rescanning the message alone gave {other:?}"),
                }
            }
        }
        Scan::Incomplete => {
            assert_eq!(framing, Framing::Stream, "Incomplete from Datagram framing");
        }
        Scan::NotSip => {}
    }
}

fn check_all(buf: &[u8], framing: Framing) {
    let mut prev_end = 0;
    for (at, head, len) in scan_all(buf, framing) {
        assert!(at >= prev_end, "{framing:?} scan_all: overlapping messages");
        assert!(at + len <= buf.len(), "{framing:?} scan_all: message past the buffer");
        check_head(&head, &buf[at..at + len], &format!("{framing:?} scan_all"));
        prev_end = at + len;
    }
}

/// The header readers the diagnosis rules use: pure over any bytes.
fn check_headers(data: &[u8]) {
    use sipscope::sip::headers;
    for (name, compact) in [("Via", Some(b'v')), ("Contact", Some(b'm')), ("WWW-Authenticate", None)] {
        for v in headers::values(data, name, compact) {
            let _ = (headers::via_host(v), headers::uri_host(v), headers::number(v));
            let _ = (headers::param(v, "nonce"), headers::param(v, "rport"));
            if let Some(ip) = headers::uri_host(v).and_then(headers::ip) {
                let _ = headers::is_private(ip);
            }
        }
    }
    let _ = headers::sipfrag_status(headers::body(data));
}

fuzz_target!(|data: &[u8]| {
    let _ = sipscope::sip::scan::looks_like_sip(data);
    check_headers(data);
    for framing in [Framing::Datagram, Framing::Stream] {
        check_one(data, framing);
        check_all(data, framing);
    }
});
