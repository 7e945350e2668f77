#![allow(clippy::unwrap_used)]
//! Export against the source and tshark's truth: for every capture in
//! tests/data with a `*.truth.json`, every call exported alone (with its RTP)
//! to pcap and to pcapng holds only frames byte-identical (bytes and
//! timestamp) to frames of the source; read back, it holds exactly the
//! truth's messages for that Call-ID and the truth's packet count for each
//! RTP stream the call's SDP set up; and tshark reads it without a warning
//! and finds the truth's number of SIP messages of that Call-ID.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sipscope::capture::file::CaptureReader;
use sipscope::export::{self, Format};

mod common;
use common::{call_rows, captures, dialog_rows, stream_owner, truth_of};

/// Every frame of a capture file: (timestamp, bytes).
fn frames_of(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let f = std::fs::File::open(path).unwrap();
    let mut r = CaptureReader::new(std::io::BufReader::new(f), false, 0).unwrap();
    let mut out = Vec::new();
    while let Ok(Some(fr)) = r.next_frame() {
        out.push((fr.ts_ns, fr.data.to_vec()));
    }
    out
}

/// The truth's RTP streams of one call (see `common::stream_owner`):
/// (src, dst, ssrc) → packets.
fn truth_streams(
    sdp: Option<&BTreeMap<String, Vec<String>>>,
    truth: &Value,
    call_id: &str,
) -> BTreeMap<(String, String, u32), u64> {
    let mut out = BTreeMap::new();
    for s in truth["rtp"]["streams"].as_array().into_iter().flatten() {
        if stream_owner(sdp, truth, s).as_deref() != Some(call_id) {
            continue;
        }
        let ssrc =
            u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        out.insert(
            (
                s["src"].as_str().unwrap().to_owned(),
                s["dst"].as_str().unwrap().to_owned(),
                ssrc,
            ),
            s["packets"].as_u64().unwrap(),
        );
    }
    out
}

fn tshark() -> bool {
    let here = Command::new("tshark").arg("--version").output().is_ok();
    assert!(
        here || std::env::var("CI").is_err(),
        "tshark is missing (scripts/deps.sh --test installs it)"
    );
    here
}

/// Wireshark's file library (capinfos) reads `path` to the end without a
/// word on stderr, and counts `frames` packets.
fn capinfos_reads(path: &Path, frames: usize) {
    let out = Command::new("capinfos")
        .args(["-c", "-M"])
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        path.display()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("Number of packets:")
                && l.trim().ends_with(&format!(" {frames}"))),
        "{}: {text}",
        path.display()
    );
}

