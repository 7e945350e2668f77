//! What each rule means and what to try, in plain words: the text the
//! ladder's explanation, the reports and docs/diagnosis-*.md share.

/// The families rules are grouped in (one docs page each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Capture,
    Failure,
    Timers,
    Dialog,
    Registration,
    Network,
    Media,
}

/// One rule of the catalogue.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub family: Family,
    /// What the finding means.
    pub explanation: &'static str,
    /// What to try.
    pub fix: &'static str,
}

const fn rule(
    id: &'static str,
    family: Family,
    explanation: &'static str,
    fix: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        family,
        explanation,
        fix,
    }
}

/// Every rule sipscope knows, in the order findings are listed.
pub static CATALOGUE: &[RuleInfo] = &[
    rule(
        "capture-coverage",
        Family::Capture,
        "The capture cannot show everything this call did: a peer never sent anything that was captured, packets were lost at the capture point, or messages were cut short. Rules that depend on the missing part are reported as info, not as failures.",
        "Capture where both directions pass (on the SBC or the proxy, or on both legs), with a full snap length, and check the kernel's drop counters.",
    ),
    rule(
        "final-failure-cause",
        Family::Failure,
        "The call was refused with this final response. 4xx points at the request or the configuration, 5xx at a server that could not complete it, 6xx at a global decision of the callee.",
        "Read the response's sender, its Reason and Warning headers: they name the hop that gave up and often why.",
    ),
    rule(
        "forbidden-403",
        Family::Failure,
        "The server understood the request and refused it: the caller is barred, its address is not allowed, or the number or region is not permitted. After credentials, it means the credentials are valid but not allowed to do this.",
        "Check the account's rights, the IP allow-list on the provider or PBX, and the From / caller ID the trunk expects.",
    ),
    rule(
        "destination-4xx-6xx",
        Family::Failure,
        "The callee side answered that the destination cannot take the call: unknown number (404), incomplete number (484), not registered or unavailable (480), busy (486, 600) or declined (603).",
        "Check the dialled number and dial plan, whether the callee is registered, and do-not-disturb or forwarding settings.",
    ),
    rule(
        "upstream-5xx",
        Family::Failure,
        "A server on the path could not complete the call. An immediate 503 without 100 Trying usually means a configuration or trunk problem; after 100 or 18x, an overloaded server or no route onward.",
        "Retry later or over another route (honour Retry-After), check the trunk's address and status, and the server's logs at that time.",
    ),
    rule(
        "auth-loop",
        Family::Failure,
        "The request was challenged again and again and never accepted. The same nonce on every challenge (without stale=true) means the credentials are wrong; no Authorization at all means the client has none or something strips them.",
        "Check username, password and realm. On Asterisk, a request from an endpoint it does not identify gets a challenge that cannot be answered: check the endpoint's identify / match first.",
    ),
    rule(
        "invite-timeout",
        Family::Timers,
        "A request went unanswered: the sender retransmitted it on the RFC 3261 schedule and gave up when Timer B (INVITE) or Timer F (other requests) fired after 64*T1 = 32 s, or a 408 came back.",
        "Check that the destination is reachable: firewall rules, DNS SRV records, NAT bindings, the provider's status. Keep-alives or TCP/TLS help when a NAT forgets the binding.",
    ),
    rule(
        "response-misrouted-nat",
        Family::Network,
        "The request's top Via names an address other than the one it came from, without rport, so responses are sent to an address the caller cannot receive on (typically a private address behind NAT). The caller retransmits as if nothing came back.",
        "Have the client add rport (or the server force rport / force_rport), or use TCP.",
    ),
    rule(
        "ack-missing",
        Family::Timers,
        "The callee answered but never received the caller's ACK: it retransmitted the final response on the RFC 3261 schedule and gave up after 64*T1 = 32 s, typically hanging up with a BYE. This is the classic call that drops after 32 seconds.",
        "The caller did not get the 200 OK, or its ACK went astray: fix the Contact of the 200 OK and Record-Route, disable SIP ALG on routers, or use TCP.",
    ),
    rule(
        "prack-missing",
        Family::Timers,
        "A reliable provisional response (Require: 100rel, RFC 3262) was retransmitted and no PRACK came back; the callee will give up on the call.",
        "Disable 100rel on one side, or fix the path the PRACK should take (Contact, Record-Route, NAT).",
    ),
    rule(
        "codec-mismatch-488",
        Family::Media,
        "The two sides could not agree on media: an offer was refused (488, 606, 415) or the answer shares no codec with its offer.",
        "Offer a common codec (G.711 PCMU/PCMA as a fallback) or transcode on an SBC or PBX.",
    ),
    rule(
        "srtp-mismatch",
        Family::Media,
        "One side offered encrypted media (RTP/SAVP with crypto or DTLS fingerprints) and the other answered with plain RTP, or the reverse: media cannot be decrypted.",
        "Align the SRTP mode (SDES, DTLS or none) and the crypto suites on both ends.",
    ),
    rule(
        "dtmf-mismatch",
        Family::Media,
        "The two sides do not agree on how digits are sent: RFC 4733 telephone-event was left out of the answer, its payload type differs per side, or SIP INFO is used or refused while RFC 4733 was negotiated.",
        "Use the same DTMF method on both ends (RFC 4733 is the usual choice).",
    ),
    rule(
        "early-media-silence",
        Family::Media,
        "The callee announced early media (18x with SDP) but sent no RTP toward the caller before the final answer: the caller hears dead air instead of ringback.",
        "Have the far end send ringback or an announcement, or answer with 180 without SDP so the caller plays ringback itself.",
    ),
    rule(
        "pdd-high",
        Family::Timers,
        "Post-dial delay is long: the first ringing (18x) came seconds after the INVITE. Lost INVITEs, slow routing or DNS lookups are the usual causes.",
        "Look for INVITE retransmissions and slow hops along the path; check DNS and the routing of the number.",
    ),
    rule(
        "cancel-race",
        Family::Dialog,
        "A CANCEL crossed the answer, or found no transaction (481), or was accepted without the INVITE ever ending with 487: one side may think the call is up while the other does not.",
        "Usually harmless when the caller sends ACK and BYE for a crossing 200 OK; otherwise check the proxy's CANCEL handling.",
    ),
    rule(
        "reinvite-glare-491",
        Family::Dialog,
        "Both sides changed the session at the same time and one got 491 Request Pending. Harmless when the request is retried after a short random delay.",
        "If no retry follows, check the client's 491 handling; avoid simultaneous re-INVITEs (hold, codec changes) from both ends.",
    ),
    rule(
        "in-dialog-481",
        Family::Dialog,
        "A request inside the call was answered 481: the other side no longer knows the dialog. The peer restarted, a B2BUA dropped a leg, or the route set was ignored. Crossing BYEs get a harmless 481.",
        "Compare the tags and the route of the request with the dialog's; check the peer's uptime and Record-Route handling.",
    ),
    rule(
        "session-timer-expiry",
        Family::Timers,
        "Session timers (RFC 4028) were negotiated and the session was not refreshed in time, a refresh failed, or 422 repeated: calls drop at the Session-Expires interval (often 15 or 30 minutes).",
        "Align Session-Expires and Min-SE on both sides, make sure the refresher actually sends re-INVITE or UPDATE, and that refreshes are answered.",
    ),
    rule(
        "register-failure",
        Family::Registration,
        "The registration failed or went unanswered, so the phone cannot receive calls.",
        "Check the registrar's address and reachability, the account, and for 423 the Min-Expires the registrar asks for.",
    ),
    rule(
        "registration-lapse",
        Family::Registration,
        "The registrar granted a binding for a number of seconds and no refresh came before it expired: the phone stops receiving calls until it registers again.",
        "Re-register before expiry (every 60 to 300 s behind NAT) and check the client stays up.",
    ),
    rule(
        "nat-contact-private",
        Family::Network,
        "The Contact names a private address while the message came from a public one: requests sent to that Contact (BYE, re-INVITE, incoming calls) cannot reach the client.",
        "Use rport and have the server fix the Contact (fix_nated_contact, rewrite_contact), set the external signalling address, or use STUN.",
    ),
    rule(
        "sdp-private-address",
        Family::Network,
        "The SDP asks for media at a private address while the signalling came from a public one, and no RTP came from that address: the other side sends media nowhere.",
        "Set the external media address, use STUN/ICE, or put an SBC or media relay (comedia / symmetric RTP) in the path.",
    ),
    rule(
        "udp-fragmented-sip",
        Family::Network,
        "A SIP message over UDP was larger than 1300 bytes or arrived in IP fragments; firewalls and NATs often drop fragments, and the request then goes unanswered.",
        "Use TCP for large messages (RFC 3261 18.1.1), trim the SDP (fewer codecs) and headers.",
    ),
    rule(
        "one-way-media",
        Family::Media,
        "Media flowed in one direction only: one side hears nothing. A NAT or firewall blocks the other direction, the SDP names a wrong address, a SIP ALG rewrote it, or the phone is muted.",
        "Check the c= addresses against the RTP sources, firewall and NAT rules for the RTP ports, and disable SIP ALG.",
    ),
    rule(
        "no-media",
        Family::Media,
        "The call was answered and lasted seconds, yet no RTP for it was captured although other calls' RTP was: media is blocked, or it bypasses the capture point.",
        "Check where media should flow (SDP addresses) and whether it passes this capture point.",
    ),
    rule(
        "media-stops-before-bye",
        Family::Media,
        "RTP stopped seconds before the BYE: a NAT or firewall forgot the media binding, or a media timeout (rtptimeout) ended the call.",
        "Send RTP keep-alives (or comfort noise) during silence and lengthen the UDP timeout on NATs and firewalls.",
    ),
    rule(
        "poor-media-quality",
        Family::Media,
        "The stream lost packets, jittered or scores a low MOS: people hear gaps, robotic voice or delay.",
        "Look for congestion, Wi-Fi or VPN on the path, and QoS marking (DSCP EF) for RTP.",
    ),
    rule(
        "media-dropout",
        Family::Media,
        "A stream stopped for more than a second in the middle of the call (not silence suppression nor hold): a burst of loss, or a failover on the path.",
        "Look at the network at that moment (link flaps, failover), and at the sender's CPU.",
    ),
    rule(
        "transfer-failed",
        Family::Dialog,
        "A transfer (REFER) failed: it was refused, its progress NOTIFY reported a failure, or no final NOTIFY came.",
        "Check that REFER is enabled on the receiving side and that the transfer target is valid and reachable.",
    ),
    rule(
        "routing-loop",
        Family::Failure,
        "The request came back to a proxy it had already passed (482 Loop Detected), or ran out of hops (483 Too Many Hops): proxies route it to each other.",
        "Check the routes of the proxies involved for this number or domain; look at the Via headers to see the circle.",
    ),
    rule(
        "late-media",
        Family::Media,
        "RTP started more than two seconds after the call was answered: the first words are clipped.",
        "Look at what delays the media path (ICE, a media server, a slow endpoint) after the answer.",
    ),
    rule(
        "scanner-fraud",
        Family::Network,
        "The User-Agent is that of a SIP scanner (SIPVicious and its kin): someone is probing for accounts to abuse.",
        "Block the source, rate-limit failed requests, put an SBC in front, and check for weak passwords.",
    ),
    rule(
        "cleartext-secrets",
        Family::Network,
        "SRTP keys travel in the SDP in clear (a=crypto inline: over UDP or TCP): anyone on the path can decrypt the media.",
        "Carry SIP over TLS when using SDES keys, or use DTLS-SRTP.",
    ),
    rule(
        "record-route-ignored",
        Family::Dialog,
        "A proxy asked to stay in the path of the call (Record-Route in the 2xx), and the caller sent its later requests (ACK, BYE, re-INVITE) straight to the other end without a Route header. The proxy never sees them: it may retransmit the 2xx and drop the call for a lost ACK, and the far end or a firewall may refuse the request (481, no answer).",
        "Fix the caller's route-set handling (RFC 3261 12.1.2: the 2xx's Record-Route, reversed, becomes the Route of every later request), or stop the proxy from record-routing if it does not need to stay in the path.",
    ),
    rule(
        "rtp-payload-unexpected",
        Family::Media,
        "A stream carried a payload type (a codec) that its receiver's SDP does not list: the receiver may play noise or nothing. Comfort noise and telephone-event are left to their own rules.",
        "Check the sender's codec configuration against the negotiated SDP (it must send only what the receiver listed), and transcoding or codec-forcing on the path (an SBC that rewrites SDP but not the media).",
    ),
    rule(
        "rtp-source-not-in-sdp",
        Family::Network,
        "RTP sent to an address the call's SDP announced came from an address no SDP of the call names: a NAT rewrote the sender's address. It works only if the receiver sends its media back to where the RTP comes from (symmetric RTP), not to the SDP's address.",
        "Enable symmetric RTP / comedia (or rtp_symmetric, direct_media=no, NAT settings) on the receiver, or make the sender announce its public address (STUN, an SBC, the external media address setting).",
    ),
    rule(
        "sip-alg-suspected",
        Family::Network,
        "An SDP names a private address in its origin (o=) and a public one for its media (c=): something on the path rewrote the SDP and left the origin, as a SIP ALG in a router does. ALGs often rewrite badly (ports, Contact, Content-Length) and cause one-way audio and dropped calls. A media relay that rewrites c= only does the same on purpose.",
        "If no media relay is meant to rewrite this SDP, turn off the SIP ALG (\"SIP helper\", \"SIP fixup\") on the router or firewall at the private side, and capture on both sides of it to compare.",
    ),
    rule(
        "hold-resume-failure",
        Family::Media,
        "A hold or a resume did not take: its re-offer was refused (the call stays as it was), the held side went on sending after it accepted the hold, or no RTP came either way within 2 s of an accepted resume (the call stays silent: \"stuck on hold\").",
        "Check that both ends support the hold form used (sendonly, inactive, c=0.0.0.0) and follow the answer's direction; after a resume, look at the new SDP's addresses and at what sits in the media path (NAT bindings that expired during the hold, a media server that released its ports).",
    ),
    rule(
        "hold",
        Family::Media,
        "A re-offer put the media on hold (sendonly, inactive or c=0.0.0.0).",
        "Nothing to fix: worth knowing when media stops.",
    ),
];

/// The catalogue entry of a rule id.
#[must_use]
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    CATALOGUE.iter().find(|r| r.id == id)
}
