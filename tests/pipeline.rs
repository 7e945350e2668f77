//! The pipeline on traffic no shared capture holds: SIP over WebSocket, TCP
//! segments out of order and retransmitted, IPv6 fragments, frames seen twice
//! (as `-i any` gives), and a flood of garbage. Packets are built with
//! etherparse's `PacketBuilder`, independently of our decoder.
#![allow(clippy::unwrap_used)]

use etherparse::PacketBuilder;
use sipscope::decode::{Frame, Transport, link::linktype};
use sipscope::model::{Limits, Model};
use sipscope::pipeline::Pipeline;
use sipscope::sip::SipMessage;

const A: [u8; 4] = [192, 0, 2, 1];
const B: [u8; 4] = [192, 0, 2, 2];

fn sip(method: &str, call_id: &str, cseq: u32) -> Vec<u8> {
    let body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    format!(
        "{method} sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK{cseq}\r\n\
         From: <sip:alice@192.0.2.1>;tag=a1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn tcp_frame(seq: u32, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .tcp(40000, 5060, seq, 65535);
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn run(frames: &[Vec<u8>], link: u16) -> (Vec<SipMessage>, Pipeline) {
    let mut p = Pipeline::new();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let frame = Frame {
            ts_ns: 1_000_000_000 + i64::try_from(i).unwrap() * 1_000_000_000,
            linktype: link,
            source: 0,
            orig_len: u32::try_from(f.len()).unwrap(),
            file_offset: None,
            data: f,
        };
        p.push(&frame, &mut out);
    }
    (out, p)
}

#[test]
fn tcp_segments_out_of_order_and_retransmitted_give_each_message_once() {
    let mut stream = sip("INVITE", "tcp-1", 1);
    stream.extend_from_slice(b"\r\n\r\n"); // a keep-alive between messages
    stream.extend_from_slice(&sip("BYE", "tcp-1", 2));
    let cuts = [0, 100, 250, 400, stream.len()];
    let segs: Vec<Vec<u8>> = cuts
        .windows(2)
        .map(|w| tcp_frame(1000 + u32::try_from(w[0]).unwrap(), &stream[w[0]..w[1]]))
        .collect();
    // Order on the wire: 0, 2, 1, 1 again (retransmission), 3.
    let frames = vec![
        segs[0].clone(),
        segs[2].clone(),
        segs[1].clone(),
        segs[1].clone(),
        segs[3].clone(),
    ];
    let (msgs, p) = run(&frames, linktype::ETHERNET);
    let methods: Vec<&[u8]> = msgs.iter().map(|m| m.method().unwrap()).collect();
    assert_eq!(methods, [&b"INVITE"[..], b"BYE"]);
    assert!(
        msgs.iter()
            .all(|m| !m.head.malformed() && m.transport == Transport::Tcp)
    );
    // The INVITE spans the first three segments: all of them are its frames.
    assert_eq!(msgs[0].frames.len(), 3);
    let s = p.stats();
    // The repeat of segment 1 is either a duplicate frame or a TCP retransmission.
    assert_eq!(s.duplicates + s.tcp_retransmissions, 1);
}

#[test]
fn sip_over_websocket_masked_frames() {
    let upgrade = b"GET /ws HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let text = sip("REGISTER", "ws-1", 1);
    let key = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut ws = vec![0x81, 0xFE];
    ws.extend_from_slice(&u16::try_from(text.len()).unwrap().to_be_bytes());
    ws.extend_from_slice(&key);
    ws.extend(text.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    let mut stream = upgrade.to_vec();
    stream.extend_from_slice(&ws);
    // Split the frame across two segments.
    let cut = upgrade.len() + 50;
    let frames = vec![
        tcp_frame(1, &stream[..cut]),
        tcp_frame(1 + u32::try_from(cut).unwrap(), &stream[cut..]),
    ];
    let (msgs, _) = run(&frames, linktype::ETHERNET);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].transport, Transport::Ws);
    assert_eq!(msgs[0].call_id(), b"ws-1");
    assert_eq!(msgs[0].frames.len(), 2);
}

