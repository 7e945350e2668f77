//! A JSON serializer into a byte buffer, written for the reports' call
//! objects: byte for byte what `serde_json` writes (its pretty printing at
//! a depth, [`super::json::Indented`], or its compact form), without its
//! per-token writer and formatter calls. Keys are written with their
//! indentation in one copy; a string is copied whole when it needs no
//! escape.
//!
//! Numbers are formatted by `serde_json`'s own formatter (the same digits);
//! a float that is not finite is `null`, as there.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

pub use super::memo::Memo;

/// What a value that cannot be JSON says (a map key that is not a string).
pub type Error = serde_json::Error;

/// Writes JSON into `out`: pretty (two spaces a level, `depth` levels in to
/// start with), or compact.
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// `None`: compact. `Some(depth)`: pretty, at that depth now.
    depth: Option<usize>,
    /// Rendered bytes of values that repeat, kept by the caller from one
    /// call to the next ([`Writer::with_memo`]).
    memo: Option<&'a mut Memo>,
    /// The whole part of the last time of capture written by
    /// [`six_decimals`], and its digits (a call's times share theirs).
    whole: Whole,
}

/// A whole number (of seconds) and its decimal digits.
#[derive(Debug, Clone, Copy)]
struct Whole {
    value: i64,
    text: [u8; 16],
    len: usize,
}

impl Default for Whole {
    fn default() -> Self {
        // No value [`six_decimals`] writes.
        Self {
            value: i64::MIN,
            text: [0; 16],
            len: 0,
        }
    }
}

impl<'a> Writer<'a> {
    /// Pretty printing, as [`super::json::Indented::at`] `depth`.
    pub fn pretty(out: &'a mut Vec<u8>, depth: usize) -> Self {
        Self {
            out,
            depth: Some(depth),
            memo: None,
            whole: Whole::default(),
        }
    }

