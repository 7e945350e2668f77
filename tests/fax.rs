//! T.38 fax: UDPTL to the address a re-INVITE's `m=image ... udptl t38`
//! named is a fax stream of the call, not RTP. The capture is written by
//! `tests/data/make_fax.py`; tshark's T.38 decode of the same file (it follows
//! the SDP) is the truth for packets and sequence numbers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sipscope::config::Config;
use sipscope::keymap::Action;
use sipscope::ui::app::AppState;
use sipscope::ui::views;

fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/synthetic_t38_fax.pcap")
}

fn tshark_here() -> bool {
    let here = Command::new("tshark").arg("--version").output().is_ok();
    assert!(
        here || std::env::var("CI").is_err(),
        "tshark is missing (scripts/deps.sh --test installs it)"
    );
    here
}

/// Per (source, destination): what tshark decodes as T.38. Each well-formed
/// frame's sequence number, and the frames it calls malformed.
#[derive(Debug, Default, PartialEq)]
struct T38Flow {
    seqs: Vec<u64>,
    malformed: u64,
}

fn tshark_t38(path: &Path) -> BTreeMap<(String, String), T38Flow> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args([
            "-Y",
            "t38",
            "-T",
            "fields",
            "-E",
            "separator=;",
            "-e",
            "ip.src",
            "-e",
            "udp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "udp.dstport",
            "-e",
            "t38.seq_number",
            "-e",
            "_ws.malformed",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut flows: BTreeMap<(String, String), T38Flow> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split(';').collect();
        let key = (format!("{}:{}", f[0], f[1]), format!("{}:{}", f[2], f[3]));
        let flow = flows.entry(key).or_default();
        if f[5].is_empty() {
            flow.seqs.push(f[4].parse().unwrap());
        } else {
            flow.malformed += 1;
        }
    }
    flows
}

fn report(path: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .arg("-r")
        .arg(path)
        .args([
            "-N",
            "--report",
            "json",
            "--log-file",
            "/tmp/sipscope-fax.log",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn udptl_after_a_reinvite_to_t38_is_a_fax_stream_of_the_call() {
    if !tshark_here() {
        return;
    }
    let truth = tshark_t38(&capture());
    assert_eq!(truth.len(), 2, "{truth:?}");
    let r = report(&capture());
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    // The audio before the switch stays RTP; nothing of the fax is.
    let rtp = call["rtp_streams"].as_array().unwrap();
    assert_eq!(rtp.len(), 2, "{rtp:#?}");
    assert!(
        rtp.iter()
            .all(|s| s["dst"].as_str().unwrap().ends_with(":30000")
                || s["dst"].as_str().unwrap().ends_with(":30002"))
    );
    let fax = call["fax_streams"].as_array().unwrap();
    assert_eq!(fax.len(), 2, "{fax:#?}");
    for s in fax {
        let key = (
            s["src"].as_str().unwrap().to_owned(),
            s["dst"].as_str().unwrap().to_owned(),
        );
        let t = &truth[&key];
        assert_eq!(s["kind"], "fax");
        assert_eq!(
            s["packets"].as_u64().unwrap(),
            t.seqs.len() as u64,
            "{key:?}"
        );
        let (lo, hi) = (t.seqs.iter().min().unwrap(), t.seqs.iter().max().unwrap());
        let expected = hi - lo + 1;
        assert_eq!(s["expected"].as_u64().unwrap(), expected, "{key:?}");
        assert_eq!(
            s["lost"].as_i64().unwrap(),
            i64::try_from(expected).unwrap() - i64::try_from(t.seqs.len()).unwrap(),
            "{key:?}"
        );
        assert_eq!(s["malformed"].as_u64().unwrap(), t.malformed, "{key:?}");
        assert!(s.get("mos").is_none() && s.get("mean_jitter_ms").is_none());
    }
    // The caller's packet 150 never came, and the short payload is malformed.
    let caller = &fax[0];
    assert_eq!(caller["src"], "192.0.2.10:40000");
    assert_eq!(
        (caller["lost"].as_i64(), caller["malformed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["stats"]["fax_streams"], 2);
    assert_eq!(
        r["stats"]["udptl_packets"].as_u64().unwrap(),
        truth
            .values()
            .map(|t| t.seqs.len() as u64 + t.malformed)
            .sum::<u64>()
    );
    assert_eq!(r["stats"]["rtp_streams"], 2);
    // The switch to fax is no media stopping before the BYE.
    let rules: Vec<&str> = call["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"media-stops-before-bye"), "{rules:?}");
}

#[test]
fn export_with_rtp_carries_the_udptl_frames() {
    if !tshark_here() {
        return;
    }
    let out = std::env::temp_dir().join(format!("sipscope-fax-{}.pcap", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .arg("-r")
        .arg(capture())
        .args([
            "--no-ui",
            "--with-rtp",
            "--call-id",
            "fax-1@192.0.2.10",
            "-w",
        ])
        .arg(&out)
        .args(["--log-file", "/tmp/sipscope-fax.log"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (before, after) = (tshark_t38(&capture()), tshark_t38(&out));
    let _ = std::fs::remove_file(&out);
    assert_eq!(after, before, "every UDPTL frame, the malformed one too");
}

#[test]
fn streams_view_shows_the_fax_streams_beside_the_audio() {
    let m = sipscope::replay(capture()).unwrap();
    let mut a = AppState::new(Config::default(), "file: test.pcap".into(), false);
    a.refresh(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Streams, &m);
    // The audio both ways, then the fax both ways; the cursor on the first fax.
    a.apply(Action::Down, &m);
    a.apply(Action::Down, &m);
    let mut t = Terminal::new(TestBackend::new(100, 20)).unwrap();
    t.draw(|f| views::render(f, &a, &m)).unwrap();
    let text = format!("{}", t.backend());
    assert!(text.contains("fax (T.38)"), "{text}");
    assert!(
        text.contains("T.38 fax over UDPTL: 299 packets, 1 lost"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
    // Narrow and tiny screens do not panic.
    for (w, h) in [(0, 0), (1, 1), (30, 8)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| views::render(f, &a, &m)).unwrap();
    }
}
