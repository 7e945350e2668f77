use super::*;
use crate::rtp::RtpHeader;

fn pkt(seq: u16, ms: i64, pt: u8, head: u8) -> RtpPacket {
    RtpPacket {
        ts_ns: ms * 1_000_000,
        src: "192.0.2.1:4000".parse().unwrap(),
        dst: "192.0.2.2:5000".parse().unwrap(),
        header: RtpHeader {
            marker: false,
            payload_type: pt,
            seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 7,
            payload_offset: 12,
        },
        len: 172,
        payload_head: [head, 0, 0, 0],
    }
}

fn sdp(port: u16) -> Vec<SocketAddr> {
    vec![SocketAddr::from(([192, 0, 2, 2], port))]
}

fn events(m: &mut Media) {
    m.set_rtpmap(0, vec![(101, "telephone-event".to_owned(), 8000)]);
}

#[test]
fn mos_of_a_clean_and_a_lossy_g711_stream() {
    let mut m = Media::default();
    let _ = m.expect(DialogId(1), &sdp(5000));
    for i in 0..100u16 {
        m.ingest(&pkt(i, i64::from(i) * 20, 0, 0), Frames::new());
    }
    assert!(
        (m.streams()[0].mos() - 4.4).abs() < 0.01,
        "{}",
        m.streams()[0].mos()
    );
    // Every 20th packet lost: 5 %.
    let mut lossy = Media::default();
    for i in (0..200u16).filter(|i| i % 20 != 0) {
        lossy.ingest(&pkt(i, i64::from(i) * 20, 0, 0), Frames::new());
    }
    assert!(
        (lossy.streams()[0].mos() - 3.95).abs() < 0.03,
        "{}",
        lossy.streams()[0].mos()
    );
}

#[test]
fn late_sdp_ties_a_stream_and_events_become_digits() {
    let mut m = Media::default();
    m.ingest(&pkt(0, -20, 0, 0), Frames::new());
    assert!(
        m.streams().is_empty(),
        "one packet no SDP names is not a stream yet"
    );
    m.ingest(&pkt(1, 0, 0, 0), Frames::new());
    assert_eq!(m.streams()[0].stats.packets, 2, "the held packet counts");
    assert!(m.streams()[0].dialog.is_none());
    assert_eq!(m.expect(DialogId(3), &sdp(5000)), [0]);
    assert_eq!(m.streams()[0].dialog, Some(DialogId(3)));
    events(&mut m);
    // Digit 5, three packets of one event (one timestamp), then '#'.
    let mut e = pkt(2, 40, 101, 5);
    m.ingest(&e, Frames::new());
    e.header.seq = 3;
    m.ingest(&e, Frames::new());
    let mut hash = pkt(10, 400, 101, 11);
    hash.header.timestamp = 99_999;
    m.ingest(&hash, Frames::new());
    assert_eq!(m.streams()[0].dtmf, "5#");
}

#[test]
fn udp_that_only_looks_like_rtp_is_no_stream() {
    let mut m = Media::default();
    // A DNS-like flow: well-known port.
    let mut dns = pkt(1, 0, 0, 0);
    dns.src = "192.0.2.1:53".parse().unwrap();
    dns.dst = "192.0.2.9:40000".parse().unwrap();
    for i in 0..5 {
        dns.header.seq = i;
        m.ingest(&dns, Frames::new());
    }
    // The same sequence number again and again (a NetBIOS retry).
    let mut retry = pkt(9, 0, 0, 0);
    retry.src = "192.0.2.7:1137".parse().unwrap();
    retry.dst = "192.0.2.9:1137".parse().unwrap();
    for _ in 0..5 {
        m.ingest(&retry, Frames::new());
    }
    // An unassigned payload type.
    let mut odd = pkt(1, 0, 50, 0);
    odd.src = "192.0.2.8:4000".parse().unwrap();
    odd.dst = "192.0.2.9:4000".parse().unwrap();
    for i in 0..5 {
        odd.header.seq = i;
        m.ingest(&odd, Frames::new());
    }
    assert!(m.streams().is_empty());
    assert_eq!(m.not_rtp(), 15);
    // One packet held, then the SDP that names its destination: a stream.
    m.ingest(&pkt(1, 0, 0, 0), Frames::new());
    assert_eq!(m.expect(DialogId(4), &sdp(5000)).len(), 1);
    assert_eq!(m.streams()[0].dialog, Some(DialogId(4)));
}

