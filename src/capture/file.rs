//! Capture files: classic pcap (microsecond and nanosecond, either byte
//! order) and pcapng (any number of interfaces with different link types,
//! any timestamp resolution), from a file or a pipe.
//!
//! The reader hands out frames borrowed from its current chunk, with the
//! file offset of each, so the model can leave SIP bytes in the file; the
//! pipeline may share the chunk with the messages it finds there. A record cut
//! short ends the reading with [`ReadEnd::Truncated`]; everything before it
//! has been returned.
#![warn(clippy::indexing_slicing)]

use std::io::{self, Read};
use std::sync::Arc;

use crate::decode::Frame;

/// Bytes read at a time: small enough that what was read is still in the
/// core's cache when it is decoded.
const CHUNK: usize = 1 << 20;
/// Chunks kept for reuse once the messages that shared them are dropped.
const SPARE_CHUNKS: usize = 64;
/// Larger records are taken as corruption: no link carries such frames.
const MAX_RECORD: usize = 1 << 20;

/// Why a capture file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a capture file (pcap or pcapng): it starts with {0}")]
    NotACapture(String),
    #[error("the file is empty")]
    Empty,
}

/// How reading ended, when it did not end cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadEnd {
    /// The last record was cut short at this file offset.
    Truncated { offset: u64 },
    /// A record header made no sense at this offset (corruption).
    Corrupt { offset: u64, what: String },
}

impl std::fmt::Display for ReadEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated { offset } => {
                write!(
                    f,
                    "the capture is cut short at byte {offset}; everything before it was read"
                )
            }
            Self::Corrupt { offset, what } => write!(
                f,
                "the capture is corrupt at byte {offset} ({what}); everything before it was read"
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        linktype: u16,
    },
    PcapNg,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    /// Nanoseconds per timestamp unit, as a ratio (numerator, denominator).
    ns_num: u64,
    ns_den: u64,
}

/// A frame and the chunk its bytes lie in.
pub type SharedFrame<'a> = (Frame<'a>, &'a Arc<[u8]>);

/// Reads frames from a pcap or pcapng stream.
pub struct CaptureReader<R> {
    inner: R,
    /// The chunk being read. Messages share it ([`Self::chunk`]), so a
    /// chunk still shared is never written again: the reader moves on to
    /// another, and takes it back from `spare` once it is free.
    buf: Arc<[u8]>,
    spare: Vec<Arc<[u8]>>,
    /// End of the bytes read into `buf` (what lies after is stale).
    filled: usize,
    /// Start of unread bytes in `buf`.
    pos: usize,
    /// File offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
    format: Format,
    big_endian: bool,
    interfaces: Vec<Interface>,
    seekable: bool,
    source: u16,
    /// The last read gave less than it was asked for: the source (a pipe)
    /// had nothing more then, and the next read may wait for its writer.
    drained: bool,
    /// Say so once before such a read ([`Self::yield_before_waiting`]).
    yield_before_wait: bool,
    /// Set when reading ended early.
    pub end: Option<ReadEnd>,
    /// Capture headers found after the first (`cat a.pcap b.pcap`): each
    /// starts a new capture, read on.
    pub concatenated: u32,
    /// pcapng packets naming an interface never described (dropped).
    pub unknown_interface: u64,
}

/// Describes the first bytes of a file that is not a capture, for the error.
fn describe(head: &[u8]) -> String {
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let text: String = head
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    let guess = if head.starts_with(b"\x1f\x8b") {
        " (gzip: gunzip it first)"
    } else if head.starts_with(b"PK") {
        " (a zip archive)"
    } else if head.iter().take(64).all(u8::is_ascii) {
        " (text)"
    } else {
        ""
    };
    format!("{} \"{text}\"{guess}", hex.join(" "))
}

