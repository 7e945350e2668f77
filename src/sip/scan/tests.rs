#![allow(clippy::indexing_slicing)]

use super::*;

fn one(buf: &[u8]) -> (Head, usize) {
    match scan(buf, Framing::Datagram) {
        Scan::Message { head, len } => (head, len),
        other => panic!("expected a message, got {other:?}"),
    }
}

const INVITE: &[u8] = b"INVITE sip:bob@[2001:db8::1]:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK776asdhds ;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKold\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: \"Alice; A\" <sip:alice@atlanta.com;tag=uri>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

#[test]
fn reads_every_field_of_an_rfc3261_invite() {
    let (h, len) = one(INVITE);
    assert_eq!(len, INVITE.len());
    assert!(!h.malformed(), "{:?}", h.defects.names());
    let Some(StartLine::Request { method, uri }) = h.start_line else {
        panic!("not a request");
    };
    assert_eq!(method.get(INVITE), b"INVITE");
    assert_eq!(uri.get(INVITE), b"sip:bob@[2001:db8::1]:5060");
    assert_eq!(h.call_id.get(INVITE), b"a84b4c76e66710@pc33.atlanta.com");
    assert_eq!(h.cseq_num, Some(314_159));
    assert_eq!(h.cseq_method.get(INVITE), b"INVITE");
    assert_eq!(tag(INVITE, h.from).get(INVITE), b"1928301774");
    assert!(tag(INVITE, h.to).is_empty());
    assert_eq!(h.via_branch.get(INVITE), b"z9hG4bK776asdhds");
    assert_eq!(h.content_length, Some(4));
    assert_eq!(h.body.get(INVITE), b"v=0\n");
}

#[test]
fn reads_compact_forms_folding_and_lf_only_lines() {
    let msg = b"SIP/2.0 180 Ringing\n\
v : SIP/2.0/UDP h;branch=z9hG4bKx\n\
f: <sip:a@h>;tag=aa\n\
t:<sip:b@h>\n ;tag=bb\n\
i:\t abc@h \n\
CSeq:\n 7 INVITE\n\
l: 0\n\n";
    let (h, _) = one(msg);
    assert_eq!(
        h.start_line.map(|s| match s {
            StartLine::Response { code, .. } => code,
            StartLine::Request { .. } => 0,
        }),
        Some(180)
    );
    assert_eq!(h.call_id.get(msg), b"abc@h");
    assert_eq!(tag(msg, h.to).get(msg), b"bb");
    assert_eq!(tag(msg, h.from).get(msg), b"aa");
    assert_eq!(h.cseq_num, Some(7));
    assert_eq!(h.via_branch.get(msg), b"z9hG4bKx");
    assert!(!h.malformed(), "{:?}", h.defects.names());
}

#[test]
fn a_header_is_read_whole_when_the_folded_line_after_it_is_cut() {
    // The Call-ID's folded line never ends (the datagram is cut there): the
    // header is read up to the line end it had, and the cut line alone.
    let msg = b"INVITE sip:a@h SIP/2.0\r\n\tlead: x\r\nVia: SIP/2.0/UDP h;branch=z9\r\n\t;x=1\r\nCall-ID: abc\r\n def";
    let (h, len) = one(msg);
    assert_eq!(len, msg.len());
    assert_eq!(h.via_branch.get(msg), b"z9");
    assert_eq!(h.call_id.get(msg), b"abc");
    assert!(h.defects.contains(Defects::TRUNCATED_HEADERS));
    assert!(h.defects.contains(Defects::BAD_HEADER_LINE));
    // Folded onto the last header before the blank line, and a line
    // starting with a tab right after the start line (a header of its own).
    let msg = b"INVITE sip:a@h SIP/2.0\r\n\tCall-ID: first\r\nCall-ID: second\r\n more\r\n\r\n";
    let (h, _) = one(msg);
    assert_eq!(h.call_id.get(msg), b"first");
    let msg = b"INVITE sip:a@h SIP/2.0\r\nCall-ID: abc\r\n more\r\n\r\n";
    let (h, _) = one(msg);
    assert_eq!(h.call_id.get(msg), b"abc\r\n more");
}

#[test]
fn unknown_methods_and_non_utf8_bytes_are_kept() {
    let msg = b"FOOBAR sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=b\r\nFrom: <sip:\xff@h>;tag=1\r\nTo: <sip:y@h>\r\nCall-ID: \xfe\xff\r\nCSeq: 1 FOOBAR\r\n\r\n";
    let (h, _) = one(msg);
    assert_eq!(h.call_id.get(msg), b"\xfe\xff");
    assert!(!h.malformed());
}

#[test]
fn a_truncated_datagram_keeps_what_it_has_and_is_flagged() {
    let cut = INVITE.get(..INVITE.len() - 40).unwrap();
    let (h, len) = one(cut);
    assert_eq!(len, cut.len());
    assert_eq!(h.call_id.get(cut), b"a84b4c76e66710@pc33.atlanta.com");
    assert!(h.defects.contains(Defects::TRUNCATED_HEADERS));
    // Every prefix must scan without panicking.
    for n in 0..INVITE.len() {
        let _ = scan(INVITE.get(..n).unwrap(), Framing::Datagram);
        let _ = scan(INVITE.get(..n).unwrap(), Framing::Stream);
    }
}

