//! The UI loop's sleep when nothing is waiting: until a key (any terminal
//! input), a resize, a stopping signal, an event from the capture (its
//! [`crate::capture::wake::Wake`] descriptor) or the loop's next timer,
//! whichever comes first, in one `poll`. crossterm's own `poll` sees only
//! the terminal, so the loop had to wake every 50 ms to look at the
//! channel; now an idle link costs a wake-up per timer (a second live,
//! for the durations shown), none in between.

use std::fs::File;
use std::io::{IsTerminal, Read, Stdin};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Where the keys come from: standard input when it is the terminal (as
/// crossterm reads it), else the terminal opened apart (`-r -`: standard
/// input is the capture).
#[derive(Debug)]
enum Tty {
    Stdin(Stdin),
    File(File),
}

impl Tty {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Stdin(s) => s.as_fd(),
            Self::File(f) => f.as_fd(),
        }
    }
}

/// See the module's doc.
#[derive(Debug)]
pub struct Waiter {
    tty: Tty,
    /// Written to by the handlers of SIGWINCH and the stopping signals.
    signals: UnixStream,
    ids: Vec<signal_hook::SigId>,
}

impl Waiter {
    /// `None` when the terminal or the signals' socket cannot be had: the
    /// loop then looks at the channel on a short tick, as before.
    #[must_use]
    pub fn new() -> Option<Self> {
        let stdin = std::io::stdin();
        let tty = if stdin.is_terminal() {
            Tty::Stdin(stdin)
        } else {
            Tty::File(File::open("/dev/tty").ok()?)
        };
        let (rx, tx) = UnixStream::pair().ok()?;
        rx.set_nonblocking(true).ok()?;
        tx.set_nonblocking(true).ok()?;
        let mut ids = Vec::new();
        for sig in crate::signals::STOPPING
            .into_iter()
            .chain([signal_hook::consts::SIGWINCH])
        {
            let id = tx
                .try_clone()
                .ok()
                .and_then(|w| signal_hook::low_level::pipe::register(sig, w).ok());
            match id {
                Some(id) => ids.push(id),
                None => {
                    for id in ids {
                        signal_hook::low_level::unregister(id);
                    }
                    return None;
                }
            }
        }
        Some(Self {
            tty,
            signals: rx,
            ids,
        })
    }

    /// Sleeps until the terminal has input, a signal came, `wake` is
    /// readable, or `timeout` passed. Says whether the terminal (or a
    /// signal: a resize is terminal news) has something.
    ///
    /// # Errors
    /// When `poll` fails for another reason than a signal.
    pub fn wait(&self, wake: Option<BorrowedFd<'_>>, timeout: Duration) -> std::io::Result<bool> {
        let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        let mut fds = vec![
            PollFd::new(self.tty.fd(), PollFlags::POLLIN),
            PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
        ];
        if let Some(w) = wake {
            fds.push(PollFd::new(w, PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready = |f: &PollFd| f.any().unwrap_or(false);
        let news = fds.first().is_some_and(ready) || fds.get(1).is_some_and(ready);
        // The signals' bytes read: the next wait sleeps again.
        let mut buf = [0u8; 64];
        while (&self.signals).read(&mut buf).is_ok_and(|n| n > 0) {}
        Ok(news)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
