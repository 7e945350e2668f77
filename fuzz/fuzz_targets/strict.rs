//! The strict check (rsip over the message, sdp-rs over the body after the
//! first blank line, or the whole input when there is none). Panics inside
//! rsip or sdp-rs are contained by `sipscope::contain` (sdp-rs panics on a
//! huge `r=` value); libFuzzer's own panic hook would abort on them anyway,
//! so the target installs sipscope's quiet hook in front of it, and a panic
//! that escapes containment still aborts.
#![no_main]

use libfuzzer_sys::fuzz_target;

static HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(sipscope::contain::install_quiet_hook);
    let body = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(data, |i| &data[i + 4..]);
    let v = sipscope::sip::strict::check(data, Some(body));
    let _ = v.is_strict();
});
