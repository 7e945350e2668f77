//! Line feeds found 32 bytes at a time: one vector comparison gives a mask
//! of the line feeds of a block, and the lines of a block are read from its
//! mask without another search. A header line of 20 to 80 bytes costs a
//! few instructions, not the set-up of a `memchr` call (about 60
//! instructions and a mispredicted branch or two: a third of the scanner's
//! time went to it, docs/performance.md, perf-capture7).
//!
//! On x86-64 the comparison is SSE2 (always there), through `safe_arch`
//! (the crate forbids `unsafe`); elsewhere a plain loop builds the same
//! mask. A line longer than four blocks is finished by `memchr`.
#![warn(clippy::indexing_slicing)]

/// Bytes compared at a time.
pub const BLOCK: usize = 32;
/// Blocks without a line feed before the search is left to `memchr`.
const BLOCKS_BEFORE_MEMCHR: u32 = 4;

/// The line feeds of one buffer, searched forward block by block.
pub struct LineEnds<'a> {
    buf: &'a [u8],
    /// Where the block in `mask` starts.
    base: usize,
    /// Bit `i` set: `buf[base + i]` is a line feed not yet passed over.
    mask: u32,
}

impl<'a> LineEnds<'a> {
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            base: 0,
            mask: block_mask(buf, 0),
        }
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn load(&mut self, at: usize) {
        self.base = at;
        self.mask = block_mask(self.buf, at);
    }

    /// The first line feed in `buf[from..limit)`: what
    /// `memchr(b'\n', &buf[from..limit])` gives, as a position in `buf`.
    /// Cheapest when `from` moves forward, each time past the last line
    /// feed found, as a scanner reads lines. Inlined: a call a line is
    /// what this saves.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn find(&mut self, from: usize, limit: usize) -> Option<usize> {
        let limit = limit.min(self.buf.len());
        if from >= limit {
            return None;
        }
        if from < self.base || from >= self.base + BLOCK {
            self.load(from);
        }
        // Line feeds before `from` are behind us (`from - base` < 32).
        let mut mask = self.mask & (u32::MAX << (from - self.base));
        let mut empty = 0;
        loop {
            if mask != 0 {
                self.mask = mask;
                let at = self.base + mask.trailing_zeros() as usize;
                return (at < limit).then_some(at);
            }
            let next = self.base + BLOCK;
            if next >= limit {
                self.load(next);
                return None;
            }
            empty += 1;
            if empty == BLOCKS_BEFORE_MEMCHR {
                // A long line: memchr's wider loop pays for its set-up.
                let found = memchr::memchr(b'\n', self.buf.get(next..limit)?).map(|i| next + i);
                match found {
                    Some(at) => self.load(at),
                    None => self.load(limit),
                }
                return found;
            }
            self.load(next);
            mask = self.mask;
        }
    }
}

/// The line feeds of `buf[at..at + 32]` as bits (bytes past the end of
/// `buf` count as none).
#[allow(clippy::inline_always)]
#[inline(always)]
fn block_mask(buf: &[u8], at: usize) -> u32 {
    Block::at(buf, at).eq(b'\n')
}

/// 32 bytes of a buffer, loaded once to be compared with several bytes:
/// bit `i` of a comparison's mask stands for the block's byte `i`.
#[cfg(target_arch = "x86_64")]
pub struct Block([safe_arch::m128i; 2]);

#[cfg(target_arch = "x86_64")]
impl Block {
    /// `buf[at..at + 32]`, zeros standing for bytes past its end.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn at(buf: &[u8], at: usize) -> Self {
        use safe_arch::load_unaligned_m128i;
        let load = |b: &[u8]| {
            let (lo, hi) = b.split_at(16);
            match (<&[u8; 16]>::try_from(lo), <&[u8; 16]>::try_from(hi)) {
                (Ok(lo), Ok(hi)) => [load_unaligned_m128i(lo), load_unaligned_m128i(hi)],
                _ => [safe_arch::m128i::default(); 2],
            }
        };
        match buf.get(at..at + BLOCK) {
            Some(b) => Self(load(b)),
            None => Self(load(&padded(buf, at))),
        }
    }

    /// Which of its bytes are `b`.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn eq(&self, b: u8) -> u32 {
        use safe_arch::{cmp_eq_mask_i8_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
        let needle = set_splat_i8_m128i(b.cast_signed());
        let [lo, hi] = self.0;
        let lo = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(lo, needle)).cast_unsigned();
        let hi = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(hi, needle)).cast_unsigned();
        lo | hi << 16
    }
}

/// 32 bytes of a buffer (the portable form: a loop builds each mask).
#[cfg(not(target_arch = "x86_64"))]
pub struct Block([u8; BLOCK]);

#[cfg(not(target_arch = "x86_64"))]
impl Block {
    /// `buf[at..at + 32]`, zeros standing for bytes past its end.
    #[inline]
    pub fn at(buf: &[u8], at: usize) -> Self {
        Self(padded(buf, at))
    }

