//! The terminal UI: one loop that drains the capture channel into the model
//! in bounded batches, reads keys and the mouse, and redraws at a bounded
//! rate, only when something changed. No tokio: crossterm's `poll` with a
//! short timeout and a non-blocking channel drain need no async runtime.

pub mod app;
pub mod filter;
pub mod filter_index;
pub mod input;
pub mod save;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod wait;
pub mod widgets;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, MouseButton, MouseEventKind};

use crate::capture::{Control, Events};
use crate::feed::{Feed, Notice};
use crate::keymap::Action;
use crate::model::Model;
use app::AppState;
use input::TextKey;
use screens::Screen;

/// How long one loop turn feeds the model at most, so keys stay responsive.
const DRAIN_TIME: Duration = Duration::from_millis(25);
/// Frames per second at most while traffic flows.
const MIN_FRAME: Duration = Duration::from_millis(100);
/// How long one poll for input waits when no traffic is waiting, where the
/// loop cannot sleep until something happens (no [`wait::Waiter`], or a
/// save under way whose progress is drawn).
const TICK: Duration = Duration::from_millis(50);
/// Live, durations and states move with the clock: the list is drawn again
/// this often on a quiet link.
const LIVE_TICK: Duration = Duration::from_secs(1);
/// The longest sleep with nothing to wait for (a file read to its end):
/// keys, signals and the capture's events wake the loop before.
const IDLE: Duration = Duration::from_secs(5);
/// The same while a file is read and its reader is momentarily behind (it
/// sent something within [`FILE_QUIET`]); past that (a pipe with nothing to
/// say, `-r -`), [`TICK`] again.
const FILE_NAP: Duration = Duration::from_millis(1);
const FILE_QUIET: Duration = Duration::from_millis(100);
/// While the model moves, the call list's rows (a pass over every dialog)
/// are recomputed at most once per this many times their last cost, so a
/// large capture loads at nearly the headless speed.
const ROWS_SHARE: u32 = 10;
/// How long one loop turn spends making the display filter's index at most
/// (a million dialogs take a few hundred milliseconds on two cores): a key
/// typed meanwhile waits no longer than this.
pub const FILTER_SLICE: Duration = Duration::from_millis(12);
/// How long a key typed into the display filter searches its index at most
/// before its rows are shown (those of the part searched; the loop searches
/// on a slice a turn): with the sort and the frame, within 50 ms. A quiet
/// machine searches a million dialogs' texts within it (about 15 ms for
/// plain text, 30 for a regex all of them match).
pub const KEY_SEARCH: Duration = Duration::from_millis(30);

/// What one [`drain`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Drained {
    /// The capture finished (or its threads are gone).
    pub finished: bool,
    /// Events taken in: more may be waiting.
    pub events: usize,
}

/// Feeds the model from the capture events for at most [`DRAIN_TIME`].
pub fn drain(model: &mut Model, events: &Events, app: &mut AppState, feed: &mut Feed) -> Drained {
    let started = Instant::now();
    let mut out = Drained::default();
    while started.elapsed() < DRAIN_TIME {
        let step = match events.try_recv() {
            Ok(ev) => feed.apply(model, ev, events),
            Err(TryRecvError::Disconnected) => {
                out.finished = true;
                return out;
            }
            Err(TryRecvError::Empty) => return out,
        };
        out.events += 1;
        match step.notice {
            Some(Notice::Warning(w) | Notice::SinkFailed(w)) => app.status = Some(w),
            Some(Notice::CaptureFailed(e)) => app.status = Some(Notice::stopped(&e)),
            None => {}
        }
        if step.finished {
            out.finished = true;
            return out;
        }
    }
    out
}

fn text_key(k: &crossterm::event::KeyEvent) -> Option<TextKey> {
    if k.modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL)
    {
        // Ctrl-U and Ctrl-W edit as in a shell; other control keys type nothing.
        return match k.code {
            KeyCode::Char('u') => Some(TextKey::ClearLine),
            KeyCode::Char('w') => Some(TextKey::DeleteWord),
            KeyCode::Char('a') => Some(TextKey::Home),
            KeyCode::Char('e') => Some(TextKey::End),
            _ => None,
        };
    }
    Some(match k.code {
        KeyCode::Char(c) => TextKey::Char(c),
        KeyCode::Backspace => TextKey::Backspace,
        KeyCode::Enter => TextKey::Enter,
        KeyCode::Esc => TextKey::Cancel,
        KeyCode::Tab => TextKey::Tab,
        KeyCode::Up | KeyCode::BackTab => TextKey::Up,
        KeyCode::Down => TextKey::Down,
        KeyCode::Left => TextKey::Left,
        KeyCode::Right => TextKey::Right,
        KeyCode::Home => TextKey::Home,
        KeyCode::End => TextKey::End,
        _ => return None,
    })
}

