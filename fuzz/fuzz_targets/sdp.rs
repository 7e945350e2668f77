//! The SDP scanner on any bytes: it must never panic; what it reads with
//! its memo of media sections (kept from input to input on this thread) is
//! what it reads line by line; the media addresses read with a limit are
//! those read without it, or none past the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipscope::sip::sdp;

fuzz_target!(|data: &[u8]| {
    let _ = sdp::looks_like_sdp(data);
    let s = sdp::parse(data);
    assert_eq!(s, sdp::parse_fresh(data));
    // Again, now that its sections are kept.
    assert_eq!(sdp::parse(data), s);
    for m in &s.media {
        for pt in 0..=u8::MAX {
            let _ = m.codec_name(pt);
        }
    }
    let _ = format!("{s:?}");
    let all = sdp::media_addresses(data);
    for limit in [0, 1, 16] {
        let some = sdp::media_addresses_upto(data, limit);
        assert_eq!(some, (all.len() <= limit).then(|| all.clone()));
    }
});