    /// The compact form (`serde_json::to_writer`).
    pub fn compact(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            depth: None,
            memo: None,
            whole: Whole::default(),
        }
    }

    /// With `memo`: values seen before (a media section, an address) are
    /// copied from their rendered bytes instead of written again.
    #[must_use]
    pub fn with_memo(mut self, memo: &'a mut Memo) -> Self {
        self.memo = Some(memo);
        self
    }

    /// The memo, taken out while it is used (put back by
    /// [`Writer::put_memo`]).
    pub(crate) fn take_memo(&mut self) -> Option<&'a mut Memo> {
        self.memo.take()
    }

    /// Puts back what [`Writer::take_memo`] took.
    pub(crate) fn put_memo(&mut self, memo: &'a mut Memo) {
        self.memo = Some(memo);
    }

    /// Where the indentation stands: `None` compact, else the depth.
    pub(crate) fn depth(&self) -> Option<usize> {
        self.depth
    }

    /// How many bytes the buffer holds (a mark for [`Writer::since`]).
    pub(crate) fn mark(&self) -> usize {
        self.out.len()
    }

    /// Writes again the bytes written between two marks; false (nothing
    /// written) when they are not in the buffer.
    pub(crate) fn repeat(&mut self, from: usize, to: usize) -> bool {
        if from <= to && to <= self.out.len() {
            self.out.extend_from_within(from..to);
            true
        } else {
            false
        }
    }

    /// The bytes written between two marks.
    pub(crate) fn since(&self, from: usize, to: usize) -> &[u8] {
        self.out.get(from..to).unwrap_or_default()
    }

    /// Opens an object (`{`), for one written by hand: then [`Writer::field`]
    /// before each value, and [`Writer::end_object`].
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn begin_object(&mut self) {
        self.open(b'{');
    }

    /// Closes an object; `any` when a field was written in it.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn end_object(&mut self, any: bool) {
        self.close(b'}', any);
    }

    /// Opens an array (`[`): then [`Writer::element`] before each value,
    /// and [`Writer::end_array`].
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn begin_array(&mut self) {
        self.open(b'[');
    }

    /// Closes an array; `any` when an element was written in it.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn end_array(&mut self, any: bool) {
        self.close(b']', any);
    }

    /// Before an array's element: the separator and the indentation.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn element(&mut self, first: bool) {
        self.next(first);
    }

    /// Before a field's value: the separator, the indentation and the key
    /// (made at compile time: [`key!`](crate::key)). Compact, or pretty up
    /// to 15 levels deep, in fixed-size copies (a few stores, no `memcpy`
    /// call); deeper as serde's keys are. Inlined: at a call site the key
    /// and `first` are constants, and what is left is the stores.
    #[allow(clippy::inline_always)] // measured: a call cost as much as the stores
    #[inline(always)]
    pub fn field(&mut self, first: bool, key: &Key) {
        match self.depth {
            Some(d) if d < KEY_DEPTHS => {
                // The separator, the indentation and the key, made at
                // compile time for this depth: one fixed-size copy.
                let from = usize::from(first);
                let Some(chunk) = key
                    .lines
                    .get(d)
                    .and_then(|line| line.get(from..))
                    .and_then(<[u8]>::first_chunk::<64>)
                else {
                    self.key(first, key.name());
                    return;
                };
                self.out.reserve(64);
                let at = self.out.len() + 2 + 2 * d - from + key.len;
                self.out.extend_from_slice(chunk);
                self.out.truncate(at);
            }
            None => {
                // `,"name":` (without the comma for a first field), without
                // the space pretty printing puts after the colon.
                let from = usize::from(first);
                let Some(chunk) = key.compact.get(from..).and_then(<[u8]>::first_chunk::<32>)
                else {
                    self.key(first, key.name());
                    return;
                };
                self.out.reserve(32);
                let at = self.out.len() + 1 - from + key.len - 1;
                self.out.extend_from_slice(chunk);
                self.out.truncate(at);
            }
            Some(_) => self.key(first, key.name()),
        }
    }

    /// A value through serde.
    ///
    /// # Errors
    /// As serde's (a map key that is not a string).
    pub fn value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }

    /// A string value, escaped.
    pub fn str(&mut self, v: &str) {
        string(self.out, v);
    }

    /// A string value that lives as long as the program (a text of the
    /// findings' catalogue), escaped; from the memo when it was written
    /// before (the same text: the same place and length).
    pub fn static_str(&mut self, v: &'static str) {
        let Some(memo) = self.memo.take() else {
            self.str(v);
            return;
        };
        if let Some(json) = memo.text(v) {
            self.out.extend_from_slice(json);
        } else {
            let start = self.mark();
            self.str(v);
            memo.keep_text(v, self.since(start, self.mark()));
        }
        self.memo = Some(memo);
    }

    /// A string value that is one of the schema's own words (a transport,
    /// a kind, a standard method): written without the escape check (checked
    /// in debug builds, which every test runs).
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn word(&mut self, v: &'static str) {
        debug_assert!(
            !any_escape(v.as_bytes()),
            "a word that needs an escape: {v}"
        );
        self.out.reserve(v.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(v.as_bytes());
        self.out.push(b'"');
    }

    /// A string value that is one of the schema's own words, quoted at
    /// compile time ([`word!`](crate::word)): one fixed-size copy.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn quoted(&mut self, w: &Word) {
        self.raw_cut(&w.text, w.len);
    }

    /// A string value made by a `Display`, escaped.
    pub fn display(&mut self, v: &dyn fmt::Display) {
        self.out.push(b'"');
        let _ = write!(Escaping(self.out), "{v}");
        self.out.push(b'"');
    }

    /// A number, `null` when it is not finite (as `serde_json` writes it).
    /// A value whose shortest digits have at most six decimals (a time of
    /// capture to the microsecond, a duration in milliseconds) is written
    /// by [`six_decimals`]; the others by `serde_json`'s formatter.
    pub fn f64(&mut self, v: f64) {
        let mut text = [0u8; 24];
        if let Some(len) = six_decimals(v, &mut self.whole, &mut text) {
            self.raw_cut(&text, len);
        } else if v.is_finite() {
            let _ = CompactFormatter.write_f64(self.out, v);
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    /// A number.
    pub fn u64(&mut self, v: u64) {
        let _ = CompactFormatter.write_u64(self.out, v);
    }

    /// `true` or `false`.
    pub fn bool(&mut self, v: bool) {
        // One fixed-size copy cut to length (no `memcpy` call).
        let (text, len) = if v { (b"true ", 4) } else { (b"false", 5) };
        self.raw_cut(text, len);
    }

    /// `null`.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    /// Bytes that are already JSON (a quoted text that needs no escape).
    pub fn raw(&mut self, json: &[u8]) {
        self.out.extend_from_slice(json);
    }

    /// The first `len` bytes of `bytes` (already JSON), in one fixed-size
    /// copy cut to length (a few stores, no `memcpy` call).
    pub(crate) fn raw_cut<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        let at = self.out.len() + len.min(N);
        self.out.extend_from_slice(bytes);
        self.out.truncate(at);
    }

    /// Opens an array or object.
    #[allow(clippy::inline_always)] // a store and an add; a call cost more
    #[inline(always)]
    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        if let Some(d) = self.depth.as_mut() {
            *d += 1;
        }
    }

    /// Closes what [`Writer::open`] opened; `any` when it holds a value.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    fn close(&mut self, bracket: u8, any: bool) {
        if let Some(d) = self.depth.as_mut() {
            *d = d.saturating_sub(1);
            if any {
                let d = *d;
                if d <= 15 {
                    // Newline and indentation in one fixed-size copy.
                    self.out.reserve(33);
                    let at = self.out.len() + 1 + 2 * d;
                    self.out.extend_from_slice(&LINE_FIRST);
                    self.out.truncate(at);
                } else {
                    self.out.push(b'\n');
                    self.indent(d);
                }
            }
        }
        self.out.push(bracket);
    }

    /// Before an element (or a key): the separator and the indentation.
    #[allow(clippy::inline_always)] // a few stores; a call cost as much
    #[inline(always)]
    fn next(&mut self, first: bool) {
        match self.depth {
            None => {
                if !first {
                    self.out.push(b',');
                }
            }
            Some(d) if d <= 15 => {
                // `,` newline and the indentation, in one fixed-size copy.
                let line = if first { &LINE_FIRST } else { &LINE_NEXT };
                self.out.reserve(32);
                let at = self.out.len() + 2 + 2 * d - usize::from(first);
                self.out.extend_from_slice(line);
                self.out.truncate(at);
            }
            Some(d) => {
                self.out
                    .extend_from_slice(if first { b"\n" } else { b",\n" });
                self.indent(d);
            }
        }
    }

    fn indent(&mut self, depth: usize) {
        let mut n = depth * 2;
        while n > 0 {
            let k = n.min(LINE.len() - 2);
            self.out
                .extend_from_slice(LINE.get(2..2 + k).unwrap_or_default());
            n -= k;
        }
    }

    /// A struct field's key and what goes between it and its value. Field
    /// names are the schema's own words (Rust identifiers and renames in
    /// our code, never text from the wire), so they are copied without an
    /// escape (checked in debug builds, which every test runs).
    fn key(&mut self, first: bool, key: &str) {
        let bytes = key.as_bytes();
        debug_assert!(!any_escape(bytes), "a key that needs an escape: {key}");
        match self.depth {
            Some(d) => {
                match LINE.get(usize::from(first)..2 + 2 * d) {
                    Some(line) => {
                        self.out.reserve(line.len() + bytes.len() + 4);
                        self.out.extend_from_slice(line);
                    }
                    None => self.next(first),
                }
                self.out.push(b'"');
                self.out.extend_from_slice(bytes);
                self.out.extend_from_slice(b"\": ");
            }
            None => {
                self.out.reserve(bytes.len() + 4);
                if !first {
                    self.out.push(b',');
                }
                self.out.push(b'"');
                self.out.extend_from_slice(bytes);
                self.out.extend_from_slice(b"\":");
            }
        }
    }
}

