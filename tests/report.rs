#![allow(clippy::unwrap_used)]
//! The binary's JSON and NDJSON reports against tshark: for every capture in
//! tests/data with a `*.truth.json`, both reports hold the truth's Call-IDs
//! and, per Call-ID, its messages (source, destination, method or status,
//! CSeq, retransmission); and NDJSON lines come as dialogs end.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;
use common::{Row, call_rows, captures, report_rows, truth_of};

fn report(path: &Path, format: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-N", "--report", format, "-r"])
        .arg(path)
        .arg("--log-file")
        .arg(std::env::temp_dir().join("sipscope-report-test.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// NDJSON lines, each parsed (a line that does not parse fails the test).
fn lines(ndjson: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(ndjson).unwrap();
    assert!(text.ends_with('\n'), "the last line is not ended");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn truth_rows(path: &Path) -> BTreeMap<String, Vec<Row>> {
    truth_of(path)["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["call_id"].as_str().unwrap_or("").to_owned(), call_rows(c)))
        .collect()
}

/// Per Call-ID, the rows of the call objects given (a later one supersedes).
fn rows_of<'a>(calls: impl Iterator<Item = &'a Value>) -> BTreeMap<String, Vec<Row>> {
    calls
        .map(|c| (c["call_id"].as_str().unwrap().to_owned(), report_rows(c)))
        .collect()
}

fn differences(
    name: &str,
    truth: &BTreeMap<String, Vec<Row>>,
    ours: &BTreeMap<String, Vec<Row>>,
) -> Vec<String> {
    if truth.keys().ne(ours.keys()) {
        return vec![format!(
            "{name}: Call-IDs differ: tshark {:?}, ours {:?}",
            truth.keys().collect::<Vec<_>>(),
            ours.keys().collect::<Vec<_>>()
        )];
    }
    truth
        .iter()
        .filter(|(id, rows)| ours[*id] != **rows)
        .map(|(id, rows)| {
            format!(
                "{name} {id}: tshark {} messages, ours {}",
                rows.len(),
                ours[id].len()
            )
        })
        .collect()
}

#[test]
fn json_and_ndjson_reports_match_tshark() {
    let files = captures();
    assert!(files.len() >= 30, "captures missing: {}", files.len());
    let mut failures = Vec::new();
    let mut messages = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let truth = truth_rows(f);
        messages += truth.values().map(Vec::len).sum::<usize>();

        let json: Value = serde_json::from_slice(&report(f, "json")).unwrap();
        let calls = json["calls"].as_array().unwrap();
        failures.extend(differences(
            &format!("{name} (json)"),
            &truth,
            &rows_of(calls.iter()),
        ));

        let lines = lines(&report(f, "ndjson"));
        let (last, calls) = lines.split_last().unwrap();
        assert_eq!(last["type"], "stats", "{name}: the last line");
        assert!(calls.iter().all(|c| c["type"] == "call"), "{name}");
        failures.extend(differences(
            &format!("{name} (ndjson)"),
            &truth,
            &rows_of(calls.iter()),
        ));
        // The totals are the JSON report's.
        for k in ["stats", "findings", "unassociated_rtp_streams", "warnings"] {
            assert_eq!(last[k], json[k], "{name}: {k}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(messages > 15_000, "only {messages} messages compared");
}

/// Was the line's dialog ended by its last message: its BYE answered, its
/// failure acknowledged?
fn ended_by_a_message(c: &Value) -> bool {
    let msgs = c["messages"].as_array().unwrap();
    let last = msgs.last().unwrap();
    let cseq = last["cseq"].as_str().unwrap_or("");
    (last["status"].as_u64().is_some_and(|s| s >= 200) && cseq.ends_with(" BYE"))
        || (last["method"] == "ACK" && c["state"] != "completed" && c["state"] != "in call")
}

#[test]
fn ndjson_lines_come_in_the_order_dialogs_end() {
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gen__load_udp_2000calls_200cps.pcap");
    let lines = lines(&report(&pcap, "ndjson"));
    let truth = truth_rows(&pcap);
    let (last, calls) = lines.split_last().unwrap();
    assert_eq!(last["type"], "stats");
    // One line per dialog here (nothing comes after a dialog ended).
    assert_eq!(calls.len(), truth.len());
    // Lines of dialogs ended by a message come in the order those messages
    // were captured (the dialogs still open come last, in order of their
    // first message).
    let ended: Vec<f64> = calls
        .iter()
        .filter(|c| ended_by_a_message(c))
        .map(|c| c["last_ts"].as_f64().unwrap())
        .collect();
    assert!(ended.len() > truth.len() / 2, "only {} ended", ended.len());
    assert!(
        ended.windows(2).all(|w| w[0] <= w[1]),
        "lines out of end order"
    );
}

/// An OPTIONS request or its 200 OK, Call-ID `id`.
fn options(id: &str, response: bool) -> String {
    let start = if response {
        "SIP/2.0 200 OK"
    } else {
        "OPTIONS sip:ping@127.0.0.1 SIP/2.0"
    };
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{id}\r\n\
         From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: {id}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Live on loopback (needs root; skipped otherwise): a dialog's line comes
/// while the capture goes on, as soon as its 200 OK is seen.
#[test]
fn live_ndjson_writes_a_line_when_a_dialog_ends() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: live capture needs root");
        return;
    }
    let port = 5093u16;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-i", "lo", "--no-ui", "--report", "ndjson"])
        .args([
            "--duration",
            "30",
            "--log-file",
            "/tmp/sipscope-ndjson-live.log",
        ])
        .args(["udp", "port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |id: &str| {
        for response in [false, true] {
            sock.send_to(options(id, response).as_bytes(), ("127.0.0.1", port))
                .unwrap();
        }
    };
    // Bounded: the pair again every 250 ms (retransmissions to sipscope),
    // for at most 10 s, until its line comes.
    let mut first = None;
    for _ in 0..40 {
        send("live-a");
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(250)) {
            first = Some(line);
            break;
        }
    }
    let first: Value = serde_json::from_str(&first.expect("no line while capturing")).unwrap();
    assert_eq!(first["type"], "call");
    assert_eq!(first["call_id"], "live-a");
    assert_eq!(first["state"], "completed");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the line came only at the end"
    );
    send("live-b");
    std::thread::sleep(std::time::Duration::from_millis(500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    // Stopped by a signal: what was read is reported, 128 + 2 the status.
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let rest: Vec<Value> = rx
        .iter()
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect();
    let last = rest.last().unwrap();
    assert_eq!(last["type"], "stats");
    assert!(rest.iter().any(|l| l["call_id"] == "live-b"), "{rest:?}");
}
