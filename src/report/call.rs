//! One call as the reports write it: an element of the JSON report's
//! `calls[]`, and a line of the NDJSON report (docs/report.md). Serde views
//! that borrow from the model: a call is serialised straight from its
//! dialog, with nothing copied to be written but its SDP, parsed once.

use std::io;
use std::net::SocketAddr;

use serde::Serialize;
use serde::ser::Serializer;

use super::writer::{Word, Writer};
use crate::model::findings::{Context, Finding, Severity};
use crate::model::media::{RtcpView, RtpStream};
use crate::model::sdp_diff::SdpChange;
use crate::model::{Addr, Dialog, Message, Model};
use crate::sip::sdp::{Direction, Media, Sdp};

/// What writing one call concluded: its findings' rules and severities,
/// for the report's counts and `--fail-on`.
pub type Concluded = Vec<(&'static str, Severity)>;

/// Writes the call object of `d`, at capture time `model.clock()`; with
/// `line_type`, a first field `"type"` says what the object is (NDJSON);
/// messages' bytes from `prefetched` where they are ([`Model::prefetch`]).
///
/// Written field by field (the schema of docs/report.md, in its order):
/// the keys and the call's and messages' plain values straight into the
/// buffer, the nested values (SDP, SDP changes, findings, streams) through
/// serde; byte for byte what `serde_json` writes of the same object.
///
/// # Errors
/// When writing fails.
pub fn write(
    model: &Model,
    d: &Dialog,
    line_type: Option<&'static str>,
    prefetched: Option<&crate::model::Prefetched>,
    w: &mut Writer<'_>,
) -> io::Result<Concluded> {
    let diagnosis = model.diagnose_prefetched(d, prefetched);
    let clock = model.clock();
    w.begin_object();
    if let Some(t) = line_type {
        w.field(true, crate::key!("type"));
        w.str(t);
    }
    w.field(line_type.is_none(), crate::key!("call_id"));
    w.str(d.call_id());
    w.field(false, crate::key!("kind"));
    w.word(d.kind.as_str());
    w.field(false, crate::key!("state"));
    let state = d.state_at(clock);
    match state_word(state) {
        Some(word) => w.quoted(word),
        None => w.str(&state.name()),
    }
    w.field(false, crate::key!("from"));
    w.str(d.from());
    w.field(false, crate::key!("to"));
    w.str(d.to());
    w.field(false, crate::key!("user_agent"));
    match d.user_agent.as_deref() {
        Some(ua) => w.str(ua),
        None => w.null(),
    }
    // Times written again later (the first and last message's, an SDP
    // change's) are copied from where they were written first.
    let mut times = Times::default();
    w.field(false, crate::key!("first_ts"));
    times.first = Some(time(w, secs(d.first_ts()), &[]));
    w.field(false, crate::key!("last_ts"));
    times.last = Some(time(w, secs(d.last_ts()), &[]));
    for (key, v) in [
        (crate::key!("pdd_ms"), d.pdd_ns()),
        (crate::key!("answer_ms"), d.answer_ns()),
        (crate::key!("talk_ms"), d.talk_ns()),
    ] {
        w.field(false, key);
        match v {
            Some(ns) => w.f64(ms(ns)),
            None => w.null(),
        }
    }
    w.field(false, crate::key!("total_ms"));
    w.f64(ms(d.duration_at(clock)));
    w.field(false, crate::key!("related"));
    strings(w, &mut model.related(d).iter().map(String::as_str));
    w.field(false, crate::key!("dropped_messages"));
    w.u64(d.dropped_messages);
    w.field(false, crate::key!("messages"));
    messages(w, model, &diagnosis.context, &d.messages, &mut times).map_err(io::Error::from)?;
    w.field(false, crate::key!("rtp_streams"));
    // Most calls have none: `[]` without serde.
    if diagnosis.context.streams.is_empty() {
        w.raw(b"[]");
    } else {
        w.value(&Streams(&diagnosis.context.streams))
            .map_err(io::Error::from)?;
    }
    w.field(false, crate::key!("fax_streams"));
    let fax: Vec<_> = model
        .fax_of(d)
        .map(crate::model::media::FaxReport::of)
        .collect();
    if fax.is_empty() {
        w.raw(b"[]");
    } else {
        w.value(&fax).map_err(io::Error::from)?;
    }
    w.field(false, crate::key!("sdp_changes"));
    write_sdp_changes_with(w, &diagnosis.context.sdp_changes, &times);
    w.field(false, crate::key!("findings"));
    write_findings(w, &diagnosis.findings);
    if model.has_agents() {
        let seen_at: Vec<String> = model
            .origins_of(d)
            .into_iter()
            .map(|o| model.origin_name(o))
            .collect();
        if !seen_at.is_empty() {
            w.field(false, crate::key!("seen_at"));
            w.value(&seen_at).map_err(io::Error::from)?;
        }
    }
    w.end_object(true);
    Ok(diagnosis
        .findings
        .iter()
        .map(|f| (f.rule, f.severity))
        .collect())
}

/// A dialog's messages (the call's `messages`), each written as it is read;
/// `cx` holds the diagnosis's reads: each message read and parsed once.
fn messages(
    w: &mut Writer<'_>,
    model: &Model,
    cx: &Context<'_>,
    list: &[Message],
    times: &mut Times,
) -> Result<(), super::writer::Error> {
    w.begin_array();
    for (i, m) in list.iter().enumerate() {
        w.element(i == 0);
        w.begin_object();
        w.field(true, crate::key!("ts"));
        let ts = time(w, secs(m.ts_ns), &[times.first, times.last]);
        if cx.sdp_changes.iter().any(|c| c.message == i) {
            times.keep(i, ts);
        }
        w.field(false, crate::key!("src"));
        addresses(w, m.src(), m.dst());
        // From `transport` to `malformed`: the same bytes for every message
        // with the same transport, standard method (or status code with its
        // standard phrase), CSeq and flags, at this depth.
        match (run_key(w.depth(), m), w.take_memo()) {
            (Some(key), Some(memo)) => {
                if let Some((bytes, len)) = memo.run(key) {
                    w.raw_cut(bytes, len);
                } else {
                    let start = w.mark();
                    middle(w, cx, i, m);
                    memo.keep_run(key, w.since(start, w.mark()));
                }
                w.put_memo(memo);
            }
            (_, memo) => {
                if let Some(memo) = memo {
                    w.put_memo(memo);
                }
                middle(w, cx, i, m);
            }
        }
        if !m.defects.is_empty() {
            let names = m.defects.names();
            if !names.is_empty() {
                w.field(false, crate::key!("defects"));
                w.value(&names)?;
            }
        }
        // Parsed once per message: the rules read the same parse.
        if m.has_sdp()
            && let Some(parsed) = cx.parsed(i)
            && let Some(sdp) = parsed.sdp.as_ref()
        {
            w.field(false, crate::key!("sdp"));
            write_sdp(w, sdp);
        }
        // The HEP agent that captured it (`id@address`); absent when
        // captured here.
        if let Some(o) = model.origin(m.origin()) {
            w.field(false, crate::key!("seen_at"));
            w.display(&o);
        }
        w.end_object(true);
    }
    w.end_array(!list.is_empty());
    Ok(())
}

/// The call's `findings`, field by field as their derived serialisation
/// writes them (docs/report.md); a rule's explanation and fix (text of the
/// catalogue, the same for every finding of the rule) from the writer's
/// memo.
fn write_findings(w: &mut Writer<'_>, findings: &[Finding]) {
    // Most calls have none: `[]` in one go.
    if findings.is_empty() {
        w.raw(b"[]");
        return;
    }
    w.begin_array();
    for (i, f) in findings.iter().enumerate() {
        w.element(i == 0);
        w.begin_object();
        w.field(true, crate::key!("rule"));
        w.str(f.rule);
        w.field(false, crate::key!("severity"));
        w.quoted(match f.severity {
            Severity::Info => crate::word!("info"),
            Severity::Warning => crate::word!("warning"),
            Severity::Error => crate::word!("error"),
        });
        w.field(false, crate::key!("summary"));
        w.str(&f.summary);
        w.field(false, crate::key!("explanation"));
        w.static_str(f.explanation);
        w.field(false, crate::key!("fix"));
        w.static_str(f.fix);
        for (key, list) in [
            (crate::key!("messages"), &f.messages),
            (crate::key!("streams"), &f.streams),
        ] {
            w.field(false, key);
            w.begin_array();
            for (k, n) in list.iter().enumerate() {
                w.element(k == 0);
                w.u64(*n as u64);
            }
            w.end_array(!list.is_empty());
        }
        w.end_object(true);
    }
    w.end_array(true);
}

/// A message's `src` value, `dst` key and value: from the writer's memo
/// when the pair was written before at this depth (a dialog's messages go
/// back and forth between two or three addresses).
fn addresses(w: &mut Writer<'_>, src: Addr, dst: Addr) {
    let depth = w.depth().map_or(0, |d| d + 1);
    let Some(memo) = w.take_memo() else {
        AddrText(src).write(w);
        w.field(false, crate::key!("dst"));
        AddrText(dst).write(w);
        return;
    };
    if let Some((bytes, len)) = memo.pair(src, dst, depth) {
        w.raw_cut(bytes, len);
        w.put_memo(memo);
    } else {
        w.put_memo(memo);
        let start = w.mark();
        AddrText(src).write(w);
        w.field(false, crate::key!("dst"));
        AddrText(dst).write(w);
        let end = w.mark();
        if let Some(memo) = w.take_memo() {
            memo.keep_pair(src, dst, depth, w.since(start, end));
            w.put_memo(memo);
        }
    }
}

/// A message's fields from `transport` to `malformed`: transport,
/// method, status, the reason phrase of a response, CSeq, and the two
/// flags.
fn middle(w: &mut Writer<'_>, cx: &Context<'_>, i: usize, m: &Message) {
    w.field(false, crate::key!("transport"));
    w.quoted(transport_word(m.transport));
    w.field(false, crate::key!("method"));
    match m.method() {
        // An unknown method's name is from the wire.
        Some(x @ crate::model::Method::Other(_)) => w.str(x.as_str()),
        Some(x) => match method_word(x) {
            Some(word) => w.quoted(word),
            None => w.str(x.as_str()),
        },
        None => w.null(),
    }
    w.field(false, crate::key!("status"));
    match m.status() {
        Some(c) => w.u64(u64::from(c)),
        None => w.null(),
    }
    // A response's reason phrase as sent (absent for a request).
    if let Some(reason) = cx.reason(i) {
        w.field(false, crate::key!("reason"));
        match reason {
            // The standard phrase of its code: our own words.
            std::borrow::Cow::Borrowed(standard) => w.word(standard),
            std::borrow::Cow::Owned(sent) => w.str(&sent),
        }
    }
    w.field(false, crate::key!("cseq"));
    match m.cseq {
        Some((n, meth)) => CseqText(n, meth).write(w),
        None => w.null(),
    }
    w.field(false, crate::key!("retransmission"));
    w.bool(m.retransmission());
    w.field(false, crate::key!("malformed"));
    w.bool(m.malformed());
}

/// What [`middle`] writes of `m` at `depth` depends on alone, as one
/// number: the depth (up to 14), the transport, the standard method or
/// the status code (of a response with its code's standard phrase), the
/// CSeq's number and standard method, and the two flags. `None` when it
/// writes text from the wire (an unknown method, a phrase of its own).
fn run_key(depth: Option<usize>, m: &Message) -> Option<u64> {
    use crate::decode::Transport;
    use crate::model::message::Kind;
    // 0 compact, else the depth + 1: four bits.
    let depth = match depth {
        None => 0,
        Some(d) if d < 15 => d as u64 + 1,
        Some(_) => return None,
    };
    let transport = match m.transport {
        Transport::Udp => 0,
        Transport::Tcp => 1,
        Transport::Ws => 2,
        Transport::Sctp => 3,
    };
    // Seventeen bits: a request's method, or a response's code.
    let kind = match m.kind {
        Kind::Request(x) => 1 << 16 | method_number(x)?,
        Kind::Response(_) if m.own_reason() => return None,
        Kind::Response(code) => u64::from(code),
    };
    // Thirty-seven bits: present, the method (four), the number.
    let cseq = match m.cseq {
        Some((n, x)) => 1 << 36 | method_number(x)? << 32 | u64::from(n),
        None => 0,
    };
    let flags = u64::from(m.retransmission()) << 1 | u64::from(m.malformed());
    Some(depth << 60 | transport << 58 | kind << 41 | cseq << 2 | flags)
}

/// A standard method as a number of its own ([`run_key`]).
fn method_number(m: crate::model::Method) -> Option<u64> {
    use crate::model::Method;
    Some(match m {
        Method::Invite => 0,
        Method::Ack => 1,
        Method::Bye => 2,
        Method::Cancel => 3,
        Method::Register => 4,
        Method::Options => 5,
        Method::Subscribe => 6,
        Method::Notify => 7,
        Method::Message => 8,
        Method::Publish => 9,
        Method::Info => 10,
        Method::Refer => 11,
        Method::Prack => 12,
        Method::Update => 13,
        Method::Other(_) => return None,
    })
}

/// The call's `sdp_changes`, field by field as their derived serialisation
/// writes them (docs/report.md).
#[cfg(test)]
fn write_sdp_changes(w: &mut Writer<'_>, changes: &[SdpChange]) {
    write_sdp_changes_with(w, changes, &Times::default());
}

/// [`write_sdp_changes`], each change's time copied from its message's
/// when that was written with the same value (`times`).
fn write_sdp_changes_with(w: &mut Writer<'_>, changes: &[SdpChange], times: &Times) {
    w.begin_array();
    for (i, c) in changes.iter().enumerate() {
        w.element(i == 0);
        w.begin_object();
        w.field(true, crate::key!("message"));
        w.u64(c.message as u64);
        w.field(false, crate::key!("ts"));
        time(w, c.ts, &[times.of_message(c.message)]);
        w.field(false, crate::key!("kind"));
        w.word(c.kind.as_str());
        if let Some(a) = c.against {
            w.field(false, crate::key!("against"));
            w.u64(a as u64);
        }
        // The rest (media and summary) as it was written for a change like
        // it, when the writer's memo kept that.
        match w.take_memo() {
            Some(memo) => {
                let depth = w.depth();
                if let Some(bytes) = memo.change_tail(depth, &c.media, &c.summary) {
                    w.raw(bytes);
                } else {
                    let start = w.mark();
                    write_change_tail(w, c);
                    memo.keep_change_tail(depth, &c.media, &c.summary, w.since(start, w.mark()));
                }
                w.put_memo(memo);
            }
            None => write_change_tail(w, c),
        }
        w.end_object(true);
    }
    w.end_array(!changes.is_empty());
}

/// A list of strings, as an array.
fn strings(w: &mut Writer<'_>, list: &mut dyn ExactSizeIterator<Item = &str>) {
    let any = list.len() > 0;
    w.begin_array();
    for (i, s) in list.enumerate() {
        w.element(i == 0);
        w.str(s);
    }
    w.end_array(any);
}

/// An SDP change's `media` and `summary` fields ([`write_sdp_changes`]).
fn write_change_tail(w: &mut Writer<'_>, c: &SdpChange) {
    w.field(false, crate::key!("media"));
    w.begin_array();
    for (k, m) in c.media.iter().enumerate() {
        w.element(k == 0);
        w.begin_object();
        w.field(true, crate::key!("media"));
        w.str(&m.media);
        for (key, list) in [
            (crate::key!("offered"), &m.offered),
            (crate::key!("accepted"), &m.accepted),
            (crate::key!("dropped"), &m.dropped),
        ] {
            if !list.is_empty() {
                w.field(false, key);
                strings(w, &mut list.iter().map(String::as_str));
            }
        }
        if let Some(codec) = m.codec.as_deref() {
            w.field(false, crate::key!("codec"));
            w.str(codec);
        }
        w.field(false, crate::key!("notes"));
        strings(w, &mut m.notes.iter().map(|n| n.text.as_str()));
        w.end_object(true);
    }
    w.end_array(!c.media.is_empty());
    w.field(false, crate::key!("summary"));
    strings(w, &mut c.summary.iter().map(String::as_str));
}

/// A message's SDP, field by field as its derived serialisation writes it
/// (docs/report.md): absent options left out, the lists as arrays.
fn write_sdp(w: &mut Writer<'_>, sdp: &Sdp) {
    w.begin_object();
    let mut first = true;
    if let Some(o) = sdp.origin.as_deref() {
        w.field(first, crate::key!("origin"));
        w.str(o);
        first = false;
    }
    if let Some(c) = sdp.connection.as_deref() {
        w.field(first, crate::key!("connection"));
        w.str(c);
        first = false;
    }
    w.field(first, crate::key!("media"));
    w.begin_array();
    for (i, m) in sdp.media.iter().enumerate() {
        w.element(i == 0);
        write_media(w, m);
    }
    w.end_array(!sdp.media.is_empty());
    w.end_object(true);
}

/// One `m=` section of an SDP ([`write_sdp`]): from the writer's memo
/// when a section like it was written before at this depth (only its port
/// and address differ), else written and kept there.
fn write_media(w: &mut Writer<'_>, m: &Media) {
    let Some(memo) = w.take_memo() else {
        write_media_fresh(w, m);
        return;
    };
    let depth = w.depth();
    if let Some(parts) = memo.media(depth, m) {
        w.raw(parts.before_port);
        w.u64(u64::from(m.port));
        w.raw(parts.before_connection);
        if let Some(c) = m.connection.as_deref() {
            w.str(c);
        }
        w.raw(parts.after);
    } else {
        let [start, port, after_port, connection, after_connection, end] = write_media_fresh(w, m);
        memo.keep_media(
            depth,
            m,
            &super::memo::MediaParts {
                before_port: w.since(start, port),
                before_connection: w.since(after_port, connection),
                after: w.since(after_connection, end),
            },
        );
    }
    w.put_memo(memo);
}

/// [`write_media`] written out; returns the marks around its two holes:
/// start, port, after the port, connection, after the connection, end
/// (the connection's marks are both the end when it has none).
fn write_media_fresh(w: &mut Writer<'_>, m: &Media) -> [usize; 6] {
    let start = w.mark();
    w.begin_object();
    w.field(true, crate::key!("media"));
    w.str(&m.media);
    w.field(false, crate::key!("port"));
    let port = w.mark();
    w.u64(u64::from(m.port));
    let after_port = w.mark();
    w.field(false, crate::key!("proto"));
    w.str(&m.proto);
    w.field(false, crate::key!("formats"));
    w.begin_array();
    for (i, f) in m.formats.iter().enumerate() {
        w.element(i == 0);
        w.str(f);
    }
    w.end_array(!m.formats.is_empty());
    let mut connection = None;
    if let Some(c) = m.connection.as_deref() {
        w.field(false, crate::key!("connection"));
        let at = w.mark();
        w.str(c);
        connection = Some((at, w.mark()));
    }
    w.field(false, crate::key!("direction"));
    w.raw(match m.direction {
        Direction::SendRecv => b"\"sendrecv\"",
        Direction::SendOnly => b"\"sendonly\"",
        Direction::RecvOnly => b"\"recvonly\"",
        Direction::Inactive => b"\"inactive\"",
    });
    if !m.rtpmap.is_empty() {
        w.field(false, crate::key!("rtpmap"));
        w.begin_array();
        for (i, r) in m.rtpmap.iter().enumerate() {
            w.element(i == 0);
            w.begin_object();
            w.field(true, crate::key!("payload_type"));
            w.u64(u64::from(r.payload_type));
            w.field(false, crate::key!("encoding"));
            w.str(&r.encoding);
            w.field(false, crate::key!("clock_rate"));
            w.u64(u64::from(r.clock_rate));
            if let Some(ch) = r.channels {
                w.field(false, crate::key!("channels"));
                w.u64(u64::from(ch));
            }
            w.end_object(true);
        }
        w.end_array(true);
    }
    if !m.fmtp.is_empty() {
        w.field(false, crate::key!("fmtp"));
        w.begin_array();
        for (i, (pt, params)) in m.fmtp.iter().enumerate() {
            w.element(i == 0);
            w.begin_array();
            w.element(true);
            w.u64(u64::from(*pt));
            w.element(false);
            w.str(params);
            w.end_array(true);
        }
        w.end_array(true);
    }
    if let Some(p) = m.ptime {
        w.field(false, crate::key!("ptime"));
        w.u64(u64::from(p));
    }
    if let Some(p) = m.rtcp_port {
        w.field(false, crate::key!("rtcp_port"));
        w.u64(u64::from(p));
    }
    w.field(false, crate::key!("rtcp_mux"));
    w.bool(m.rtcp_mux);
    w.field(false, crate::key!("crypto"));
    w.bool(m.crypto);
    w.field(false, crate::key!("fingerprint"));
    w.bool(m.fingerprint);
    w.end_object(true);
    let end = w.mark();
    let (connection, after_connection) = connection.unwrap_or((end, end));
    [start, port, after_port, connection, after_connection, end]
}

/// A time as written into the buffer: its value's bits and where its text
/// is.
#[derive(Debug, Clone, Copy)]
struct Written {
    bits: u64,
    start: usize,
    end: usize,
}

/// Times of one call already written: the call's first and last, and
/// those of the messages its SDP changes point at (a few; more are
/// written again).
#[derive(Debug, Default)]
struct Times {
    first: Option<Written>,
    last: Option<Written>,
    messages: [(usize, Option<Written>); 8],
    kept: usize,
}

impl Times {
    /// Keeps message `i`'s time, if there is room.
    fn keep(&mut self, i: usize, at: Written) {
        if let Some(slot) = self.messages.get_mut(self.kept) {
            *slot = (i, Some(at));
            self.kept += 1;
        }
    }

    /// Message `i`'s time, if kept.
    fn of_message(&self, i: usize) -> Option<Written> {
        self.messages
            .iter()
            .take(self.kept)
            .find(|(m, _)| *m == i)
            .and_then(|(_, at)| *at)
    }
}

/// Writes the time `v` (a number): copied from one of `known` written with
/// the same value (the same bits: the same text), else formatted.
fn time(w: &mut Writer<'_>, v: f64, known: &[Option<Written>]) -> Written {
    let bits = v.to_bits();
    let start = w.mark();
    let copied = known
        .iter()
        .flatten()
        .find(|k| k.bits == bits)
        .is_some_and(|k| w.repeat(k.start, k.end));
    if !copied {
        w.f64(v);
    }
    Written {
        bits,
        start,
        end: w.mark(),
    }
}

/// RTP streams (the report's `rtp_streams` and `unassociated_rtp_streams`).
pub struct Streams<'a>(pub &'a [&'a RtpStream]);

impl Serialize for Streams<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|s| stream(s)))
    }
}

