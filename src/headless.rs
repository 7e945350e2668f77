//! The `--no-ui` loop: owns the model, drains the capture channel through
//! the [`Feed`], stops on end of input, Ctrl-C, `--duration` or `--count`;
//! the binary then prints a report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use crate::capture::{Control, Events};
use crate::feed::{Feed, Notice};
use crate::model::Model;

/// When to stop a live capture (`--count` is the feed's limit).
#[derive(Debug, Clone, Copy, Default)]
pub struct StopWhen {
    pub duration: Option<Duration>,
}

/// How often the sinks are ticked on a quiet link.
const TICK: Duration = Duration::from_millis(100);

/// How long after a signal the capture thread has to finish.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(1);

/// Feeds the model until the capture finishes. Warnings and a failure are
/// left in the feed; a sink that stops is said at once on stderr (the
/// capture goes on; its summary at the end says it again).
pub fn run(
    model: &mut Model,
    rx: &Events,
    control: &Control,
    interrupted: &Arc<AtomicBool>,
    until: StopWhen,
    feed: &mut Feed,
) {
    let started = Instant::now();
    // When the capture was asked to stop (a signal, `--duration`, `--count`).
    let mut stop_asked: Option<Instant> = None;
    loop {
        let expired = until.duration.is_some_and(|d| started.elapsed() >= d);
        if interrupted.load(Ordering::Relaxed) || expired || feed.limit_reached(model) {
            control.stop.store(true, Ordering::Relaxed);
            // The capture thread may sit in a read that never returns (a
            // stalled pipe, `-r -` from a writer that stays open): once
            // asked to stop, we stop within a second regardless.
            if stop_asked.get_or_insert_with(Instant::now).elapsed() >= SIGNAL_GRACE {
                break;
            }
        }
        let notice = match rx.recv_timeout(TICK) {
            Ok(ev) => {
                let step = feed.apply(model, ev, rx);
                if step.finished {
                    break;
                }
                step.notice
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => feed.tick().map(Notice::SinkFailed),
        };
        if let Some(Notice::SinkFailed(e)) = notice {
            eprintln!("sipscope: {e}");
        }
    }
}
