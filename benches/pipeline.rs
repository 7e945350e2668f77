//! The capture side alone (read, decode, scan), and the whole offline
//! pipeline into the model, on a capture file: `cargo bench --bench pipeline
//! -- FILE` (default: the largest capture in tests/data). For the comparison
//! with sngrep and tshark, see scripts/bench.sh.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use sipscope::capture::file::CaptureReader;
use sipscope::model::Model;
use sipscope::pipeline::Pipeline;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| {
            format!(
                "{}/tests/data/gen__load_udp_2000calls_200cps.pcap",
                env!("CARGO_MANIFEST_DIR")
            )
        });
    let bytes = std::fs::metadata(&path).unwrap().len();

    let t = Instant::now();
    let mut reader = CaptureReader::new(std::fs::File::open(&path).unwrap(), true, 0).unwrap();
    let mut pipeline = Pipeline::new();
    let mut out = Vec::new();
    let mut messages = 0usize;
    while let Some(frame) = reader.next_frame().unwrap() {
        pipeline.push(&frame, &mut out);
        messages += out.len();
        out.clear();
    }
    let capture_side = t.elapsed();
    println!(
        "capture side (read+decode+scan): {messages} SIP messages in {capture_side:?}: {:.0} msg/s, {:.0} MB/s",
        messages as f64 / capture_side.as_secs_f64(),
        bytes as f64 / 1e6 / capture_side.as_secs_f64()
    );

    let t = Instant::now();
    let owned = sipscope::replay(std::path::Path::new(&path)).unwrap();
    let whole = t.elapsed();
    let model: &Model = &owned;
    println!(
        "whole pipeline into the model (2 threads): {} dialogs, {} messages in {whole:?}: {:.0} msg/s",
        model.len(),
        model.stats().sip_messages,
        model.stats().sip_messages as f64 / whole.as_secs_f64()
    );
    std::mem::forget(owned);
}