/// One RTP stream (see docs/report.md).
#[derive(Serialize)]
struct Stream<'a> {
    src: AddrText,
    dst: AddrText,
    ssrc: String,
    payload_type: Option<u8>,
    payload_types: &'a [u8],
    codec: Option<String>,
    first_ts: f64,
    last_ts: f64,
    packets: u64,
    bytes: u64,
    expected: u64,
    lost: i64,
    lost_pct: f64,
    seq_errors: u64,
    mean_jitter_ms: f64,
    max_jitter_ms: f64,
    max_delta_ms: f64,
    mos: f64,
    dtmf: &'a str,
    /// Frames kept for export, and frames let go to stay within the budget.
    frames_kept: usize,
    frames_not_kept: u64,
    /// What the other side's RTCP reports said of this stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    rtcp: Option<RtcpView>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[allow(clippy::cast_precision_loss)]
fn stream(s: &RtpStream) -> Stream<'_> {
    let st = &s.stats;
    Stream {
        src: AddrText(s.src),
        dst: AddrText(s.dst),
        ssrc: format!("0x{:08X}", s.ssrc),
        payload_type: st.payload_types.first().copied(),
        payload_types: &st.payload_types,
        codec: s.codec(),
        first_ts: secs(st.first_ns),
        last_ts: secs(st.last_ns),
        packets: st.packets,
        bytes: st.bytes,
        expected: st.expected(),
        lost: st.lost(),
        lost_pct: round3(st.lost().max(0) as f64 * 100.0 / st.expected().max(1) as f64),
        seq_errors: st.seq_errors,
        mean_jitter_ms: round3(st.mean_jitter_ms()),
        max_jitter_ms: round3(st.max_jitter_ms),
        max_delta_ms: round3(ms(st.max_delta_ns)),
        mos: s.mos(),
        dtmf: &s.dtmf,
        frames_kept: s.frames.len(),
        frames_not_kept: s.frames_not_kept,
        rtcp: s.rtcp,
    }
}

