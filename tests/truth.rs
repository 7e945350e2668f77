#![allow(clippy::unwrap_used)]
//! The pipeline against tshark: for every capture in tests/data with a
//! `*.truth.json` (computed by shared/tools/truth.py with tshark 4.0), the
//! model holds the same Call-IDs and, per Call-ID, the same sequence of
//! (source, destination, method or status, CSeq, retransmission).

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::{Row, call_rows, captures, dialog_rows, truth_of};

fn truth_rows(path: &Path) -> BTreeMap<String, Vec<Row>> {
    let t = truth_of(path);
    t["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            let id = call["call_id"].as_str().unwrap_or("").to_owned();
            (id, call_rows(call))
        })
        .collect()
}

fn our_rows(path: &Path) -> BTreeMap<String, Vec<Row>> {
    let model = sipscope::replay(path).unwrap();
    model
        .dialogs()
        .map(|d| (d.call_id().to_owned(), dialog_rows(d)))
        .collect()
}

#[test]
fn every_shared_capture_matches_tshark() {
    let files = captures();
    assert!(
        files.len() >= 30,
        "captures missing from tests/data: {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut messages = 0;
    for f in &files {
        let truth = truth_rows(f);
        let ours = our_rows(f);
        let name = f.file_name().unwrap().to_string_lossy();
        let t_ids: Vec<&String> = truth.keys().collect();
        let o_ids: Vec<&String> = ours.keys().collect();
        if t_ids != o_ids {
            failures.push(format!(
                "{name}: Call-IDs differ: tshark {t_ids:?}, ours {o_ids:?}"
            ));
            continue;
        }
        for (id, rows) in &truth {
            messages += rows.len();
            let mine = &ours[id];
            if rows != mine {
                let first = rows
                    .iter()
                    .zip(mine.iter())
                    .position(|(a, b)| a != b)
                    .unwrap_or(rows.len().min(mine.len()));
                failures.push(format!(
                    "{name} {id}: {} vs {} messages; first difference at {first}: tshark {:?}, ours {:?}",
                    rows.len(),
                    mine.len(),
                    rows.get(first),
                    mine.get(first)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(messages > 15_000, "only {messages} messages compared");
}

/// The states tshark's view of each dialog allows (truth.py's `outcome`).
fn allowed_states(outcome: &str) -> &'static [&'static str] {
    match outcome {
        "completed" | "bye_no_response" | "options_200" => &["completed"],
        "rejected_486" => &["busy"],
        "cancelled" | "cancel_no_response" => &["cancelled"],
        "answered_no_bye" => &["in call"],
        "registered" => &["registered"],
        "register_auth_challenged" => &["challenged", "auth failed"],
        // No response at all: failed once Timer B (32 s) passed, else its
        // outcome is unknown (the capture ended first).
        "no_response" => &["failed", "unknown"],
        _ => &[],
    }
}

#[test]
fn dialog_states_agree_with_the_truth_outcomes() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in captures() {
        let t = truth_of(&f);
        let model = sipscope::replay(&f).unwrap();
        for call in t["calls"].as_array().unwrap() {
            let (Some(id), Some(outcome)) = (call["call_id"].as_str(), call["outcome"].as_str())
            else {
                continue;
            };
            let allowed = allowed_states(outcome);
            if allowed.is_empty() {
                continue;
            }
            let d = model.find(id).unwrap();
            let state = d.state_at(model.clock()).name();
            checked += 1;
            if !allowed.contains(&state.as_str()) {
                failures.push(format!("{}: {id}: {outcome} but {state}", f.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 2500, "only {checked} dialogs checked");
}

/// From and To tags, read on demand by `sip::scan::tag`, against tshark's.
#[test]
fn from_and_to_tags_agree_with_tshark() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in captures() {
        let t = truth_of(&f);
        let model = sipscope::replay(&f).unwrap();
        for call in t["calls"].as_array().unwrap() {
            let Some(d) = call["call_id"].as_str().and_then(|id| model.find(id)) else {
                continue;
            };
            for (m, truth) in d.messages.iter().zip(call["messages"].as_array().unwrap()) {
                let raw = model.raw(m).unwrap();
                let Some(p) = sipscope::sip::SipMessage::parse_one(&raw) else {
                    continue;
                };
                let tag = |span| {
                    let s = sipscope::sip::scan::tag(&raw, span).get(&raw).to_vec();
                    (!s.is_empty()).then(|| String::from_utf8_lossy(&s).into_owned())
                };
                let ours = (tag(p.head.from), tag(p.head.to));
                let theirs = (
                    truth["from_tag"].as_str().map(str::to_owned),
                    truth["to_tag"].as_str().map(str::to_owned),
                );
                checked += 1;
                if ours != theirs {
                    failures.push(format!(
                        "{}: {:?} vs tshark {:?}",
                        f.display(),
                        ours,
                        theirs
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 15_000, "only {checked} messages checked");
}
