//! What the tests that compare with tshark share: the captures in tests/data
//! with a `*.truth.json` (made by shared/tools/truth.py with tshark), and the
//! per-message rows both sides are compared by.
#![allow(dead_code, clippy::unwrap_used)]

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
                m["resend"].as_bool().unwrap_or(false),
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
                m.src.to_string(),
                m.dst.to_string(),
                m.label(),
                m.cseq_text().unwrap_or_default(),
                m.retransmission,
            )
        })
        .collect()
}
