//! Eight bytes at a time in a `u64` ("SIMD within a register"), for the
//! short searches of a header value, where a call to memchr costs more in
//! set-up than the search itself. Every mask here is exact: the high bit of
//! a byte is set when, and only when, that byte matches.
#![warn(clippy::indexing_slicing)]

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The eight bytes of `s` at `at`, little-endian, when all are there.
pub(crate) fn word_at(s: &[u8], at: usize) -> Option<u64> {
    let w: [u8; 8] = s.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(w))
}

/// The high bit of each zero byte of `w`.
fn zero(w: u64) -> u64 {
    !(((w & LOW7) + LOW7) | w) & HIGH
}

/// The high bit of each byte of `w` equal to `b`.
pub(crate) fn eq(w: u64, b: u8) -> u64 {
    zero(w ^ (ONES * u64::from(b)))
}

/// The high bit of each byte of `w` below `n` (`n` at most 128).
pub(crate) fn below(w: u64, n: u8) -> u64 {
    !(((w & LOW7) + ONES * u64::from(0x80 - n.min(0x80))) | w) & HIGH
}

/// The index of the first byte a mask marks.
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mark_exactly_the_bytes_that_match() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Bytes drawn mostly from near the values tested.
            let bytes = seed.to_le_bytes().map(|b| match b % 4 {
                0 => b';',
                1 => b,
                2 => b % 0x30,
                _ => 0x80 | b,
            });
            let w = u64::from_le_bytes(bytes);
            for needle in [b';', b' ', 0, 0x7f, 0x80, 0xff] {
                let want = bytes.iter().enumerate().fold(0u64, |m, (i, b)| {
                    m | (u64::from(*b == needle) << (8 * i + 7))
                });
                assert_eq!(eq(w, needle), want, "{bytes:?} {needle}");
            }
            for n in [1u8, 0x21, 0x40, 0x80] {
                let want = bytes
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, b)| m | (u64::from(*b < n) << (8 * i + 7)));
                assert_eq!(below(w, n), want, "{bytes:?} < {n}");
            }
        }
    }
}
