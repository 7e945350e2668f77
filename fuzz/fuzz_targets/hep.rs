//! The HEP v3 decoder on any bytes (what `-L` takes from the network): it
//! must never panic; what it accepts encodes again to a packet it reads the
//! same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sipscope::hep;

fuzz_target!(|data: &[u8]| {
    let Ok((h, len)) = hep::decode(data) else {
        return;
    };
    assert!(len <= data.len());
    let mut again = Vec::new();
    if hep::encode(&h.meta, h.payload, &mut again).is_ok() {
        let (back, n) = hep::decode(&again).expect("our own packet reads back");
        assert_eq!(n, again.len());
        assert_eq!(back.payload, h.payload);
        assert_eq!(back.meta.src, h.meta.src);
        assert_eq!(back.meta.dst, h.meta.dst);
    }
});