/// The longest key text [`Key`] holds: `"` name `": `.
const KEY_MAX: usize = 32;
/// The depths up to which a [`Key`] holds its whole line (separator,
/// indentation, key: at most 2 + 30 + 32 = 64 bytes).
const KEY_DEPTHS: usize = 16;

/// A struct field's key as [`Writer::field`] writes it, `"name": `, made at
/// compile time by [`key!`](crate::key): the schema's own words, checked
/// there to need no escape. With it, for each depth up to 15, the line
/// before it (`,`, newline, indentation) and the key in one piece, and the
/// compact form (`,"name":`): a field is one fixed-size copy.
pub struct Key {
    text: [u8; KEY_MAX],
    len: usize,
    /// Per depth: `,\n`, two spaces a level, `"name": `; 65 bytes so that
    /// 64 can be copied from the comma or from the newline.
    lines: [[u8; 65]; KEY_DEPTHS],
    /// `,"name":`, 33 bytes so that 32 can be copied from either of its
    /// first two.
    compact: [u8; 33],
}

/// `b` between double quotes at the start of `N` bytes (the rest zero),
/// for [`Key::new`] and [`Word::new`]; a byte that would need an escape,
/// or a `b` too long, fails the build.
#[allow(clippy::indexing_slicing)] // in a const fn: a bad index fails the build
const fn quoted<const N: usize>(b: &[u8]) -> [u8; N] {
    assert!(b.len() + 2 <= N, "too long to quote");
    let mut text = [0u8; N];
    text[0] = b'"';
    let mut i = 0;
    while i < b.len() {
        assert!(
            !(b[i] < 0x20 || b[i] == b'"' || b[i] == b'\\'),
            "a key or word that needs an escape"
        );
        text[i + 1] = b[i];
        i += 1;
    }
    text[b.len() + 1] = b'"';
    text
}

impl Key {
    /// The key `name`; a name too long, or one that would need an escape,
    /// fails to compile.
    ///
    /// # Panics
    /// At compile time (in [`key!`](crate::key)'s `const` block): a name
    /// longer than 28 bytes, or one with a byte that needs an escape.
    #[must_use]
    #[allow(clippy::indexing_slicing)] // in a const fn: a bad index fails the build
    pub const fn new(name: &str) -> Self {
        let b = name.as_bytes();
        assert!(b.len() + 4 <= KEY_MAX, "a key too long");
        let mut text: [u8; KEY_MAX] = quoted(b);
        text[b.len() + 2] = b':';
        text[b.len() + 3] = b' ';
        let len = b.len() + 4;
        let mut lines = [[b' '; 65]; KEY_DEPTHS];
        let mut d = 0;
        while d < KEY_DEPTHS {
            lines[d][0] = b',';
            lines[d][1] = b'\n';
            let mut k = 0;
            while k < len {
                lines[d][2 + 2 * d + k] = text[k];
                k += 1;
            }
            d += 1;
        }
        let mut compact = [0u8; 33];
        compact[0] = b',';
        let mut k = 0;
        while k + 1 < len {
            compact[1 + k] = text[k];
            k += 1;
        }
        Self {
            text,
            len,
            lines,
            compact,
        }
    }