fn one_frame(ms: i64) -> Frames {
    smallvec::smallvec![FrameRef {
        ts_ns: ms * 1_000_000,
        linktype: 1,
        source: 0,
        orig_len: 214,
        loc: crate::decode::FrameLoc::File {
            offset: 0,
            len: 214
        },
    }]
}

#[test]
fn frames_are_kept_newest_first_within_the_call_budget() {
    // Room for 10 frames per call.
    let mut m = Media::new(Some(10 * FRAME_COST), 1 << 20);
    let _ = m.expect(DialogId(1), &sdp(5000));
    let _ = m.expect(DialogId(1), &[SocketAddr::from(([192, 0, 2, 1], 4000))]);
    for i in 0..8u16 {
        m.ingest(
            &pkt(i, i64::from(i) * 20, 0, 0),
            one_frame(i64::from(i) * 20),
        );
        // The other direction, same call.
        let mut back = pkt(i, i64::from(i) * 20 + 1, 0, 0);
        std::mem::swap(&mut back.src, &mut back.dst);
        m.ingest(&back, one_frame(i64::from(i) * 20 + 1));
    }
    let streams: Vec<&RtpStream> = m.of_dialog(DialogId(1)).collect();
    assert_eq!(streams.len(), 2);
    let kept: usize = streams.iter().map(|s| s.frames.len()).sum();
    let dropped: u64 = streams.iter().map(|s| s.frames_not_kept).sum();
    assert_eq!((kept, dropped), (10, 6));
    // The newest: from 60 ms on, in both directions.
    assert!(
        streams
            .iter()
            .all(|s| s.frames.front().unwrap().ts_ns >= 60_000_000)
    );
    assert_eq!(m.kept_bytes(), 10 * FRAME_COST);
    assert_eq!(m.forget_dialog(DialogId(1)), 10 * FRAME_COST);
    assert_eq!(m.kept_bytes(), 0);
}

#[test]
fn the_total_ceiling_holds_whatever_the_per_call_budget() {
    let mut m = Media::new(None, 5 * FRAME_COST);
    for i in 0..9u16 {
        m.ingest(
            &pkt(i, i64::from(i) * 20, 0, 0),
            one_frame(i64::from(i) * 20),
        );
    }
    let s = &m.streams()[0];
    assert_eq!((s.frames.len(), s.frames_not_kept), (5, 4));
    assert!(m.kept_bytes() <= 5 * FRAME_COST);
}

#[test]
fn an_ssrc_flood_on_a_call_stays_within_its_budget_and_linear() {
    let mut m = Media::new(Some(10 * FRAME_COST), 1 << 30);
    let _ = m.expect(DialogId(1), &sdp(5000));
    for i in 0..50_000u32 {
        let mut p = pkt(1, i64::from(i), 0, 0);
        p.header.ssrc = i;
        m.ingest(&p, one_frame(i64::from(i)));
    }
    assert_eq!(m.of_dialog(DialogId(1)).count(), 50_000);
    assert!(m.kept_bytes() <= 10 * FRAME_COST, "{}", m.kept_bytes());
}

