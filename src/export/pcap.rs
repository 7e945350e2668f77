//! Writing original frames to pcap and pcapng, byte for byte.
//!
//! A pcap file has one link type and one timestamp resolution: the writer
//! uses microseconds when every timestamp is a whole microsecond, else the
//! nanosecond variant (magic `a1b23c4d`) that Wireshark and tcpdump read.
//! pcapng holds one interface per link type, each with nanosecond time.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::decode::{FrameLoc, FrameRef};

/// pcap: the classic format. pcapng: the newer block format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap,
    Pcapng,
}

/// Why frames could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// pcap holds one link type; these frames have several.
    #[error(
        "pcap holds one link type and these frames have {} ({}): save as pcapng",
        .0.len(),
        .0.iter().map(|t| linktype_name(*t)).collect::<Vec<_>>().join(", ")
    )]
    MixedLinkTypes(Vec<u16>),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A link type as people know it.
#[must_use]
pub fn linktype_name(t: u16) -> String {
    match t {
        0 => "BSD loopback".into(),
        1 => "Ethernet".into(),
        12 | 101 => "raw IP".into(),
        113 => "Linux cooked (SLL)".into(),
        276 => "Linux cooked v2 (SLL2)".into(),
        228 => "raw IPv4".into(),
        229 => "raw IPv6".into(),
        t => format!("link type {t}"),
    }
}

/// Reads frames' bytes back: from their capture files, or from memory.
#[derive(Debug, Default)]
pub struct FrameBytes {
    files: Vec<Option<File>>,
}

impl FrameBytes {
    /// Opens the capture files behind each source index (`None` where the
    /// source has no file: live, standard input).
    ///
    /// # Errors
    /// When a capture file can no longer be opened.
    pub fn open(paths: &[Option<PathBuf>]) -> io::Result<Self> {
        let files = paths
            .iter()
            .map(|p| p.as_ref().map(File::open).transpose())
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Self { files })
    }

    /// A frame's bytes, into `buf`.
    ///
    /// # Errors
    /// When the frame's file cannot be read there any more.
    pub fn read<'a>(&self, f: &'a FrameRef, buf: &'a mut Vec<u8>) -> io::Result<&'a [u8]> {
        match &f.loc {
            FrameLoc::Mem(b) => Ok(b),
            FrameLoc::File { offset, len } => {
                let file = self
                    .files
                    .get(usize::from(f.source))
                    .and_then(Option::as_ref)
                    .ok_or_else(|| {
                        io::Error::other("the capture file of a frame cannot be read")
                    })?;
                buf.resize(*len as usize, 0);
                file.read_exact_at(buf, *offset)?;
                Ok(buf)
            }
        }
    }
}

/// The link types of `frames`, in order of first use.
#[must_use]
pub fn linktypes(frames: &[FrameRef]) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for f in frames {
        if !out.contains(&f.linktype) {
            out.push(f.linktype);
        }
    }
    out
}

/// Snap length written in headers: large enough for any frame we keep.
const SNAPLEN: u32 = 262_144;

