//! Running third-party parsers that may panic on hostile input (sdp-rs
//! panicked on a huge `r=` value under fuzzing) without letting the panic
//! take the process, or the UI's panic hook restore the terminal mid-session.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Is this thread inside [`run`]? Panic hooks stay quiet then.
#[must_use]
pub fn active() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Runs `f`, turning a panic into `Err` with its message.
///
/// # Errors
/// When `f` panicked.
pub fn run<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    r.map_err(|e| {
        e.downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panicked".to_owned())
    })
}

/// Installs a panic hook that is silent inside [`run`] and otherwise defers
/// to the previous hook.
pub fn install_quiet_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !active() {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_an_error() {
        super::install_quiet_hook();
        let r: Result<(), String> = super::run(|| panic!("boom"));
        assert_eq!(r, Err("boom".to_owned()));
        assert!(!super::active());
        assert_eq!(super::run(|| 7), Ok(7));
    }
}