impl<R: Read> CaptureReader<R> {
    /// Opens a capture. `seekable` says whether file offsets are meaningful
    /// (a regular file) or not (a pipe).
    ///
    /// # Errors
    /// When the stream cannot be read or does not start like a capture.
    pub fn new(inner: R, seekable: bool, source: u16) -> Result<Self, OpenError> {
        let mut r = Self {
            inner,
            buf: Arc::from(Vec::new()),
            spare: Vec::new(),
            filled: 0,
            pos: 0,
            buf_offset: 0,
            eof: false,
            format: Format::PcapNg,
            big_endian: false,
            interfaces: Vec::new(),
            seekable,
            source,
            drained: false,
            yield_before_wait: false,
            end: None,
            concatenated: 0,
            unknown_interface: 0,
        };
        r.fill(24)?;
        let head = r.data().get(..r.filled.min(24)).unwrap_or_default();
        if head.is_empty() {
            return Err(OpenError::Empty);
        }
        let magic = head.get(..4).and_then(|m| <[u8; 4]>::try_from(m).ok());
        let (big_endian, nanos) = match magic {
            Some([0xd4, 0xc3, 0xb2, 0xa1]) => (false, false),
            Some([0xa1, 0xb2, 0xc3, 0xd4]) => (true, false),
            Some([0x4d, 0x3c, 0xb2, 0xa1]) => (false, true),
            Some([0xa1, 0xb2, 0x3c, 0x4d]) => (true, true),
            Some([0x0a, 0x0d, 0x0d, 0x0a]) => {
                r.format = Format::PcapNg;
                return Ok(r);
            }
            _ => return Err(OpenError::NotACapture(describe(head))),
        };
        if head.len() < 24 {
            return Err(OpenError::NotACapture(format!(
                "a pcap header cut short ({} bytes)",
                head.len()
            )));
        }
        let linktype = r.u32_at(20, big_endian).unwrap_or(0) & 0xFFFF;
        r.format = Format::Pcap {
            big_endian,
            nanos,
            linktype: u16::try_from(linktype).unwrap_or(0),
        };
        r.big_endian = big_endian;
        r.pos = 24;
        Ok(r)
    }

    /// The link types seen so far (one for pcap; one per interface for pcapng).
    #[must_use]
    pub fn linktypes(&self) -> Vec<u16> {
        match self.format {
            Format::Pcap { linktype, .. } => vec![linktype],
            Format::PcapNg => self.interfaces.iter().map(|i| i.linktype).collect(),
        }
    }

    fn u32_at(&self, at: usize, big_endian: bool) -> Option<u32> {
        let a: [u8; 4] = self.data().get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data().get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    /// Makes at least `n` unread bytes available, unless the stream ends.
    /// A chunk is zeroed once, when it is made, never per read: the bytes
    /// that count are those before `filled`. Inline: nearly every call
    /// finds the bytes there already (twice a record).
    #[inline]
    fn fill(&mut self, n: usize) -> io::Result<()> {
        if self.filled - self.pos >= n || self.eof {
            return Ok(());
        }
        self.fill_more(n)
    }

    /// [`Self::fill`] when the unread bytes are too few: a read, or more.
    fn fill_more(&mut self, n: usize) -> io::Result<()> {
        if self.yield_before_wait && self.drained {
            // Nothing is consumed yet: the caller's retry starts over.
            self.drained = false;
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the next read may wait for the writer",
            ));
        }
        let want = n.max(CHUNK);
        let unread = self.pos..self.filled;
        let moved = self.pos > 0;
        self.buf_offset += self.pos as u64;
        self.filled -= self.pos;
        self.pos = 0;
        match Arc::get_mut(&mut self.buf) {
            // Nothing shares the chunk: the unread bytes move to its front.
            Some(buf) if buf.len() >= want => {
                if moved {
                    buf.copy_within(unread, 0);
                }
            }
            _ => {
                let mut next = self.free_chunk(want);
                if let (Some(to), Some(from)) = (
                    Arc::get_mut(&mut next).and_then(|b| b.get_mut(..unread.len())),
                    self.buf.get(unread),
                ) {
                    to.copy_from_slice(from);
                }
                let old = std::mem::replace(&mut self.buf, next);
                if old.len() == CHUNK {
                    self.spare.push(old);
                    if self.spare.len() > SPARE_CHUNKS {
                        self.spare.remove(0);
                    }
                }
            }
        }
        while self.filled < want && !self.eof {
            // One `read` at a time, not `read_to_end` of a whole chunk: a
            // pipe delivers what its writer wrote so far, and waiting for
            // a whole chunk (or the end) would hold back what is already here.
            let Some(buf) = Arc::get_mut(&mut self.buf) else {
                break; // not reached: the chunk was made unshared above
            };
            let asked = want - self.filled;
            match self
                .inner
                .read(buf.get_mut(self.filled..want).unwrap_or_default())
            {
                Ok(0) => self.eof = true,
                Ok(got) => {
                    self.filled += got;
                    self.drained = got < asked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if self.filled >= n {
                break;
            }
        }
        Ok(())
    }

    /// A chunk of at least `len` bytes that nothing shares: a spare one
    /// whose messages are all gone, else a new one.
    fn free_chunk(&mut self, len: usize) -> Arc<[u8]> {
        if let Some(i) = self
            .spare
            .iter_mut()
            .position(|c| c.len() >= len && Arc::get_mut(c).is_some())
        {
            return self.spare.swap_remove(i);
        }
        std::iter::repeat_n(0u8, len).collect()
    }

    /// The chunk the last frame's bytes lie in, to share them
    /// ([`crate::sip::Raw::shared`]) instead of copying.
    #[must_use]
    pub fn chunk(&self) -> &Arc<[u8]> {
        &self.buf
    }

    /// The bytes read and not yet overwritten: `buf` up to `filled`.
    fn data(&self) -> &[u8] {
        self.buf.get(..self.filled).unwrap_or_default()
    }

    fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// The next frame, or `None` at the end (check [`Self::end`] for why).
    ///
    /// # Errors
    /// On an I/O error from the underlying stream.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
        if self.end.is_some() {
            return Ok(None);
        }
        self.skip_headers()?;
        match self.format {
            Format::Pcap {
                big_endian,
                nanos,
                linktype,
            } => self.next_pcap(big_endian, nanos, linktype),
            Format::PcapNg => self.next_pcapng(),
        }
    }

