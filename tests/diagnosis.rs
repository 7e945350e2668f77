#![allow(clippy::unwrap_used)]
//! Each diagnosis rule on its capture (`tests/data/diagnosis/`, written by
//! `scripts/make_diagnosis.py`): it fires, at its severity, on the messages and
//! streams that show it; and no rule says more than info on clean captures.

use sipscope::model::findings::{Finding, Severity};
use std::process::Command;

/// Every finding of every dialog of a capture, in dialog order.
fn findings(capture: &str) -> Vec<Finding> {
    let model = sipscope::replay(format!("tests/data/{capture}")).unwrap();
    model
        .dialogs()
        .flat_map(|d| model.findings(d).to_vec())
        .collect()
}

/// The one finding of `rule` in `capture`, checked for severity, evidence
/// and a word of its summary.
fn expect(
    capture: &str,
    rule: &str,
    severity: Severity,
    messages: &[usize],
    streams: &[usize],
    says: &str,
) {
    let all = findings(&format!("diagnosis/{capture}"));
    let of_rule: Vec<&Finding> = all.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(of_rule.len(), 1, "{capture}: {rule}: {all:#?}");
    let f = of_rule[0];
    assert_eq!(f.severity, severity, "{capture}: {f:#?}");
    assert_eq!(f.messages, messages, "{capture}: {f:#?}");
    assert_eq!(f.streams, streams, "{capture}: {f:#?}");
    assert!(
        f.summary.contains(says),
        "{capture}: {:?} lacks {says:?}",
        f.summary
    );
    assert!(!f.explanation.is_empty() && !f.fix.is_empty());
}

#[test]
fn ack_missing_names_every_2xx_send_and_the_bye_32_s_later() {
    expect(
        "ack_missing.pcap",
        "ack-missing",
        Severity::Error,
        &[3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        &[],
        "200 OK sent 11 times over 31.5 s, never acknowledged; the callee sent BYE 32.0 s after the first",
    );
}

#[test]
fn invite_timeout_fires_when_timer_b_has_passed() {
    expect(
        "invite_timeout.pcap",
        "invite-timeout",
        Severity::Error,
        &[0, 1, 2, 3, 4, 5, 6],
        &[],
        "Timer B fired",
    );
}

#[test]
fn a_capture_that_ends_before_timer_b_only_warns() {
    expect(
        "invite_timeout_cut.pcap",
        "invite-timeout",
        Severity::Warning,
        &[0, 1, 2],
        &[],
        "before Timer B",
    );
}

#[test]
fn a_lone_request_to_a_silent_peer_is_coverage_not_failure() {
    let all = findings("diagnosis/one_side_only.pcap");
    let rules: Vec<&str> = all.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["capture-coverage"], "{all:#?}");
    assert_eq!(all[0].severity, Severity::Info);
}

#[test]
fn forbidden_after_credentials() {
    expect(
        "forbidden_403.pcap",
        "forbidden-403",
        Severity::Error,
        &[3, 4],
        &[],
        "carried credentials",
    );
    expect(
        "forbidden_403.pcap",
        "final-failure-cause",
        Severity::Error,
        &[3, 4],
        &[],
        "Destination barred",
    );
}

#[test]
fn not_found_is_a_destination_warning_with_its_reason() {
    expect(
        "not_found_404.pcap",
        "destination-4xx-6xx",
        Severity::Warning,
        &[0, 2],
        &[],
        "unknown",
    );
    expect(
        "not_found_404.pcap",
        "final-failure-cause",
        Severity::Warning,
        &[0, 2],
        &[],
        "Q.850;cause=1",
    );
}

#[test]
fn an_immediate_503_points_at_configuration() {
    expect(
        "upstream_503.pcap",
        "upstream-5xx",
        Severity::Error,
        &[0, 1],
        &[],
        "Retry-After: 60",
    );
}

#[test]
fn auth_loop_with_one_nonce() {
    expect(
        "auth_loop.pcap",
        "auth-loop",
        Severity::Error,
        &[1, 3, 4, 6, 7],
        &[],
        "same nonce",
    );
}

