//! The pcap / pcapng reader on any bytes, every frame it gives pushed through
//! a Pipeline, as replaying a file does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipscope::capture::file::CaptureReader;
use sipscope::pipeline::Pipeline;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data, true, 0) else {
        return;
    };
    let _ = reader.linktypes();
    let mut pipeline = Pipeline::new();
    let mut out = Vec::new();
    // A reader that keeps giving frames must still make progress: bound the
    // loop by the input size (every frame costs at least one byte of input).
    let mut budget = data.len() + 16;
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                assert!(frame.data.len() <= data.len(), "a frame larger than the file");
                pipeline.push(&frame, &mut out);
                out.clear();
            }
            Ok(None) | Err(_) => break,
        }
        budget = budget.checked_sub(1).expect("more frames than input bytes");
    }
    let _ = reader.linktypes();
    let _ = reader.end.as_ref().map(ToString::to_string);
    let _ = pipeline.stats();
});