#[allow(clippy::cast_precision_loss)]
fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

#[allow(clippy::cast_precision_loss)]
fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// A state's name as a JSON string (`DialogState::name`, quoted), for the
/// states without a code in it.
fn state_word(s: crate::model::DialogState) -> Option<&'static Word> {
    use crate::model::DialogState as S;
    Some(match s {
        S::Setup => crate::word!("setup"),
        S::Ringing => crate::word!("ringing"),
        S::EarlyMedia => crate::word!("early media"),
        S::InCall => crate::word!("in call"),
        S::Completed => crate::word!("completed"),
        S::Cancelled(None) => crate::word!("cancelled"),
        S::Busy => crate::word!("busy"),
        S::Failed => crate::word!("failed"),
        S::MidDialog => crate::word!("mid-dialog"),
        S::ResponseOnly => crate::word!("response only"),
        S::Unknown => crate::word!("unknown"),
        S::Registered => crate::word!("registered"),
        S::Unregistered => crate::word!("unregistered"),
        S::Challenged => crate::word!("challenged"),
        S::AuthFailed => crate::word!("auth failed"),
        S::Pending => crate::word!("pending"),
        S::Cancelled(Some(_)) | S::Rejected(_) | S::Diverted(_) => return None,
    })
}

/// A transport's name as a JSON string (`Transport::as_str`, quoted).
fn transport_word(t: crate::decode::Transport) -> &'static Word {
    use crate::decode::Transport;
    match t {
        Transport::Udp => crate::word!("udp"),
        Transport::Tcp => crate::word!("tcp"),
        Transport::Ws => crate::word!("ws"),
        Transport::Sctp => crate::word!("sctp"),
    }
}

