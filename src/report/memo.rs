//! Rendered bytes of values that repeat from one call to the next, kept by
//! whoever writes a run of calls (a report's worker, the NDJSON sink) and
//! handed to the [`Writer`](super::writer::Writer): a media section's JSON
//! (the same codec list, rtpmap and attributes call after call, with only
//! its port and address changing) and the last addresses written.
//!
//! A memo changes no byte of the output: what it gives back is what was
//! written the first time, for a value that writes the same bytes (tests
//! compare the two ways). It is small and bounded.

use crate::model::Addr;
use crate::model::sdp_diff::MediaChange;
use crate::sip::sdp::Media;

/// Media sections kept at once.
const MEDIA: usize = 16;
/// The longest rendering kept (a hostile section may be far longer).
const MEDIA_BYTES: usize = 4096;
/// SDP changes' media and summaries kept at once.
const CHANGES: usize = 8;
/// Addresses kept at once: one place for each, by its hash (a report's
/// messages go between a few hundred addresses; a dialog's between a few).
const ADDRS: usize = 256;

/// What a worker keeps between the calls it writes (see the module).
#[derive(Debug, Default)]
pub struct Memo {
    media: Vec<MediaEntry>,
    /// The entry the next new section replaces, once full.
    next_media: usize,
    /// `ADDRS` places once one is kept: an address, its JSON string and
    /// that string's length (0: the place is empty).
    addrs: Vec<(Addr, [u8; 24], u8)>,
    changes: Vec<ChangeEntry>,
    next_change: usize,
    /// `RUNS` places once one is kept: a key ([`Memo::run`]) and the bytes
    /// written for it (their length 0: the place is empty).
    runs: Vec<(u64, [u8; RUN_BYTES], u16)>,
    /// `PAIRS` places once one is kept ([`Memo::pair`]).
    pairs: Vec<Pair>,
    /// Texts that live as long as the program, by their place and length,
    /// and their JSON strings; the last `TEXTS`.
    texts: Vec<(usize, usize, Vec<u8>)>,
    next_text: usize,
}

/// Static texts kept at once (a capture's findings come from a few rules).
const TEXTS: usize = 16;

/// Pairs of addresses kept at once, one place for each by their hash.
const PAIRS: usize = 256;
/// The longest pair's bytes kept (two IPv4 addresses and the key between
/// them, up to 15 levels deep).
pub(crate) const PAIR_BYTES: usize = 96;

/// A message's `src` and `dst` as written at one depth: the two
/// addresses, the depth (0 compact, else the depth + 1), the bytes from
/// the first's opening quote to the second's closing one, and their length
/// (0: the place is empty).
type Pair = (Addr, Addr, usize, [u8; PAIR_BYTES], u8);

/// Runs of a message's fields kept at once, one place for each by its key.
const RUNS: usize = 256;
/// The longest run kept.
pub(crate) const RUN_BYTES: usize = 256;

/// The end of one SDP change as written at one depth: its `media` and
/// `summary` fields (the same call after call: `audio`, `PCMU` and `PCMA`
/// offered, `PCMU` accepted), their bytes from the separator before
/// `media` to the end of `summary`.
#[derive(Debug)]
struct ChangeEntry {
    depth: Option<usize>,
    media: Vec<MediaChange>,
    summary: Vec<String>,
    bytes: Vec<u8>,
}

/// The place of `a` among the memo's addresses.
fn addr_slot(a: Addr) -> usize {
    // The top bits, the best mixed; ADDRS is a power of two.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (addr_hash(a) >> 56) as usize;
    slot % ADDRS
}

/// The place of a pair of addresses at a depth among the memo's pairs.
fn pair_slot(src: Addr, dst: Addr, depth: usize) -> usize {
    let h = (addr_hash(src) ^ addr_hash(dst).rotate_left(17) ^ depth as u64)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // The top bits, the best mixed; PAIRS is a power of two.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (h >> 56) as usize;
    slot % PAIRS
}

/// A hash of `a` (its two words, folded).
fn addr_hash(a: Addr) -> u64 {
    use std::hash::{Hash, Hasher};
    /// Folds the address's two words (its `Hash`) into a few bits.
    struct Fold(u64);
    impl Hasher for Fold {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.write_u64(u64::from(*b));
            }
        }
        fn write_u32(&mut self, n: u32) {
            self.write_u64(u64::from(n));
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        fn write_u128(&mut self, n: u128) {
            // The high half and the low half (an IPv4 address is in the low).
            #[allow(clippy::cast_possible_truncation)]
            self.write_u64((n >> 64) as u64 ^ n as u64);
        }
    }
    let mut h = Fold(0);
    a.hash(&mut h);
    h.finish()
}

/// The place of a run's key among the memo's runs.
fn run_slot(key: u64) -> usize {
    // The top bits of a multiplicative hash; RUNS is a power of two.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize;
    slot % RUNS
}

