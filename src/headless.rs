//! The `--no-ui` loop: owns the model, drains the capture channel, stops on
//! end of input, Ctrl-C, `--duration` or `--count`, then prints a report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use crate::capture::{CaptureEvent, Control, Events};
use crate::model::Model;

/// When to stop a live capture.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopWhen {
    pub duration: Option<Duration>,
    pub count: Option<u64>,
}

/// How the loop ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub warnings: Vec<String>,
    pub failure: Option<String>,
}

/// Feeds the model until the capture finishes.
pub fn run(
    model: &mut Model,
    rx: &Events,
    control: &Control,
    interrupted: &Arc<AtomicBool>,
    stop: StopWhen,
    mut record: Option<&mut crate::export::live::LiveExport>,
) -> Outcome {
    let started = Instant::now();
    let mut out = Outcome::default();
    loop {
        let expired = stop.duration.is_some_and(|d| started.elapsed() >= d);
        let counted = stop.count.is_some_and(|n| model.stats().sip_messages >= n);
        if expired || counted || interrupted.load(Ordering::Relaxed) {
            control.stop.store(true, Ordering::Relaxed);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(CaptureEvent::Messages(mut batch)) => {
                for m in &mut batch {
                    if stop.count.is_some_and(|n| model.stats().sip_messages >= n) {
                        break;
                    }
                    if let Some(r) = record.as_deref_mut() {
                        let (frames, call_id) = (m.frames.clone(), m.call_id().to_vec());
                        model.ingest(m);
                        r.sip(model, &call_id, &frames);
                    } else {
                        model.ingest(m);
                    }
                }
                rx.give_back(batch);
                if let Some(r) = record.as_deref_mut() {
                    r.recorder.flush();
                    tell_failure(r);
                }
            }
            Ok(CaptureEvent::Rtp(batch)) => {
                for p in batch {
                    if let Some(r) = record.as_deref_mut() {
                        let (body, frames) = (p.body.clone(), p.frames.clone());
                        model.ingest_media(p);
                        r.media(model, &body, &frames);
                    } else {
                        model.ingest_media(p);
                    }
                }
                if let Some(r) = record.as_deref_mut() {
                    r.recorder.flush();
                    tell_failure(r);
                }
            }
            Ok(CaptureEvent::Counters(c)) => model.set_counters(c),
            Ok(CaptureEvent::Warning(w)) => {
                tracing::warn!("{w}");
                out.warnings.push(w);
            }
            Ok(CaptureEvent::Failed(e)) => {
                tracing::error!("{e}");
                out.failure = Some(e);
            }
            Ok(CaptureEvent::Finished) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    out
}

/// A recording that just stopped is said at once, on stderr (the capture
/// goes on; the summary at the end says it again).
fn tell_failure(r: &mut crate::export::live::LiveExport) {
    if let Some(e) = r.new_failure() {
        eprintln!("sipscope: {e}");
    }
}
