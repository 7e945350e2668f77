//! Entering and leaving the full-screen terminal. The guard restores the
//! terminal when dropped (normal exit, error, SIGTERM/SIGHUP via the loop),
//! and the panic hook restores it before the panic message is printed.

use std::io::{self, Stdout};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Owns the terminal while the UI runs.
pub struct Guard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Enters raw mode and the alternate screen, with mouse reporting.
///
/// # Errors
/// When the terminal cannot be set up (then it is restored first).
pub fn enter() -> io::Result<Guard> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic contained by `contain::run` is an answer, not a crash.
        if crate::contain::active() {
            return;
        }
        restore();
        previous(info);
    }));
    let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        let mut t = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        t.hide_cursor()?;
        t.clear()?;
        Ok(t)
    };
    match setup() {
        Ok(terminal) => Ok(Guard { terminal }),
        Err(e) => {
            restore();
            Err(e)
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