/// A standard method's name as a JSON string (`Method::as_str`, quoted).
fn method_word(m: crate::model::Method) -> Option<&'static Word> {
    use crate::model::Method;
    Some(match m {
        Method::Invite => crate::word!("INVITE"),
        Method::Ack => crate::word!("ACK"),
        Method::Bye => crate::word!("BYE"),
        Method::Cancel => crate::word!("CANCEL"),
        Method::Register => crate::word!("REGISTER"),
        Method::Options => crate::word!("OPTIONS"),
        Method::Subscribe => crate::word!("SUBSCRIBE"),
        Method::Notify => crate::word!("NOTIFY"),
        Method::Message => crate::word!("MESSAGE"),
        Method::Publish => crate::word!("PUBLISH"),
        Method::Info => crate::word!("INFO"),
        Method::Refer => crate::word!("REFER"),
        Method::Prack => crate::word!("PRACK"),
        Method::Update => crate::word!("UPDATE"),
        Method::Other(_) => return None,
    })
}

/// The CSeq header as written: `"1 INVITE"`.
struct CseqText(u32, crate::model::Method);

impl Serialize for CseqText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.digits().text() {
            Some(t) => s.serialize_str(t),
            None => s.collect_str(&format_args!("{} {}", self.0, self.1)),
        }
    }
}

