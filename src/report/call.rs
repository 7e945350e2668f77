//! One call as the reports write it: an element of the JSON report's
//! `calls[]`, and a line of the NDJSON report (docs/report.md). Serde views
//! that borrow from the model: a call is serialised straight from its
//! dialog, with nothing copied to be written but its SDP, parsed once.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use serde_json::ser::Formatter;

use crate::model::findings::{Finding, Severity};
use crate::model::media::{RtcpView, RtpStream};
use crate::model::sdp_diff::SdpChange;
use crate::model::{Addr, Dialog, Message, Model};
use crate::sip::sdp::Sdp;

/// What writing one call concluded: its findings' rules and severities,
/// for the report's counts and `--fail-on`.
pub type Concluded = Vec<(&'static str, Severity)>;

/// Writes the call object of `d`, at capture time `model.clock()`; with
/// `line_type`, a first field `"type"` says what the object is (NDJSON).
///
/// # Errors
/// When writing fails.
pub fn write<W: io::Write, F: Formatter>(
    model: &Model,
    d: &Dialog,
    line_type: Option<&'static str>,
    ser: &mut serde_json::Serializer<W, F>,
) -> io::Result<Concluded> {
    let diagnosis = model.diagnose(d);
    let call = Call {
        line_type,
        call_id: d.call_id(),
        kind: d.kind.as_str(),
        state: d.state_at(model.clock()).name(),
        from: d.from(),
        to: d.to(),
        user_agent: d.user_agent.as_deref(),
        first_ts: secs(d.first_ts()),
        last_ts: secs(d.last_ts()),
        pdd_ms: d.pdd_ns().map(ms),
        answer_ms: d.answer_ns().map(ms),
        talk_ms: d.talk_ns().map(ms),
        total_ms: ms(d.duration_at(model.clock())),
        related: model.related(d),
        dropped_messages: d.dropped_messages,
        messages: Messages {
            model,
            messages: &d.messages,
        },
        rtp_streams: Streams(&diagnosis.streams),
        fax_streams: model
            .fax_of(d)
            .map(crate::model::media::FaxReport::of)
            .collect(),
        sdp_changes: &diagnosis.sdp_changes,
        findings: &diagnosis.findings,
        seen_at: if model.has_agents() {
            model
                .origins_of(d)
                .into_iter()
                .map(|o| model.origin_name(o))
                .collect()
        } else {
            Vec::new()
        },
    };
    call.serialize(ser).map_err(io::Error::from)?;
    Ok(diagnosis
        .findings
        .iter()
        .map(|f| (f.rule, f.severity))
        .collect())
}

/// The calls' schema (docs/report.md).
#[allow(clippy::struct_field_names)]
#[derive(Serialize)]
struct Call<'a> {
    /// `"call"` on an NDJSON line; absent in the JSON report.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    line_type: Option<&'static str>,
    call_id: &'a str,
    kind: &'static str,
    state: String,
    from: &'a str,
    to: &'a str,
    user_agent: Option<&'a str>,
    first_ts: f64,
    last_ts: f64,
    pdd_ms: Option<f64>,
    answer_ms: Option<f64>,
    talk_ms: Option<f64>,
    total_ms: f64,
    related: Vec<String>,
    dropped_messages: u64,
    messages: Messages<'a>,
    rtp_streams: Streams<'a>,
    /// T.38 fax over UDPTL (docs/report.md).
    fax_streams: Vec<crate::model::media::FaxReport>,
    sdp_changes: &'a [SdpChange],
    findings: &'a [Finding],
    /// Where its messages were captured (`here`, or HEP agents), when an
    /// agent took part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    seen_at: Vec<String>,
}

/// A dialog's messages, each written as it is read.
struct Messages<'a> {
    model: &'a Model,
    messages: &'a [Message],
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.messages.len()))?;
        for m in self.messages {
            // Parsed once per message: the SDP changes read the same cache.
            let parsed = if m.has_sdp() {
                self.model.parsed(m).ok()
            } else {
                None
            };
            seq.serialize_element(&Msg {
                ts: secs(m.ts_ns),
                src: AddrText(m.src()),
                dst: AddrText(m.dst()),
                transport: m.transport.as_str(),
                method: m.method().map(|x| x.as_str()),
                status: m.status(),
                reason: self.model.reason(m),
                cseq: m.cseq.map(|(n, meth)| CseqText(n, meth)),
                retransmission: m.retransmission(),
                malformed: m.malformed(),
                defects: m.defects.names(),
                sdp: parsed.as_deref().and_then(|p| p.sdp.as_ref()),
                seen_at: self.model.origin(m.origin()).map(DisplayText),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Msg<'a> {
    ts: f64,
    src: AddrText,
    dst: AddrText,
    transport: &'static str,
    method: Option<&'static str>,
    status: Option<u16>,
    /// A response's reason phrase as sent (absent for a request).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<std::borrow::Cow<'static, str>>,
    cseq: Option<CseqText>,
    retransmission: bool,
    malformed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    defects: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sdp: Option<&'a Sdp>,
    /// The HEP agent that captured it (`id@address`); absent when captured here.
    #[serde(skip_serializing_if = "Option::is_none")]
    seen_at: Option<DisplayText<crate::sip::Origin>>,
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

/// Anything shown as a JSON string by its `Display`.
struct DisplayText<T>(T);

impl<T: fmt::Display> Serialize for DisplayText<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// The CSeq header as written: `"1 INVITE"`.
struct CseqText(u32, crate::model::Method);

impl Serialize for CseqText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Digits::default();
        buf.number(self.0);
        buf.push(b' ');
        for b in self.1.as_str().bytes() {
            buf.push(b);
        }
        match buf.text() {
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
    use super::*;

    fn json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn addresses_are_written_as_their_display_says() {
        for a in [
            "0.0.0.0:0",
            "127.0.0.1:5060",
            "255.255.255.255:65535",
            "10.20.30.40:9",
            "[2001:db8::1]:5060",
            "[::ffff:1.2.3.4]:5060",
        ] {
            let addr = Addr::from(a.parse::<SocketAddr>().unwrap());
            assert_eq!(json(&AddrText(addr)), format!("\"{addr}\""), "{a}");
        }
    }

    #[test]
    fn cseq_is_written_as_in_the_header() {
        use crate::model::Method;
        for (n, m) in [
            (0, Method::Invite),
            (1, Method::Bye),
            (u32::MAX, Method::Register),
        ] {
            assert_eq!(json(&CseqText(n, m)), format!("\"{n} {m}\""));
        }
    }
}