    /// [`Self::next_frame`], with the chunk its bytes lie in, for the
    /// pipeline to share rather than copy ([`crate::sip::Raw::shared`]).
    ///
    /// # Errors
    /// On an I/O error from the underlying stream.
    /// Whether file offsets are meaningful (a regular file, not a pipe).
    #[must_use]
    pub fn seekable(&self) -> bool {
        self.seekable
    }

    /// From now on, a read that may wait on a drained pipe is announced
    /// first: `next_frame*` returns an error of kind `WouldBlock` once,
    /// consuming nothing, and the next call reads (and may wait). The
    /// caller sends what it holds meanwhile, so a pipe's writer that pauses
    /// (`tcpdump -w - | sipscope -r -`) does not hold messages back.
    pub fn yield_before_waiting(&mut self) {
        self.yield_before_wait = true;
    }

    /// # Errors
    /// When the stream cannot be read; `WouldBlock` once before a read that
    /// may wait, after [`Self::yield_before_waiting`].
    pub fn next_frame_shared(&mut self) -> io::Result<Option<SharedFrame<'_>>> {
        let Some(f) = self.next_frame()? else {
            return Ok(None);
        };
        let (ts_ns, linktype, source, orig_len, file_offset) =
            (f.ts_ns, f.linktype, f.source, f.orig_len, f.file_offset);
        let (at, len) = (f.data.as_ptr() as usize, f.data.len());
        let start = at.wrapping_sub(self.buf.as_ptr() as usize);
        let data = self.buf.get(start..start + len).unwrap_or_default();
        Ok(Some((
            Frame {
                ts_ns,
                linktype,
                source,
                orig_len,
                file_offset,
                data,
            },
            &self.buf,
        )))
    }

    /// The pcap file header at `p`, if one is there whole: its magic and
    /// version 2.4 (a record's timestamp that happens to equal a magic is
    /// not followed by 2.4 as well).
    fn pcap_header_at(&self, p: usize) -> Option<Format> {
        let head = self.data().get(p..p + 24)?;
        let (big_endian, nanos) = match head.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return None,
        };
        let version = if big_endian {
            [0, 2, 0, 4]
        } else {
            [2, 0, 4, 0]
        };
        if head.get(4..8)? != version {
            return None;
        }
        let linktype = self.u32_at(p + 20, big_endian)? & 0xFFFF;
        Some(Format::Pcap {
            big_endian,
            nanos,
            linktype: u16::try_from(linktype).unwrap_or(0),
        })
    }

    /// Whether a pcapng section header starts at `p` (with its byte-order magic).
    fn section_header_at(&self, p: usize) -> bool {
        self.data().get(p..p + 4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a][..])
            && matches!(
                self.data().get(p + 8..p + 12),
                Some([0x1a, 0x2b, 0x3c, 0x4d] | [0x4d, 0x3c, 0x2b, 0x1a])
            )
    }

    /// Captures one after the other in one stream (`cat a.pcap b.pcap`,
    /// or pcap then pcapng): each header found where a record would start
    /// switches to its format, and is counted.
    fn skip_headers(&mut self) -> io::Result<()> {
        // Nearly always a record follows: a header starts with a magic's
        // first byte, and a record seldom does.
        if self.filled - self.pos >= 24
            && !matches!(self.buf.get(self.pos), Some(0xd4 | 0xa1 | 0x4d | 0x0a))
        {
            return Ok(());
        }
        loop {
            self.fill(24)?;
            if let Some(format) = self.pcap_header_at(self.pos) {
                if let Format::Pcap { big_endian, .. } = format {
                    self.big_endian = big_endian;
                }
                self.format = format;
                self.pos += 24;
                self.concatenated += 1;
                continue;
            }
            if matches!(self.format, Format::Pcap { .. }) && self.section_header_at(self.pos) {
                // The pcapng reader takes the section header itself.
                self.format = Format::PcapNg;
                self.concatenated += 1;
            }
            return Ok(());
        }
    }

    fn next_pcap(&mut self, be: bool, nanos: bool, linktype: u16) -> io::Result<Option<Frame<'_>>> {
        self.fill(16)?;
        let avail = self.filled - self.pos;
        if avail == 0 {
            return Ok(None);
        }
        let offset = self.offset();
        if avail < 16 {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        }
        // The record header: four words, read from one 16-byte copy.
        let Some(h) = self
            .data()
            .get(self.pos..self.pos + 16)
            .and_then(|h| <[u8; 16]>::try_from(h).ok())
        else {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        };
        let mut words = h.chunks_exact(4).map(|c| {
            let w = <[u8; 4]>::try_from(c).unwrap_or_default();
            if be {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        });
        let (Some(sec), Some(frac), Some(incl), Some(orig)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Ok(None); // not reached: sixteen bytes make four words
        };
        let incl = incl as usize;
        if incl > MAX_RECORD {
            self.end = Some(ReadEnd::Corrupt {
                offset,
                what: format!("a record of {incl} bytes"),
            });
            return Ok(None);
        }
        self.fill(16 + incl)?;
        if self.filled - self.pos < 16 + incl {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        }
        let start = self.pos + 16;
        self.pos = start + incl;
        let frac_ns = if nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        let ts_ns = i64::from(sec) * 1_000_000_000 + frac_ns;
        let file_offset = self.seekable.then_some(offset + 16);
        Ok(Some(Frame {
            ts_ns,
            linktype,
            source: self.source,
            orig_len: orig,
            file_offset,
            data: self.data().get(start..start + incl).unwrap_or_default(),
        }))
    }

    fn next_pcapng(&mut self) -> io::Result<Option<Frame<'_>>> {
        // Each pass consumes one block, until one holds a packet.
        loop {
            let Some(block) = self.next_block()? else {
                if self.end.is_none() && self.pcap_header_at(self.pos).is_some() {
                    // A pcap capture follows this pcapng one.
                    self.skip_headers()?;
                    if let Format::Pcap {
                        big_endian,
                        nanos,
                        linktype,
                    } = self.format
                    {
                        return self.next_pcap(big_endian, nanos, linktype);
                    }
                    continue;
                }
                return Ok(None);
            };
            let found = match block.kind {
                1 => {
                    self.interface(block.body, block.body_end);
                    Found::Skip
                }
                6 => self.enhanced_packet(&block),
                3 => self.simple_packet(&block),
                _ => Found::Skip,
            };
            match found {
                Found::Skip => {}
                Found::End => return Ok(None),
                Found::Packet(at) => {
                    let file_offset = self
                        .seekable
                        .then_some(self.buf_offset + at.data.start as u64);
                    return Ok(Some(Frame {
                        ts_ns: at.ts_ns,
                        linktype: at.linktype,
                        source: self.source,
                        orig_len: at.orig_len,
                        file_offset,
                        data: self.data().get(at.data).unwrap_or_default(),
                    }));
                }
            }
        }
    }

    /// The next pcapng block, whole in the buffer (consumed), or `None` at
    /// the end of the input (`self.end` says why when it was cut or
    /// corrupt). A section header sets the byte order and forgets the
    /// interfaces of the section before.
    fn next_block(&mut self) -> io::Result<Option<Block>> {
        self.fill(24)?;
        let avail = self.filled - self.pos;
        if avail == 0 || self.pcap_header_at(self.pos).is_some() {
            return Ok(None);
        }
        let offset = self.offset();
        if avail < 12 {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        }
        let p = self.pos;
        let raw_type = self
            .buf
            .get(p..p + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok());
        if raw_type == Some([0x0a, 0x0d, 0x0d, 0x0a]) {
            // Section header: its byte-order magic decides the endianness.
            let bom = self
                .buf
                .get(p + 8..p + 12)
                .and_then(|b| <[u8; 4]>::try_from(b).ok());
            self.big_endian = match bom {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => true,
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => false,
                _ => {
                    self.end = Some(ReadEnd::Corrupt {
                        offset,
                        what: "a section header with no byte-order magic".into(),
                    });
                    return Ok(None);
                }
            };
            self.interfaces.clear();
        }
        let be = self.big_endian;
        let (Some(kind), Some(blen)) = (self.u32_at(p, be), self.u32_at(p + 4, be)) else {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        };
        let blen = blen as usize;
        if blen < 12 || !blen.is_multiple_of(4) || blen > MAX_RECORD + 64 {
            self.end = Some(ReadEnd::Corrupt {
                offset,
                what: format!("a block of {blen} bytes"),
            });
            return Ok(None);
        }
        self.fill(blen)?;
        if self.filled - self.pos < blen {
            self.end = Some(ReadEnd::Truncated { offset });
            return Ok(None);
        }
        // `fill` may have moved the unread bytes to the front.
        let p = self.pos;
        self.pos = p + blen;
        Ok(Some(Block {
            kind,
            offset,
            body: p + 8,
            body_end: p + blen - 4,
        }))
    }

    /// An enhanced packet block: interface, 64-bit timestamp, lengths.
    fn enhanced_packet(&mut self, block: &Block) -> Found {
        let (body, be) = (block.body, self.big_endian);
        let (Some(ifid), Some(hi), Some(lo), Some(cap), Some(orig)) = (
            self.u32_at(body, be),
            self.u32_at(body + 4, be),
            self.u32_at(body + 8, be),
            self.u32_at(body + 12, be),
            self.u32_at(body + 16, be),
        ) else {
            return Found::Skip;
        };
        let data_start = body + 20;
        let data_end = data_start + cap as usize;
        if data_end > block.body_end {
            self.end = Some(ReadEnd::Corrupt {
                offset: block.offset,
                what: "a packet longer than its block".into(),
            });
            return Found::End;
        }
        let Some(iface) = self.interfaces.get(ifid as usize).copied() else {
            self.unknown_interface += 1;
            return Found::Skip;
        };
        let units = (u64::from(hi) << 32) | u64::from(lo);
        let ts = u128::from(units) * u128::from(iface.ns_num) / u128::from(iface.ns_den);
        Found::Packet(PacketAt {
            ts_ns: i64::try_from(ts).unwrap_or(i64::MAX),
            linktype: iface.linktype,
            orig_len: orig,
            data: data_start..data_end,
        })
    }

    /// A simple packet block: interface 0, no timestamp.
    fn simple_packet(&mut self, block: &Block) -> Found {
        let Some(iface) = self.interfaces.first().copied() else {
            self.unknown_interface += 1;
            return Found::Skip;
        };
        let orig = self.u32_at(block.body, self.big_endian).unwrap_or(0);
        let data_start = block.body + 4;
        Found::Packet(PacketAt {
            ts_ns: 0,
            linktype: iface.linktype,
            orig_len: orig,
            data: data_start..block.body_end.min(data_start + orig as usize),
        })
    }

    fn interface(&mut self, body: usize, body_end: usize) {
        let linktype = self.u16_at(body).unwrap_or(0);
        let mut iface = Interface {
            linktype,
            ns_num: 1000,
            ns_den: 1,
        };
        // Options: code(2) len(2) value, padded to 4.
        let mut at = body + 8;
        while at + 4 <= body_end {
            let (Some(code), Some(len)) = (self.u16_at(at), self.u16_at(at + 2)) else {
                break;
            };
            if code == 0 {
                break;
            }
            if code == 9
                && let Some(&res) = self.data().get(at + 4)
            {
                let exp = u32::from(res & 0x7F);
                if res & 0x80 == 0 {
                    // 10^-exp seconds per unit.
                    if exp <= 9 {
                        iface.ns_num = 10u64.pow(9 - exp);
                        iface.ns_den = 1;
                    } else if exp <= 18 {
                        iface.ns_num = 1;
                        iface.ns_den = 10u64.pow(exp - 9);
                    }
                } else if exp < 63 {
                    // 2^-exp seconds per unit.
                    iface.ns_num = 1_000_000_000;
                    iface.ns_den = 1u64 << exp;
                }
            }
            at += 4 + usize::from(len).div_ceil(4) * 4;
        }
        self.interfaces.push(iface);
    }
}

/// A pcapng block in the buffer: its type, where it began in the file,
/// and its body (between the length fields) as buffer positions.
struct Block {
    kind: u32,
    offset: u64,
    body: usize,
    body_end: usize,
}

/// What a block gave.
enum Found {
    Packet(PacketAt),
    /// Not a packet (or one of an unknown interface): read on.
    Skip,
    /// The input is corrupt here (`end` says how).
    End,
}

/// A packet found in the buffer, before it is lent out as a [`Frame`].
struct PacketAt {
    ts_ns: i64,
    linktype: u16,
    orig_len: u32,
    data: std::ops::Range<usize>,
}

#[cfg(test)]
mod tests;