/// Exported alone, a WebSocket message is unreadable: Wireshark needs the
/// connection's HTTP upgrade to read its frames. Each message carries the
/// handshake's frames, both ways, besides its own.
#[test]
fn websocket_messages_carry_the_handshake_frames() {
    let upgrade = b"GET /ws HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let answer =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Protocol: sip\r\n\r\n";
    let mut frames = vec![tcp_frame(1, upgrade)];
    let b = PacketBuilder::ethernet2([2; 6], [1; 6])
        .ipv4(B, A, 64)
        .tcp(5060, 40000, 1, 65535);
    let mut back = Vec::new();
    b.write(&mut back, answer).unwrap();
    frames.push(back);
    let mut seq = 1 + u32::try_from(upgrade.len()).unwrap();
    for (i, id) in ["ws-a", "ws-b"].iter().enumerate() {
        let text = sip("REGISTER", id, u32::try_from(i).unwrap() + 1);
        let mut ws = vec![0x81, 0xFE];
        ws.extend_from_slice(&u16::try_from(text.len()).unwrap().to_be_bytes());
        ws.extend_from_slice(&[0, 0, 0, 0]);
        ws.extend_from_slice(&text);
        frames.push(tcp_frame(seq, &ws));
        seq += u32::try_from(ws.len()).unwrap();
    }
    let (msgs, _) = run(&frames, linktype::ETHERNET);
    assert_eq!(msgs.len(), 2);
    for m in &msgs {
        assert_eq!(m.transport, Transport::Ws);
        // Its own segment, the GET and the 101.
        assert_eq!(m.frames.len(), 3, "{:?}", m.frames);
    }
}

/// A 65 KB INVITE over TCP in five segments is one well-formed message
/// (not "too large") and brings all five segments for export.
#[test]
fn a_65_kb_invite_over_tcp_is_whole_and_brings_every_segment() {
    let body = "a=x-filler:".to_owned() + &"0123456789".repeat(6700) + "\r\n";
    let invite = format!(
        "INVITE sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:40000;branch=z9hG4bKbig\r\n\
From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\nCall-ID: big-invite\r\nCSeq: 1 INVITE\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let bytes = invite.as_bytes();
    assert!(bytes.len() > 65 * 1024);
    let seg = bytes.len().div_ceil(5);
    let frames: Vec<Vec<u8>> = bytes
        .chunks(seg)
        .enumerate()
        .map(|(i, c)| tcp_frame(1 + u32::try_from(i * seg).unwrap(), c))
        .collect();
    assert_eq!(frames.len(), 5);
    let (msgs, _) = run(&frames, linktype::ETHERNET);
    assert_eq!(msgs.len(), 1);
    assert!(!msgs[0].head.malformed(), "{:?}", msgs[0].head.defects);
    assert_eq!(msgs[0].raw.len(), bytes.len());
    assert_eq!(msgs[0].frames.len(), 5);
}

#[test]
fn ipv6_fragments_in_reverse_order_are_reassembled() {
    let msg = sip("OPTIONS", "v6-frag", 1);
    // The UDP datagram, then cut into IPv6 fragments by hand.
    let src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let dst = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mut udp = Vec::new();
    PacketBuilder::ipv6(src, dst, 64)
        .udp(5060, 5060)
        .write(&mut udp, &msg)
        .unwrap();
    let datagram = &udp[40..]; // UDP header + payload
    let mut frames = Vec::new();
    for (i, chunk) in datagram.chunks(128).enumerate() {
        let offset = u16::try_from(i * 128 / 8).unwrap();
        let more = (i + 1) * 128 < datagram.len();
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xDD]);
        let plen = u16::try_from(8 + chunk.len()).unwrap();
        f.extend_from_slice(&[0x60, 0, 0, 0]);
        f.extend_from_slice(&plen.to_be_bytes());
        f.extend_from_slice(&[44, 64]); // next header: fragment
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&[17, 0]);
        f.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
        f.extend_from_slice(&0xabcd_u32.to_be_bytes());
        f.extend_from_slice(chunk);
        frames.push(f);
    }
    frames.reverse();
    let n = frames.len();
    assert!(n >= 3);
    let (msgs, p) = run(&frames, linktype::ETHERNET);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].call_id(), b"v6-frag");
    assert_eq!(msgs[0].src.to_string(), "[2001:db8::1]:5060");
    assert_eq!(msgs[0].frames.len(), n);
    assert_eq!(p.stats().reassembled_datagrams, 1);
}

#[test]
fn the_same_frame_twice_within_the_window_counts_once() {
    let mut udp = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .udp(5060, 5060)
        .write(&mut udp, &sip("OPTIONS", "dup", 1))
        .unwrap();
    let mut p = Pipeline::new();
    let mut out = Vec::new();
    for ts in [0, 30_000, 600_000_000] {
        p.push(
            &Frame {
                ts_ns: ts,
                linktype: linktype::ETHERNET,
                source: 0,
                orig_len: 0,
                file_offset: None,
                data: &udp,
            },
            &mut out,
        );
    }
    // The copy 30 µs later is a duplicate; the one 600 ms later a retransmission.
    assert_eq!(out.len(), 2);
    assert_eq!(p.stats().duplicates, 1);
    let mut model = Model::new(Limits::default());
    for m in &mut out {
        model.ingest(m);
    }
    let d = model.find("dup").unwrap();
    assert_eq!(d.messages.len(), 2);
    assert!(!d.messages[0].retransmission() && d.messages[1].retransmission());
}

