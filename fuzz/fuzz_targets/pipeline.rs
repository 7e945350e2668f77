//! Frames through one Pipeline (link, IP, dedup, defrag, UDP, TCP reassembly,
//! WebSocket, SIP framing) and the messages into a Model, as a capture does.
//!
//! Input: byte 0 picks the link type, bytes 1..9 the first timestamp (made
//! non-negative, as capture files give), then frames, each
//! `[dt][len_hi][len_lo][len bytes]` (the last one may be short): `dt < 128`
//! advances the clock by dt * 100 us (the dedup window is 5 ms), `dt >= 128`
//! by (dt - 128) s (the defrag timeout is 30 s).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipscope::decode::Frame;
use sipscope::model::{Limits, Model};
use sipscope::pipeline::Pipeline;

const LINKTYPES: [u16; 8] = [1, 0, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&lt, rest)) = data.split_first() else {
        return;
    };
    let linktype = LINKTYPES[usize::from(lt) % LINKTYPES.len()];
    let Some((ts, mut rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let mut ts_ns = (u64::from_le_bytes(*ts) >> 1) as i64;
    let mut pipeline = Pipeline::new();
    let mut model = Model::new(Limits {
        raw_in_memory: true,
        ..Limits::default()
    });
    let mut out = Vec::new();
    while let Some((&[dt, hi, lo], tail)) = rest.split_first_chunk::<3>() {
        let step = if dt < 128 {
            i64::from(dt) * 100_000
        } else {
            i64::from(dt - 128) * 1_000_000_000
        };
        ts_ns = ts_ns.saturating_add(step);
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(tail.len());
        let (frame, tail) = tail.split_at(len);
        rest = tail;
        let frame = Frame {
            ts_ns,
            linktype,
            source: 0,
            orig_len: u32::try_from(frame.len()).unwrap_or(u32::MAX),
            file_offset: None,
            data: frame,
        };
        pipeline.push(&frame, &mut out);
        for m in &mut out {
            let _ = m.method();
            let _ = m.status();
            if let Some(body) = m.sdp_body() {
                let _ = sipscope::sip::sdp::parse(body);
            }
            model.ingest(m);
        }
        out.clear();
    }
    let _ = pipeline.stats();
    let _ = model.stats();
});