/// Writes `frames` (in the order given) to `out`. `done` is told how many
/// frames are written, after each; when it says false, writing stops
/// (cancelled, an `Interrupted` error).
///
/// # Errors
/// [`WriteError::MixedLinkTypes`] for pcap with several link types; I/O
/// errors from reading frames back or writing.
pub fn write(
    frames: &[FrameRef],
    bytes: &FrameBytes,
    format: CaptureFormat,
    out: &mut impl Write,
    mut done: impl FnMut(usize) -> bool,
) -> Result<(), WriteError> {
    let types = linktypes(frames);
    let mut buf = Vec::new();
    match format {
        CaptureFormat::Pcap => {
            if types.len() > 1 {
                return Err(WriteError::MixedLinkTypes(types));
            }
            let nanos = frames.iter().any(|f| f.ts_ns.rem_euclid(1000) != 0);
            write_pcap_header(out, types.first().copied().unwrap_or(1), nanos)?;
            for (i, f) in frames.iter().enumerate() {
                let data = bytes.read(f, &mut buf)?;
                write_pcap_record(out, f, data, nanos)?;
                if !done(i + 1) {
                    return Err(cancelled());
                }
            }
        }
        CaptureFormat::Pcapng => {
            write_section(out)?;
            for t in &types {
                write_interface(out, *t)?;
            }
            for (i, f) in frames.iter().enumerate() {
                let data = bytes.read(f, &mut buf)?;
                let iface = types.iter().position(|t| *t == f.linktype).unwrap_or(0);
                write_packet(out, iface, f, data)?;
                if !done(i + 1) {
                    return Err(cancelled());
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// A pcap file header: microsecond or nanosecond timestamps.
///
/// # Errors
/// When writing fails.
pub fn write_pcap_header(out: &mut impl Write, linktype: u16, nanos: bool) -> io::Result<()> {
    let magic: u32 = if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 };
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&magic.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&SNAPLEN.to_le_bytes());
    header.extend_from_slice(&u32::from(linktype).to_le_bytes());
    out.write_all(&header)
}

/// A pcap record: the frame's time (ns or µs, as the header said), its
/// lengths and bytes. Returns the bytes written.
///
/// # Errors
/// When writing fails.
pub fn write_pcap_record(
    out: &mut impl Write,
    f: &FrameRef,
    data: &[u8],
    nanos: bool,
) -> io::Result<u64> {
    let secs = f.ts_ns.div_euclid(1_000_000_000);
    let frac = f.ts_ns.rem_euclid(1_000_000_000);
    let frac = if nanos { frac } else { frac / 1000 };
    let mut rec = [0u8; 16];
    rec[0..4].copy_from_slice(&u32::try_from(secs).unwrap_or(0).to_le_bytes());
    rec[4..8].copy_from_slice(&u32::try_from(frac).unwrap_or(0).to_le_bytes());
    rec[8..12].copy_from_slice(&len32(data.len()).to_le_bytes());
    rec[12..16].copy_from_slice(&f.orig_len.max(len32(data.len())).to_le_bytes());
    out.write_all(&rec)?;
    out.write_all(data)?;
    Ok(16 + data.len() as u64)
}

/// A pcapng section header block.
///
/// # Errors
/// When writing fails.
pub fn write_section(out: &mut impl Write) -> io::Result<()> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    option(&mut shb, 4, b"sipscope"); // shb_userappl
    option_end(&mut shb);
    block(out, 0x0A0D_0D0A, &shb).map(|_| ())
}

/// A pcapng interface description block, with nanosecond timestamps.
/// Returns the bytes written.
///
/// # Errors
/// When writing fails.
pub fn write_interface(out: &mut impl Write, linktype: u16) -> io::Result<u64> {
    let mut idb = Vec::new();
    idb.extend_from_slice(&linktype.to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&SNAPLEN.to_le_bytes());
    option(&mut idb, 9, &[9]); // if_tsresol: 10^-9
    option_end(&mut idb);
    block(out, 1, &idb)
}

/// A pcapng enhanced packet block on interface `iface`. Returns the bytes
/// written.
///
/// # Errors
/// When writing fails.
pub fn write_packet(
    out: &mut impl Write,
    iface: usize,
    f: &FrameRef,
    data: &[u8],
) -> io::Result<u64> {
    let ts = u64::try_from(f.ts_ns).unwrap_or(0);
    let mut epb = Vec::with_capacity(20 + data.len() + 3);
    epb.extend_from_slice(&len32(iface).to_le_bytes());
    epb.extend_from_slice(&u32::try_from(ts >> 32).unwrap_or(0).to_le_bytes());
    epb.extend_from_slice(&u32::try_from(ts & 0xFFFF_FFFF).unwrap_or(0).to_le_bytes());
    epb.extend_from_slice(&len32(data.len()).to_le_bytes());
    epb.extend_from_slice(&f.orig_len.max(len32(data.len())).to_le_bytes());
    epb.extend_from_slice(data);
    pad4(&mut epb);
    block(out, 6, &epb)
}

fn cancelled() -> WriteError {
    WriteError::Io(io::Error::new(io::ErrorKind::Interrupted, "cancelled"))
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

fn option(v: &mut Vec<u8>, code: u16, value: &[u8]) {
    v.extend_from_slice(&code.to_le_bytes());
    v.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_le_bytes());
    v.extend_from_slice(value);
    pad4(v);
}

fn option_end(v: &mut Vec<u8>) {
    v.extend_from_slice(&[0, 0, 0, 0]);
}

/// A pcapng block: type, total length, body, total length. Returns the
/// bytes written.
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<u64> {
    let total = len32(body.len() + 12);
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())?;
    Ok(u64::from(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn frame(ts_ns: i64, linktype: u16, bytes: &[u8]) -> FrameRef {
        FrameRef {
            ts_ns,
            linktype,
            source: 0,
            orig_len: u32::try_from(bytes.len()).unwrap(),
            loc: FrameLoc::Mem(Arc::from(bytes)),
        }
    }

    fn read_back(file: &[u8]) -> Vec<(i64, u16, Vec<u8>)> {
        let mut r =
            crate::capture::file::CaptureReader::new(std::io::Cursor::new(file.to_vec()), false, 0)
                .unwrap();
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            out.push((f.ts_ns, f.linktype, f.data.to_vec()));
        }
        out
    }

    #[test]
    fn pcap_and_pcapng_round_trip_through_our_reader() {
        let frames = [
            frame(1_700_000_000_123_456_789, 1, b"abcde"),
            frame(1_700_000_001_000_000_001, 1, b"xy"),
        ];
        for format in [CaptureFormat::Pcap, CaptureFormat::Pcapng] {
            let mut out = Vec::new();
            write(&frames, &FrameBytes::default(), format, &mut out, |_| true).unwrap();
            let back = read_back(&out);
            assert_eq!(
                back,
                vec![
                    (1_700_000_000_123_456_789, 1, b"abcde".to_vec()),
                    (1_700_000_001_000_000_001, 1, b"xy".to_vec())
                ],
                "{format:?}"
            );
        }
    }

    #[test]
    fn microsecond_times_make_a_microsecond_pcap() {
        let mut out = Vec::new();
        let frames = [frame(1_000_000_000_000_001_000, 1, b"a")];
        write(
            &frames,
            &FrameBytes::default(),
            CaptureFormat::Pcap,
            &mut out,
            |_| true,
        )
        .unwrap();
        assert_eq!(out[..4], 0xA1B2_C3D4u32.to_le_bytes());
        assert_eq!(read_back(&out)[0].0, 1_000_000_000_000_001_000);
    }

    #[test]
    fn pcap_refuses_mixed_link_types_and_pcapng_takes_them() {
        let frames = [frame(1, 1, b"eth"), frame(2, 113, b"sll")];
        let mut out = Vec::new();
        let err = write(
            &frames,
            &FrameBytes::default(),
            CaptureFormat::Pcap,
            &mut out,
            |_| true,
        );
        assert!(matches!(err, Err(WriteError::MixedLinkTypes(ref t)) if t == &[1, 113]));
        out.clear();
        write(
            &frames,
            &FrameBytes::default(),
            CaptureFormat::Pcapng,
            &mut out,
            |_| true,
        )
        .unwrap();
        let back = read_back(&out);
        assert_eq!(back.iter().map(|f| f.1).collect::<Vec<_>>(), [1, 113]);
    }
}
