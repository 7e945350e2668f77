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
use crate::sip::sdp::Media;

/// Media sections kept at once.
const MEDIA: usize = 16;
/// The longest rendering kept (a hostile section may be far longer).
const MEDIA_BYTES: usize = 4096;
/// Addresses kept at once.
const ADDRS: usize = 8;

/// What a worker keeps between the calls it writes (see the module).
#[derive(Debug, Default)]
pub struct Memo {
    media: Vec<MediaEntry>,
    /// The entry the next new section replaces, once full.
    next_media: usize,
    addrs: Vec<(Addr, [u8; 24], usize)>,
    next_addr: usize,
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
    *media == b.media
        && *direction == b.direction
        && *rtcp_mux == b.rtcp_mux
        && *crypto == b.crypto
        && *fingerprint == b.fingerprint
        && *ptime == b.ptime
        && *rtcp_port == b.rtcp_port
        && connection.is_some() == b.connection.is_some()
        && *proto == b.proto
        && *formats == b.formats
        && *rtpmap == b.rtpmap
        && *fmtp == b.fmtp
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

    /// The JSON string of `a`, if kept.
    pub(crate) fn addr(&self, a: Addr) -> Option<&[u8]> {
        let (_, text, len) = self.addrs.iter().find(|(x, _, _)| *x == a)?;
        text.get(..*len)
    }

    /// Keeps the JSON string of `a` (at most 24 bytes: an IPv4 address).
    pub(crate) fn keep_addr(&mut self, a: Addr, json: &[u8]) {
        let mut text = [0u8; 24];
        let Some(slot) = text.get_mut(..json.len()) else {
            return;
        };
        slot.copy_from_slice(json);
        let entry = (a, text, json.len());
        if self.addrs.len() < ADDRS {
            self.addrs.push(entry);
        } else if let Some(slot) = self.addrs.get_mut(self.next_addr) {
            *slot = entry;
            self.next_addr = (self.next_addr + 1) % ADDRS;
        }
    }
}