#[test]
fn prack_missing_for_a_reliable_183() {
    expect(
        "prack_missing.pcap",
        "prack-missing",
        Severity::Error,
        &[2, 3, 4, 5, 6, 7, 8],
        &[],
        "sent 7 times, no PRACK",
    );
}

#[test]
fn post_dial_delay_over_3_s() {
    expect(
        "pdd_high.pcap",
        "pdd-high",
        Severity::Warning,
        &[0, 2],
        &[],
        "5.0 s",
    );
}

#[test]
fn cancel_crossing_the_answer() {
    expect(
        "cancel_race.pcap",
        "cancel-race",
        Severity::Warning,
        &[3, 4],
        &[],
        "crossed",
    );
}

#[test]
fn glare_without_retry() {
    expect(
        "reinvite_glare_491.pcap",
        "reinvite-glare-491",
        Severity::Warning,
        &[5, 6],
        &[],
        "not retried",
    );
}

#[test]
fn bye_answered_481() {
    expect(
        "in_dialog_481.pcap",
        "in-dialog-481",
        Severity::Warning,
        &[5, 6],
        &[],
        "does not know",
    );
}

#[test]
fn session_expires_without_refresh_then_bye() {
    expect(
        "session_timer_expiry.pcap",
        "session-timer-expiry",
        Severity::Error,
        &[3, 5],
        &[],
        "Session-Expires 90 s",
    );
}

#[test]
fn register_refused_and_register_unanswered() {
    expect(
        "register_failure.pcap",
        "register-failure",
        Severity::Error,
        &[0, 1],
        &[],
        "Min-Expires: 3600",
    );
    expect(
        "register_timeout.pcap",
        "register-failure",
        Severity::Error,
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        &[],
        "Timer F",
    );
}

#[test]
fn binding_not_refreshed() {
    expect(
        "registration_lapse.pcap",
        "registration-lapse",
        Severity::Warning,
        &[1],
        &[],
        "60 s",
    );
}

#[test]
fn private_contact_and_private_sdp_from_public_addresses() {
    expect(
        "nat_contact_private.pcap",
        "nat-contact-private",
        Severity::Warning,
        &[0],
        &[],
        "192.168.1.10",
    );
    expect(
        "sdp_private_address.pcap",
        "sdp-private-address",
        Severity::Warning,
        &[0],
        &[],
        "10.0.0.6:40000",
    );
}

#[test]
fn responses_sent_to_the_via_address_behind_nat() {
    expect(
        "response_misrouted_nat.pcap",
        "response-misrouted-nat",
        Severity::Error,
        &[0, 1, 2],
        &[],
        "sent again",
    );
}

#[test]
fn large_sip_over_udp() {
    expect(
        "udp_fragmented_sip.pcap",
        "udp-fragmented-sip",
        Severity::Warning,
        &[0],
        &[],
        "larger than 1300",
    );
}

#[test]
fn transfer_target_busy() {
    expect(
        "transfer_failed.pcap",
        "transfer-failed",
        Severity::Warning,
        &[5, 9],
        &[],
        "486 Busy Here",
    );
}

#[test]
fn media_rules_on_their_streams() {
    expect(
        "early_media_silence.pcap",
        "early-media-silence",
        Severity::Warning,
        &[2, 3],
        &[],
        "5.8 s",
    );
    expect(
        "no_media.pcap",
        "no-media",
        Severity::Error,
        &[3],
        &[],
        "no RTP captured",
    );
    expect(
        "one_way_media.pcap",
        "one-way-media",
        Severity::Error,
        &[],
        &[0],
        "150 packets, none came back",
    );
    expect(
        "media_stops_before_bye.pcap",
        "media-stops-before-bye",
        Severity::Warning,
        &[5],
        &[0, 1],
        "before the BYE",
    );
    expect(
        "poor_media_quality.pcap",
        "poor-media-quality",
        Severity::Error,
        &[],
        &[0],
        "14 lost (9.3%)",
    );
    expect(
        "media_dropout.pcap",
        "media-dropout",
        Severity::Warning,
        &[],
        &[0],
        "a gap of 2.0 s",
    );
    expect(
        "srtp_mismatch.pcap",
        "srtp-mismatch",
        Severity::Error,
        &[0, 3],
        &[],
        "RTP/SAVP answered RTP/AVP",
    );
    expect(
        "dtmf_mismatch.pcap",
        "dtmf-mismatch",
        Severity::Warning,
        &[0, 3],
        &[],
        "101 in the offer, 96",
    );
}

