//! The strict check (rsip over the message, sdp-rs over the body after the
//! first blank line, or the whole input when there is none).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(data, |i| &data[i + 4..]);
    let v = sipscope::sip::strict::check(data, Some(body));
    let _ = v.is_strict();
});