    /// The name alone.
    fn name(&self) -> &str {
        self.text
            .get(1..self.len - 3)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

/// The longest quoted word [`Word`] holds.
const WORD_MAX: usize = 24;

/// One of the schema's own words as a JSON string, `"word"`, made at
/// compile time by [`word!`](crate::word) (checked there to need no
/// escape), written in one fixed-size copy ([`Writer::quoted`]).
pub struct Word {
    text: [u8; WORD_MAX],
    len: usize,
}

impl Word {
    /// The word `w`, quoted; one too long, or one that would need an
    /// escape, fails to compile.
    ///
    /// # Panics
    /// At compile time (in [`word!`](crate::word)'s `const` block): a word
    /// longer than 22 bytes, or one with a byte that needs an escape.
    #[must_use]
    #[allow(clippy::indexing_slicing)] // in a const fn: a bad index fails the build
    pub const fn new(w: &str) -> Self {
        let b = w.as_bytes();
        assert!(b.len() + 2 <= WORD_MAX, "a word too long");
        let text = quoted(b);
        Self {
            text,
            len: b.len() + 2,
        }
    }
}

/// A [`Word`] made at compile time: `w.quoted(word!("udp"))`.
#[macro_export]
macro_rules! word {
    ($w:literal) => {
        &const { $crate::report::writer::Word::new($w) }
    };
}

/// A [`Key`] made at compile time: `w.field(false, key!("src"))`.
#[macro_export]
macro_rules! key {
    ($name:literal) => {
        &const { $crate::report::writer::Key::new($name) }
    };
}

/// A comma, a newline and the spaces of 31 levels of indentation.
const LINE: &[u8; 64] = b",\n                                                              ";

/// The first 32 bytes of [`LINE`] from its newline: before a first field.
const LINE_FIRST: [u8; 32] = line_from(1);
/// The first 32 bytes of [`LINE`]: before a field after another.
const LINE_NEXT: [u8; 32] = line_from(0);

#[allow(clippy::indexing_slicing)] // in a const fn: a bad index fails the build
const fn line_from(from: usize) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = LINE[from + i];
        i += 1;
    }
    out
}

/// Two decimal digits of each number below 100.
const DIGITS2: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The two digits of `n` (below 100).
#[allow(clippy::inline_always)] // a load; a call cost more
#[inline(always)]
fn two_digits(n: u32) -> [u8; 2] {
    let at = (n as usize % 100) * 2;
    match DIGITS2.get(at..at + 2) {
        Some(&[a, b]) => [a, b],
        _ => [b'0', b'0'],
    }
}

/// `v` (below 10^16) in decimal at the start of `out`; its length.
fn decimal(v: u64, out: &mut [u8; 24]) -> usize {
    // The digits' count first, then two at a time from the last: each
    // store in place (no copy of a variable length, no `memcpy` call).
    let len = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let mut n = v;
    let mut i = len;
    while i >= 2 {
        i -= 2;
        // n % 100 < 100: the cast keeps it.
        #[allow(clippy::cast_possible_truncation)]
        let pair = two_digits((n % 100) as u32);
        n /= 100;
        if let Some(slot) = out.get_mut(i..i + 2) {
            slot.copy_from_slice(&pair);
        }
    }
    if i == 1
        && let Some(slot) = out.first_mut()
    {
        // n < 10: the cast keeps it.
        #[allow(clippy::cast_possible_truncation)]
        let digit = n as u8;
        *slot = b'0' + digit;
    }
    len
}

/// Below this, a value's neighbours among floats are less than a
/// millionth apart (2^33: from 2^32 on, they are 2^-20 apart).
const SIX_DECIMALS_BELOW: f64 = 8_589_934_592.0;

/// `v` as `serde_json` writes it (its shortest digits that read back as
/// `v`: `1705312800.067186`, `58.671`, `1000.0`), when those have at most
/// six decimals and `v` is from 1 to 2^33; its length in `out`. `None`:
/// not such a value (the caller formats it the usual way). The whole part
/// of a time of capture (10^6 or more) is kept in `whole`: the next time
/// written has the same more often than not.
///
/// Why it is the same text: `micros = round(v * 10^6)` is below 2^53, so
/// `micros as f64 / 1e6` is `micros / 10^6` correctly rounded, as reading
/// the text back is; when that is `v`, the text reads back. Below 2^33 the floats
/// that read back as `v` span less than 10^-6, so no other number with six
/// decimals or fewer does: the text (its zeros at the end left off, one
/// kept) is the shortest that reads back, and the only one of its length.
/// From 1 to 2^33 the shortest digits are written without an exponent.
/// Tested against `serde_json` on millions of values.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::float_cmp
)] // checked: 1 <= v < 2^33, so micros < 2^53 is exact both ways; the compare is the point
fn six_decimals(v: f64, whole: &mut Whole, out: &mut [u8; 24]) -> Option<usize> {
    if !(1.0..SIX_DECIMALS_BELOW).contains(&v) {
        return None;
    }
    // The nearest integer (`round` is a libm call here): a wrong one, off
    // by one at a tie, fails the check.
    let micros = (v * 1e6 + 0.5) as i64;
    if micros as f64 / 1e6 != v {
        // A time of capture to the ns: often seven decimals.
        return seven_decimals(v, whole, out);
    }
    let int = micros / 1_000_000;
    let frac = (micros - int * 1_000_000) as u32;
    let len = whole_part(int as u64, whole, out);
    // Six decimals written; the zeros at the end left off (one kept).
    let mut decimals = 6;
    if frac == 0 {
        decimals = 1;
    } else {
        let mut rest = frac;
        while rest.is_multiple_of(10) {
            rest /= 10;
            decimals -= 1;
        }
    }
    let [d1, d2] = two_digits(frac / 10_000);
    let [d3, d4] = two_digits(frac / 100 % 100);
    let [d5, d6] = two_digits(frac % 100);
    out.get_mut(len..len + 7)?
        .copy_from_slice(&[b'.', d1, d2, d3, d4, d5, d6]);
    Some(len + 1 + decimals)
}