/// One media section as written at one depth: its bytes with two holes,
/// the port and the connection address.
#[derive(Debug)]
struct MediaEntry {
    depth: Option<usize>,
    media: Media,
    bytes: Vec<u8>,
    /// Where the port goes, and where the connection goes (the end when
    /// the section has none).
    cuts: [usize; 2],
}

/// The rendering of a media section kept: what goes before the port,
/// between the port and the connection, and after the connection.
pub(crate) struct MediaParts<'a> {
    pub before_port: &'a [u8],
    pub before_connection: &'a [u8],
    pub after: &'a [u8],
}

/// Do `a` and `b` write the same bytes but for their port and their
/// connection address (and both have one, or neither)?
fn same_but_place(a: &Media, b: &Media) -> bool {
    // Every field named: one added to `Media` must be decided here.
    let Media {
        media,
        port: _,
        proto,
        formats,
        connection,
        direction,
        rtpmap,
        fmtp,
        ptime,
        rtcp_port,
        rtcp_mux,
        crypto,
        fingerprint,
    } = a;
    // Numbers and lengths first: most sections unlike `b` differ there,
    // before any text is compared.
    *direction == b.direction
        && *rtcp_mux == b.rtcp_mux
        && *crypto == b.crypto
        && *fingerprint == b.fingerprint
        && *ptime == b.ptime
        && *rtcp_port == b.rtcp_port
        && connection.is_some() == b.connection.is_some()
        && formats.len() == b.formats.len()
        && rtpmap.len() == b.rtpmap.len()
        && fmtp.len() == b.fmtp.len()
        && rtpmap
            .iter()
            .zip(&b.rtpmap)
            .all(|(x, y)| x.payload_type == y.payload_type && x.clock_rate == y.clock_rate)
        && fmtp.iter().zip(&b.fmtp).all(|(x, y)| x.0 == y.0)
        && *media == b.media
        && *proto == b.proto
        && *formats == b.formats
        && *rtpmap == b.rtpmap
        && *fmtp == b.fmtp
}

/// Do two SDP changes' `media` and `summary` fields write the same bytes?
/// Their lengths first, then the whole.
fn same_tail(
    a: &[MediaChange],
    a_summary: &[String],
    b: &[MediaChange],
    b_summary: &[String],
) -> bool {
    a.len() == b.len()
        && a_summary.len() == b_summary.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.offered.len() == y.offered.len()
                && x.accepted.len() == y.accepted.len()
                && x.dropped.len() == y.dropped.len()
                && x.notes.len() == y.notes.len()
                && x.codec.is_some() == y.codec.is_some()
        })
        && a == b
        && a_summary == b_summary
}

