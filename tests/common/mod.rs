//! What the tests that compare with tshark share: the captures in tests/data
//! with a `*.truth.json` (made by shared/tools/truth.py with tshark), and the
//! per-message rows both sides are compared by.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sipscope::model::Dialog;

/// Every capture in tests/data that has a truth file, sorted.
pub fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.to_string_lossy();
            (n.ends_with(".pcap") || n.ends_with(".pcapng"))
                && Path::new(&format!("{n}.truth.json")).exists()
        })
        .collect();
    v.sort();
    v
}

/// The tshark truth beside a capture.
pub fn truth_of(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{}.truth.json", path.display())).unwrap(),
    )
    .unwrap()
}

/// Every capture with its truth: (path, truth).
pub fn truth_files() -> Vec<(String, Value)> {
    captures()
        .into_iter()
        .map(|p| (p.to_string_lossy().into_owned(), truth_of(&p)))
        .collect()
}

/// (source, destination, method or status, CSeq, retransmission).
pub type Row = (String, String, String, String, bool);

/// The truth's rows of one call (an element of `calls`).
pub fn call_rows(call: &Value) -> Vec<Row> {
    json_rows(call, "resend")
}

/// The rows of one call of sipscope's JSON report (`calls[]`).
pub fn report_rows(call: &Value) -> Vec<Row> {
    json_rows(call, "retransmission")
}

/// Rows of a call's `messages` as JSON, whichever names the retransmission
/// flag.
fn json_rows(call: &Value, resend: &str) -> Vec<Row> {
    call["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let what = match m["method"].as_str() {
                Some(meth) => meth.to_owned(),
                None => m["status"].to_string(),
            };
            (
                m["src"].as_str().unwrap().to_owned(),
                m["dst"].as_str().unwrap().to_owned(),
                what,
                m["cseq"].as_str().unwrap_or("").to_owned(),
                m[resend].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// Our rows of one dialog.
pub fn dialog_rows(d: &Dialog) -> Vec<Row> {
    d.messages
        .iter()
        .map(|m| {
            (
                m.src().to_string(),
                m.dst().to_string(),
                m.label(),
                m.cseq_text().unwrap_or_default(),
                m.retransmission(),
            )
        })
        .collect()
}

/// The media addresses each call's SDP announced, read by tshark
/// (`sdp.connection_info.address` × `sdp.media.port` per message). `None`
/// when tshark is not installed, or the truth has no RTP (nothing to own).
pub fn sdp_addresses_by_call(
    capture: &Path,
    truth: &Value,
) -> Option<BTreeMap<String, Vec<String>>> {
    if truth["rtp"]["streams"].as_array().is_none_or(Vec::is_empty) {
        return None;
    }
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(capture)
        .args(["-Y", "sdp", "-T", "fields", "-E", "separator=;"])
        .args([
            "-e",
            "sip.Call-ID",
            "-e",
            "sdp.connection_info.address",
            "-e",
            "sdp.media.port",
        ])
        .output()
        .ok()?;
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = line.split(';');
        let (Some(id), Some(ips), Some(ports)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let v = map.entry(id.to_owned()).or_default();
        for ip in ips.split(',') {
            for port in ports.split(',') {
                let a = if ip.contains(':') {
                    format!("[{ip}]:{port}")
                } else {
                    format!("{ip}:{port}")
                };
                v.push(a);
            }
        }
    }
    Some(map)
}

/// The Call-ID an RTP stream of the truth file belongs to. tshark gives it
/// to the call whose SDP last announced its destination (its setup frame).
/// Where two calls share a port at one end, that can be the other call: when
/// tshark's call did not announce both ends and another call did (tshark's
/// own SDP fields say so), the stream is that other call's, as sipscope
/// ties it. `sdp` is [`sdp_addresses_by_call`]'s (without it, tshark's call).
pub fn stream_owner(
    sdp: Option<&BTreeMap<String, Vec<String>>>,
    truth: &Value,
    stream: &Value,
) -> Option<String> {
    let setup = stream["sdp_setup_frame"]
        .as_u64()
        .or_else(|| stream["setup_frame"].as_u64())?;
    let calls = truth["calls"].as_array()?;
    let tshark_owner = calls.iter().find(|c| {
        c["messages"]
            .as_array()
            .is_some_and(|ms| ms.iter().any(|m| m["frame"].as_u64() == Some(setup)))
    })?["call_id"]
        .as_str()?
        .to_owned();
    let ends = [stream["src"].as_str()?, stream["dst"].as_str()?];
    let Some(sdp) = sdp else {
        return Some(tshark_owner);
    };
    let both = |id: &str| {
        sdp.get(id)
            .is_some_and(|a| ends.iter().all(|e| a.iter().any(|x| x == e)))
    };
    if both(&tshark_owner) {
        return Some(tshark_owner);
    }
    let others: Vec<&String> = sdp.keys().filter(|id| both(id)).collect();
    match others.as_slice() {
        [one] => Some((*one).clone()),
        _ => Some(tshark_owner),
    }
}

/// Every Call-ID whose SDP (as tshark reads it, [`sdp_addresses_by_call`])
/// named both ends of a truth stream: the legs that stream belongs to.
pub fn stream_legs(sdp: &BTreeMap<String, Vec<String>>, stream: &Value) -> Vec<String> {
    let ends = [
        stream["src"].as_str().unwrap_or(""),
        stream["dst"].as_str().unwrap_or(""),
    ];
    sdp.iter()
        .filter(|(_, a)| ends.iter().all(|e| a.iter().any(|x| x == e)))
        .map(|(id, _)| id.clone())
        .collect()
}
