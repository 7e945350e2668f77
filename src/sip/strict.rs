//! A strict RFC 3261 / RFC 4566 opinion on one message, from rsip and sdp-rs.
//!
//! Neither crate can be the hot path (rsip 0.4 fails on IPv6 hosts, compact
//! headers, folding and non-UTF-8 bytes; sdp-rs 0.2 rejects an FQDN in `c=`),
//! but a typed parser that refuses what the RFC refuses is exactly what a user
//! wants when asking "is this message valid?". The views call this for the one
//! message in view; the capture path never does.

/// What the strict parsers thought of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `None` when rsip accepted the message, else its complaint.
    pub sip_error: Option<String>,
    /// `None` when there is no SDP or sdp-rs accepted it, else its complaint.
    pub sdp_error: Option<String>,
}

impl Verdict {
    #[must_use]
    pub fn is_strict(&self) -> bool {
        self.sip_error.is_none() && self.sdp_error.is_none()
    }
}

/// Runs rsip over the whole message and sdp-rs over `sdp` when given.
#[must_use]
pub fn check(raw: &[u8], sdp: Option<&[u8]>) -> Verdict {
    // Both crates run contained: sdp-rs panics on some inputs (fuzzing).
    let sip_error = match crate::contain::run(|| rsip::SipMessage::try_from(raw).map(|_| ())) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(format!("rsip panicked: {panic}")),
    };
    let sdp_complaint = sdp.and_then(|body| match std::str::from_utf8(body) {
        Err(e) => Some(format!("not UTF-8: {e}")),
        Ok(text) => match crate::contain::run(|| {
            sdp_rs::SessionDescription::try_from(text.to_owned()).map(|_| ())
        }) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(panic) => Some(format!("sdp-rs panicked: {panic}")),
        },
    });
    Verdict {
        sip_error,
        sdp_error: sdp_complaint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsip_accepts_a_plain_request_and_refuses_garbage() {
        let ok = b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: x@y\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        assert!(check(ok, None).is_strict(), "{:?}", check(ok, None));
        assert!(!check(b"\xff\xfe garbage", None).is_strict());
    }

    #[test]
    fn a_panic_in_sdp_rs_is_a_complaint() {
        crate::contain::install_quiet_hook();
        // Found by fuzzing: sdp-rs 0.2.1 panics on a huge repeat interval.
        let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nr=604800 10000000000000000 0\r\nm=audio 4000 RTP/AVP 0\r\n";
        let v = check(b"OPTIONS sip:x SIP/2.0\r\n\r\n", Some(sdp));
        assert!(v.sdp_error.is_some_and(|e| e.contains("panicked")));
    }
}
