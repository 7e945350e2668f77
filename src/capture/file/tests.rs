#![allow(clippy::indexing_slicing)]

use super::*;

fn pcap_with(records: &[(&[u8], u32)]) -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for (i, (data, orig)) in records.iter().enumerate() {
        f.extend_from_slice(&(u32::try_from(i).unwrap() + 100).to_le_bytes());
        f.extend_from_slice(&7u32.to_le_bytes());
        f.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        f.extend_from_slice(&orig.to_le_bytes());
        f.extend_from_slice(data);
    }
    f
}

fn count_frames(bytes: &[u8]) -> (usize, Option<ReadEnd>, u32) {
    let mut r = CaptureReader::new(bytes, false, 0).unwrap();
    let mut n = 0;
    while r.next_frame().unwrap().is_some() {
        n += 1;
    }
    (n, r.end.clone(), r.concatenated)
}

#[test]
fn a_packet_of_an_undescribed_interface_is_counted() {
    // Section header, no interface description, one enhanced packet.
    let mut f = Vec::new();
    f.extend_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a]);
    f.extend_from_slice(&28u32.to_le_bytes());
    f.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    f.extend_from_slice(&[1, 0, 0, 0]);
    f.extend_from_slice(&u64::MAX.to_le_bytes());
    f.extend_from_slice(&28u32.to_le_bytes());
    let epb_len = 32u32 + 4;
    f.extend_from_slice(&6u32.to_le_bytes());
    f.extend_from_slice(&epb_len.to_le_bytes());
    for v in [3u32, 0, 0, 4, 4] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(b"abcd");
    f.extend_from_slice(&epb_len.to_le_bytes());
    let mut r = CaptureReader::new(&f[..], false, 0).unwrap();
    assert!(r.next_frame().unwrap().is_none());
    assert_eq!((r.end, r.unknown_interface), (None, 1));
}

#[test]
fn concatenated_captures_are_all_read() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let a = std::fs::read(format!("{dir}gen__busy_486_3calls.pcap")).unwrap();
    let b = std::fs::read(format!("{dir}ndpi__sip_hello.pcapng")).unwrap();
    let (na, nb) = (count_frames(&a).0, count_frames(&b).0);
    // pcap + pcap, pcap + pcapng + pcap, and a header with no records.
    let empty = pcap_with(&[]);
    for (parts, want) in [
        (vec![&a, &a], 2 * na),
        (vec![&a, &b, &a], 2 * na + nb),
        (vec![&b, &empty, &a], na + nb),
    ] {
        let joined: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
        let (n, end, concatenated) = count_frames(&joined);
        assert_eq!((n, end), (want, None));
        assert_eq!(concatenated as usize, parts.len() - 1);
    }
}

#[test]
fn reads_pcap_records_with_offsets() {
    let f = pcap_with(&[(b"abc", 3), (b"defg", 9)]);
    let mut r = CaptureReader::new(&f[..], true, 0).unwrap();
    let a = r.next_frame().unwrap().unwrap();
    assert_eq!(
        (a.ts_ns, a.data, a.file_offset),
        (100_000_007_000, &b"abc"[..], Some(40))
    );
    let b = r.next_frame().unwrap().unwrap();
    assert_eq!((b.data, b.orig_len), (&b"defg"[..], 9));
    assert!(r.next_frame().unwrap().is_none());
    assert_eq!(r.end, None);
}

#[test]
fn a_cut_capture_keeps_what_came_before() {
    let f = pcap_with(&[(b"abc", 3), (b"defg", 4)]);
    for cut in 25..f.len() {
        let mut r = CaptureReader::new(&f[..cut], true, 0).unwrap();
        let mut n = 0;
        while r.next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, usize::from(cut >= 43));
        assert!(
            cut == 43 || matches!(r.end, Some(ReadEnd::Truncated { .. })),
            "cut {cut}"
        );
    }
}

/// A pcapng block: type, length, body (padded), length.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = u32::try_from(body.len() + 12).unwrap();
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn epb(iface: u32, units: u64, data: &[u8]) -> Vec<u8> {
    let mut b = iface.to_le_bytes().to_vec();
    b.extend_from_slice(&u32::try_from(units >> 32).unwrap().to_le_bytes());
    b.extend_from_slice(&u32::try_from(units & 0xFFFF_FFFF).unwrap().to_le_bytes());
    let n = u32::try_from(data.len()).unwrap();
    b.extend_from_slice(&n.to_le_bytes());
    b.extend_from_slice(&n.to_le_bytes());
    b.extend_from_slice(data);
    block(6, &b)
}