/// An address as [`Addr`]'s `Display` writes it (`ip:port`, IPv6 as
/// `[addr]:port`); IPv4, two per message, without the formatting machinery.
struct AddrText(Addr);

impl Serialize for AddrText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.socket() {
            SocketAddr::V4(a) => {
                let mut buf = Digits::default();
                for (i, o) in a.ip().octets().into_iter().enumerate() {
                    if i > 0 {
                        buf.push(b'.');
                    }
                    buf.number(u32::from(o));
                }
                buf.push(b':');
                buf.number(u32::from(a.port()));
                match buf.text() {
                    Some(t) => s.serialize_str(t),
                    None => s.collect_str(&self.0),
                }
            }
            SocketAddr::V6(_) => s.collect_str(&self.0),
        }
    }
}

impl AddrText {
    /// The address as a JSON string; IPv4 (two per message) digit by digit
    /// on the stack, nothing to escape; from the writer's memo when it was
    /// written lately (a dialog's messages go between a few addresses).
    fn write(&self, w: &mut Writer<'_>) {
        let Some(memo) = w.take_memo() else {
            self.write_fresh(w);
            return;
        };
        if let Some((json, len)) = memo.addr(self.0) {
            w.raw_cut(json, len);
        } else {
            let start = w.mark();
            self.write_fresh(w);
            memo.keep_addr(self.0, w.since(start, w.mark()));
        }
        w.put_memo(memo);
    }

