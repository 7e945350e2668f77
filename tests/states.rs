//! What a dialog's state, duration and reason phrases say, on captures made
//! for them (`scripts/make_states.py`, `tests/data/states/`) and checked against
//! tshark 4.0: the expectations below quote what
//! `tshark -r F -T fields -e frame.time_relative -e sip.Call-ID
//! -e sip.Status-Line -e sip.Request-Line -e sip.RSeq` printed, never
//! sipscope's own earlier output (issue 13, items 1, 4 and 5).
#![allow(clippy::unwrap_used)]

use sipscope::config::Column;
use sipscope::model::{Clock, Dialog, Model};
use sipscope::ui::views::call_list::cell;

fn path(name: &str) -> String {
    format!("{}/tests/data/states/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn model(name: &str) -> Model {
    sipscope::replay(path(name)).unwrap()
}

fn dialog<'m>(m: &'m Model, call_id: &str) -> &'m Dialog {
    m.find(call_id).unwrap()
}

fn state(m: &Model, call_id: &str) -> String {
    dialog(m, call_id).state_at(m.clock()).name()
}

/// The binary's report of a capture, in a format.
fn report(name: &str, format: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", &path(name), "--no-ui", "--report", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_call<'a>(r: &'a serde_json::Value, call_id: &str) -> &'a serde_json::Value {
    r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_id"] == call_id)
        .unwrap()
}