/// Each rule fires on its own capture only: the diagnosis captures are
/// clean of every other warning, except what they show on purpose.
#[test]
fn rules_do_not_fire_on_the_other_diagnosis_captures() {
    let expected: &[(&str, &[&str])] = &[
        ("ack_missing.pcap", &["ack-missing"]),
        ("auth_loop.pcap", &["auth-loop", "final-failure-cause"]),
        ("cancel_race.pcap", &["cancel-race"]),
        ("dtmf_mismatch.pcap", &["dtmf-mismatch"]),
        ("early_media_silence.pcap", &["early-media-silence"]),
        (
            "forbidden_403.pcap",
            &["forbidden-403", "final-failure-cause"],
        ),
        ("in_dialog_481.pcap", &["in-dialog-481"]),
        ("invite_timeout.pcap", &["invite-timeout"]),
        ("invite_timeout_cut.pcap", &["invite-timeout"]),
        (
            "media_dropout.pcap",
            &["media-dropout", "poor-media-quality"],
        ),
        ("media_stops_before_bye.pcap", &["media-stops-before-bye"]),
        ("nat_contact_private.pcap", &["nat-contact-private"]),
        ("no_media.pcap", &["no-media"]),
        (
            "not_found_404.pcap",
            &["destination-4xx-6xx", "final-failure-cause"],
        ),
        ("one_side_only.pcap", &[]),
        ("one_way_media.pcap", &["one-way-media"]),
        ("pdd_high.pcap", &["pdd-high"]),
        ("poor_media_quality.pcap", &["poor-media-quality"]),
        (
            "prack_missing.pcap",
            &["prack-missing", "final-failure-cause", "upstream-5xx"],
        ),
        ("register_failure.pcap", &["register-failure"]),
        ("register_timeout.pcap", &["register-failure"]),
        ("registration_lapse.pcap", &["registration-lapse"]),
        ("reinvite_glare_491.pcap", &["reinvite-glare-491"]),
        ("response_misrouted_nat.pcap", &["response-misrouted-nat"]),
        ("sdp_private_address.pcap", &["sdp-private-address"]),
        ("session_timer_expiry.pcap", &["session-timer-expiry"]),
        (
            "srtp_mismatch.pcap",
            &["srtp-mismatch", "cleartext-secrets"],
        ),
        (
            "routing_loop.pcap",
            &["routing-loop", "final-failure-cause"],
        ),
        ("late_media.pcap", &["late-media"]),
        ("hold_refused.pcap", &["hold-resume-failure"]),
        ("held_side_sends.pcap", &["hold-resume-failure"]),
        ("resume_no_media.pcap", &["hold-resume-failure"]),
        (
            "record_route_ignored.pcap",
            &["in-dialog-481", "record-route-ignored"],
        ),
        ("record_route_followed.pcap", &[]),
        ("rtp_payload_unexpected.pcap", &["rtp-payload-unexpected"]),
        ("rtp_source_nat.pcap", &["sdp-private-address"]),
        ("sip_alg.pcap", &[]),
        ("scanner_fraud.pcap", &["scanner-fraud"]),
        ("transfer_failed.pcap", &["transfer-failed"]),
        ("udp_fragmented_sip.pcap", &["udp-fragmented-sip"]),
        (
            "upstream_503.pcap",
            &["final-failure-cause", "upstream-5xx"],
        ),
    ];
    for (capture, rules) in expected {
        let mut got: Vec<&str> = findings(&format!("diagnosis/{capture}"))
            .iter()
            .filter(|f| f.severity > Severity::Info)
            .map(|f| f.rule)
            .collect();
        got.sort_unstable();
        got.dedup();
        let mut want = rules.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{capture}");
    }
}

