//! Wakes the model's thread when the capture sends it something, so the UI
//! loop can sleep until a key, new data or its next timer instead of
//! looking at the channel every few milliseconds. [`Tx`] is the capture
//! side's end of the channel: a send that went through also writes a byte
//! on a socket, once the consumer asked for one ([`Wake::fd`]; the headless
//! loop waits on the channel itself and never asks, so it costs it one
//! atomic load per batch).

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SendError, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};

use super::CaptureEvent;

/// A socket pair: a byte on the first makes the second readable.
#[derive(Debug, Default)]
pub struct Wake {
    armed: AtomicBool,
    pair: OnceLock<Option<(UnixDatagram, UnixDatagram)>>,
}

impl Wake {
    /// A descriptor that becomes readable when the capture sends an event
    /// (`None` if no socket pair could be made). From the first call on,
    /// every send writes a byte.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        let pair = self.pair.get_or_init(|| {
            let (tx, rx) = UnixDatagram::pair().ok()?;
            tx.set_nonblocking(true).ok()?;
            rx.set_nonblocking(true).ok()?;
            Some((tx, rx))
        });
        self.armed.store(pair.is_some(), Ordering::Release);
        pair.as_ref().map(|(_, rx)| rx.as_fd())
    }

    /// Reads the bytes written so far: the descriptor is readable again
    /// only after a later send. Call it before looking at the channel.
    pub fn clear(&self) {
        if let Some(Some((_, rx))) = self.pair.get() {
            let mut buf = [0u8; 64];
            while rx.recv(&mut buf).is_ok() {}
        }
    }

    fn ring(&self) {
        if self.armed.load(Ordering::Acquire)
            && let Some(Some((tx, _))) = self.pair.get()
        {
            // Non-blocking: a full socket is readable already.
            let _ = tx.send(&[1]);
        }
    }
}

/// The capture's end of the events channel: a `SyncSender` that rings
/// [`Wake`] after each event it hands over.
#[derive(Debug, Clone)]
pub struct Tx {
    tx: SyncSender<CaptureEvent>,
    wake: Arc<Wake>,
}

impl Tx {
    pub fn new(tx: SyncSender<CaptureEvent>, wake: Arc<Wake>) -> Self {
        Self { tx, wake }
    }

    /// As [`SyncSender::send`] (the event comes back in the error, as the
    /// channel gives it).
    ///
    /// # Errors
    /// When the receiver is gone.
    #[allow(clippy::result_large_err)]
    pub fn send(&self, ev: CaptureEvent) -> Result<(), SendError<CaptureEvent>> {
        self.tx.send(ev)?;
        self.wake.ring();
        Ok(())
    }

    /// As [`SyncSender::try_send`].
    ///
    /// # Errors
    /// When the channel is full or the receiver gone.
    #[allow(clippy::result_large_err)]
    pub fn try_send(&self, ev: CaptureEvent) -> Result<(), TrySendError<CaptureEvent>> {
        self.tx.try_send(ev)?;
        self.wake.ring();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: BorrowedFd<'_>) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::ZERO).unwrap_or(0) > 0
    }

    #[test]
    fn a_send_makes_the_descriptor_readable_until_cleared() {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let wake = Arc::new(Wake::default());
        let tx = Tx::new(tx, Arc::clone(&wake));
        // Not asked for yet: nothing written.
        tx.send(CaptureEvent::Finished).unwrap();
        let fd = wake.fd().unwrap();
        assert!(!readable(fd));
        tx.try_send(CaptureEvent::Finished).unwrap();
        assert!(readable(fd));
        wake.clear();
        assert!(!readable(fd));
        tx.send(CaptureEvent::Finished).unwrap();
        assert!(readable(fd));
        assert_eq!(rx.try_iter().count(), 3);
    }
}