/// The `--report text` row of a Call-ID's dialog (found by its start time,
/// which the row shows): its cells split on runs of two spaces.
fn text_row(text: &str, d: &Dialog) -> Vec<String> {
    let start = sipscope::text::utc_micros(d.first_ts());
    let line = text.lines().find(|l| l.contains(&start)).unwrap();
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---- 1. Reason phrases ----------------------------------------------------

/// tshark's Status-Lines, in capture order.
const STATUS_LINES: [(&str, u16, &str); 7] = [
    ("reason-403", 100, "Trying"),
    ("reason-403", 403, "Wrong password or domain"),
    ("reason-480", 100, "Trying"),
    ("reason-480", 183, "In band info available"),
    ("reason-480", 480, "Error"),
    ("reason-none", 100, "Trying"),
    ("reason-none", 486, ""),
];

#[test]
fn reason_phrases_are_the_ones_sent() {
    let m = model("reason_phrases.pcap");
    let mut seen = Vec::new();
    for d in m.dialogs() {
        for msg in d.messages.iter().filter(|x| x.status().is_some()) {
            let reason = m.reason(msg).unwrap().into_owned();
            seen.push((d.call_id(), msg.status().unwrap(), reason));
            // Only phrases that differ from the standard are read back.
            assert_eq!(
                msg.own_reason(),
                seen.last().unwrap().2 != sipscope::sip::reason(msg.status().unwrap())
            );
        }
    }
    let truth: Vec<(&str, u16, String)> = STATUS_LINES
        .iter()
        .map(|(c, s, r)| (*c, *s, (*r).to_owned()))
        .collect();
    assert_eq!(seen, truth);

    let d = dialog(&m, "reason-403");
    let labels: Vec<String> = d.messages.iter().map(|x| m.arrow_label(x)).collect();
    assert_eq!(labels[2], "403 Wrong password or domain (1 INVITE)");
    let d = dialog(&m, "reason-480");
    assert_eq!(
        m.arrow_label(&d.messages[2]),
        "183 In band info available (1 INVITE)"
    );
    assert_eq!(m.arrow_label(&d.messages[3]), "480 Error (1 INVITE)");
    // Nothing sent: the standard phrase, in brackets.
    let d = dialog(&m, "reason-none");
    assert_eq!(m.arrow_label(&d.messages[2]), "486 [Busy Here] (1 INVITE)");
    assert_eq!(m.status_text(&d.messages[2]), "486 [Busy Here]");
}

#[test]
fn reason_phrases_reach_the_report_the_findings_and_the_text_export() {
    let r: serde_json::Value =
        serde_json::from_str(&report("reason_phrases.pcap", "json")).unwrap();
    let mut seen = Vec::new();
    for call in r["calls"].as_array().unwrap() {
        for msg in call["messages"].as_array().unwrap() {
            if msg["status"].is_null() {
                assert!(msg.get("reason").is_none(), "a request has no reason");
            } else {
                seen.push((
                    call["call_id"].as_str().unwrap().to_owned(),
                    msg["status"].as_u64().unwrap(),
                    msg["reason"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let truth: Vec<(String, u64, String)> = STATUS_LINES
        .iter()
        .map(|(c, s, r)| ((*c).to_owned(), u64::from(*s), (*r).to_owned()))
        .collect();
    assert_eq!(seen, truth);

    // The carrier's words, then the standard ones.
    let summaries: Vec<&str> = json_call(&r, "reason-403")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("403 Wrong password or domain [Forbidden] from")),
        "{summaries:?}"
    );

    let m = model("reason_phrases.pcap");
    let all: Vec<&Dialog> = m.dialogs().collect();
    let mut out = Vec::new();
    sipscope::export::text::write_flow(&m, &all, &mut out).unwrap();
    let flow = String::from_utf8(out).unwrap();
    for phrase in [
        "403 Wrong password or domain (1 INVITE)",
        "183 In band info available (1 INVITE) SDP",
        "480 Error (1 INVITE)",
    ] {
        assert!(flow.contains(phrase), "{phrase} missing from\n{flow}");
    }
}

// ---- 4. Durations ---------------------------------------------------------

#[test]
fn one_duration_and_one_pdd_everywhere() {
    // tshark: dur-in-call from 0.000000 (INVITE) to 8.524000 (its INFO),
    // 180 Ringing at 0.047600; the capture goes on to 34.910000.
    let m = model("durations.pcap");
    let d = dialog(&m, "dur-in-call");
    assert_eq!(d.duration_at(m.clock()), 8_524_000_000);
    assert_eq!(d.pdd_ns(), Some(47_600_000));

    let clock = m.clock();
    assert_eq!(cell(Column::Duration, d, clock, &m), "8.5s");
    assert_eq!(cell(Column::Pdd, d, clock, &m), "48");

    let row = text_row(&report("durations.pcap", "text"), d);
    assert_eq!(row[3], "in call");
    assert_eq!(&row[row.len() - 3..row.len() - 1], ["48", "8.5s"]);

    let r: serde_json::Value = serde_json::from_str(&report("durations.pcap", "json")).unwrap();
    let c = json_call(&r, "dur-in-call");
    assert!((c["total_ms"].as_f64().unwrap() - 8524.0).abs() < 0.01);
    assert!((c["pdd_ms"].as_f64().unwrap() - 47.6).abs() < 0.01);

    let mut out = Vec::new();
    sipscope::export::text::write_flow(&m, &[d], &mut out).unwrap();
    let flow = String::from_utf8(out).unwrap();
    assert!(
        flow.lines()
            .next()
            .unwrap()
            .ends_with("in call  8.5s  PDD 48 ms"),
        "{flow}"
    );

    // While the capture goes on, a call in progress ticks (live).
    let live = Clock {
        now_ns: m.now_ns(),
        ended: false,
    };
    assert_eq!(d.duration_at(live), 34_910_000_000);
    assert_eq!(cell(Column::Duration, d, live, &m), "34.9s");
}

// ---- 5. States --------------------------------------------------------------

#[test]
fn a_reliable_183_with_a_new_rseq_is_no_retransmission() {
    // tshark: three 183 Session Progress of CSeq 1 INVITE, one branch,
    // RSeq 1, 2 and 2: the third is the second sent again.
    let m = model("prack_rseq.pcap");
    let d = dialog(&m, "prack-rseq");
    let flags: Vec<bool> = d
        .messages
        .iter()
        .filter(|x| x.status() == Some(183))
        .map(sipscope::model::Message::retransmission)
        .collect();
    assert_eq!(flags, [false, false, true]);
    assert_eq!(m.stats().retransmissions, 1);
    assert_eq!(state(&m, "prack-rseq"), "completed");
}

#[test]
fn a_call_cancelled_then_timed_out_is_cancelled_with_its_code() {
    // tshark: INVITE, 100, 180, eleven CANCELs (one branch: ten are sent
    // again), nothing answers them, then 408 Request Timeout to the INVITE.
    let m = model("cancel_408.pcap");
    assert_eq!(state(&m, "cancel-408"), "cancelled 408");
    let d = dialog(&m, "cancel-408");
    let cancels = d
        .messages
        .iter()
        .filter(|x| x.method() == Some(sipscope::model::Method::Cancel));
    assert_eq!(cancels.filter(|x| x.retransmission()).count(), 10);
    // The usual 487 after a CANCEL stays plain "cancelled".
    let usual = sipscope::replay(format!(
        "{}/tests/data/gen__cancel_487_3calls.pcap",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(
        usual
            .dialogs()
            .all(|d| d.state_at(usual.clock()).name() == "cancelled")
    );
    // Filters match on the state's name.
    let re = sipscope::model::dialog::row_filter("^cancelled 408$|cancelled 408").unwrap();
    assert!(re.is_match(&d.filter_text(m.clock())));
}

#[test]
fn dialogs_picked_up_midway_say_so() {
    // tshark: mid-update has UPDATE and 200 OK (CSeq 5 UPDATE); mid-bye-200
    // a lone 200 OK (CSeq 7 BYE); mid-reinvite-491 an INVITE with a To tag,
    // 491 Request Pending, ACK; the capture goes on to 42 s.
    let m = model("mid_dialog.pcap");
    let clock = m.clock();
    let rows: Vec<(String, String)> = ["mid-update", "mid-bye-200", "mid-reinvite-491"]
        .iter()
        .map(|c| {
            let d = dialog(&m, c);
            (
                cell(Column::Method, d, clock, &m),
                cell(Column::State, d, clock, &m),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("UPDATE".to_owned(), "mid-dialog".to_owned()),
            ("BYE".to_owned(), "response only".to_owned()),
            ("INVITE".to_owned(), "mid-dialog".to_owned()),
        ]
    );
    // A refused re-INVITE is no failed call.
    let r: serde_json::Value = serde_json::from_str(&report("mid_dialog.pcap", "json")).unwrap();
    let rules: Vec<&str> = json_call(&r, "mid-reinvite-491")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["reinvite-glare-491"]);
    assert_eq!(json_call(&r, "mid-bye-200")["state"], "response only");
    let re = sipscope::model::dialog::row_filter("response only").unwrap();
    let matching: Vec<&str> = m
        .dialogs()
        .filter(|d| re.is_match(&d.filter_text(clock)))
        .map(sipscope::model::Dialog::call_id)
        .collect();
    assert_eq!(matching, ["mid-bye-200"]);
}

#[test]
fn a_call_still_waiting_when_the_capture_ends_is_unknown() {
    // tshark: ends-after-183 has INVITE, 100, 183 (RSeq 1), PRACK, 200 by
    // 0.32 s; ends-timer-b an INVITE sent 7 times from 0.5 s to 32.0 s with
    // no response; the capture ends at 33.31 s.
    let m = model("capture_ends_after_183.pcap");
    assert!(m.capture_ended());
    assert_eq!(state(&m, "ends-after-183"), "unknown");
    // Timer B ran out 32 s after the first INVITE, inside the capture.
    assert_eq!(state(&m, "ends-timer-b"), "failed");
    // While the capture goes on, a provisional response stops Timer B: the
    // call is in early media, however long it stays quiet.
    let live = Clock {
        now_ns: m.now_ns() + 600_000_000_000,
        ended: false,
    };
    assert_eq!(
        dialog(&m, "ends-after-183").state_at(live).name(),
        "early media"
    );
    assert_eq!(dialog(&m, "ends-timer-b").state_at(live).name(), "failed");
    let r: serde_json::Value =
        serde_json::from_str(&report("capture_ends_after_183.pcap", "json")).unwrap();
    assert_eq!(json_call(&r, "ends-after-183")["state"], "unknown");
}
