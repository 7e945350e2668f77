//! The NDJSON report (`--report ndjson`, docs/report.md): one line per
//! dialog, the JSON report's call object with `"type":"call"`, written as
//! the dialog ends ([`Dialog::ended_at`]); when the capture ends, the
//! dialogs still open; last, a `"type":"stats"` line with the JSON report's
//! totals.
//!
//! A [`Sink`]: the loop that owns the model (headless) hands it each
//! message and media packet after the model took it in, so lines are
//! written from that loop, never from the capture thread. A dialog that
//! gets messages after its line (a registration refreshed on its Call-ID, a
//! late retransmission) is written again, whole, when it ends again: the
//! later line supersedes the earlier.

use std::collections::VecDeque;
use std::io::{self, Write};

use super::call;
use super::json::Counts;
use crate::decode::Frames;
use crate::hash::Map;
use crate::model::dialog::TRANSACTION_TIMEOUT_NS;
use crate::model::{Dialog, DialogId, Model};
use crate::rtp::MediaBody;
use crate::sink::{Sink, SinkSummary};
use crate::sip::SipMessage;

/// The NDJSON report, writing to `W` (standard output).
pub struct Ndjson<W: Write> {
    out: W,
    /// Flush after each line (a pipe, a terminal), or only when the buffer
    /// fills (a regular file).
    line_flush: bool,
    line: Vec<u8>,
    /// Renderings kept from one line to the next ([`super::memo`]).
    memo: super::memo::Memo,
    /// What was written of each dialog: its size then, and its findings.
    written: Map<DialogId, Line>,
    /// When a dialog not yet over may end by the clock alone (32 s after
    /// its last message), in about that order.
    due: VecDeque<(i64, DialogId)>,
    counts: Counts,
    lines: u64,
    /// Writing failed: nothing more is written. Told once.
    error: Option<io::Error>,
    told: bool,
    closed: bool,
}

/// A dialog's last line: how many messages it held, and its findings.
struct Line {
    size: (usize, u64),
    concluded: call::Concluded,
}

fn size(d: &Dialog) -> (usize, u64) {
    (d.messages.len(), d.dropped_messages)
}

impl<W: Write> Ndjson<W> {
    /// A report writing to `out`; `line_flush` when a reader waits for
    /// each line (standard output is not a regular file).
    pub fn new(out: W, line_flush: bool) -> Self {
        Self {
            out,
            line_flush,
            line: Vec::with_capacity(16 << 10),
            memo: super::memo::Memo::default(),
            written: Map::default(),
            due: VecDeque::new(),
            counts: Counts::default(),
            lines: 0,
            error: None,
            told: false,
            closed: false,
        }
    }

    /// Lines written so far.
    #[must_use]
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The writer (tests read what was written).
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The dialog as it is now was not written yet.
    fn unwritten(&self, d: &Dialog) -> bool {
        self.written.get(&d.id).is_none_or(|l| l.size != size(d))
    }

    /// Writes `d` if it is over and changed since its last line; if it is
    /// not over, remembers when the clock alone may end it.
    fn consider(&mut self, model: &Model, d: &Dialog) {
        let now = model.clock();
        if d.ended_at(now) {
            if self.unwritten(d) {
                self.write_call(model, d);
            }
        } else {
            self.due
                .push_back((d.last_ts().saturating_add(TRANSACTION_TIMEOUT_NS + 1), d.id));
        }
    }

    /// Dialogs whose time has come: over by the clock.
    fn sweep(&mut self, model: &Model) {
        let now = model.clock();
        while let Some(&(at, id)) = self.due.front() {
            if at > now.now_ns {
                break;
            }
            self.due.pop_front();
            if let Some(d) = model.dialog(id)
                && d.ended_at(now)
                && self.unwritten(d)
            {
                self.write_call(model, d);
            }
        }
    }

    fn write_call(&mut self, model: &Model, d: &Dialog) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        let mut ser = super::writer::Writer::compact(&mut self.line).with_memo(&mut self.memo);
        let concluded = match call::write(model, d, Some("call"), None, &mut ser) {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        self.line.push(b'\n');
        if let Err(e) = self.emit() {
            self.error = Some(e);
            return;
        }
        if let Some(old) = self.written.get(&d.id) {
            self.counts.remove(&old.concluded);
        }
        self.counts.add(&concluded);
        self.written.insert(
            d.id,
            Line {
                size: size(d),
                concluded,
            },
        );
        // Forget dialogs the model no longer holds (evicted: never written
        // again), so what is remembered follows the model's bound.
        if self.written.len() > 2 * model.len() + 4096 {
            self.written.retain(|id, _| model.dialog(*id).is_some());
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        self.out.write_all(&self.line)?;
        self.lines += 1;
        if self.line_flush {
            self.out.flush()?;
        }
        Ok(())
    }

    /// The last line: the JSON report without its calls.
    fn write_stats(&mut self, model: &Model, warnings: &[String]) -> io::Result<()> {
        #[derive(serde::Serialize)]
        struct Totals<'a> {
            #[serde(rename = "type")]
            line_type: &'static str,
            version: u32,
            stats: crate::model::Stats,
            findings: &'a std::collections::BTreeMap<&'static str, usize>,
            unassociated_rtp_streams: call::Streams<'a>,
            warnings: &'a [String],
        }
        let unassociated: Vec<_> = model.unassociated_streams().collect();
        self.line.clear();
        serde_json::to_writer(
            &mut self.line,
            &Totals {
                line_type: "stats",
                version: 1,
                stats: model.stats(),
                findings: &self.counts.per_rule,
                unassociated_rtp_streams: call::Streams(&unassociated),
                warnings,
            },
        )?;
        self.line.push(b'\n');
        self.emit()?;
        self.out.flush()
    }
}

impl<W: Write> Sink for Ndjson<W> {
    fn sip(&mut self, model: &Model, msg: &SipMessage, _frames: &Frames) {
        if let Some(d) = model.dialog_of(msg) {
            self.consider(model, d);
        }
        self.sweep(model);
    }

    fn media(&mut self, model: &Model, _body: &MediaBody, _frames: &Frames) {
        self.sweep(model);
    }

    fn tick(&mut self) -> Option<String> {
        if self.told {
            return None;
        }
        let e = self.error.as_ref()?;
        self.told = true;
        // A reader that went away (`| head`) is no failure.
        (e.kind() != io::ErrorKind::BrokenPipe).then(|| format!("NDJSON report: {e}"))
    }

    fn close(&mut self, model: &Model, warnings: &[String]) {
        if self.closed {
            return;
        }
        self.closed = true;
        for d in model.dialogs() {
            if self.unwritten(d) {
                self.write_call(model, d);
            }
        }
        if self.error.is_none()
            && let Err(e) = self.write_stats(model, warnings)
        {
            self.error = Some(e);
        }
    }

    fn finish(&mut self) -> SinkSummary {
        let _ = self.out.flush();
        let failed = self
            .error
            .as_ref()
            .is_some_and(|e| e.kind() != io::ErrorKind::BrokenPipe);
        let mut lines = Vec::new();
        if failed && !self.told {
            lines.extend(self.tick());
        }
        SinkSummary { lines, failed }
    }
}