/// Applies one terminal event to the app.
pub fn handle(ev: &Event, app: &mut AppState, model: &Model) {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            if app.search_input.is_some() {
                if let Some(t) = text_key(k) {
                    app.search_key(t);
                }
            } else if app.screen() == Screen::FilterForm {
                if let Some(t) = text_key(k) {
                    app.form_key(t);
                }
            } else if app.screen() == Screen::Save {
                if let Some(t) = text_key(k) {
                    app.save_key(t, model);
                }
            } else if let Some(a) = app.keymap.action(k) {
                app.apply(a, model);
            }
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => app.apply(Action::Down, model),
            MouseEventKind::ScrollUp => app.apply(Action::Up, model),
            MouseEventKind::Down(MouseButton::Left) => app.click(m.row, model),
            _ => {}
        },
        _ => {}
    }
}

/// Runs the UI until the user quits or a signal arrives.
///
/// # Errors
/// When the terminal fails.
pub fn run(
    model: &mut Model,
    events: &Events,
    control: &Control,
    interrupted: &Arc<AtomicBool>,
    app: &mut AppState,
    feed: &mut Feed,
) -> std::io::Result<()> {
    let mut guard = terminal::enter()?;
    // The filter's index is made a slice per turn, never all at once.
    app.call_list.incremental = true;
    app.call_list.rules_in_slices = !app.live;
    app.call_list.search_budget = Some(KEY_SEARCH);
    let done = Arc::new(AtomicBool::new(false));
    watchdog(&done);
    // Sleeps until a key, a signal, the capture's next event or a timer.
    let waiter = wait::Waiter::new();
    let wake_fd = waiter.as_ref().and(events.wake().fd());
    let mut finished = false;
    let mut last_draw: Option<Instant> = None;
    let mut drawn_generation = None;
    let mut dirty = true;
    let mut rate_mark = (Instant::now(), 0u64);
    // When the rows were last recomputed, and what that took.
    let mut rows_at: Option<Instant> = None;
    let mut rows_cost = Duration::ZERO;
    let mut last_events = Instant::now();
    loop {
        let mut busy = false;
        // Before the channel is looked at: an event sent after this wakes
        // the next sleep.
        events.wake().clear();
        if !finished {
            let d = drain(model, events, app, feed);
            finished = d.finished;
            busy = d.events > 0;
            if busy {
                last_events = Instant::now();
            }
        }
        if app.clear_requested {
            model.clear();
            app.cleared();
            dirty = true;
        }
        control.paused.store(app.paused, Ordering::Relaxed);
        let size = guard.terminal.size()?;
        app.page = usize::from(size.height.saturating_sub(6)).max(1);
        // Traffic waiting (a file being read) or the filter's index (or the
        // rules' masks) being made: look at the keys and go on.
        // Once the capture has ended, its last state is drawn at once: not
        // after a poll's wait (a file would look a quarter second slower).
        let undrawn = dirty || drawn_generation != Some(model.generation());
        let wait = if app.filter_busy() || (finished && undrawn) {
            Duration::ZERO
        } else if finished {
            IDLE
        } else if busy {
            Duration::ZERO
        } else if !app.live && !app.paused && last_events.elapsed() < FILE_QUIET {
            // A file's reader refills the channel in a few milliseconds:
            // a longer nap here would leave it blocked on a full channel.
            FILE_NAP
        } else if app.live {
            // Until the next second's frame (durations move).
            LIVE_TICK.saturating_sub(last_draw.map_or(LIVE_TICK, |t| t.elapsed()))
        } else {
            IDLE
        };
        // Not past what is due: a change not drawn yet (frames are spaced
        // while traffic flows) and rows held back (made at most once per
        // ten times their cost), as the loop below decides them.
        let wait = if dirty {
            Duration::ZERO
        } else {
            let since = |t: Option<Instant>, d: Duration| {
                t.map_or(Duration::ZERO, |t| d.saturating_sub(t.elapsed()))
            };
            let mut wait = wait;
            if drawn_generation != Some(model.generation()) {
                wait = wait.min(since(last_draw, MIN_FRAME));
            }
            if app.call_list.stale(model) {
                wait = wait.min(since(rows_at, MIN_FRAME.max(rows_cost * ROWS_SHARE)));
            }
            wait
        };
        // A save under way draws its progress; without a waiter the
        // channel is looked at on a short tick.
        let sleeps = wait > TICK && app.saving.is_none() && waiter.is_some();
        let wait = if sleeps { wait } else { wait.min(TICK) };
        let input = match &waiter {
            Some(w) if sleeps => w.wait(wake_fd, wait)? && event::poll(Duration::ZERO)?,
            _ => event::poll(wait)?,
        };
        if input {
            // Take every pending event before drawing.
            loop {
                let ev = event::read()?;
                handle(&ev, app, model);
                dirty = true;
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        if let Some(e) = feed.tick() {
            // Sinks are ticked on the clock too (a quiet link).
            app.status = Some(e);
            dirty = true;
        }
        if app.poll_save() || app.saving.is_some() {
            dirty = true; // the result, or progress
        }
        if app.quit || interrupted.load(Ordering::Relaxed) {
            app.wait_save(model);
            break;
        }
        let elapsed = rate_mark.0.elapsed();
        if elapsed >= Duration::from_secs(1) {
            let n = model.stats().sip_messages;
            app.rate = (n - rate_mark.1) as f64 / elapsed.as_secs_f64();
            rate_mark = (Instant::now(), n);
        }
        let moved = drawn_generation != Some(model.generation());
        // Frames are spaced while traffic flows; the last one is not held.
        let due = finished || last_draw.is_none_or(|t| t.elapsed() >= MIN_FRAME);
        // Once a file is read, nothing competes: the rows at once.
        let rows_due = finished
            || rows_at.is_none_or(|t| t.elapsed() >= MIN_FRAME.max(rows_cost * ROWS_SHARE));
        // Live, the clock moves durations and states even on a quiet link.
        let tick = app.live && last_draw.is_none_or(|t| t.elapsed() >= LIVE_TICK);
        if tick && rows_due {
            app.refresh_now();
        }
        // Rows held back while traffic flowed are made once they are due.
        let rows_waiting = rows_due && app.call_list.stale(model);
        if dirty || (moved && due) || tick || rows_waiting {
            // A key typed into the display filter is echoed at once: the
            // line drawn over the rows it had, before the rows are made
            // again for it (at a million dialogs that takes a pass).
            if app.search_input.is_some() && app.call_list.rows_changed() {
                guard.terminal.draw(|f| views::render(f, app, model))?;
            }
            // A key that changed the filter or the sort needs the rows now;
            // new traffic only when they are due.
            if rows_due || app.call_list.rows_changed() {
                let t = Instant::now();
                if app.refresh(model) {
                    rows_cost = t.elapsed();
                    rows_at = Some(Instant::now());
                }
            }
            guard.terminal.draw(|f| views::render(f, app, model))?;
            last_draw = Some(Instant::now());
            drawn_generation = Some(model.generation());
            dirty = false;
        }
        // After the draw, so "collecting the frames…" is on screen meanwhile.
        if app.start_pending_save(model) {
            dirty = true;
        }
        // After the draw too: the filter's prompt shows while its texts are
        // made, a slice at a time (keys typed meanwhile are looked at
        // between slices).
        if app.prepare_filter(model, Some(Instant::now() + FILTER_SLICE)) {
            dirty = true;
        }
    }
    control.stop.store(true, Ordering::Relaxed);
    done.store(true, Ordering::Relaxed);
    drop(guard);
    Ok(())
}

/// When the terminal goes away (an SSH session dropped: SIGHUP), crossterm
/// can spin forever inside `poll` reading the dead tty, so the loop never sees
/// the signal; SIGTERM would then be ignored too. Once a stopping signal
/// arrives (the signals' watchdog runs this at once, see
/// [`crate::signals::on_signal`]), a thread gives the loop a second to
/// notice it, then restores what it can and exits. No thread waits before.
fn watchdog(done: &Arc<AtomicBool>) {
    let done = Arc::clone(done);
    crate::signals::on_signal(move || {
        if done.load(Ordering::Relaxed) {
            return;
        }
        let done = Arc::clone(&done);
        let _ = std::thread::Builder::new()
            .name("ui-watchdog".into())
            .spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                if !done.load(Ordering::Relaxed) {
                    tracing::warn!(
                        "a signal arrived and the UI loop did not stop (the terminal is gone?); exiting"
                    );
                    terminal::restore();
                    std::process::exit(i32::from(crate::signals::exit_status().unwrap_or(1)));
                }
            });
    });
}