    /// Which of its bytes are `b`.
    #[inline]
    pub fn eq(&self, b: u8) -> u32 {
        self.0
            .iter()
            .enumerate()
            .fold(0, |m, (i, c)| m | (u32::from(*c == b) << i))
    }
}

/// `buf[at..]`'s first 32 bytes, zeros after its end.
fn padded(buf: &[u8], at: usize) -> [u8; BLOCK] {
    let mut padded = [0u8; BLOCK];
    let rest = buf.get(at..).unwrap_or_default();
    for (d, s) in padded.iter_mut().zip(rest) {
        *d = *s;
    }
    padded
}

/// The bits of a block's mask that stand for bytes before `end` (the
/// block starts at `at`).
#[inline]
pub fn before(at: usize, end: usize) -> u32 {
    match end.saturating_sub(at) {
        n if n >= BLOCK => u32::MAX,
        n => (1u32 << n) - 1,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every line feed of `buf[from..limit)`, by memchr, one at a time.
    fn by_memchr(buf: &[u8], mut from: usize, limit: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some(i) = buf
            .get(from..limit.min(buf.len()))
            .and_then(|s| memchr::memchr(b'\n', s))
        {
            out.push(from + i);
            from += i + 1;
        }
        out
    }

    fn by_blocks(buf: &[u8], mut from: usize, limit: usize) -> Vec<usize> {
        let mut lines = LineEnds::new(buf);
        let mut out = Vec::new();
        while let Some(at) = lines.find(from, limit) {
            out.push(at);
            from = at + 1;
        }
        out
    }

    /// A small deterministic generator (xorshift), so failures repeat.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn line_ends_match_memchr_on_random_buffers() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let len = usize::try_from(next(&mut s) % 400).unwrap();
            // Line feeds dense, sparse or absent; lines of every length,
            // some longer than the blocks searched before memchr.
            let density = next(&mut s) % 5;
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next(&mut s);
                    if density > 0 && r.is_multiple_of(density * density * 8) {
                        b'\n'
                    } else {
                        r.to_le_bytes()[1]
                    }
                })
                .collect();
            let from = usize::try_from(next(&mut s) % (len as u64 + 2)).unwrap();
            let limit = match next(&mut s) % 3 {
                0 => len,
                1 => len + 5,
                _ => usize::try_from(next(&mut s) % (len as u64 + 1)).unwrap(),
            };
            assert_eq!(
                by_blocks(&buf, from, limit),
                by_memchr(&buf, from, limit),
                "{buf:?} from {from} limit {limit}"
            );
        }
    }

    #[test]
    fn line_ends_searched_anywhere_in_any_order() {
        let buf: Vec<u8> = (0..300u32)
            .map(|i| {
                if i % 7 == 3 || i % 61 == 0 {
                    b'\n'
                } else {
                    b'a'
                }
            })
            .collect();
        let mut lines = LineEnds::new(&buf);
        // Backwards, far ahead, at a block's edge, past the end.
        for from in [250, 3, 0, 31, 32, 33, 64, 299, 300, 301, 10, 200] {
            assert_eq!(
                lines.find(from, buf.len()),
                by_memchr(&buf, from, buf.len()).first().copied(),
                "from {from}"
            );
        }
    }

    #[test]
    fn block_masks_mark_exactly_the_bytes_that_match() {
        const BYTES: [u8; 8] = [0, 37, 74, 111, 148, 185, 222, 255];
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5_000 {
            let len = usize::try_from(next(&mut s) % 80).unwrap();
            let buf: Vec<u8> = (0..len)
                .map(|_| BYTES[usize::from(next(&mut s).to_le_bytes()[2] % 8)])
                .collect();
            let at = usize::try_from(next(&mut s) % 50).unwrap();
            let block = Block::at(&buf, at);
            for needle in BYTES {
                let want = (0..BLOCK).fold(0u32, |m, i| {
                    let byte = buf.get(at + i).copied().unwrap_or(0);
                    m | (u32::from(byte == needle) << i)
                });
                assert_eq!(block.eq(needle), want, "{buf:?} at {at} needle {needle}");
            }
        }
        assert_eq!(before(10, 9), 0);
        assert_eq!(before(10, 13), 0b111);
        assert_eq!(before(10, 42), u32::MAX);
        assert_eq!(before(10, 100), u32::MAX);
    }

    #[test]
    fn line_feed_at_each_position_of_a_block() {
        for len in [1, 15, 16, 17, 31, 32, 33, 64, 129, 200] {
            for at in 0..len {
                let mut buf = vec![b'x'; len];
                buf[at] = b'\n';
                assert_eq!(LineEnds::new(&buf).find(0, len), Some(at));
                assert_eq!(LineEnds::new(&buf).find(0, at), None);
            }
        }
    }
}