/// The whole part `int` of a number [`six_decimals`] writes, at the start
/// of `out`; its length. A time of capture's (10^6 or more) is kept in
/// `whole`: the next has the same, or the same but its last two digits,
/// more often than not.
#[allow(clippy::inline_always)] // two callers; the call cost more than the hit
#[inline(always)]
fn whole_part(int: u64, whole: &mut Whole, out: &mut [u8; 24]) -> usize {
    // `whole.value` is below 2^33 or negative: the casts keep it.
    #[allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)]
    let kept = whole.value as u64;
    if int == kept {
        if let Some(head) = out.first_chunk_mut::<16>() {
            head.copy_from_slice(&whole.text);
        }
        return whole.len;
    }
    if int < 1_000_000 {
        return decimal(int, out);
    }
    if int / 100 == kept / 100 {
        // The same digits but the last two (at least seven digits).
        #[allow(clippy::cast_possible_truncation)] // below 100
        let pair = two_digits((int % 100) as u32);
        if let Some(slot) = whole.text.get_mut(whole.len - 2..whole.len) {
            slot.copy_from_slice(&pair);
        }
        #[allow(clippy::cast_possible_wrap)] // below 2^33
        {
            whole.value = int as i64;
        }
        if let Some(head) = out.first_chunk_mut::<16>() {
            head.copy_from_slice(&whole.text);
        }
        return whole.len;
    }
    let len = decimal(int, out);
    if let Some(head) = out.first_chunk::<16>() {
        whole.text.copy_from_slice(head);
    }
    whole.len = len;
    #[allow(clippy::cast_possible_wrap)] // below 2^33
    {
        whole.value = int as i64;
    }
    len
}

/// From 2^30 on, floats are more than 10^-7 apart.
const SEVEN_DECIMALS_FROM: f64 = 1_073_741_824.0;

/// `v` from 2^30 to 2^33 whose shortest digits have seven decimals (a time
/// of capture to the ns, `ns as f64 / 1e9`): as `serde_json` writes it;
/// its length in `out`, or `None` (the caller formats it the usual way).
///
/// Worked out exactly, in integers: `v = m * 2^-s` (s from 20 to 22), and
/// `p * v` is `m * p / 2^s`. The number with `p`'s decimals nearest `v`,
/// `k / p`, reads back as `v` when it is less than half a float's step away
/// (`|k * 2^s - m * p| < p / 2`). No number with six decimals or fewer
/// reads back as `v` (only the nearest could: the step is below 10^-6),
/// and the nearest with seven does (the step is above 10^-7, so it is less
/// than half a step away): the shortest digits have seven decimals, and of
/// those that read back the shortest-digits formatting writes the nearest.
/// Ties, the bounds of the interval and powers of two (whose interval is
/// not symmetric) are left to the caller.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked bounds
fn seven_decimals(v: f64, whole: &mut Whole, out: &mut [u8; 24]) -> Option<usize> {
    if !(SEVEN_DECIMALS_FROM..SIX_DECIMALS_BELOW).contains(&v) {
        return None;
    }
    let bits = v.to_bits();
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    if m == 1 << 52 {
        return None;
    }
    // The biased exponent is 1053 to 1055 here: s from 22 down to 20.
    let s = 1075 - ((bits >> 52) & 0x7ff) as u32;
    if nearest(m, s, 1_000_000)?.1 {
        return None;
    }
    let (k, reads_back) = nearest(m, s, 10_000_000)?;
    if !reads_back || k.is_multiple_of(10) {
        return None;
    }
    let int = k / 10_000_000;
    let frac = (k % 10_000_000) as u32;
    let len = whole_part(int, whole, out);
    let [d1, d2] = two_digits(frac / 100_000);
    let [d3, d4] = two_digits(frac / 1000 % 100);
    let [d5, d6] = two_digits(frac / 10 % 100);
    let d7 = b'0' + (frac % 10) as u8;
    out.get_mut(len..len + 8)?
        .copy_from_slice(&[b'.', d1, d2, d3, d4, d5, d6, d7]);
    Some(len + 8)
}

/// The integer `k` nearest `mantissa * scale / 2^shift` (`shift` from 1
/// to 64), and whether `k / scale` reads back as `mantissa * 2^-shift`
/// (is less than half a step of `2^-shift` from it); `None` at a tie or on
/// the bound.
#[allow(clippy::cast_possible_truncation)] // m * p / 2^s < 2^64 here
fn nearest(mantissa: u64, shift: u32, scale: u64) -> Option<(u64, bool)> {
    let exact = u128::from(mantissa) * u128::from(scale);
    let half = 1u128 << (shift - 1);
    if exact & ((half << 1) - 1) == half {
        return None;
    }
    let k = (exact + half) >> shift;
    let twice = 2 * (k << shift).abs_diff(exact);
    let scale = u128::from(scale);
    if twice == scale {
        return None;
    }
    Some((k as u64, twice < scale))
}

