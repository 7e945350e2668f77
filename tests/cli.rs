#![allow(clippy::unwrap_used)]
//! The binary as a user runs it: exit codes, messages, reports.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sipscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(args)
        .arg("--log-file")
        .arg(std::env::temp_dir().join("sipscope-test.log"))
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn json_report_has_the_documented_schema() {
    let out = sipscope(&[
        "-r",
        &data("gen__busy_486_3calls.pcap"),
        "--no-ui",
        "--report",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "packets",
        "sip_messages",
        "malformed",
        "dropped_channel",
        "dropped_kernel",
        "duplicates",
        "reassembled_datagrams",
        "evicted_calls",
    ] {
        assert!(r["stats"][k].is_u64(), "stats.{k} missing");
    }
    assert_eq!(r["stats"]["sip_messages"], 15);
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3);
    let c = &calls[0];
    assert_eq!(c["call_id"], "1-31140@127.0.0.10");
    assert_eq!(c["kind"], "call");
    assert_eq!(c["state"], "busy");
    assert!(c["pdd_ms"].as_f64().unwrap() > 0.0);
    assert!(c["rtp_streams"].as_array().unwrap().is_empty());
    let m = &c["messages"][0];
    assert!((m["ts"].as_f64().unwrap() - 1_795_306_588.257_567).abs() < 1e-6);
    assert_eq!(m["src"], "127.0.0.10:5061");
    assert_eq!(m["dst"], "127.0.0.20:5060");
    assert_eq!(m["transport"], "udp");
    assert_eq!(m["method"], "INVITE");
    assert!(m["status"].is_null());
    assert_eq!(m["cseq"], "1 INVITE");
    assert_eq!(m["retransmission"], false);
    assert_eq!(m["sdp"]["media"][0]["port"], 6000);
    assert!(r["unassociated_rtp_streams"].as_array().unwrap().is_empty());
}

#[test]
fn ipv6_addresses_are_bracketed() {
    let out = sipscope(&[
        "-r",
        &data("heplify__sip_ipv6_udp.pcap"),
        "-N",
        "--report",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let src = r["calls"][0]["messages"][0]["src"].as_str().unwrap();
    assert!(src.starts_with('[') && src.contains("]:"), "{src}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = sipscope(&["-r", "/nonexistent/x.pcap", "-N"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

#[test]
fn a_file_that_is_not_a_capture_says_what_it_looks_like() {
    let out = sipscope(&[
        "-r",
        &format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR")),
        "-N",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a capture file") && err.contains("[package]"),
        "{err}"
    );
}

#[test]
fn a_truncated_capture_keeps_what_came_before_and_warns() {
    let full = std::fs::read(data("gen__basic_udp_5calls.pcap")).unwrap();
    let cut = std::env::temp_dir().join("sipscope-cut.pcap");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let out = sipscope(&["-r", cut.to_str().unwrap(), "-N", "--report", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut short"));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = r["stats"]["sip_messages"].as_u64().unwrap();
    assert!((10..30).contains(&n), "{n} messages from half of 30");
}

#[test]
fn standard_input_is_read_with_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", "-", "-N", "--report", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(data("ndpi__sip_hello.pcapng")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["sip_messages"], 8);
}

#[test]
fn several_files_merge_by_time() {
    let out = sipscope(&[
        "-r",
        &data("gen__busy_486_3calls.pcap"),
        "-r",
        &data("gen__register_digest_3.pcap"),
        "-N",
        "--report",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["sip_messages"], 33);
    let firsts: Vec<f64> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["first_ts"].as_f64().unwrap())
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "{firsts:?}");
    // The registrations came before the calls.
    assert_eq!(r["calls"][0]["kind"], "registration");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(sipscope(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(sipscope(&["-N"]).status.code(), Some(2));
}

#[test]
fn the_call_limit_evicts_and_counts() {
    let out = sipscope(&[
        "-r",
        &data("gen__load_udp_2000calls_200cps.pcap"),
        "-N",
        "--report",
        "json",
        "-l",
        "100",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"].as_array().unwrap().len(), 100);
    assert_eq!(r["stats"]["evicted_calls"], 1900);
    assert_eq!(r["stats"]["sip_messages"], 12_000);
}

/// Live capture on loopback: needs root (or the capture capabilities); skipped
/// otherwise. Sends real SIP datagrams with a UDP socket to 127.0.0.1 only.
#[test]
fn live_capture_on_loopback_sees_sip_and_drops_root() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: live capture needs root");
        return;
    }
    let port = 5099;
    let child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args([
            "-i",
            "lo",
            "--no-ui",
            "--report",
            "json",
            "--count",
            "3",
            "--duration",
            "20",
        ])
        .args([
            "--log-file",
            "/tmp/sipscope-live-test.log",
            "udp",
            "port",
            "5099",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // Bounded: at most 40 sends, 250 ms apart, until the capture has its 3 messages.
    for i in 0..40 {
        let msg = format!(
            "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{i}\r\n\
             From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: live-{i}\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        if !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
        {
            break;
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["sip_messages"], 3);
    let m = &r["calls"][0]["messages"][0];
    assert_eq!(m["dst"], "127.0.0.1:5099");
    assert_eq!(m["method"], "OPTIONS");
    let log = std::fs::read_to_string("/tmp/sipscope-live-test.log").unwrap_or_default();
    assert!(
        log.contains("dropped root privileges to"),
        "no privilege drop logged"
    );
}

#[test]
fn live_errors_say_what_to_do() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: opening an interface needs root");
        return;
    }
    let out = sipscope(&["-i", "nosuchif0", "-N"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such interface") && err.contains("lo"),
        "{err}"
    );
    let out = sipscope(&["-i", "lo", "-N", "udp", "port", "(((", "nonsense"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad capture filter"), "{err}");
}

/// On an idle link the capture must still stop on time, and the last
/// messages must not wait for more traffic (libpcap 1.10's read timeout does
/// not fire on an idle link: the capture is non-blocking).
#[test]
fn live_capture_stops_on_time_and_delivers_the_last_message_when_idle() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: live capture needs root");
        return;
    }
    let start = std::time::Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-i", "lo", "--no-ui", "--report", "json", "--duration", "3"])
        .args([
            "--log-file",
            "/tmp/sipscope-idle-test.log",
            "udp",
            "port",
            "5098",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..2 {
        let msg = format!(
            "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKidle{i}\r\n\
             From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: idle-{i}\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        sock.send_to(msg.as_bytes(), ("127.0.0.1", 5098)).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(6), "took {took:?}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["stats"]["sip_messages"], 2,
        "the last messages did not arrive"
    );
}
