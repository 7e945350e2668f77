//! Rules on real and generated captures: each fires, with its evidence, on
//! its capture; none warns on the clean ones.

use super::*;

fn findings_of(capture: &str) -> Vec<Vec<Finding>> {
    let model = crate::replay(format!("tests/data/{capture}")).unwrap();
    model
        .dialogs()
        .map(|d| model.findings(d).to_vec())
        .collect()
}

fn rules(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule).collect()
}

/// tshark (`-q -z rtp,streams`) lists one stream in this capture,
/// 10.0.2.15:28120 → 10.0.2.20:6000, and none back.
#[test]
fn one_way_media_is_found_where_nothing_came_back() {
    let calls = findings_of("lundgrel-sipp-scenarios__sip-rtp-g729a.pcap");
    let f: Vec<&Finding> = calls.iter().flatten().collect();
    let ow: Vec<&&Finding> = f.iter().filter(|f| f.rule == "one-way-media").collect();
    assert_eq!(ow.len(), 1, "{f:?}");
    assert_eq!(ow[0].streams, [0]);
    assert!(ow[0].summary.contains("10.0.2.15:28120 → 10.0.2.20:6000"));
    assert!(!ow[0].explanation.is_empty() && !ow[0].fix.is_empty());
}

#[test]
fn media_both_ways_without_loss_is_no_finding() {
    for capture in [
        "michalcab-isa__real_sip_call.pcap",
        "michalcab-isa__i_was_called_by_another_pc.pcap",
    ] {
        for f in findings_of(capture) {
            assert!(
                f.iter().all(|f| f.severity == Severity::Info),
                "{capture}: {f:?}"
            );
        }
    }
}

#[test]
fn sdp_findings_point_at_offer_and_answer() {
    let calls = findings_of("synthetic_no_common_codec.pcap");
    assert_eq!(rules(&calls[0]), ["codec-mismatch-488"]);
    assert_eq!(calls[0][0].messages, [0, 2]);
    assert_eq!(calls[0][0].severity, Severity::Error);
    assert!(rules(&calls[1]).contains(&"codec-mismatch-488"));
    let refused = calls[1]
        .iter()
        .find(|f| f.rule == "codec-mismatch-488")
        .unwrap();
    assert_eq!(refused.messages, [0, 1]);
    assert!(refused.summary.contains("488"), "{}", refused.summary);

    let calls = findings_of("gen__hold_resume_refer_rtp.pcap");
    let hold = calls[0].iter().find(|f| f.rule == "hold").unwrap();
    assert_eq!(hold.severity, Severity::Info);
    assert_eq!(hold.summary, "audio: hold (sendonly)");
    assert_eq!(hold.messages, [0, 4]);
}

/// The answer names PCMU, which the offer did not; sipp's echo sends PCMA
/// back all the same. The SDP pairing is right (offer 0, answer 2): what
/// the rule missed was the media. Not an error while media flows both ways.
#[test]
fn an_answer_off_the_offer_with_media_both_ways_is_only_info() {
    for f in findings_of("gen__uac_pcap_rtp_2calls.pcap") {
        let c = f.iter().find(|f| f.rule == "codec-mismatch-488").unwrap();
        assert_eq!(c.severity, Severity::Info);
        assert_eq!(c.messages, [0, 2]);
    }
}

#[test]
fn clean_captures_have_no_warning_or_error() {
    for capture in [
        "gen__basic_udp_5calls.pcap",
        "gen__basic_tcp_5calls.pcap",
        "gen__vlan100_hold_resume_refer_rtp.pcap",
        "gen__hold_resume_refer_rtp.pcap",
        "gen__uac_pcap_rtp_2calls.pcap",
        "gen__register_digest_3.pcap",
        "gen__cancel_487_3calls.pcap",
        "sipp__g711a.pcap",
    ] {
        for f in findings_of(capture) {
            let bad: Vec<&Finding> = f.iter().filter(|f| f.severity > Severity::Info).collect();
            assert!(bad.is_empty(), "{capture}: {bad:#?}");
        }
    }
}

#[test]
fn busy_is_a_destination_warning_with_its_cause() {
    for f in findings_of("gen__busy_486_3calls.pcap") {
        assert_eq!(rules(&f), ["final-failure-cause", "destination-4xx-6xx"]);
        assert!(
            f[0].summary.starts_with("486 Busy Here from "),
            "{}",
            f[0].summary
        );
        assert_eq!(f[1].severity, Severity::Warning);
        assert_eq!(f[1].messages.len(), 2);
    }
}