    /// [`AddrText::write`] written out.
    fn write_fresh(&self, w: &mut Writer<'_>) {
        match self.0.socket() {
            SocketAddr::V4(a) => {
                // `"255.255.255.255:65535"` is 23 bytes.
                let mut buf = [0u8; 24];
                let mut len = 0;
                push(&mut buf, &mut len, b'"');
                for (i, o) in a.ip().octets().into_iter().enumerate() {
                    if i > 0 {
                        push(&mut buf, &mut len, b'.');
                    }
                    decimal(&mut buf, &mut len, u16::from(o));
                }
                push(&mut buf, &mut len, b':');
                decimal(&mut buf, &mut len, a.port());
                push(&mut buf, &mut len, b'"');
                w.raw(buf.get(..len).unwrap_or_default());
            }
            SocketAddr::V6(_) => w.display(&self.0),
        }
    }
}

/// Appends `b` to the first `len` bytes of `buf` (dropped past its end).
fn push(buf: &mut [u8], len: &mut usize, b: u8) {
    if let Some(slot) = buf.get_mut(*len) {
        *slot = b;
        *len += 1;
    }
}

/// Appends `v` in decimal (an octet, a port).
fn decimal(buf: &mut [u8], len: &mut usize, v: u16) {
    // x % 10 < 10: the cast keeps it.
    #[allow(clippy::cast_possible_truncation)]
    let digit = |x: u16| b'0' + (x % 10) as u8;
    if v >= 10_000 {
        push(buf, len, digit(v / 10_000));
    }
    if v >= 1_000 {
        push(buf, len, digit(v / 1_000));
    }
    if v >= 100 {
        push(buf, len, digit(v / 100));
    }
    if v >= 10 {
        push(buf, len, digit(v / 10));
    }
    push(buf, len, digit(v));
}

impl CseqText {
    /// The text on the stack (`None` from `text()` only if it did not fit).
    fn digits(&self) -> Digits {
        let mut buf = Digits::default();
        buf.number(self.0);
        buf.push(b' ');
        for b in self.1.as_str().bytes() {
            buf.push(b);
        }
        buf
    }

    /// `"1 INVITE"` as a JSON string: a standard method's without the
    /// escape check (digits, a space and our own word).
    fn write(&self, w: &mut Writer<'_>) {
        if !matches!(self.1, crate::model::Method::Other(_)) {
            let mut buf = Digits::default();
            buf.push(b'"');
            buf.number(self.0);
            buf.push(b' ');
            for b in self.1.as_str().bytes() {
                buf.push(b);
            }
            buf.push(b'"');
            if buf.len <= buf.buf.len() {
                w.raw_cut(&buf.buf, buf.len);
                return;
            }
        }
        match self.digits().text() {
            Some(t) => w.str(t),
            None => w.display(&format_args!("{} {}", self.0, self.1)),
        }
    }
}

/// A little text (numbers, separators, a method name), on the stack.
struct Digits {
    buf: [u8; 48],
    len: usize,
}