#[test]
fn a_stream_goes_to_the_call_that_announced_both_its_ends() {
    // Two calls answer on the same address; the second offers another port.
    let mut m = Media::default();
    let a = |port| SocketAddr::from(([192, 0, 2, 1], port));
    let b = |port| SocketAddr::from(([192, 0, 2, 2], port));
    let _ = m.expect(DialogId(1), &[a(4000), b(5000)]);
    let _ = m.expect(DialogId(2), &[a(4004), b(5000)]);
    // pkt() runs 192.0.2.1:4000 -> 192.0.2.2:5000: call 1's pair.
    m.ingest(&pkt(1, 0, 0, 0), Frames::new());
    assert_eq!(m.streams()[0].dialog, Some(DialogId(1)));
    let mut second = pkt(1, 0, 0, 0);
    second.src = a(4004);
    m.ingest(&second, Frames::new());
    assert_eq!(m.streams()[1].dialog, Some(DialogId(2)));
}

/// A PBX that leaves media to the ends names the caller's and the callee's
/// addresses on both its legs: each leg holds both directions, whichever
/// SDP came first; the frames count once, against the owner's budget.
#[test]
fn both_legs_through_a_pbx_hold_both_directions() {
    let mut m = Media::default();
    let (caller, answerer) = (
        SocketAddr::from(([192, 0, 2, 1], 4000)),
        SocketAddr::from(([192, 0, 2, 2], 5000)),
    );
    let (a, b) = (DialogId(1), DialogId(2));
    let _ = m.expect(a, &[caller]); // leg A's offer
    let _ = m.expect(b, &[caller]); // leg B's offer, the caller's address
    let _ = m.expect(b, &[answerer]); // the callee answers, and talks at once
    let mut back = pkt(1, 0, 0, 0);
    (back.src, back.dst, back.header.ssrc) = (answerer, caller, 9);
    m.ingest(&back, Frames::new());
    assert_eq!(m.dialogs_of_stream(answerer, caller, 9).as_slice(), [b]);
    let _ = m.expect(a, &[answerer]); // the PBX's answer to the caller
    assert_eq!(m.dialogs_of_stream(answerer, caller, 9).as_slice(), [b, a]);
    m.ingest(&pkt(1, 20, 0, 0), Frames::new()); // caller -> answerer
    assert_eq!(m.dialogs_of_stream(caller, answerer, 7).as_slice(), [a, b]);
    assert_eq!(m.of_dialog(a).count(), 2);
    assert_eq!(m.of_dialog(b).count(), 2);
    // Leg A goes: leg B keeps both streams, now its own.
    m.forget_dialog(a);
    assert_eq!(m.dialogs_of_stream(caller, answerer, 7).as_slice(), [b]);
    assert_eq!(m.of_dialog(b).count(), 2);
}

/// Two calls one after the other between the same ports: the first, ended,
/// takes no share of the second's stream.
#[test]
fn an_ended_call_takes_no_share_of_the_next_calls_stream() {
    let mut m = Media::default();
    let ends = [
        SocketAddr::from(([192, 0, 2, 1], 4000)),
        SocketAddr::from(([192, 0, 2, 2], 5000)),
    ];
    let _ = m.expect(DialogId(1), &ends);
    m.ingest(&pkt(1, 0, 0, 0), Frames::new());
    m.close(DialogId(1));
    let _ = m.expect(DialogId(2), &ends);
    assert_eq!(
        m.dialogs_of_stream(ends[0], ends[1], 7).as_slice(),
        [DialogId(1)],
        "the ended call's stream is not shared with the next"
    );
    let mut next = pkt(1, 60_000, 0, 0);
    next.header.ssrc = 8;
    m.ingest(&next, Frames::new());
    assert_eq!(
        m.dialogs_of_stream(ends[0], ends[1], 8).as_slice(),
        [DialogId(2)]
    );
}