/// heplify's ipip0 capture: a REGISTER challenged three times with the
/// same nonce (tshark: three 401s, nonce unchanged).
#[test]
fn register_challenged_three_times_with_one_nonce_is_an_auth_loop() {
    let model = crate::replay("tests/data/heplify__ipip0.pcap").unwrap();
    let all: Vec<Finding> = model
        .dialogs()
        .flat_map(|d| model.findings(d).to_vec())
        .collect();
    let a = all
        .iter()
        .find(|f| f.rule == "auth-loop")
        .expect("auth-loop");
    assert_eq!(a.severity, Severity::Error);
    assert!(a.summary.contains("challenged 3 times"), "{}", a.summary);
    assert!(a.summary.contains("same nonce"), "{}", a.summary);
    assert!(a.messages.len() >= 3);
}

/// eim-lab9: the caller's SDP names a private address and RTP comes in one
/// direction only.
#[test]
fn private_sdp_and_one_way_media_on_a_real_capture() {
    let calls = findings_of("eim-lab9__sip.pcap");
    let all: Vec<&Finding> = calls.iter().flatten().collect();
    let r = rules(&all.iter().map(|f| (*f).clone()).collect::<Vec<_>>());
    assert!(r.contains(&"one-way-media"), "{all:#?}");
    let ow = all.iter().find(|f| f.rule == "one-way-media").unwrap();
    assert_eq!(
        (ow.severity, ow.streams.as_slice()),
        (Severity::Error, &[0][..])
    );
    let p = all
        .iter()
        .find(|f| f.rule == "sdp-private-address")
        .expect("private SDP");
    assert_eq!(p.messages, [0]);
    assert!(p.summary.contains("192.168.57.101:57926"), "{}", p.summary);
}

#[test]
fn findings_are_kept_until_the_dialog_changes() {
    let model = crate::replay("tests/data/gen__busy_486_3calls.pcap").unwrap();
    let d = model.dialogs().next().unwrap();
    let a = model.findings(d);
    let b = model.findings(d);
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(&*a, model.run_rules(d).as_slice());
    assert_eq!(
        model.worst_finding(d, model.now_ns()),
        Some((Severity::Warning, "final-failure-cause"))
    );
    assert_eq!(model.finding_counts().get("destination-4xx-6xx"), Some(&3));
}

#[test]
fn every_rule_is_in_the_catalogue() {
    for id in [
        "capture-coverage",
        "final-failure-cause",
        "forbidden-403",
        "destination-4xx-6xx",
        "upstream-5xx",
        "auth-loop",
        "invite-timeout",
        "response-misrouted-nat",
        "ack-missing",
        "prack-missing",
        "codec-mismatch-488",
        "srtp-mismatch",
        "dtmf-mismatch",
        "early-media-silence",
        "pdd-high",
        "cancel-race",
        "reinvite-glare-491",
        "in-dialog-481",
        "session-timer-expiry",
        "register-failure",
        "registration-lapse",
        "nat-contact-private",
        "sdp-private-address",
        "udp-fragmented-sip",
        "one-way-media",
        "no-media",
        "media-stops-before-bye",
        "poor-media-quality",
        "media-dropout",
        "transfer-failed",
        "hold-resume-failure",
        "record-route-ignored",
        "rtp-payload-unexpected",
        "rtp-source-not-in-sdp",
        "sip-alg-suspected",
    ] {
        let info = catalogue::info(id).unwrap_or_else(|| panic!("{id}"));
        assert!(!info.explanation.is_empty() && !info.fix.is_empty());
    }
}

/// Live, the UI asks at the wall clock: Timer B fires on a quiet link when
/// it is due, not when the next packet comes.
#[test]
fn a_timer_fires_on_the_clock_without_a_new_packet() {
    let model = crate::replay("tests/data/diagnosis/invite_timeout_cut.pcap").unwrap();
    let d = model.dialogs().next().unwrap();
    let of = |now| {
        model
            .findings_at(d, now)
            .iter()
            .find(|f| f.rule == "invite-timeout")
            .map(|f| f.severity)
    };
    assert_eq!(of(model.now_ns()), Some(Severity::Warning));
    assert_eq!(of(model.now_ns() + 40_000_000_000), Some(Severity::Error));
}

/// Under a second a summary says ms: "0.0 s after the INVITE" hid a 56 ms
/// answer.
#[test]
fn summaries_say_ms_under_a_second() {
    assert_eq!(secs(56_000_000), "56 ms");
    assert_eq!(secs(304_600_000), "305 ms");
    assert_eq!(secs(999_600_000), "1.0 s");
    assert_eq!(secs(31_500_000_000), "31.5 s");
}