#[test]
fn pcapng_with_interfaces_of_different_link_types_and_resolutions() {
    let mut f = block(
        0x0A0D_0D0A,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    // Interface 0: Ethernet, default microseconds.
    f.extend(block(1, &[1, 0, 0, 0, 0, 0, 4, 0]));
    // Interface 1: raw IP, if_tsresol = 9 (nanoseconds).
    f.extend(block(
        1,
        &[101, 0, 0, 0, 0, 0, 4, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0],
    ));
    f.extend(epb(0, 1_700_000_000_000_001, b"eth"));
    f.extend(epb(1, 1_700_000_000_000_000_123, b"raw-ip"));
    let mut r = CaptureReader::new(&f[..], true, 0).unwrap();
    let a = r.next_frame().unwrap().unwrap();
    assert_eq!(
        (a.linktype, a.ts_ns, a.data),
        (1, 1_700_000_000_000_001_000, &b"eth"[..])
    );
    let b = r.next_frame().unwrap().unwrap();
    assert_eq!(
        (b.linktype, b.ts_ns, b.data),
        (101, 1_700_000_000_000_000_123, &b"raw-ip"[..])
    );
    assert!(r.next_frame().unwrap().is_none());
    assert_eq!(r.end, None);
    assert_eq!(r.linktypes(), [1, 101]);
}

#[test]
fn names_what_a_non_capture_looks_like() {
    let Err(OpenError::NotACapture(what)) =
        CaptureReader::new(&b"hello world, not a pcap"[..], true, 0)
    else {
        panic!("accepted text");
    };
    assert!(what.contains("hello world"), "{what}");
    assert!(matches!(
        CaptureReader::new(&b""[..], true, 0),
        Err(OpenError::Empty)
    ));
}

#[test]
fn bytes_shared_from_a_chunk_stay_whole_while_the_reader_moves_on() {
    // 10,000 records of 1,000 bytes (about ten chunks), each marked with its
    // index; the last 500 are held, as messages in flight are, the rest
    // dropped, so chunks are freed and taken up again while some are held.
    let records: Vec<Vec<u8>> = (0..10_000u32)
        .map(|i| {
            let mut v = vec![u8::try_from(i % 251).unwrap(); 1000];
            v[..4].copy_from_slice(&i.to_le_bytes());
            v
        })
        .collect();
    let list: Vec<(&[u8], u32)> = records.iter().map(|r| (&r[..], 1000)).collect();
    let file = pcap_with(&list);
    let mut r = CaptureReader::new(&file[..], true, 0).unwrap();
    let mut held = std::collections::VecDeque::new();
    let mut n = 0;
    while let Some((frame, chunk)) = r.next_frame_shared().unwrap() {
        let start = (frame.data.as_ptr() as usize) - (chunk.as_ptr() as usize);
        let raw = crate::sip::Raw::shared(chunk, start..start + frame.data.len());
        assert_eq!(&*raw, frame.data);
        held.push_back((n, raw));
        if held.len() > 500 {
            let (i, raw) = held.pop_front().unwrap();
            assert_eq!(&*raw, &records[i][..], "record {i} was overwritten");
        }
        n += 1;
    }
    assert_eq!(n, records.len());
    for (i, raw) in held {
        assert_eq!(&*raw, &records[i][..]);
    }
}

/// A pipe: each read gives at most `piece` bytes, as a writer's pauses do.
struct Trickle<'a> {
    bytes: &'a [u8],
    piece: usize,
}

/// A reader of `file` as a pipe gives it, 1000 bytes a read.
fn trickled(file: &[u8]) -> CaptureReader<Trickle<'_>> {
    CaptureReader::new(
        Trickle {
            bytes: file,
            piece: 1000,
        },
        false,
        0,
    )
    .unwrap()
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.piece).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Read from a pipe, the reader says once before each read that may wait
/// (after a short one), consuming nothing: every frame still comes, whole
/// and in order, the same as read at once.
#[test]
fn a_drained_pipe_is_announced_before_a_read_that_may_wait() {
    let records: Vec<Vec<u8>> = (0..40u8)
        .map(|i| vec![i; 300 + usize::from(i) * 7])
        .collect();
    let refs: Vec<(&[u8], u32)> = records.iter().map(|r| (r.as_slice(), 1500)).collect();
    let file = pcap_with(&refs);
    let mut r = trickled(&file);
    r.yield_before_waiting();
    let (mut got, mut yields) = (Vec::new(), 0);
    loop {
        match r.next_frame_shared() {
            Ok(Some((f, _))) => got.push(f.data.to_vec()),
            Ok(None) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                yields += 1;
                assert!(yields < 1000, "no progress");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, records);
    assert!(r.end.is_none());
    // About one per 1000-byte read (the file is ~15 KB).
    assert!((10..=40).contains(&yields), "{yields}");
    // Without asking, a pipe is read straight through.
    let mut r = trickled(&file);
    let mut n = 0;
    while r.next_frame_shared().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, records.len());
}
