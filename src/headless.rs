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
/// With no sink to tick, how long the loop sleeps at most waiting for the
/// capture: nothing needs it sooner (a signal stops the capture through
/// [`crate::signals::on_signal`], whose `Finished` wakes the loop, and
/// `--duration` shortens the wait). Each wake-up of an idle thread costs
/// tens of µs; live, the capture hands batches over every 50-200 ms, and a
/// shorter wait woke the loop between them for nothing.
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// How long after a signal the capture thread has to finish.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(1);

/// Feeds the model until the capture finishes. Warnings and a failure are
/// left in the feed; a sink that stops is said at once on stderr (the
/// capture goes on; its summary at the end says it again). True when the
/// capture was asked to stop and did not within [`SIGNAL_GRACE`].
pub fn run(
    model: &mut Model,
    rx: &Events,
    control: &Arc<Control>,
    interrupted: &Arc<AtomicBool>,
    until: StopWhen,
    feed: &mut Feed,
) -> bool {
    let started = Instant::now();
    // When the capture was asked to stop (a signal, `--duration`, `--count`).
    let mut stop_asked: Option<Instant> = None;
    let capture = Arc::clone(control);
    crate::signals::on_signal(move || capture.stop.store(true, Ordering::Relaxed));
    loop {
        let expired = until.duration.is_some_and(|d| started.elapsed() >= d);
        if interrupted.load(Ordering::Relaxed) || expired || feed.limit_reached(model) {
            control.stop.store(true, Ordering::Relaxed);
            // The capture thread may sit in a read that never returns (a
            // stalled pipe, `-r -` from a writer that stays open): once
            // asked to stop, we stop within a second or so regardless.
            if stop_asked.get_or_insert_with(Instant::now).elapsed() >= SIGNAL_GRACE {
                return true;
            }
        }
        // Sinks are ticked, the grace after a stop is counted, and `--duration`
        // is kept to within a tick.
        let wait = if feed.has_sinks() || stop_asked.is_some() {
            TICK
        } else {
            IDLE_WAIT
        };
        let wait = match until.duration {
            Some(d) if !expired => d.saturating_sub(started.elapsed()).min(wait),
            _ => wait,
        };
        let notice = match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
            Ok(ev) => {
                let step = feed.apply(model, ev, rx);
                if step.finished {
                    return false;
                }
                step.notice
            }
            Err(RecvTimeoutError::Disconnected) => return false,
            Err(RecvTimeoutError::Timeout) => feed.tick().map(Notice::SinkFailed),
        };
        if let Some(Notice::SinkFailed(e)) = notice {
            eprintln!("sipscope: {e}");
        }
    }
}