/// tshark reads `path` without a word on stderr; returns the SIP messages
/// of `call_id` it finds.
fn tshark_sip_messages(path: &Path, call_id: &str) -> usize {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-Y", "sip", "-T", "fields", "-e", "sip.Call-ID"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("Running as user"))
        .collect();
    assert!(
        out.status.success() && stderr.is_empty(),
        "{}: {stderr:?}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .flat_map(|l| l.split(','))
        .filter(|c| *c == call_id)
        .count()
}

#[test]
fn every_call_exports_its_own_frames_messages_and_rtp() {
    let dir = std::env::temp_dir().join(format!("sipscope-export-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let with_tshark = tshark();
    let (mut calls_checked, mut tshark_checked, mut streams_checked) = (0, 0, 0);
    let mut capinfos_checked = 0;
    for path in captures() {
        let truth = truth_of(&path);
        let sdp = common::sdp_addresses_by_call(&path, &truth);
        let model = sipscope::replay(&path).unwrap();
        let source: HashSet<(i64, Vec<u8>)> = frames_of(&path).into_iter().collect();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let calls = truth["calls"].as_array().unwrap();
        // Large captures: a hundred calls spread over the file.
        let step = (calls.len() / 100).max(1);
        for (n, call) in calls.iter().enumerate().step_by(step) {
            let call_id = call["call_id"].as_str().unwrap_or("");
            let Some(d) = model.find(call_id) else {
                panic!("{name}: no dialog {call_id}");
            };
            for format in [Format::Pcap, Format::Pcapng] {
                let out = dir.join(format!("call.{}", format.extension()));
                let written = match export::export(&model, &[d], format, true, &out, true, |_| {}) {
                    Ok(w) => w,
                    // One link type per pcap: the UI then offers pcapng.
                    Err(export::ExportError::Write(export::WriteError::MixedLinkTypes(_)))
                        if format == Format::Pcap =>
                    {
                        continue;
                    }
                    Err(e) => panic!("{name} {call_id}: {e}"),
                };
                let got = frames_of(&out);
                assert_eq!(got.len(), written.packets, "{name} {call_id}");
                assert!(
                    got.windows(2).all(|w| w[0].0 <= w[1].0),
                    "{name}: not in time order"
                );
                for f in &got {
                    assert!(
                        source.contains(f),
                        "{name} {call_id}: a frame not in the source"
                    );
                }
                let back = sipscope::replay(&out).unwrap();
                assert_eq!(
                    back.find(call_id).map(dialog_rows).unwrap_or_default(),
                    call_rows(call),
                    "{name} {call_id} ({format:?}): messages differ from the truth"
                );
                for ((src, dst, ssrc), packets) in truth_streams(sdp.as_ref(), &truth, call_id) {
                    let ours = back
                        .streams_of(back.find(call_id).unwrap())
                        .chain(back.unassociated_streams())
                        .find(|s| {
                            s.src.to_string() == src && s.dst.to_string() == dst && s.ssrc == ssrc
                        })
                        .map(|s| s.stats.packets);
                    assert_eq!(
                        ours,
                        Some(packets),
                        "{name} {call_id}: stream {src} -> {dst} {ssrc:#x}"
                    );
                    streams_checked += 1;
                }
                if with_tshark {
                    capinfos_reads(&out, written.packets);
                    capinfos_checked += 1;
                }
                if with_tshark && n == 0 {
                    // As many as tshark finds in the source (a snap length can
                    // cut the Call-ID off, for tshark and for the truth file alike).
                    let expected = tshark_sip_messages(&path, call_id);
                    assert!(expected > 0, "{name}");
                    assert_eq!(
                        tshark_sip_messages(&out, call_id),
                        expected,
                        "{name} {format:?}"
                    );
                    tshark_checked += 1;
                }
            }
            calls_checked += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "{calls_checked} calls, {streams_checked} streams, {capinfos_checked} files read by capinfos, {tshark_checked} by tshark"
    );
    assert!(
        calls_checked > 250 && streams_checked >= 40,
        "{calls_checked} {streams_checked}"
    );
}

/// `--call-id` reads only the chosen calls, yet the other calls' SDP still
/// says whose media is where: two sipp calls answering on one address each
/// get their own RTP, the truth's streams and no other.
#[test]
fn call_id_exports_carry_their_own_rtp_only() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gen__uac_pcap_rtp_2calls.pcap");
    let truth = truth_of(&path);
    let sdp = common::sdp_addresses_by_call(&path, &truth);
    let dir = std::env::temp_dir().join(format!("sipscope-callid-rtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for call in truth["calls"].as_array().unwrap() {
        let call_id = call["call_id"].as_str().unwrap();
        let out = dir.join("call.pcap");
        let run = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .arg("-r")
            .arg(&path)
            .args(["--no-ui", "--with-rtp", "--call-id", call_id, "-w"])
            .arg(&out)
            .args(["--log-file", "/tmp/sipscope-export-test.log"])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let back = sipscope::replay(&out).unwrap();
        let mut ours: BTreeMap<(String, String, u32), u64> = back
            .dialogs()
            .flat_map(|d| back.streams_of(d))
            .chain(back.unassociated_streams())
            .map(|s| {
                (
                    (s.src.to_string(), s.dst.to_string(), s.ssrc),
                    s.stats.packets,
                )
            })
            .collect();
        ours.retain(|_, n| *n > 0);
        assert_eq!(
            ours,
            truth_streams(sdp.as_ref(), &truth, call_id),
            "{call_id}"
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (src, dst, packets) of each RTP stream tshark finds in a capture
/// (`-z rtp,streams` with the heuristic on).
fn tshark_rtp_streams(path: &Path) -> BTreeMap<(String, String), u64> {
    let out = Command::new("tshark")
        .args([
            "-q",
            "-n",
            "-z",
            "rtp,streams",
            "-o",
            "rtp.heuristic_rtp:TRUE",
            "-r",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut streams = BTreeMap::new();
    for line in text.lines() {
        // start end src-ip src-port dst-ip dst-port ssrc payload packets ...
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 9 || !f[6].starts_with("0x") {
            continue;
        }
        let packets: u64 = f[8].parse().unwrap();
        streams.insert(
            (format!("{}:{}", f[2], f[3]), format!("{}:{}", f[4], f[5])),
            packets,
        );
    }
    streams
}

/// A call through a PBX, as two dialogs (caller to PBX, PBX to callee),
/// whether the PBX leaves media to the ends (both legs' SDPs name the
/// caller and the callee) or anchors it (four flows): each leg's JSON
/// report lists the streams whose two ends its own SDPs named, both
/// directions, as tshark counts them, with no one-way finding; and
/// `-w --call-id LEG --with-rtp` writes both directions (tshark reads them).
#[test]
fn each_leg_of_a_proxied_call_holds_and_exports_both_directions() {
    let dir = std::env::temp_dir().join(format!("sipscope-legs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for name in [
        "synthetic_pbx_direct_media.pcap",
        "synthetic_pbx_anchored.pcap",
    ] {
        let path = data.join(name);
        let truth = truth_of(&path);
        let sdp = common::sdp_addresses_by_call(&path, &truth).expect("tshark reads the SDP");
        // The truth, per leg: (src, dst, ssrc) -> packets.
        let mut expected: BTreeMap<String, BTreeMap<(String, String, String), u64>> =
            BTreeMap::new();
        for s in truth["rtp"]["streams"].as_array().unwrap() {
            for leg in common::stream_legs(&sdp, s) {
                expected.entry(leg).or_default().insert(
                    (
                        s["src"].as_str().unwrap().to_owned(),
                        s["dst"].as_str().unwrap().to_owned(),
                        s["ssrc"].as_str().unwrap().to_owned(),
                    ),
                    s["packets"].as_u64().unwrap(),
                );
            }
        }
        assert_eq!(expected.len(), 2, "{name}: two legs");
        let run = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .arg("-r")
            .arg(&path)
            .args(["--no-ui", "--report", "json"])
            .args(["--log-file", "/tmp/sipscope-export-test.log"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}");
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        for call in report["calls"].as_array().unwrap() {
            let leg = call["call_id"].as_str().unwrap();
            let want = &expected[leg];
            assert!(want.len() >= 2, "{name} {leg}: {want:?}");
            let ours: BTreeMap<(String, String, String), u64> = call["rtp_streams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        (
                            s["src"].as_str().unwrap().to_owned(),
                            s["dst"].as_str().unwrap().to_owned(),
                            s["ssrc"].as_str().unwrap().to_owned(),
                        ),
                        s["packets"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(&ours, want, "{name} {leg}: streams");
            let rules: Vec<&str> = call["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap())
                .collect();
            assert!(!rules.contains(&"one-way-media"), "{name} {leg}: {rules:?}");

            let out = dir.join(format!("{leg}.pcap"));
            let run = Command::new(env!("CARGO_BIN_EXE_sipscope"))
                .arg("-r")
                .arg(&path)
                .args(["--no-ui", "--with-rtp", "--call-id", leg, "-w"])
                .arg(&out)
                .args(["--log-file", "/tmp/sipscope-export-test.log"])
                .output()
                .unwrap();
            assert!(run.status.success(), "{name} {leg}");
            let want: BTreeMap<(String, String), u64> = want
                .iter()
                .map(|((src, dst, _), n)| ((src.clone(), dst.clone()), *n))
                .collect();
            assert_eq!(
                tshark_rtp_streams(&out),
                want,
                "{name} {leg}: exported streams"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Over TCP the exported call opens with its connection's SYN and SYN-ACK
/// (`gen_sip_pcap.py -o gen__tcp_handshake_4calls.pcap --calls 4 --tcp
/// --tcp-handshake --seed 13 --fail-ratio 0`: one connection per phone,
/// every handshake at the start of the capture): tshark finds exactly those
/// two frames, between the call's phone and the server, and every SIP
/// message of the call the truth lists.
#[test]
fn tcp_exports_open_with_their_connections_syn_and_syn_ack() {
    if !tshark() {
        return;
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gen__tcp_handshake_4calls.pcap");
    let truth = truth_of(&path);
    let dir = std::env::temp_dir().join(format!("sipscope-syn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let calls = truth["calls"].as_array().unwrap();
    for call in calls {
        let call_id = call["call_id"].as_str().unwrap();
        let out = dir.join("call.pcap");
        let run = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .arg("-r")
            .arg(&path)
            .args(["--no-ui", "--call-id", call_id, "-w"])
            .arg(&out)
            .args(["--log-file", "/tmp/sipscope-export-test.log"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{call_id}");
        let syns = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&out)
            .args(["-Y", "tcp.flags.syn==1", "-T", "fields"])
            .args([
                "-e",
                "ip.src",
                "-e",
                "tcp.srcport",
                "-e",
                "ip.dst",
                "-e",
                "tcp.dstport",
            ])
            .output()
            .unwrap();
        let syns: Vec<String> = String::from_utf8_lossy(&syns.stdout)
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                format!("{}:{} {}:{}", f[0], f[1], f[2], f[3])
            })
            .collect();
        let first = &call["messages"][0];
        let (src, dst) = (
            first["src"].as_str().unwrap(),
            first["dst"].as_str().unwrap(),
        );
        assert_eq!(
            syns,
            [format!("{src} {dst}"), format!("{dst} {src}")],
            "{call_id}: SYN, then SYN-ACK"
        );
        assert_eq!(
            tshark_sip_messages(&out, call_id),
            call["messages"].as_array().unwrap().len(),
            "{call_id}"
        );
    }
    assert_eq!(calls.len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}
