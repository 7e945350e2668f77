//! The JSON report (schema in docs/report.md).

use std::io::Write;

use serde::Serialize;

use crate::model::{Dialog, Message, Model, Stats};
use crate::sip::sdp::Sdp;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    stats: Stats,
    calls: Vec<Call<'a>>,
    /// How many findings each rule made, over every call.
    findings: std::collections::BTreeMap<&'static str, usize>,
    unassociated_rtp_streams: Vec<Stream>,
    warnings: &'a [String],
}

/// Field names are the report's schema.
#[allow(clippy::struct_field_names)]
#[derive(Serialize)]
struct Call<'a> {
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
    messages: Vec<Msg>,
    rtp_streams: Vec<Stream>,
    /// T.38 fax over UDPTL (docs/report.md).
    fax_streams: Vec<crate::model::media::FaxReport>,
    sdp_changes: Vec<crate::model::sdp_diff::SdpChange>,
    findings: Vec<crate::model::findings::Finding>,
    /// Where its messages were captured (`here`, or HEP agents), when an
    /// agent took part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    seen_at: Vec<String>,
}

/// One RTP stream (see docs/report.md).
#[derive(Serialize)]
struct Stream {
    src: String,
    dst: String,
    ssrc: String,
    payload_type: Option<u8>,
    payload_types: Vec<u8>,
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
    dtmf: String,
    /// Frames kept for export, and frames let go to stay within the budget.
    frames_kept: usize,
    frames_not_kept: u64,
    /// What the other side's RTCP reports said of this stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    rtcp: Option<crate::model::media::RtcpView>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn stream(s: &crate::model::media::RtpStream) -> Stream {
    let st = &s.stats;
    Stream {
        src: s.src.to_string(),
        dst: s.dst.to_string(),
        ssrc: format!("0x{:08X}", s.ssrc),
        payload_type: st.payload_types.first().copied(),
        payload_types: st.payload_types.clone(),
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
        dtmf: s.dtmf.clone(),
        frames_kept: s.frames.len(),
        frames_not_kept: s.frames_not_kept,
        rtcp: s.rtcp,
    }
}

#[derive(Serialize)]
struct Msg {
    ts: f64,
    src: String,
    dst: String,
    transport: &'static str,
    method: Option<&'static str>,
    status: Option<u16>,
    cseq: Option<String>,
    retransmission: bool,
    malformed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    defects: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sdp: Option<Sdp>,
    /// The HEP agent that captured it (`id@address`); absent when captured here.
    #[serde(skip_serializing_if = "Option::is_none")]
    seen_at: Option<String>,
}

#[allow(clippy::cast_precision_loss)]
fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

#[allow(clippy::cast_precision_loss)]
fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

fn message(model: &Model, m: &Message) -> Msg {
    Msg {
        ts: secs(m.ts_ns),
        src: m.src.to_string(),
        dst: m.dst.to_string(),
        transport: m.transport.as_str(),
        method: m.method().map(|x| x.as_str()),
        status: m.status(),
        cseq: m.cseq_text(),
        retransmission: m.retransmission,
        malformed: m.malformed(),
        defects: m.defects.names(),
        sdp: model.sdp(m).ok().flatten(),
        seen_at: model.origin(m.origin).map(|o| o.to_string()),
    }
}

fn call<'a>(model: &'a Model, d: &'a Dialog) -> Call<'a> {
    Call {
        call_id: &d.call_id,
        kind: d.kind.as_str(),
        state: d.state_at(model.now_ns()).name(),
        from: &d.from,
        to: &d.to,
        user_agent: d.user_agent.as_deref(),
        first_ts: secs(d.first_ts()),
        last_ts: secs(d.last_ts()),
        pdd_ms: d.pdd_ns().map(ms),
        answer_ms: d.answer_ns().map(ms),
        talk_ms: d.talk_ns().map(ms),
        total_ms: ms(d.total_ns()),
        related: model.related(d),
        dropped_messages: d.dropped_messages,
        messages: d.messages.iter().map(|m| message(model, m)).collect(),
        rtp_streams: model.streams_of(d).map(stream).collect(),
        fax_streams: model
            .fax_of(d)
            .map(crate::model::media::FaxReport::of)
            .collect(),
        sdp_changes: model.sdp_changes(d),
        findings: model.findings(d).to_vec(),
        seen_at: if model.has_agents() {
            model
                .origins_of(d)
                .into_iter()
                .map(|o| model.origin_name(o))
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// Writes the report of `dialogs` (all of them when `None`).
///
/// # Errors
/// When writing fails.
pub fn write(
    model: &Model,
    dialogs: Option<&[&Dialog]>,
    warnings: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let calls: Vec<Call> = match dialogs {
        Some(ds) => ds.iter().map(|d| call(model, d)).collect(),
        None => model.dialogs().map(|d| call(model, d)).collect(),
    };
    let mut findings = std::collections::BTreeMap::new();
    for c in &calls {
        for f in &c.findings {
            *findings.entry(f.rule).or_insert(0) += 1;
        }
    }
    let report = Report {
        version: 1,
        stats: model.stats(),
        calls,
        findings,
        unassociated_rtp_streams: model.unassociated_streams().map(stream).collect(),
        warnings,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
