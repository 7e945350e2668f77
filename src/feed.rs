//! The one place where capture events reach the model: the UI loop, the
//! headless loop and [`crate::replay_with`] all apply events through a
//! [`Feed`], which also hands the traffic to the [`Sink`]s after the model
//! took it in.

use crate::capture::{CaptureCounters, CaptureEvent, Events};
use crate::model::Model;
use crate::sink::{Sink, SinkSummary};

/// Applies capture events to the model and drives the sinks.
#[derive(Default)]
pub struct Feed {
    sinks: Vec<Box<dyn Sink>>,
    /// Warnings the capture sent, in order (said again when it ends).
    pub warnings: Vec<String>,
    /// Why the capture could not go on, if it failed.
    pub failure: Option<String>,
    /// `--count`: SIP messages taken in at most.
    limit: Option<u64>,
    /// The latest counters of each capture source, summed for the model.
    counters: Vec<CaptureCounters>,
    /// The Call-ID hashes of the group of messages being ingested.
    hashes: Vec<u64>,
}

/// What applying one event did.
#[derive(Debug, Default)]
pub struct Step {
    /// Work done, for a loop that bounds its work per turn: SIP messages,
    /// plus media packets counted an eighth each (they are cheap).
    pub took: usize,
    /// The capture is over: nothing more will come.
    pub finished: bool,
    /// Something the user should be told now.
    pub notice: Option<Notice>,
}

/// Something to tell the user while the capture goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The capture goes on, but something was lost (a file cut short).
    Warning(String),
    /// The capture stopped.
    CaptureFailed(String),
    /// A sink stopped (a recording's disk is full); the capture goes on.
    SinkFailed(String),
}

impl Notice {
    /// How a failed capture is said: once "capture stopped:", whatever the
    /// error's own words.
    #[must_use]
    pub fn stopped(error: &str) -> String {
        if error.starts_with("capture stopped") {
            error.to_owned()
        } else {
            format!("capture stopped: {error}")
        }
    }
}

impl std::fmt::Debug for dyn Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("sinks", &self.sinks.len())
            .field("warnings", &self.warnings)
            .field("failure", &self.failure)
            .field("limit", &self.limit)
            .field("counters", &self.counters)
            .field("hashes", &self.hashes.len())
            .finish()
    }
}

impl Feed {
    /// A feed that hands the traffic to these sinks too.
    #[must_use]
    pub fn new(sinks: Vec<Box<dyn Sink>>) -> Self {
        Self {
            sinks,
            ..Self::default()
        }
    }

    /// Are there sinks to tick?
    #[must_use]
    pub fn has_sinks(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// Takes in at most `limit` SIP messages (`--count`); the rest of the
    /// traffic is read and left.
    #[must_use]
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Has the model taken in as many messages as it was asked to?
    #[must_use]
    pub fn limit_reached(&self, model: &Model) -> bool {
        self.limit.is_some_and(|n| model.stats().sip_messages >= n)
    }

    /// Applies one event to the model; spent message batches go back to the
    /// capture thread through `events`.
    pub fn apply(&mut self, model: &mut Model, event: CaptureEvent, events: &Events) -> Step {
        let mut step = Step::default();
        match event {
            CaptureEvent::Messages(mut batch) => {
                step.took = batch.len();
                'batch: for group in batch.chunks_mut(crate::model::WARM_GROUP) {
                    std::hint::black_box(model.warm(group, &mut self.hashes));
                    for (i, m) in group.iter_mut().enumerate() {
                        if self.limit_reached(model) {
                            break 'batch;
                        }
                        let hash = self.hashes.get(i).copied();
                        if self.sinks.is_empty() {
                            model.ingest_hashed(m, hash);
                        } else {
                            // The model takes the message's frames: the
                            // sinks get a copy, and see the dialog as it is
                            // after.
                            let frames = m.frames.clone();
                            model.ingest_hashed(m, hash);
                            for s in &mut self.sinks {
                                s.sip(model, m, &frames);
                            }
                        }
                    }
                }
                events.give_back(batch);
                step.notice = self.tick().map(Notice::SinkFailed);
                self.count_outputs(model);
            }
            CaptureEvent::Rtp(batch) => {
                step.took = batch.len() / 8;
                for p in batch {
                    if self.sinks.is_empty() {
                        model.ingest_media(p);
                    } else {
                        let (body, frames) = (p.body.clone(), p.frames.clone());
                        model.ingest_media(p);
                        for s in &mut self.sinks {
                            s.media(model, &body, &frames);
                        }
                    }
                }
                step.notice = self.tick().map(Notice::SinkFailed);
                self.count_outputs(model);
            }
            CaptureEvent::Counters(c) => {
                let i = usize::from(c.producer);
                if self.counters.len() <= i {
                    self.counters.resize(i + 1, CaptureCounters::default());
                }
                if let Some(slot) = self.counters.get_mut(i) {
                    *slot = c;
                }
                let (decode, lost) = self.counters.iter().fold(
                    (
                        crate::decode::DecodeStats::default(),
                        crate::model::Lost::default(),
                    ),
                    |(d, l), c| (d.plus(c.decode), l.plus(c.lost)),
                );
                model.set_capture_counts(decode, lost);
            }
            CaptureEvent::Warning(w) => {
                tracing::warn!("{w}");
                self.warnings.push(w.clone());
                step.notice = Some(Notice::Warning(w));
            }
            CaptureEvent::Failed(e) => {
                tracing::error!("{e}");
                self.failure = Some(e.clone());
                step.notice = Some(Notice::CaptureFailed(e));
            }
            CaptureEvent::Finished => {
                model.end_capture();
                step.finished = true;
            }
        }
        step
    }

    /// Lets every sink push out what it buffered; returns the errors that
    /// newly stopped one, in a line.
    pub fn tick(&mut self) -> Option<String> {
        let errors: Vec<String> = self.sinks.iter_mut().filter_map(|s| s.tick()).collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }

    /// Tells the model what the sinks did (for the header and the reports).
    pub fn count_outputs(&self, model: &mut Model) {
        if self.sinks.is_empty() {
            return;
        }
        let c = self
            .sinks
            .iter()
            .fold(crate::model::OutputCounts::default(), |c, s| {
                c.plus(s.counts())
            });
        model.set_output_counts(c);
    }

    /// The capture ended: every sink writes what it owes from the model's
    /// final state ([`Sink::close`]), with the warnings the capture sent.
    pub fn close(&mut self, model: &Model) {
        for s in &mut self.sinks {
            s.close(model, &self.warnings);
        }
    }

    /// Ends every sink: what each did, in the order they were given.
    pub fn finish(&mut self) -> Vec<SinkSummary> {
        self.sinks.iter_mut().map(|s| s.finish()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_capture_says_capture_stopped_once() {
        assert_eq!(
            Notice::stopped("capture stopped: eth9: device went down"),
            "capture stopped: eth9: device went down"
        );
        assert_eq!(
            Notice::stopped("x.pcap: read error: EIO"),
            "capture stopped: x.pcap: read error: EIO"
        );
    }
}