#[test]
fn clean_shared_captures_have_no_warning() {
    for capture in [
        "gen__basic_udp_5calls.pcap",
        "gen__basic_tcp_5calls.pcap",
        "gen__vlan100_hold_resume_refer_rtp.pcap",
        "gen__uac_pcap_rtp_2calls.pcap",
        "gen__register_digest_3.pcap",
        "gen__cancel_487_3calls.pcap",
        "gen__qinq200-100_cancel_487_3calls.pcap",
        "gen__load_udp_2000calls_200cps.pcap",
        "gen__load_tcp_500calls_100cps.pcap",
        "sipp__g711a.pcap",
        "sipp__dtmf_2833_1.pcap",
        "michalcab-isa__real_sip_call.pcap",
        "michalcab-isa__i_was_called_by_another_pc.pcap",
        "heplify__sip_ipv4_tcp.pcap",
        "heplify__sip_ipv6_udp.pcap",
        "kamailio__proxy_2calls.pcap",
        "hep/two_agents__kamailio__proxy_2calls.pcap",
    ] {
        let bad: Vec<Finding> = findings(capture)
            .into_iter()
            .filter(|f| f.severity > Severity::Info)
            .collect();
        assert!(bad.is_empty(), "{capture}: {bad:#?}");
    }
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(args)
        .arg("--log-file")
        .arg(std::env::temp_dir().join("sipscope-diagnosis-test.log"))
        .output()
        .unwrap()
}

#[test]
fn fail_on_exits_3_at_or_above_its_severity() {
    let warn = "tests/data/diagnosis/pdd_high.pcap";
    let code = |file: &str, level: &str| {
        run(&[
            "-r",
            file,
            "--no-ui",
            "--report",
            "stats",
            "--fail-on",
            level,
        ])
        .status
        .code()
    };
    assert_eq!(code(warn, "warning"), Some(3));
    assert_eq!(code(warn, "error"), Some(0));
    assert_eq!(
        code("tests/data/diagnosis/ack_missing.pcap", "error"),
        Some(3)
    );
    assert_eq!(
        code("tests/data/gen__basic_udp_5calls.pcap", "warning"),
        Some(0)
    );
}

