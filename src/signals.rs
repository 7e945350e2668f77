//! SIGINT, SIGTERM and SIGHUP: a flag the UI and headless loops read, and
//! the exit status the process then ends with, 128 + the signal's number as
//! a shell reports it (130, 143, 129), so scripts and systemd can tell an
//! interrupted run from a finished one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

static LAST: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// The signals that stop sipscope.
pub const STOPPING: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// Installs the handlers: each stopping signal sets `interrupted` and
/// remembers itself.
///
/// # Errors
/// When a handler cannot be installed.
pub fn install(interrupted: &Arc<AtomicBool>) -> std::io::Result<()> {
    let last = LAST.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for sig in STOPPING {
        signal_hook::flag::register_usize(
            sig,
            Arc::clone(last),
            usize::try_from(sig).unwrap_or(0),
        )?;
        signal_hook::flag::register(sig, Arc::clone(interrupted))?;
    }
    Ok(())
}

/// The exit status a stopping signal calls for (128 + its number), if one
/// arrived.
#[must_use]
pub fn exit_status() -> Option<u8> {
    let sig = LAST.get()?.load(Ordering::Relaxed);
    (sig != 0).then(|| u8::try_from(128 + sig).unwrap_or(u8::MAX))
}

/// What to do at once when a stopping signal arrives, besides setting the
/// flag (stop the capture: see [`on_signal`]).
type Hook = Box<dyn Fn() + Send>;
static HOOKS: std::sync::Mutex<Vec<Hook>> = std::sync::Mutex::new(Vec::new());

/// Runs `f` on the watchdog's thread as soon as a stopping signal arrives
/// (once, for the first), so that a loop which sleeps long between looks at
/// the flag (the headless loop on a quiet link) need not wake to look: `f`
/// stops what it waits for.
pub fn on_signal(f: impl Fn() + Send + 'static) {
    if let Ok(mut hooks) = HOOKS.lock() {
        hooks.push(Box::new(f));
    }
}

/// Ends the process with [`exit_status`] when a signal arrived and `done`
/// was not set within `grace`: the main thread may be blocked opening or
/// reading a pipe whose writer stalls, where no loop sees the flag. It
/// sleeps until a stopping signal arrives (no wake-up while none does),
/// then runs the [`on_signal`] hooks.
pub fn watchdog(interrupted: &Arc<AtomicBool>, done: &Arc<AtomicBool>, grace: std::time::Duration) {
    let (flag, done) = (Arc::clone(interrupted), Arc::clone(done));
    // Made here, before a signal that arrives later can be missed; one that
    // came before is in the flag.
    let signals = signal_hook::iterator::Signals::new(STOPPING);
    let _ = std::thread::Builder::new()
        .name("signal-watchdog".into())
        .spawn(move || {
            match signals {
                Ok(mut signals) => {
                    if !flag.load(Ordering::Relaxed) {
                        // Blocks in a read of the handlers' pipe.
                        let _ = signals.forever().next();
                    }
                }
                // No pipe: look at the flag now and then, as before.
                Err(_) => {
                    while !flag.load(Ordering::Relaxed) {
                        std::thread::sleep(std::time::Duration::from_millis(500));
                    }
                }
            }
            if let Ok(hooks) = HOOKS.lock() {
                for hook in hooks.iter() {
                    hook();
                }
            }
            std::thread::sleep(grace);
            if !done.load(Ordering::Relaxed) {
                tracing::warn!("a signal arrived and sipscope was blocked reading; exiting");
                std::process::exit(i32::from(exit_status().unwrap_or(1)));
            }
        });
}
