//! Measures the capture side alone: read + decode + scan, no model.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = std::time::Instant::now();
    let f = std::fs::File::open(&path).unwrap();
    let mut r = sipscope::capture::file::CaptureReader::new(f, true, 0).unwrap();
    let mut p = sipscope::pipeline::Pipeline::new();
    let mut out = Vec::new();
    let mut n = 0usize;
    let mut frames = 0usize;
    let read_only = std::env::args().nth(2).is_some();
    while let Some(fr) = r.next_frame().unwrap() {
        frames += 1;
        if read_only {
            continue;
        }
        p.push(&fr, &mut out);
        n += out.len();
        out.clear();
    }
    println!("{frames} frames, {n} messages in {:?}", t.elapsed());
}