impl Default for Digits {
    fn default() -> Self {
        Self {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl Digits {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
        }
        self.len += 1;
    }

    fn number(&mut self, mut n: u32) {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            if let Some(slot) = tmp.get_mut(i) {
                // n % 10 < 10: the cast keeps it.
                #[allow(clippy::cast_possible_truncation)]
                let digit = (n % 10) as u8;
                *slot = b'0' + digit;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        for b in tmp.iter().skip(i) {
            self.push(*b);
        }
    }

    /// What was written, unless it did not fit.
    fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.buf.get(..self.len)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::memo::Memo;
    use super::*;

    fn json<T: Serialize + ?Sized>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// Every method the model names, and one it does not.
    const EVERY_METHOD: [crate::model::Method; 15] = {
        use crate::model::Method;
        [
            Method::Invite,
            Method::Ack,
            Method::Bye,
            Method::Cancel,
            Method::Register,
            Method::Options,
            Method::Subscribe,
            Method::Notify,
            Method::Message,
            Method::Publish,
            Method::Info,
            Method::Refer,
            Method::Prack,
            Method::Update,
            Method::Other(0),
        ]
    };

    #[test]
    fn addresses_are_written_as_their_display_says() {
        for a in [
            "0.0.0.0:0",
            "127.0.0.1:5060",
            "255.255.255.255:65535",
            "10.20.30.40:9",
            "1.22.123.4:10000",
            "9.99.100.200:1000",
            "[2001:db8::1]:5060",
            "[::ffff:1.2.3.4]:5060",
        ] {
            let addr = Addr::from(a.parse::<SocketAddr>().unwrap());
            assert_eq!(json(&AddrText(addr)), format!("\"{addr}\""), "{a}");
            let mut ours = Vec::new();
            AddrText(addr).write(&mut Writer::compact(&mut ours));
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                format!("\"{addr}\""),
                "{a}"
            );
        }
        // Through a memo, each address more than once, more of them than
        // it keeps.
        let mut memo = Memo::default();
        for round in 0..3 {
            for k in 0..20u16 {
                let addr = Addr::from(SocketAddr::from(([10, 0, 0, (k % 7) as u8], 5060 + k)));
                let mut ours = Vec::new();
                AddrText(addr).write(&mut Writer::pretty(&mut ours, 2).with_memo(&mut memo));
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    format!("\"{addr}\""),
                    "{round} {k}"
                );
            }
        }
    }

    #[test]
    fn an_sdp_is_written_as_its_serde_form() {
        let bodies: [&[u8]; 5] = [
            b"v=0\r\no=alice 1 1 IN IP4 h.example.com\r\nc=IN IP4 192.0.2.1\r\nm=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:97 iLBC/8000/2\r\na=fmtp:97 mode=30\r\na=fmtp:0 \"q\\\r\na=ptime:20\r\na=rtcp:9 IN IP4 x\r\na=sendonly\r\na=rtcp-mux\r\na=crypto:1 x\r\nm=video 0 RTP/SAVP\r\nc=IN IP6 2001:db8::5\r\na=fingerprint:x\r\na=inactive\r\nm=image 1 udptl t38\r\na=recvonly\r\n",
            b"",
            b"v=0\r\nc=IN IP4 1.2.3.4\r\n",
            b"o=\xff\x01\r\nm=\r\n",
            b"m=audio 1 RTP/AVP 0\r\na=sendrecv\r\n",
        ];
        let mut memo = Memo::default();
        for body in bodies {
            // The same sections at other ports and addresses: from the memo.
            let text = String::from_utf8_lossy(body);
            for other in [
                text.to_string(),
                text.replace("49170", "2").replace("192.0.2.1", "\"x\""),
                text.replace(" 1 ", " 65535 ").replace("2001:db8::5", "::1"),
                text.replace("c=IN IP6 2001:db8::5\r\n", ""),
                // With a connection where there was none.
                format!("c=IN IP4 9.9.9.9\r\n{text}"),
            ] {
                let sdp = crate::sip::sdp::parse(other.as_bytes());
                assert_written_as_serde(&sdp, write_sdp, &mut memo);
            }
        }
    }

