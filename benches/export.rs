//! Exporting chosen calls out of a large capture (issue 5): the 200,000-call
//! capture of `scripts/bench.sh large` is read into the model (every dialog
//! kept), then one call from the middle of the file is written to pcap (with
//! and without RTP) and to pcapng, RUNS times each (median and max), then
//! 1,000 calls and every call. `cargo bench --bench export`; the capture is
//! `$SIPSCOPE_BENCH_PCAP`, else `/tmp/sipscope-bench/large.pcap`. The end-to-end
//! comparison with tshark and sngrep is `scripts/bench_export.sh`.
//!
//! Each export goes through `export::export` as the UI and `-w` call it: the
//! frame plan, reading the frames back from the capture, writing a temporary
//! file, `fsync` and the rename.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sipscope::export::{self, Format, Plan, Selection};
use sipscope::model::{Dialog, Model};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_PCAP: &str = "/tmp/sipscope-bench/large.pcap";
const RUNS: usize = 20;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `f` `runs` times after one warm-up run; prints and returns the
/// median, and prints the max.
fn time_it<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut last = f();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        last = f();
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "{label:<58} median {:>10.4} ms   max {:>10.4} ms   ({runs} runs)",
        ms(median),
        ms(max)
    );
    (median, last)
}

fn export_to(
    model: &Model,
    dialogs: &[&Dialog],
    format: Format,
    with_rtp: bool,
    path: &Path,
) -> export::Written {
    export::export(model, dialogs, format, with_rtp, path, true, |_| {}).unwrap()
}

fn main() {
    let path = std::env::var_os("SIPSCOPE_BENCH_PCAP")
        .map_or_else(|| PathBuf::from(DEFAULT_PCAP), PathBuf::from);
    if !path.exists() {
        println!(
            "export bench: {} not found. Make it with `scripts/bench.sh large` (or \
             `python3 ../shared/tools/gen_sip_pcap.py -q -o {DEFAULT_PCAP} --calls 200000 --seed 3`), \
             or point SIPSCOPE_BENCH_PCAP at a capture.",
            path.display()
        );
        return;
    }
    let bytes = std::fs::metadata(&path).unwrap().len();

    let t = Instant::now();
    let owned = sipscope::replay(path.as_path()).unwrap();
    let load = t.elapsed();
    let model: &Model = &owned;
    println!(
        "load {} ({:.0} MB): {} dialogs, {} SIP messages in {:.2} s",
        path.display(),
        bytes as f64 / 1e6,
        model.len(),
        model.stats().sip_messages,
        load.as_secs_f64()
    );
    assert!(!model.is_empty(), "no dialog in {}", path.display());

    let dir = std::env::temp_dir().join(format!("sipscope-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |name: &str| dir.join(name);

    // One call from the middle of the file, found as `-w --call-id` finds it.
    let middle = model.dialogs().nth(model.len() / 2).unwrap();
    let call_id = middle.call_id().to_owned();
    println!("one call: {call_id} ({} messages)", middle.messages.len());
    let selection = Selection::new(vec![call_id.clone()], None);
    let (_, found) = time_it(
        "find it by Call-ID (Selection::dialogs, every dialog)",
        RUNS,
        || selection.dialogs(model),
    );
    assert_eq!(found.len(), 1);
    let one = [middle];
    time_it("find it by Call-ID (Model::find, the index)", RUNS, || {
        model.find(&call_id).unwrap().messages.len()
    });
    time_it("its frame plan alone (Plan::new)", RUNS, || {
        Plan::new(model, &one, true).frames.len()
    });

    let (_, w) = time_it("export one call to pcap", RUNS, || {
        export_to(model, &one, Format::Pcap, false, &out("one.pcap"))
    });
    println!("    {w}");
    let (_, w) = time_it("export one call to pcap, with RTP", RUNS, || {
        export_to(model, &one, Format::Pcap, true, &out("one-rtp.pcap"))
    });
    println!("    {w}");
    let (_, w) = time_it("export one call to pcapng", RUNS, || {
        export_to(model, &one, Format::Pcapng, false, &out("one.pcapng"))
    });
    println!("    {w}");

    // 1,000 consecutive calls from the middle.
    let start = model.len() / 2;
    let thousand: Vec<&Dialog> = model.dialogs().skip(start).take(1000).collect();
    let (_, w) = time_it("export 1,000 calls to pcap", 5, || {
        export_to(model, &thousand, Format::Pcap, false, &out("thousand.pcap"))
    });
    println!("    {w}");
    let (_, w) = time_it("export 1,000 calls to pcapng", 5, || {
        export_to(
            model,
            &thousand,
            Format::Pcapng,
            false,
            &out("thousand.pcapng"),
        )
    });
    println!("    {w}");

    // Every call: the whole capture rewritten (once, then more if it was quick).
    let all: Vec<&Dialog> = model.dialogs().collect();
    let t = Instant::now();
    let w = export_to(model, &all, Format::Pcap, false, &out("all.pcap"));
    let first = t.elapsed();
    println!(
        "{:<58} first  {:>10.4} ms",
        format!("export all {} calls to pcap", all.len()),
        ms(first)
    );
    println!("    {w}");
    if first < Duration::from_secs(5) {
        let mut times: Vec<Duration> = (0..3)
            .map(|_| {
                let t = Instant::now();
                export_to(model, &all, Format::Pcap, false, &out("all.pcap"));
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{:<58} median {:>10.4} ms   max {:>10.4} ms   (3 more runs)",
            format!("export all {} calls to pcap", all.len()),
            ms(times[1]),
            ms(times[2])
        );
    }
    let _ = std::fs::remove_file(out("all.pcap"));

    std::fs::remove_dir_all(&dir).unwrap();
    // Tearing down millions of messages takes longer than the read; skip it.
    std::mem::forget(owned);
}