#[test]
fn parameters_in_odd_spellings_are_found() {
    let msg = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h ; BRANCH = z9hG4bKup ;rport\r\n\
From: \"a;tag=no\" <sip:a@h;tag=uri>;Tag=yes\r\nTo: <sip:b@h>;tag=t2\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n";
    let (h, _) = one(msg);
    assert_eq!(h.via_branch.get(msg), b"z9hG4bKup");
    assert_eq!(tag(msg, h.from).get(msg), b"yes");
    assert_eq!(tag(msg, h.to).get(msg), b"t2");
}

#[test]
fn a_stream_waits_for_the_whole_body() {
    let cut = INVITE.get(..INVITE.len() - 2).unwrap();
    assert_eq!(scan(cut, Framing::Stream), Scan::Incomplete);
}

#[test]
fn pipelined_messages_split_by_content_length() {
    let mut buf = INVITE.to_vec();
    buf.extend_from_slice(b"\r\n\r\n");
    buf.extend_from_slice(INVITE);
    let all = scan_all(&buf, Framing::Stream);
    assert_eq!(all.len(), 2);
    assert_eq!(all.get(1).map(|m| m.0), Some(INVITE.len() + 4));
}

#[test]
fn rtp_and_garbage_are_not_sip() {
    assert!(!looks_like_sip(&[0x80, 0x00, 0x01]));
    assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
    assert!(!looks_like_sip(b"SIP/2.0 abc\r\n"));
    assert!(looks_like_sip(b"OPTIONS sip:x SIP/2.0\r\n"));
    assert_eq!(scan(b"hello", Framing::Datagram), Scan::NotSip);
}

#[test]
fn missing_mandatory_headers_are_defects_not_errors() {
    let msg = b"BYE sip:x SIP/2.0\r\nContent-Length: zz\r\n\r\n";
    let (h, _) = one(msg);
    assert!(h.defects.contains(Defects::NO_CALL_ID));
    assert!(h.defects.contains(Defects::BAD_CONTENT_LENGTH));
    assert!(h.defects.contains(Defects::NO_VIA));
}

#[test]
fn a_stream_after_an_unreadable_content_length_resynchronises_on_the_next_start_line() {
    let next = b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: two\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    for cl in ["9223372036854775808", "garbage", "-1"] {
        let first = format!(
            "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: one\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: {cl}\r\n\r\nhello"
        );
        let mut buf = first.clone().into_bytes();
        buf.extend_from_slice(next);
        let Scan::Message { head, len } = scan(&buf, Framing::Stream) else {
            panic!("{cl}: no message");
        };
        assert!(head.defects.contains(Defects::BAD_CONTENT_LENGTH), "{cl}");
        assert!(head.malformed());
        assert_eq!(
            len,
            first.len(),
            "{cl}: the body is the bytes before the next start line"
        );
        let Scan::Message { head, .. } = scan(&buf[len..], Framing::Stream) else {
            panic!("{cl}: no second message");
        };
        let Some(StartLine::Request { method, .. }) = head.start_line else {
            panic!("{cl}: not a request");
        };
        assert_eq!(method.get(&buf[len..]), b"OPTIONS", "{cl}");
        assert!(!head.malformed(), "{cl}");
    }
    assert_eq!(next_start_line(b"xSIP/2.0 200 OK\r\n", 0), Some(1));
    assert_eq!(next_start_line(b"no start line here\r\n", 0), None);
}

#[test]
fn the_second_via_is_read_on_its_own_line_or_after_a_comma() {
    let own_line = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bKproxy\r\n\
v: SIP/2.0/UDP a;branch=z9hG4bKcaller\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKthird\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n";
    let (h, _) = one(own_line);
    assert_eq!(h.via_branch.get(own_line), b"z9hG4bKproxy");
    assert_eq!(h.via_branch2.get(own_line), b"z9hG4bKcaller");
    let comma = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP p;branch=z9hG4bKproxy, SIP/2.0/UDP a;branch=z9hG4bKcaller\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n";
    let (h, _) = one(comma);
    assert_eq!(h.via_branch.get(comma), b"z9hG4bKproxy");
    assert_eq!(h.via_branch2.get(comma), b"z9hG4bKcaller");
    let single = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKonly\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n";
    let (h, _) = one(single);
    assert!(h.via_branch2.get(single).is_empty() && !h.second_via);
}

/// A TCP segment boundary inside the start line (sipp and phones split
/// messages anywhere): on a stream that is incomplete, not garbage, so the
/// framer does not drop the first byte and read "CK sip:..." later.
#[test]
fn a_start_line_cut_on_a_stream_waits_for_its_end() {
    let cut = b"ACK sip:+19195550112@192.0.2.10:50";
    assert_eq!(scan(cut, Framing::Stream), Scan::Incomplete);
    assert_eq!(scan(cut, Framing::Datagram), Scan::NotSip);
    // A line longer than any start line is not waited for.
    let long = [b'a'; 9000];
    assert_eq!(scan(&long, Framing::Stream), Scan::NotSip);
}