/// Does `b` need an escape in a JSON string?
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// `s` as a JSON string, escaped as `serde_json` escapes.
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    fragment(out, s);
    out.push(b'"');
}

/// Does any byte of `bytes` need an escape?
fn any_escape(bytes: &[u8]) -> bool {
    next_escape(bytes, 0).is_some()
}

/// One bit (the high bit of its byte) for each byte of the word `x` (eight
/// bytes, little-endian) that needs an escape; above the lowest, a byte
/// may be marked that does not (a borrow), never below it.
fn escape_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below 0x20, or equal to `"` or `\`, has its high bit set in
    // one of these (and a byte of 0x80 or more in none of them).
    let below = x.wrapping_sub(ONES * 0x20);
    let quote = (x ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
    let slash = (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (below | quote | slash) & !x & HIGH
}

/// Where the first byte of `bytes` from `from` on that needs an escape is:
/// eight bytes at a time, the last few with the bytes before them already
/// seen (which need none) as one more word.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let word = |at: usize| {
        bytes
            .get(at..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map(|w| escape_mask(u64::from_le_bytes(*w)))
    };
    let first = |at: usize, mask: u64| at + (mask.trailing_zeros() / 8) as usize;
    let mut i = from;
    while let Some(mask) = word(i) {
        if mask != 0 {
            return Some(first(i, mask));
        }
        i += 8;
    }
    if i >= bytes.len() {
        return None;
    }
    // The bytes overlapped must be ones seen (from `from` on): one before
    // may need an escape, and a borrow from it mark a byte that does not.
    if let Some(at) = bytes.len().checked_sub(8).filter(|at| *at >= from) {
        return word(at).filter(|m| *m != 0).map(|m| first(at, m));
    }
    bytes
        .get(i..)?
        .iter()
        .position(|b| needs_escape(*b))
        .map(|k| i + k)
}

/// The inside of a JSON string: `s`, escaped.
fn fragment(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = next_escape(bytes, start) {
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        start = i + 1;
        match bytes.get(i).copied().unwrap_or_default() {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// A `Display` written straight into a JSON string, escaped.
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        fragment(self.0, s);
        Ok(())
    }
}

/// Numbers as `serde_json` formats them (writing to a `Vec` cannot fail).
macro_rules! number {
    ($out:expr, $method:ident, $v:expr) => {{
        let _ = CompactFormatter.$method($out, $v);
        Ok(())
    }};
}

impl ser::Serializer for &mut Writer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<Self>;
    type SerializeTuple = Compound<Self>;
    type SerializeTupleStruct = Compound<Self>;
    type SerializeTupleVariant = Compound<Self>;
    type SerializeMap = Compound<Self>;
    type SerializeStruct = Compound<Self>;
    type SerializeStructVariant = Compound<Self>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        number!(self.out, write_i8, v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        number!(self.out, write_i16, v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        number!(self.out, write_i32, v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        number!(self.out, write_i64, v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        number!(self.out, write_i128, v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        number!(self.out, write_u8, v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        number!(self.out, write_u16, v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        number!(self.out, write_u32, v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        number!(self.out, write_u64, v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        number!(self.out, write_u128, v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            number!(self.out, write_f32, v)
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            number!(self.out, write_f64, v)
        } else {
            self.serialize_unit()
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open(b'{');
        self.key(true, variant);
        value.serialize(&mut *self)?;
        self.close(b'}', true);
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        self.open(b'[');
        Ok(Compound::new(self, false))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.open(b'{');
        self.key(true, variant);
        self.open(b'[');
        Ok(Compound::new(self, true))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        self.open(b'{');
        Ok(Compound::new(self, false))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.open(b'{');
        self.key(true, variant);
        self.open(b'{');
        Ok(Compound::new(self, true))
    }

    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result<(), Error> {
        self.out.push(b'"');
        let _ = write!(Escaping(self.out), "{value}");
        self.out.push(b'"');
        Ok(())
    }
}

/// An array or object being written (and, for a variant, the object
/// around it).
pub struct Compound<S> {
    ser: S,
    first: bool,
    variant: bool,
}

impl<'s, 'w> Compound<&'s mut Writer<'w>> {
    fn new(ser: &'s mut Writer<'w>, variant: bool) -> Self {
        Self {
            ser,
            first: true,
            variant,
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.next(self.first);
        self.first = false;
        value.serialize(&mut *self.ser)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.ser.key(self.first, key);
        self.first = false;
        value.serialize(&mut *self.ser)
    }

    fn finish(self, bracket: u8) {
        self.ser.close(bracket, !self.first);
        if self.variant {
            self.ser.close(b'}', true);
        }
    }
}

impl ser::SerializeSeq for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b']');
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b']');
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b']');
        Ok(())
    }
}

impl ser::SerializeMap for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        // A key is written as a string: render it alone, then place it.
        let mut text = Vec::new();
        key.serialize(&mut Writer::compact(&mut text))?;
        let key = match text.first() {
            Some(b'"') => text,
            // A number or a bool: quoted, as serde_json quotes them.
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                let mut q = Vec::with_capacity(text.len() + 2);
                q.push(b'"');
                q.extend_from_slice(&text);
                q.push(b'"');
                q
            }
            _ => return Err(ser::Error::custom("key must be a string")),
        };
        self.ser.next(self.first);
        self.first = false;
        self.ser.out.extend_from_slice(&key);
        self.ser.out.extend_from_slice(if self.ser.depth.is_some() {
            b": "
        } else {
            b":"
        });
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b'}');
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<&mut Writer<'_>> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, &'static str),
        Struct { a: f64, b: Vec<u8> },
    }

    #[derive(serde::Serialize)]
    struct All {
        t: bool,
        i: i64,
        u: u64,
        f: f64,
        nan: f64,
        small: f32,
        c: char,
        s: &'static str,
        escapes: String,
        none: Option<u8>,
        some: Option<&'static str>,
        empty: Vec<u8>,
        empty_map: BTreeMap<String, u8>,
        nested: Vec<Vec<u16>>,
        map: BTreeMap<&'static str, Vec<i8>>,
        int_keys: BTreeMap<u16, bool>,
        unit: (),
        tuple: (u8, &'static str),
        variants: Vec<E>,
        bytes: serde_bytes_like::Bytes,
    }

    /// Bytes written through `serialize_bytes`.
    mod serde_bytes_like {
        pub struct Bytes(pub &'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
    }

    fn sample() -> All {
        All {
            t: true,
            i: -42,
            u: u64::MAX,
            f: 1_705_312_800.035_893,
            nan: f64::NAN,
            small: 0.1,
            c: 'é',
            s: "plain",
            escapes: "q\"b\\s/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é→".to_owned(),
            none: None,
            some: Some("x"),
            empty: Vec::new(),
            empty_map: BTreeMap::new(),
            nested: vec![vec![], vec![1, 2], vec![3]],
            map: BTreeMap::from([("k", vec![-1]), ("\"odd\"", vec![])]),
            int_keys: BTreeMap::from([(7, true), (300, false)]),
            unit: (),
            tuple: (1, "two"),
            variants: vec![
                E::Unit,
                E::New(3),
                E::Tuple(4, "five"),
                E::Struct { a: 0.5, b: vec![6] },
            ],
            bytes: serde_bytes_like::Bytes(b"\x00\xff"),
        }
    }

    #[test]
    fn pretty_is_serde_jsons_pretty_printing_at_any_depth() {
        let v = sample();
        for depth in [0, 1, 2, 40] {
            let mut want = Vec::new();
            v.serialize(&mut serde_json::Serializer::with_formatter(
                &mut want,
                super::super::json::Indented::at(depth),
            ))
            .unwrap();
            let mut ours = Vec::new();
            v.serialize(&mut Writer::pretty(&mut ours, depth)).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(want).unwrap(),
                "depth {depth}"
            );
        }
    }

    #[test]
    fn a_key_made_at_compile_time_is_written_as_serde_writes_a_field() {
        const KEYS: [(&Key, &str); 3] = [
            (crate::key!("a"), "a"),
            (crate::key!("frames_not_kept"), "frames_not_kept"),
            (
                crate::key!("a_key_of_twenty_eight_bytes"),
                "a_key_of_twenty_eight_bytes",
            ),
        ];
        for (key, name) in KEYS {
            assert_eq!(key.name(), name);
            for depth in [
                None,
                Some(0),
                Some(1),
                Some(7),
                Some(8),
                Some(15),
                Some(16),
                Some(40),
            ] {
                for first in [true, false] {
                    let (mut ours, mut theirs) = (b"x".to_vec(), b"x".to_vec());
                    let mut w = Writer {
                        out: &mut ours,
                        depth,
                        memo: None,
                        whole: Whole::default(),
                    };
                    w.field(first, key);
                    let mut w = Writer {
                        out: &mut theirs,
                        depth,
                        memo: None,
                        whole: Whole::default(),
                    };
                    w.key(first, name);
                    assert_eq!(
                        String::from_utf8(ours).unwrap(),
                        String::from_utf8(theirs).unwrap(),
                        "{name} {depth:?} {first}"
                    );
                }
            }
        }
    }

    /// Times of capture (around now, moving on; over 1970 to 2242), to the
    /// µs, the ns and any bits, durations in ms, and the edges, each alone
    /// and through one writer (the whole part kept from one to the next):
    /// as `serde_json` writes them, most by [`six_decimals`].
    #[test]
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)]
    fn floats_are_written_as_serde_writes_them() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut all = Vec::new();
        let mut one = Writer::compact(&mut all);
        let mut fast = 0usize;
        let mut seven = 0usize;
        let mut check = |v: f64| {
            let mut want = Vec::new();
            CompactFormatter.write_f64(&mut want, v).unwrap();
            let mut alone = Vec::new();
            Writer::compact(&mut alone).f64(v);
            assert_eq!(alone, want, "{v:e}");
            let at = one.mark();
            one.f64(v);
            assert_eq!(
                one.since(at, one.mark()),
                want,
                "{v:e} ({:#x})",
                v.to_bits()
            );
            fast += usize::from(six_decimals(v, &mut Whole::default(), &mut [0; 24]).is_some());
            seven += usize::from(seven_decimals(v, &mut Whole::default(), &mut [0; 24]).is_some());
        };
        let rounds = 300_000;
        let mut now = 1_705_312_800_000_000_000i64;
        for _ in 0..rounds {
            let r = next();
            // A time of capture moving on by up to 0.1 s, to the ns and to
            // the µs; secs() as the report computes it.
            now += (r % 100_000_000) as i64;
            check(now as f64 / 1e9);
            check((now / 1000 * 1000) as f64 / 1e9);
            // A duration in ms (ms() of ns), to the ns and to the µs.
            let d = (r >> 24) as i64;
            check(d as f64 / 1e6);
            check((d / 1000 * 1000) as f64 / 1e6);
            // Any time from 1970 to 2242, to the µs, and any bits there.
            let t = (r % 8_600_000_000_000_000) as i64 / 1000 * 1000;
            check(t as f64 / 1e9);
            check(f64::from_bits(
                1f64.to_bits() + r % (SIX_DECIMALS_BELOW.to_bits() - 1f64.to_bits()),
            ));
            check((r % 1_000_000_000) as f64 / 1000.0);
            // Any bits from 2^30 to 2^33 (seven decimals or more).
            check(f64::from_bits(
                SEVEN_DECIMALS_FROM.to_bits()
                    + (r >> 3) % (SIX_DECIMALS_BELOW.to_bits() - SEVEN_DECIMALS_FROM.to_bits()),
            ));
        }
        // Edges: around 1, 10^6, 2^32, 2^33, powers of ten, whole numbers.
        for base in [
            1.0,
            10.0,
            1e6,
            1e9,
            2f64.powi(30),
            2f64.powi(31),
            2f64.powi(32),
            SIX_DECIMALS_BELOW,
            999_999.999_999_5,
            1_705_312_800.0,
        ] {
            let (mut up, mut down) = (base, base);
            for _ in 0..3_000 {
                check(up);
                check(down);
                up = f64::from_bits(up.to_bits() + 1);
                down = f64::from_bits(down.to_bits() - 1);
            }
        }
        for k in 0..100_000u32 {
            check(f64::from(k));
            check(f64::from(k) + 0.5);
            check(f64::from(k) / 1000.0);
            check(f64::from(k) * 86_400.0 + 0.000_001);
        }
        for v in [0.0, -0.0, -1.5, 1e-7, 1e16, f64::MAX, f64::MIN_POSITIVE] {
            check(v);
        }
        assert!(fast > rounds * 3, "{fast}");
        assert!(seven > rounds / 2, "{seven}");
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = Vec::new();
            Writer::compact(&mut out).f64(v);
            assert_eq!(out, b"null");
        }
    }

    #[test]
    fn compact_is_serde_jsons_compact_form() {
        let v = sample();
        let mut ours = Vec::new();
        v.serialize(&mut Writer::compact(&mut ours)).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn any_escape_finds_each_byte_that_needs_one_at_any_place() {
        for b in 0..=255u8 {
            for len in [1, 7, 8, 9, 16, 23] {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    assert_eq!(any_escape(&v), needs_escape(b), "{b:#x} at {at} of {len}");
                }
            }
        }
        // Bytes that are neither, around ones that are not either.
        assert!(!any_escape("é→ plain text, 0123456789 ~\u{7f}".as_bytes()));
        assert!(any_escape(b"0123456789abcdef\x1f"));
    }

    #[test]
    fn the_first_byte_to_escape_is_found_wherever_the_others_are() {
        let marks = [
            b'"', b'\\', 0, 0x1f, b'\n', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']',
        ];
        for len in 0..=19 {
            for from in 0..=len {
                for &x in &marks {
                    for &y in &marks {
                        for i in 0..len {
                            for j in i..len {
                                let mut v = vec![b'a'; len];
                                v[j] = y;
                                v[i] = x;
                                let want = (from..len).find(|&k| needs_escape(v[k]));
                                assert_eq!(next_escape(&v, from), want, "{v:?} from {from}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        for s in [
            "",
            "plain",
            "\"Bob 1241\" <sip:1241@192.0.2.10>;tag=ce08a56d",
            "a\\b\"c\u{1}d\u{1f}e\u{7f}\u{8}\u{c}\n\r\t→é",
            "\"\"\"\"\"\"\"\"\"",
            "0123456789abcdef\"",
            "\"0123456789abcdef",
        ] {
            let mut ours = Vec::new();
            string(&mut ours, s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn a_display_is_escaped_as_a_string_is() {
        struct D;
        impl fmt::Display for D {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                writeln!(f, "a\"b{}c", 1)
            }
        }
        struct C;
        impl Serialize for C {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&D)
            }
        }
        let mut ours = Vec::new();
        C.serialize(&mut Writer::compact(&mut ours)).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&C).unwrap()
        );
    }
}
