//! Things that consume the traffic as it arrives, beside the model: the
//! pcap recorder (`-w` live), the HEP sender (`-H`), the NDJSON report. The loops that feed
//! the model (the UI's and the headless one) drive every sink the same way,
//! through [`crate::feed::Feed`]; a sink never blocks them.

use crate::decode::Frames;
use crate::model::{Model, OutputCounts};
use crate::rtp::MediaBody;
use crate::sip::SipMessage;

/// A consumer of live traffic.
pub trait Sink {
    /// A SIP message the model has just taken in (the model's dialog state
    /// already counts it). Its frames are given apart: the model keeps the
    /// message's own.
    fn sip(&mut self, model: &Model, msg: &SipMessage, frames: &Frames);

    /// An RTP or RTCP packet the model has just taken in.
    fn media(&mut self, model: &Model, body: &MediaBody, frames: &Frames);

    /// After each batch, and on the clock: push out what is buffered. Returns
    /// the error that stopped this sink, the first time only, so the user is
    /// told at once (the capture goes on without the sink).
    fn tick(&mut self) -> Option<String>;

    /// The capture ended and the model holds its final state: write what is
    /// owed from it (the NDJSON report: the dialogs still open, its totals).
    /// Called once, before [`Sink::finish`]; nothing by default.
    fn close(&mut self, _model: &Model, _warnings: &[String]) {}

    /// The capture ended: flush, close, and say what was done.
    fn finish(&mut self) -> SinkSummary;

    /// What it did so far, as counts for the header and the reports.
    fn counts(&self) -> OutputCounts {
        OutputCounts::default()
    }
}

/// What a sink did, said when the capture ends.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SinkSummary {
    /// Lines for the user (standard error), a result first, then warnings.
    pub lines: Vec<String>,
    /// The sink stopped on an error (already told by [`Sink::tick`]).
    pub failed: bool,
}