#[test]
fn json_report_carries_findings_and_counts() {
    let out = run(&[
        "-r",
        "tests/data/diagnosis/ack_missing.pcap",
        "--no-ui",
        "--report",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"]["ack-missing"], 1);
    let f = &v["calls"][0]["findings"][0];
    assert_eq!(f["rule"], "ack-missing");
    assert_eq!(f["severity"], "error");
    for key in ["summary", "explanation", "fix"] {
        assert!(f[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert_eq!(f["messages"].as_array().unwrap().len(), 12);
    assert_eq!(f["streams"].as_array().unwrap().len(), 0);
}

#[test]
fn text_report_has_a_findings_column() {
    let out = run(&[
        "-r",
        "tests/data/diagnosis/ack_missing.pcap",
        "--no-ui",
        "--report",
        "text",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().ends_with("findings"), "{text}");
    assert!(text.contains("E:ack-missing"), "{text}");
}

/// docs/diagnosis.md and its family pages name every rule of the catalogue.
#[test]
fn every_rule_has_its_docs() {
    let mut docs = std::fs::read_to_string("docs/diagnosis.md").unwrap();
    for page in std::fs::read_dir("docs/diagnosis").unwrap() {
        docs.push_str(&std::fs::read_to_string(page.unwrap().path()).unwrap());
    }
    for r in sipscope::model::findings::catalogue::CATALOGUE {
        assert!(
            docs.contains(&format!("## `{}`", r.id)),
            "{} has no section",
            r.id
        );
    }
}

#[test]
fn the_rules_beyond_the_thirty() {
    expect(
        "routing_loop.pcap",
        "routing-loop",
        Severity::Error,
        &[0, 2],
        &[],
        "483 Too Many Hops",
    );
    expect(
        "late_media.pcap",
        "late-media",
        Severity::Warning,
        &[3],
        &[0],
        "3.0 s after the answer",
    );
    expect(
        "scanner_fraud.pcap",
        "scanner-fraud",
        Severity::Warning,
        &[0],
        &[],
        "friendly-scanner",
    );
    expect(
        "srtp_mismatch.pcap",
        "cleartext-secrets",
        Severity::Warning,
        &[0],
        &[],
        "a=crypto inline:",
    );
}

/// A hold that did not take, each way: refused (tshark: the re-INVITE with
/// `a=sendonly` at 3.01 s gets 500), accepted by a side that sends on (its
/// stream, 192.0.2.2:50000 -> 192.0.2.1:40000, runs to 9.0 s), and a
/// resume after which no RTP comes (the last at 3.0 s, the resume's 200 OK
/// at 7.02 s, the BYE at 13.01 s).
#[test]
fn hold_resume_failure_refused_sent_through_and_silent() {
    expect(
        "hold_refused.pcap",
        "hold-resume-failure",
        Severity::Warning,
        &[5, 6],
        &[],
        "hold INVITE refused: 500 Server Internal Error (the call stays off hold)",
    );
    assert!(
        findings("diagnosis/hold_refused.pcap")
            .iter()
            .all(|f| f.rule != "hold"),
        "a refused hold is no hold"
    );
    expect(
        "held_side_sends.pcap",
        "hold-resume-failure",
        Severity::Warning,
        &[5, 6],
        &[1],
        "the held side kept sending: 150 packets 192.0.2.2:50000 → 192.0.2.1:40000 in the whole seconds from 2.0 s after",
    );
    expect(
        "resume_no_media.pcap",
        "hold-resume-failure",
        Severity::Warning,
        &[8, 9],
        &[],
        "no RTP either way within 2.0 s of the resume",
    );
}

/// Captured at the caller, through a proxy at 192.0.2.5 that record-routes
/// (tshark: the 200 OK from 192.0.2.5 with `Record-Route`; the ACK and the
/// BYE to 192.0.2.2 without `Route`, the BYE answered 481). The same call
/// with ACK and BYE sent to the proxy with a Route is clean.
#[test]
fn record_route_ignored_names_the_requests_that_went_around_the_proxy() {
    expect(
        "record_route_ignored.pcap",
        "record-route-ignored",
        Severity::Warning,
        &[3, 4, 5],
        &[],
        "the 2xx came through 192.0.2.5:5060 with Record-Route; ACK, BYE went straight to 192.0.2.2:5060 with no Route",
    );
    assert!(findings("diagnosis/record_route_followed.pcap").is_empty());
}

/// The answer (message 3) lists PCMU (0) only; tshark (`-z rtp,streams`)
/// shows 192.0.2.1:40000 -> 192.0.2.2:50000 with payload PCMA (8) and the
/// stream back in PCMU.
#[test]
fn rtp_payload_unexpected_names_the_codec_the_receiver_did_not_list() {
    expect(
        "rtp_payload_unexpected.pcap",
        "rtp-payload-unexpected",
        Severity::Warning,
        &[3],
        &[0],
        "192.0.2.1:40000 → 192.0.2.2:50000 carried 8 PCMA, which the receiver's SDP does not list (it lists 0 PCMU)",
    );
}

/// The caller announces 10.0.0.1:40000 (message 0); tshark (`-z
/// rtp,streams`) shows its RTP arriving at 192.0.2.2:50000 (the answer's
/// address, message 3) from 203.0.113.7:30000. And an SDP whose `o=` says
/// 192.168.1.10 while its `c=` says 203.0.113.7.
#[test]
fn what_a_nat_or_an_alg_rewrote_is_said_as_info() {
    expect(
        "rtp_source_nat.pcap",
        "rtp-source-not-in-sdp",
        Severity::Info,
        &[0, 3],
        &[0],
        "RTP to 192.0.2.2:50000 came from 203.0.113.7:30000, an address no SDP of the call names (the sender's SDP said 10.0.0.1)",
    );
    expect(
        "sip_alg.pcap",
        "sip-alg-suspected",
        Severity::Info,
        &[0],
        &[],
        "o= names private 192.168.1.10, c= public 203.0.113.7:40000",
    );
}
