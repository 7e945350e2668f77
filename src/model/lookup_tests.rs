//! Finding a message's dialog by its Call-ID ([`super::call_index`]):
//! through evictions, and for Call-IDs that are not UTF-8.

use super::{Limits, Model};
use std::hash::BuildHasher;

use crate::sip::SipMessage;

fn message(call_id: &[u8], first_line: &str, cseq: &str) -> SipMessage {
    let mut raw = format!("{first_line}\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK{cseq}\r\nCall-ID: ")
        .into_bytes();
    raw.extend_from_slice(call_id);
    raw.extend_from_slice(
        format!("\r\nCSeq: {cseq}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nContent-Length: 0\r\n\r\n")
            .as_bytes(),
    );
    SipMessage::parse_one(&raw).unwrap()
}

fn invite(call_id: &[u8]) -> SipMessage {
    message(call_id, "INVITE sip:b@x SIP/2.0", "1 INVITE")
}

fn ok(call_id: &[u8]) -> SipMessage {
    message(call_id, "SIP/2.0 200 OK", "1 INVITE")
}

/// A Call-ID that is not UTF-8 is shown lossily, and its messages still
/// find their one dialog by its bytes.
#[test]
fn a_call_id_that_is_not_utf8_keeps_one_dialog() {
    let mut model = Model::new(Limits::default());
    for m in [
        invite(b"a\xffb"),
        invite(b"a\xfeb"),
        ok(b"a\xffb"),
        ok(b"plain"),
        ok(b"a\xfeb"),
    ] {
        model.ingest(&mut m.clone());
    }
    assert_eq!(model.len(), 3);
    let sizes: Vec<usize> = model.dialogs().map(|d| d.messages.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert!(model.find("plain").is_some());
}

/// With room for 100 dialogs, 1,000 calls come and go: each message
/// finds its dialog while it is kept, an evicted Call-ID starts a new one,
/// and the index forgets every evicted dialog.
#[test]
fn evicted_dialogs_leave_the_index() {
    let mut model = Model::new(Limits {
        max_calls: 100,
        ..Limits::default()
    });
    let id = |n: usize| format!("call-{n}@example.org");
    for n in 0..1_000 {
        model.ingest(&mut invite(id(n).as_bytes()));
        // The answer of the call ten back: still kept.
        if n >= 10 {
            model.ingest(&mut ok(id(n - 10).as_bytes()));
        }
    }
    assert_eq!(model.len(), 100);
    for n in 0..1_000 {
        let found = model.find(&id(n));
        if n >= 900 {
            let d = found.unwrap();
            assert_eq!(d.call_id(), id(n));
            assert_eq!(d.messages.len(), if n < 990 { 2 } else { 1 });
        } else {
            assert!(found.is_none(), "{n}");
        }
    }
    assert_eq!(model.by_call_id.len(), 100);
    // An evicted Call-ID comes back: a dialog of its own, found.
    model.ingest(&mut ok(id(5).as_bytes()));
    assert_eq!(model.find(&id(5)).unwrap().messages.len(), 1);
    assert_eq!(model.by_call_id.len(), 100);
}

/// Room for 100 dialogs; one call is answered and never ends (its BYE was
/// not seen), then 10,000 calls are refused. The finished ones go first,
/// but the table keeps a slot for each dialog behind the oldest: past
/// `MAX_TABLE_HOLES` the held call goes too, so the slots stay bounded
/// (they grew by one per call, and each eviction walked them all).
#[test]
fn a_call_that_never_ends_does_not_hold_the_table_open() {
    let mut model = Model::new(Limits {
        max_calls: 100,
        ..Limits::default()
    });
    model.ingest(&mut invite(b"held"));
    model.ingest(&mut ok(b"held"));
    let id = |n: usize| format!("busy-{n}@example.org");
    for n in 0..10_000 {
        model.ingest(&mut invite(id(n).as_bytes()));
        model.ingest(&mut message(
            id(n).as_bytes(),
            "SIP/2.0 486 Busy Here",
            "1 INVITE",
        ));
        assert!(
            model.dialogs.holes() <= super::MAX_TABLE_HOLES,
            "{} holes after {n} calls",
            model.dialogs.holes()
        );
    }
    assert_eq!(model.len(), 100);
    assert!(model.find("held").is_none(), "the held call was evicted");
    assert!(model.find(&id(9_999)).is_some());
    assert!(model.find(&id(9_899)).is_none());
}

/// `warm` gives each message of a group its Call-ID's hash (more than a
/// group are not read ahead), and a model fed through it, evicting as it
/// goes, holds what one fed message by message holds.
#[test]
fn warm_reads_ahead_and_changes_nothing() {
    let limits = Limits {
        max_calls: 50,
        ..Limits::default()
    };
    let mut warmed = Model::new(limits);
    let mut plain = Model::new(limits);
    let id = |n: usize| format!("call-{n}@example.org");
    let mut msgs: Vec<SipMessage> = (0..300)
        .flat_map(|n| [invite(id(n).as_bytes()), ok(id(n / 2).as_bytes())])
        .collect();
    let mut hashes = Vec::new();
    for group in msgs.chunks_mut(super::WARM_GROUP + 3) {
        let _ = warmed.warm(group, &mut hashes);
        assert_eq!(hashes.len(), group.len().min(super::WARM_GROUP));
        for (i, m) in group.iter_mut().enumerate() {
            let hash = hashes.get(i).copied();
            if let Some(h) = hash {
                assert_eq!(h, warmed.seed.hash_one(m.call_id()));
            }
            plain.ingest(&mut m.clone());
            warmed.ingest_hashed(m, hash);
        }
    }
    let summary = |m: &Model| -> Vec<(String, usize)> {
        m.dialogs()
            .map(|d| (d.call_id().to_owned(), d.messages.len()))
            .collect()
    };
    assert_eq!(summary(&warmed), summary(&plain));
    assert_eq!(warmed.len(), 50);
}
