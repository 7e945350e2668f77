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

/// An OPTIONS request with Call-ID `{tag}-{i}` (and a branch of its own).
fn options(tag: &str, i: usize) -> String {
    format!(
        "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{tag}{i}\r\n\
         From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: {tag}-{i}\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

/// `sipscope -r input --no-ui -w out` and more options.
fn write_calls(input: &str, out: &str, more: &[&str]) -> Output {
    let mut args = vec!["-r", input, "--no-ui", "-w", out];
    args.extend_from_slice(more);
    sipscope(&args)
}

/// sipscope capturing on lo, UDP `port` only, with `args` and its log at `log`.
fn live_on_lo(args: &[&str], log: &str, port: u16) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-i", "lo", "--no-ui"])
        .args(args)
        .args(["--log-file", log, "udp", "port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Sends OPTIONS to `port` on loopback, 250 ms apart, until `child` has
/// exited (bounded: at most 40 sends).
fn send_options_until_exit(child: &std::process::Child, port: u16, tag: &str) {
    let pid = child.id();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..40 {
        let msg = options(tag, i);
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        if !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
        {
            break;
        }
    }
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

/// A pcap (raw IPv4, no link header) of `n` OPTIONS dialogs from 127.0.0.1,
/// one datagram each, 1 ms apart.
fn options_pcap(path: &std::path::Path, tag: &str, n: usize) {
    let mut out = Vec::with_capacity(n * 400);
    out.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
    for i in 0..n {
        let sip = options(tag, i);
        let udp_len = 8 + sip.len();
        let ip_len = u16::try_from(20 + udp_len).unwrap();
        let mut frame = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        frame[2..4].copy_from_slice(&ip_len.to_be_bytes());
        frame.extend_from_slice(&5061u16.to_be_bytes());
        frame.extend_from_slice(&5060u16.to_be_bytes());
        frame.extend_from_slice(&u16::try_from(udp_len).unwrap().to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(sip.as_bytes());
        let ms = u32::try_from(i).unwrap();
        out.extend_from_slice(&(1_700_000_000 + ms / 1000).to_le_bytes());
        out.extend_from_slice(&((ms % 1000) * 1000).to_le_bytes());
        let len = u32::try_from(frame.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn reading_a_file_keeps_every_dialog_and_any_eviction_is_a_warning() {
    let dir = temp_dir("keep-every-dialog");
    let pcap = dir.join("options-20050.pcap");
    options_pcap(&pcap, "keep", 20_050);
    let pcap = pcap.to_str().unwrap();

    // More dialogs than the live default: a file keeps them all, and warns of nothing.
    let out = sipscope(&["-r", pcap, "-N", "--report", "json"]);
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"].as_array().unwrap().len(), 20_050);
    assert_eq!(r["stats"]["evicted_calls"], 0);
    assert_eq!(
        r["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        r["warnings"]
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("evicted"));

    // -l limits when given, and what it evicts is said on stderr and in `warnings`.
    let out = sipscope(&["-r", pcap, "-N", "--report", "json", "-l", "20000"]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"].as_array().unwrap().len(), 20_000);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 50 dialogs were evicted"),
        "{stderr}"
    );
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("50 dialogs were evicted")),
        "{warnings:?}"
    );
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
    let child = live_on_lo(
        &["--report", "json", "--count", "3", "--duration", "20"],
        "/tmp/sipscope-live-test.log",
        port,
    );
    send_options_until_exit(&child, port, "live");
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

/// `setcap cap_net_raw,cap_net_admin=eip` on the binary: a normal user
/// captures live, and sipscope attempts no privilege drop. Needs root to set
/// the capabilities and become `nobody` (setcap, setpriv); skipped otherwise.
#[test]
fn a_normal_user_captures_with_capabilities_and_nothing_is_dropped() {
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !nix::unistd::geteuid().is_root() || !have("setcap") || !have("setpriv") {
        eprintln!("skipped: needs root, setcap and setpriv");
        return;
    }
    let dir = temp_dir("setcap");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let bin = dir.join("sipscope");
    std::fs::copy(env!("CARGO_BIN_EXE_sipscope"), &bin).unwrap();
    let caps = Command::new("setcap")
        .args(["cap_net_raw,cap_net_admin=eip", bin.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(caps.success());
    let log = dir.join("capture.log");
    std::fs::write(&log, "").unwrap();
    std::os::unix::fs::chown(&log, Some(65534), Some(65534)).unwrap();
    let port = 5097;
    let child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["-i", "lo", "--no-ui", "--report", "json", "--count", "3"])
        .args(["--duration", "20", "--log-file", log.to_str().unwrap()])
        .args(["udp", "port", &port.to_string()])
        .env("HOME", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    send_options_until_exit(&child, port, "setcap");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("no permission") {
        // A filesystem mounted nosuid ignores file capabilities.
        eprintln!("skipped: file capabilities not honoured here: {stderr}");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["sip_messages"], 3);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("not root: no privileges to drop"), "{log}");
    assert!(!log.contains("dropped root"), "{log}");
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
    let child = live_on_lo(
        &["--report", "json", "--duration", "3"],
        "/tmp/sipscope-idle-test.log",
        5098,
    );
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..2 {
        let msg = options("idle", i);
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

/// The Call-IDs of a capture, from its tshark truth file, with their message counts.
fn truth_calls(name: &str) -> Vec<(String, u64)> {
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}.truth.json", data(name))).unwrap(),
    )
    .unwrap();
    t["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["call_id"].as_str().unwrap().to_owned(),
                c["message_count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sipscope-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn write_exports_the_chosen_calls_in_the_format_the_name_asks() {
    let dir = temp_dir("write");
    let input = data("gen__busy_486_3calls.pcap");
    let calls = truth_calls("gen__busy_486_3calls.pcap");
    let (id, count) = &calls[1];
    let out_pcap = dir.join("one.pcap");
    let out = write_calls(&input, out_pcap.to_str().unwrap(), &["--call-id", id]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("wrote {count} packets ({count} SIP, 0 RTP)")),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report unless asked");
    let back = sipscope::replay(&out_pcap).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back.find(id).unwrap().messages.len() as u64, *count);

    // Only the chosen Call-ID is kept: a dialog limit cannot evict it.
    let out = sipscope(&[
        "-r",
        &input,
        "--no-ui",
        "-l",
        "1",
        "-w",
        out_pcap.to_str().unwrap(),
        "--call-id",
        &calls[2].0,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        sipscope::replay(&out_pcap)
            .unwrap()
            .find(&calls[2].0)
            .is_some()
    );
    // A limit that evicts what would be exported says so.
    let out = sipscope(&[
        "-r",
        &input,
        "-N",
        "-l",
        "1",
        "-w",
        out_pcap.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 dialogs were evicted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // --filter as the call list's `/`: all three calls are busy.
    let all = dir.join("busy.pcapng");
    let out = write_calls(&input, all.to_str().unwrap(), &["--filter", "486"]);
    assert!(out.status.success());
    assert_eq!(
        &std::fs::read(&all).unwrap()[..4],
        &[0x0A, 0x0D, 0x0D, 0x0A]
    );
    assert_eq!(sipscope::replay(&all).unwrap().len(), 3);
    let none = dir.join("none.pcap");
    let out = write_calls(&input, none.to_str().unwrap(), &["--filter", "^nomatch$"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to export"));
    assert!(!none.exists());

    // Text, ladder text and JSON follow the extension; --format overrides.
    let txt = dir.join("calls.txt");
    assert!(
        write_calls(&input, txt.to_str().unwrap(), &["--call-id", id])
            .status
            .success()
    );
    let saved = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(saved.matches(" -> ").count() as u64, *count, "{saved}");
    assert!(saved.contains("SIP/2.0 486 Busy Here"), "{saved}");
    let json = dir.join("calls.json");
    assert!(
        sipscope(&["-r", &input, "-N", "-w", json.to_str().unwrap()])
            .status
            .success()
    );
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(j["calls"].as_array().unwrap().len(), 3);
    let raw = dir.join("calls.bin");
    let out = sipscope(&["-r", &input, "-N", "-w", raw.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));
    // Never over an input; `-` is standard output (pcap unless said).
    let out = sipscope(&["-r", &input, "-N", "-w", &input]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("that is an input"));
    let out = write_calls(&input, "-", &["--call-id", &format!(" {id} ")]);
    assert!(out.status.success());
    assert_eq!(&out.stdout[..4], &0xA1B2_C3D4u32.to_le_bytes());
    let piped = dir.join("piped.pcap");
    std::fs::write(&piped, &out.stdout).unwrap();
    let back = sipscope::replay(&piped).unwrap();
    assert_eq!(back.find(id).unwrap().messages.len() as u64, *count);
    let out = write_calls(&input, none.to_str().unwrap(), &["--call-id", "nosuch"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no call with Call-ID 'nosuch'"));
    let out = write_calls(&input, raw.to_str().unwrap(), &["--format", "flow"]);
    assert!(out.status.success());
    let flow = std::fs::read_to_string(&raw).unwrap();
    assert_eq!(
        flow.lines().filter(|l| l.contains("--")).count(),
        calls
            .iter()
            .map(|c| usize::try_from(c.1).unwrap())
            .sum::<usize>()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Call-IDs tshark reads in `pcap` among the packets `display_filter`
/// shows.
fn tshark_call_ids(pcap: &std::path::Path, display_filter: &str) -> Vec<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", display_filter, "-T", "fields", "-e", "sip.Call-ID"])
        .output()
        .expect("tshark (scripts/deps.sh --test installs it)");
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn write_filter_matches_the_rule_ids_of_the_calls_findings_as_slash_does() {
    // `destination-4xx-6xx` is in no call-list row: only the findings of
    // the calls the far end turned down (486 Busy Here, by tshark) carry it.
    let dir = temp_dir("write-rule");
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample.pcap");
    let busy = tshark_call_ids(std::path::Path::new(input), "sip.Status-Code == 486");
    assert_eq!(busy.len(), 3, "{busy:?}");
    let out_pcap = dir.join("rejected.pcap");
    let out = write_calls(
        input,
        out_pcap.to_str().unwrap(),
        &["--filter", "destination-4xx"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tshark_call_ids(&out_pcap, "sip"), busy);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pcap_cannot_hold_two_link_types_and_pcapng_can() {
    let dir = temp_dir("linktypes");
    // Two different captures (the SLL copy of the busy calls would be
    // dropped as duplicates of the Ethernet one).
    let (eth, sll) = (
        data("gen__cancel_487_3calls.pcap"),
        data("gen__sll_busy_486_3calls.pcap"),
    );
    let pcap = dir.join("both.pcap");
    let out = sipscope(&["-r", &eth, "-r", &sll, "-N", "-w", pcap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("save as pcapng"));
    assert!(!pcap.exists());
    let ng = dir.join("both.pcapng");
    let out = sipscope(&["-r", &eth, "-r", &sll, "-N", "-w", ng.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(t) = Command::new("tshark")
        .args([
            "-r",
            ng.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.encap_type",
        ])
        .output()
    {
        let enc = String::from_utf8_lossy(&t.stdout);
        let mut kinds: Vec<&str> = enc.lines().collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(
            kinds.len(),
            2,
            "two interfaces, one per link type: {kinds:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn live_write_rotates_by_time_and_keeps_the_newest_files() {
    // Its own port: the live tests in this file run at the same time, and
    // this one counts every packet it sees.
    const ROTATE_PORT: u16 = 5095;
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: live capture needs root");
        return;
    }
    let dir = temp_dir("rotate");
    // sipscope drops root after opening the capture and the first file: the
    // files after it are made by the unprivileged user, as with tcpdump -Z.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let base = dir.join("live.pcap");
    let child = live_on_lo(
        &[
            "--duration",
            "4",
            "-w",
            base.to_str().unwrap(),
            "--rotate-seconds",
            "1",
            "--rotate-keep",
            "2",
        ],
        "/tmp/sipscope-rotate-test.log",
        ROTATE_PORT,
    );
    std::thread::sleep(std::time::Duration::from_millis(800));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // Bounded: 20 messages, 130 ms apart (2.6 s).
    for i in 0..20 {
        let msg = options("rotate", i);
        sock.send_to(msg.as_bytes(), ("127.0.0.1", ROTATE_PORT))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(130));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // 2.5 s of messages in 1 s files: three files, or four when a loaded
    // machine stretched the sends past 3 s; the newest two are kept.
    let made = if err.contains("in 4 files (2 deleted") {
        4
    } else {
        3
    };
    assert!(
        err.contains(&format!(
            "wrote 20 packets (20 SIP, 0 RTP) in {made} files ({} deleted by --rotate-keep); kept: ",
            made - 2
        )),
        "{err}"
    );
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0]
            .to_string_lossy()
            .ends_with(&format!("live-{:05}.pcap", made - 1)),
        "{files:?}"
    );
    assert!(
        files[1]
            .to_string_lossy()
            .ends_with(&format!("live-{made:05}.pcap")),
        "{files:?}"
    );
    let kept: Vec<u64> = files
        .iter()
        .map(|f| sipscope::replay(f).unwrap().stats().sip_messages)
        .collect();
    // 1 s of messages 130 ms apart: 7 or 8 in a whole file (fewer when the
    // sender was held up).
    assert!(
        (4..=8).contains(&kept[0]) && kept[1] > 0 && kept.iter().sum::<u64>() < 20,
        "{kept:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `scripts/demo.sh` with a stand-in `cargo` (it records its arguments) and
/// this build's binary where the release build would be: it says what it
/// does, lets cargo show its progress, and runs the built binary.
#[test]
fn the_demo_says_what_it_is_doing_and_shows_cargos_progress() {
    let dir = temp_dir("demo");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\necho \"$@\" > \"$DEMO_CARGO_ARGS\"\n").unwrap();
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let release = dir.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    let _ = std::fs::remove_file(release.join("sipscope"));
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sipscope"), release.join("sipscope")).unwrap();
    let args_file = dir.join("cargo-args");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(format!("{}/scripts/demo.sh", env!("CARGO_MANIFEST_DIR")))
        .args(["--no-ui", "--report", "stats"])
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("DEMO_CARGO_ARGS", &args_file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for step in ["demo: checking", "demo: building", "demo: opening"] {
        assert!(stderr.contains(step), "{step}: {stderr}");
    }
    let args = std::fs::read_to_string(&args_file).unwrap();
    assert_eq!(
        args.trim(),
        "build --release",
        "no --quiet: cargo shows its progress"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("11 dialogs"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// SIP over SCTP (RFC 4168), as in heplify's `sip_sctp.pcap`: tshark reads 4
/// messages; a message split over two DATA chunks is counted and said.
#[test]
fn sip_over_sctp_is_read_and_what_is_not_is_said() {
    let out = sipscope(&[
        "-r",
        &data("synthetic_sip_sctp.pcap"),
        "-N",
        "--report",
        "json",
    ]);
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["stats"]["sip_messages"], 4);
    assert_eq!(r["calls"].as_array().unwrap().len(), 2);
    assert_eq!(r["stats"]["sctp_chunks"], 6);
    assert_eq!(r["stats"]["sctp_not_decoded"], 2);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"sctp\""), "the transport is said");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 SCTP DATA chunks"), "{stderr}");
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("SCTP")),
    );
}