impl Memo {
    /// The rendering of a section like `m` at `depth`, if kept.
    pub(crate) fn media(&self, depth: Option<usize>, m: &Media) -> Option<MediaParts<'_>> {
        let e = self
            .media
            .iter()
            .find(|e| e.depth == depth && same_but_place(&e.media, m))?;
        let [port, connection] = e.cuts;
        Some(MediaParts {
            before_port: e.bytes.get(..port)?,
            before_connection: e.bytes.get(port..connection)?,
            after: e.bytes.get(connection..)?,
        })
    }

    /// Keeps the rendering of `m` at `depth`: `parts` as
    /// [`Memo::media`] gives them back.
    pub(crate) fn keep_media(&mut self, depth: Option<usize>, m: &Media, parts: &MediaParts<'_>) {
        let len = parts.before_port.len() + parts.before_connection.len() + parts.after.len();
        if len > MEDIA_BYTES {
            return;
        }
        let mut bytes = Vec::with_capacity(len);
        bytes.extend_from_slice(parts.before_port);
        bytes.extend_from_slice(parts.before_connection);
        bytes.extend_from_slice(parts.after);
        let port = parts.before_port.len();
        let entry = MediaEntry {
            depth,
            media: m.clone(),
            bytes,
            cuts: [port, port + parts.before_connection.len()],
        };
        if self.media.len() < MEDIA {
            self.media.push(entry);
        } else if let Some(slot) = self.media.get_mut(self.next_media) {
            *slot = entry;
            self.next_media = (self.next_media + 1) % MEDIA;
        }
    }

    /// The JSON string of `a`, if kept: its 24 bytes and its length.
    pub(crate) fn addr(&self, a: Addr) -> Option<(&[u8; 24], usize)> {
        let (x, text, len) = self.addrs.get(addr_slot(a))?;
        (*len > 0 && *x == a).then_some((text, usize::from(*len)))
    }

    /// Keeps the JSON string of `a` (at most 24 bytes: an IPv4 address), in
    /// the place of the one there.
    pub(crate) fn keep_addr(&mut self, a: Addr, json: &[u8]) {
        let mut text = [0u8; 24];
        let (Some(slot), Ok(len)) = (text.get_mut(..json.len()), u8::try_from(json.len())) else {
            return;
        };
        slot.copy_from_slice(json);
        if self.addrs.is_empty() {
            self.addrs.resize(ADDRS, (a, [0; 24], 0));
        }
        if let Some(place) = self.addrs.get_mut(addr_slot(a)) {
            *place = (a, text, len);
        }
    }

    /// The bytes written for `src` and `dst` at `depth` (0 compact, else
    /// the depth + 1), if kept: from the first's opening quote to the
    /// second's closing one; and their length.
    pub(crate) fn pair(
        &self,
        src: Addr,
        dst: Addr,
        depth: usize,
    ) -> Option<(&[u8; PAIR_BYTES], usize)> {
        let (a, b, d, bytes, len) = self.pairs.get(pair_slot(src, dst, depth))?;
        (*len > 0 && *a == src && *b == dst && *d == depth).then_some((bytes, usize::from(*len)))
    }

    /// Keeps `bytes` (at most [`PAIR_BYTES`]) for `src` and `dst` at
    /// `depth`, in the place of the pair there.
    pub(crate) fn keep_pair(&mut self, src: Addr, dst: Addr, depth: usize, bytes: &[u8]) {
        let mut text = [0u8; PAIR_BYTES];
        let (Some(slot), Ok(len)) = (text.get_mut(..bytes.len()), u8::try_from(bytes.len())) else {
            return;
        };
        slot.copy_from_slice(bytes);
        if self.pairs.is_empty() {
            self.pairs.resize(PAIRS, (src, dst, 0, [0; PAIR_BYTES], 0));
        }
        if let Some(place) = self.pairs.get_mut(pair_slot(src, dst, depth)) {
            *place = (src, dst, depth, text, len);
        }
    }

    /// The bytes kept for `key` (a run of a message's fields that are the
    /// same for every message with that key: [`Memo::keep_run`]), and their
    /// length.
    pub(crate) fn run(&self, key: u64) -> Option<(&[u8; RUN_BYTES], usize)> {
        let (k, bytes, len) = self.runs.get(run_slot(key))?;
        (*len > 0 && *k == key).then_some((bytes, usize::from(*len)))
    }

    /// Keeps `bytes` (at most [`RUN_BYTES`]) for `key`, in the place of
    /// the run there.
    pub(crate) fn keep_run(&mut self, key: u64, bytes: &[u8]) {
        let mut text = [0u8; RUN_BYTES];
        let (Some(slot), Ok(len)) = (text.get_mut(..bytes.len()), u16::try_from(bytes.len()))
        else {
            return;
        };
        slot.copy_from_slice(bytes);
        if self.runs.is_empty() {
            self.runs.resize(RUNS, (0, [0; RUN_BYTES], 0));
        }
        if let Some(place) = self.runs.get_mut(run_slot(key)) {
            *place = (key, text, len);
        }
    }

    /// The JSON string of `v`, if kept: a `'static` text never changes,
    /// so its place and length name it.
    pub(crate) fn text(&self, v: &'static str) -> Option<&[u8]> {
        let at = v.as_ptr() as usize;
        self.texts
            .iter()
            .find(|(p, len, _)| *p == at && *len == v.len())
            .map(|(_, _, json)| json.as_slice())
    }

    /// Keeps `json`, the JSON string of `v`.
    pub(crate) fn keep_text(&mut self, v: &'static str, json: &[u8]) {
        if json.len() > MEDIA_BYTES {
            return;
        }
        let entry = (v.as_ptr() as usize, v.len(), json.to_vec());
        if self.texts.len() < TEXTS {
            self.texts.push(entry);
        } else if let Some(slot) = self.texts.get_mut(self.next_text) {
            *slot = entry;
            self.next_text = (self.next_text + 1) % TEXTS;
        }
    }

    /// The rendering of an SDP change's `media` and `summary` fields at
    /// `depth`, if kept.
    pub(crate) fn change_tail(
        &self,
        depth: Option<usize>,
        media: &[MediaChange],
        summary: &[String],
    ) -> Option<&[u8]> {
        self.changes
            .iter()
            .find(|e| e.depth == depth && same_tail(&e.media, &e.summary, media, summary))
            .map(|e| e.bytes.as_slice())
    }

    /// Keeps `bytes`, the rendering of an SDP change's `media` and
    /// `summary` fields at `depth`, as [`Memo::change_tail`] gives it back.
    pub(crate) fn keep_change_tail(
        &mut self,
        depth: Option<usize>,
        media: &[MediaChange],
        summary: &[String],
        bytes: &[u8],
    ) {
        if bytes.len() > MEDIA_BYTES {
            return;
        }
        let entry = ChangeEntry {
            depth,
            media: media.to_vec(),
            summary: summary.to_vec(),
            bytes: bytes.to_vec(),
        };
        if self.changes.len() < CHANGES {
            self.changes.push(entry);
        } else if let Some(slot) = self.changes.get_mut(self.next_change) {
            *slot = entry;
            self.next_change = (self.next_change + 1) % CHANGES;
        }
    }
}