#[test]
fn fax_packets_make_a_fax_stream_apart_from_rtp() {
    use crate::rtp::udptl::UdptlPacket;
    let mut m = Media::new(None, usize::MAX);
    let fax = |seq: Option<u16>, ms: i64| UdptlPacket {
        ts_ns: ms * 1_000_000,
        src: "192.0.2.1:40000".parse().unwrap(),
        dst: "192.0.2.2:40002".parse().unwrap(),
        seq,
        len: 40,
    };
    // Before the SDP that explains it: a stream waiting for its dialog.
    m.ingest_fax(&fax(Some(10), 0), Frames::new());
    assert!(m.streams()[0].dialog.is_none());
    m.expect(DialogId(2), &sdp(40002));
    for (seq, ms) in [(Some(11), 20), (Some(13), 60), (Some(12), 80), (None, 90)] {
        m.ingest_fax(&fax(seq, ms), Frames::new());
    }
    let s = &m.streams()[0];
    assert!(s.is_fax());
    assert_eq!(s.dialog, Some(DialogId(2)));
    assert_eq!(
        (s.stats.packets, s.stats.expected(), s.malformed),
        (4, 4, 1)
    );
    assert_eq!(s.stats.lost(), 0, "13 before 12: reordered, not lost");
    assert_eq!(s.stats.seq_errors, 2, "the jump to 13 and the late 12");
    assert_eq!(s.stats.bytes, 160);
    assert_eq!(m.fax_packets, 5);
    assert_eq!(m.packets, 0, "no RTP counted");
    assert_eq!(
        m.dialogs_of_fax(s.src.socket(), s.dst.socket()).as_slice(),
        &[DialogId(2)]
    );
    // An RTP stream between the same addresses stays apart.
    let mut p = pkt(1, 100, 0, 0);
    p.src = "192.0.2.1:40000".parse().unwrap();
    p.dst = "192.0.2.2:40002".parse().unwrap();
    m.ingest(&p, Frames::new());
    assert_eq!(m.streams().len(), 2);
    assert!(!m.streams()[1].is_fax());
}

/// Announcements held back until the first media packet (`deferred.rs`)
/// leave the table as applying each at once does: through more addresses
/// than the table keeps (the oldest forgotten), more than are held back at
/// once, shared and re-announced addresses, IPv6, dialogs closed meanwhile;
/// every stream then goes to the same dialogs.
#[test]
fn held_back_announcements_tie_streams_as_applied_ones() {
    let mut eager = Media {
        packets_came: true,
        ..Media::default()
    };
    let mut held = Media::default();
    let addr = |n: u32| -> SocketAddr {
        if n.is_multiple_of(97) {
            SocketAddr::new(std::net::Ipv6Addr::from(u128::from(n) + 1).into(), 4000)
        } else {
            SocketAddr::new(
                std::net::Ipv4Addr::from((10 << 24) | (n % 150_000)).into(),
                4000 + (n % 7) as u16,
            )
        }
    };
    let n = u32::try_from(deferred::MAX_DEFERRED).unwrap() + 70_000;
    for i in 0..n {
        let d = DialogId(u64::from(i / 2));
        // Offers and answers; every fifth names an address seen before.
        let a = [addr(i), addr(i / 5)];
        for m in [&mut eager, &mut held] {
            let _ = m.expect(d, &a);
            if i % 1000 == 999 {
                m.close(d);
            }
        }
    }
    assert!(eager.deferred.len() == 0 && held.deferred.len() > 0);
    held.media_comes();
    let (ring, oldest, ports) = held.announced.contents();
    assert_eq!(ring.len(), 100_000);
    assert!(
        (ring, oldest, ports) == eager.announced.contents(),
        "the tables differ"
    );
    for i in (0..n).step_by(997).chain(n - 50..n) {
        let mut p = pkt(1, 0, 0, 0);
        (p.src, p.dst) = (addr(i), addr(i / 5));
        p.header.ssrc = i;
        let (a, b) = (
            eager.ingest(&p, Frames::new()),
            held.ingest(&p, Frames::new()),
        );
        assert_eq!(a, b);
        assert_eq!(
            eager.dialogs_of_stream(p.src, p.dst, i),
            held.dialogs_of_stream(p.src, p.dst, i),
            "stream {i}"
        );
    }
    assert_eq!(held.deferred.len(), 0);
    assert_eq!(eager.streams().len(), held.streams().len());
    assert!(eager.streams().iter().any(|s| s.dialog.is_some()));
}