    /// `write` gives, pretty at two depths and compact, what serde gives;
    /// and again with `memo`, twice (what it keeps, then what it gives).
    fn assert_written_as_serde<T: Serialize + ?Sized>(
        value: &T,
        write: impl Fn(&mut Writer<'_>, &T),
        memo: &mut Memo,
    ) {
        for depth in [0, 3] {
            let mut serde = Vec::new();
            value
                .serialize(&mut serde_json::Serializer::with_formatter(
                    &mut serde,
                    super::super::json::Indented::at(depth),
                ))
                .unwrap();
            let serde = String::from_utf8(serde).unwrap();
            let mut ours = Vec::new();
            write(&mut Writer::pretty(&mut ours, depth), value);
            assert_eq!(String::from_utf8(ours).unwrap(), serde);
            for _ in 0..2 {
                let mut ours = Vec::new();
                write(&mut Writer::pretty(&mut ours, depth).with_memo(memo), value);
                assert_eq!(String::from_utf8(ours).unwrap(), serde);
            }
        }
        for _ in 0..2 {
            let mut ours = Vec::new();
            write(&mut Writer::compact(&mut ours), value);
            assert_eq!(String::from_utf8(ours).unwrap(), json(value));
            let mut ours = Vec::new();
            write(&mut Writer::compact(&mut ours).with_memo(memo), value);
            assert_eq!(String::from_utf8(ours).unwrap(), json(value));
        }
    }

    #[test]
    fn sdp_changes_are_written_as_their_serde_form() {
        let model = crate::replay("tests/data/gen__hold_resume_refer_rtp.pcap").unwrap();
        let mut seen = 0;
        // One memo for all: a change like one written before is its bytes.
        let mut memo = Memo::default();
        for d in model.dialogs() {
            let changes = model.sdp_changes(d);
            seen += changes.len();
            assert_written_as_serde(changes.as_slice(), write_sdp_changes, &mut memo);
        }
        assert!(seen >= 4, "{seen}");
    }

    /// Every call of a few captures (hostile ones, TCP, IPv6, reasons of
    /// their own, unknown methods, findings of many rules) written with
    /// one memo, twice over, as it is without a memo; and their findings
    /// as serde writes them.
    #[test]
    fn calls_are_written_the_same_with_the_memo_as_without() {
        let mut memo = Memo::default();
        let mut findings = 0;
        let mut rules = std::collections::BTreeSet::new();
        for path in [
            "tests/data/gen__hold_resume_refer_rtp.pcap",
            "tests/data/gen__busy_486_3calls.pcap",
            "tests/data/gen__cancel_487_3calls.pcap",
            "tests/data/gen__register_digest_3.pcap",
            "tests/data/gen__basic_tcp_5calls.pcap",
            "tests/data/heplify__sip_ipv6_udp.pcap",
            "tests/data/eim-lab9__sip.pcap",
            "tests/data/synthetic_escapes.pcap",
            "tests/data/synthetic_sip_sctp.pcap",
            "tests/data/synthetic_no_common_codec.pcap",
            "tests/data/pcapplusplus__sip_reqs.pcap",
            "tests/data/hostile/concatenated.pcap",
            "tests/data/hostile/no_call_id.pcap",
            "tests/data/gen__load_udp_2000calls_200cps.pcap",
        ] {
            let model = crate::replay(path).unwrap();
            for _ in 0..2 {
                for d in model.dialogs() {
                    for depth in [Some(2), Some(0), None] {
                        let writer = |out| match depth {
                            Some(k) => Writer::pretty(out, k),
                            None => Writer::compact(out),
                        };
                        let mut plain = Vec::new();
                        write(&model, d, None, None, &mut writer(&mut plain)).unwrap();
                        let mut kept = Vec::new();
                        write(
                            &model,
                            d,
                            None,
                            None,
                            &mut writer(&mut kept).with_memo(&mut memo),
                        )
                        .unwrap();
                        assert_eq!(
                            String::from_utf8(kept).unwrap(),
                            String::from_utf8(plain).unwrap(),
                            "{path} {} {depth:?}",
                            d.call_id()
                        );
                    }
                }
            }
            for d in model.dialogs() {
                let diagnosis = model.diagnose(d);
                findings += diagnosis.findings.len();
                rules.extend(diagnosis.findings.iter().map(|f| f.rule));
                assert_written_as_serde(diagnosis.findings.as_slice(), write_findings, &mut memo);
            }
        }
        assert!(findings >= 20 && rules.len() >= 5, "{findings} {rules:?}");
    }

    #[test]
    fn transports_and_methods_are_quoted_as_their_names() {
        use crate::decode::Transport;
        for t in [
            Transport::Udp,
            Transport::Tcp,
            Transport::Ws,
            Transport::Sctp,
        ] {
            let mut ours = Vec::new();
            Writer::compact(&mut ours).quoted(transport_word(t));
            assert_eq!(String::from_utf8(ours).unwrap(), json(t.as_str()));
        }
        let mut standard = 0;
        for m in EVERY_METHOD {
            if let Some(word) = method_word(m) {
                let mut ours = Vec::new();
                Writer::compact(&mut ours).quoted(word);
                assert_eq!(String::from_utf8(ours).unwrap(), json(m.as_str()));
                standard += 1;
            }
        }
        assert_eq!(standard, 14);
    }

    #[test]
    fn states_are_quoted_as_their_names() {
        use crate::model::DialogState as S;
        let mut words = 0;
        for s in [
            S::Setup,
            S::Ringing,
            S::EarlyMedia,
            S::InCall,
            S::Completed,
            S::Cancelled(None),
            S::Cancelled(Some(408)),
            S::Busy,
            S::Rejected(403),
            S::Failed,
            S::Diverted(302),
            S::MidDialog,
            S::ResponseOnly,
            S::Unknown,
            S::Registered,
            S::Unregistered,
            S::Challenged,
            S::AuthFailed,
            S::Pending,
        ] {
            if let Some(word) = state_word(s) {
                let mut ours = Vec::new();
                Writer::compact(&mut ours).quoted(word);
                assert_eq!(String::from_utf8(ours).unwrap(), json(&s.name()));
                words += 1;
            }
        }
        assert_eq!(words, 16);
    }

    #[test]
    fn cseq_is_written_as_in_the_header() {
        let methods = EVERY_METHOD;
        let numbers = (0..=33)
            .map(|k| {
                10u32
                    .saturating_pow(k / 3)
                    .saturating_add(k % 3)
                    .wrapping_sub(1)
            })
            .chain([1, 34, 101, 999_999_999, 1_000_000_000, u32::MAX]);
        for (n, m) in numbers.flat_map(|n| methods.map(|m| (n, m))) {
            assert_eq!(json(&CseqText(n, m)), format!("\"{n} {m}\""));
            let mut ours = Vec::new();
            CseqText(n, m).write(&mut Writer::compact(&mut ours));
            assert_eq!(String::from_utf8(ours).unwrap(), format!("\"{n} {m}\""));
        }
    }
}