#[test]
fn a_flood_of_garbage_and_half_messages_stays_bounded() {
    let mut p = Pipeline::new();
    let mut out = Vec::new();
    let mut seed = 0x1234_5678_u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let invite = sip("INVITE", "x", 1);
    for i in 0..20_000u32 {
        // TCP segments from 5000 different ports, each a cut-off INVITE start
        // that never completes, with random sequence numbers.
        let cut = usize::try_from(rnd() % 200).unwrap() + 20;
        let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4(A, B, 64).tcp(
            u16::try_from(1000 + i % 5000).unwrap(),
            5060,
            u32::try_from(rnd() >> 32).unwrap(),
            1000,
        );
        let mut f = Vec::new();
        b.write(&mut f, &invite[..cut]).unwrap();
        // And a random-bytes frame on every link type.
        let junk: Vec<u8> = (0..rnd() % 300)
            .map(|_| u8::try_from(rnd() & 0xff).unwrap())
            .collect();
        for (data, link) in [
            (&f, linktype::ETHERNET),
            (&junk, linktype::LINUX_SLL),
            (&junk, linktype::RAW),
        ] {
            p.push(
                &Frame {
                    ts_ns: i64::from(i) * 1_000_000,
                    linktype: link,
                    source: 0,
                    orig_len: 0,
                    file_offset: None,
                    data,
                },
                &mut out,
            );
        }
    }
    // No message completed, nothing panicked, and the counters saw it all.
    assert!(
        out.iter()
            .all(|m| m.call_id() != b"x" || m.head.malformed())
    );
    assert_eq!(p.stats().packets, 60_000);
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Inputs that crashed the decoder under fuzzing (see fuzz/): each must read
/// to its end without a panic.
#[test]
fn fuzz_crashes_stay_fixed() {
    let cases = [
        // IPv6 with two hop-by-hop headers (etherparse's extension iterator
        // read past the packet).
        "d4c3b2a1020004000000000000000000ffff00006500000000000000000000003000000030000000600000000008004000000000000000000000000000000000000000000000000000000000000000000000010400000000",
        // IPv6 destination options cut short by a snap length of 52.
        "d4c3b2a1020004000000000000000000340000006500000000000000000000003400000038000000600000000010004000000000000000000000000000000000000000000000000000000000000000003c0001040000000011000104",
        // IPv4 fragments where a stored piece starts past the datagram's end
        // (defrag subtracted with overflow).
        "d4c3b2a1020004000000000000000000ffff00006500000001000000000000003c0000003c0000004500003c12342000401100000a0000010a0000024141414141414141414141414141414141414141414141414141414141414141414141414141414101000000010000001c0000001c0000004500001c12342003401100000a0000010a000002424242424242424201000000020000001c0000001c0000004500001c12340001401100000a0000010a0000024343434343434343",
    ];
    for (i, hex) in cases.iter().enumerate() {
        let path =
            std::env::temp_dir().join(format!("sipscope-fuzz-{i}-{}.pcap", std::process::id()));
        std::fs::write(&path, unhex(hex)).unwrap();
        let model = sipscope::replay(&path).unwrap();
        assert!(model.stats().packets >= 1, "case {i}");
        let _ = std::fs::remove_file(&path);
    }
}

/// Live (a frame kept in memory, no reader's chunk), a UDP datagram's message
/// is a range of the frame copy it keeps for export, not a second copy; its
/// bytes are the payload the packet was built with, and the frame's bytes
/// the frame's.
#[test]
fn a_live_datagram_message_shares_its_kept_frame() {
    let payload = sip("INVITE", "live-share", 1);
    let mut frame = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .udp(5060, 5060)
        .write(&mut frame, &payload)
        .unwrap();
    let (out, _) = run(std::slice::from_ref(&frame), linktype::ETHERNET);
    assert_eq!(out.len(), 1);
    let m = &out[0];
    assert_eq!(&*m.raw, &payload[..]);
    let [kept] = m.frames.as_slice() else {
        panic!("one frame expected, got {}", m.frames.len());
    };
    let sipscope::decode::FrameLoc::Mem(bytes) = &kept.loc else {
        panic!("a live frame is kept in memory");
    };
    assert_eq!(&bytes[..], &frame[..]);
    // The message's bytes lie in the kept frame, after the 42 bytes of
    // Ethernet, IPv4 and UDP headers.
    assert_eq!(m.raw.as_ptr(), bytes[42..].as_ptr());
}
