//! Live capture through libpcap (the `pcap` crate).
//!
//! The kernel fills a ring of blocks (`TPACKET_V3`) and hands a block over when
//! it is full or 100 ms after its first packet. The thread reads every packet
//! of the ready blocks (`pcap_dispatch`). While traffic flows it then naps
//! and reads again, the packets waiting in the ring meanwhile: one wake-up
//! (and one hand-over to the model's thread) per nap, whatever the rate,
//! instead of one per block. The nap is long enough to gather about
//! [`GATHER`] packets at the rate just seen, between [`WAKE_GAP_MIN`] and
//! [`WAKE_GAP_MAX`]. The batches made during one turn go to the model's
//! thread together at its end ([`Processor::cork`]), so that thread wakes
//! once per turn too. When a read after the nap finds nothing, the link has
//! gone quiet: what is pending goes to the model and the thread sleeps in
//! `poll` on the capture's descriptor until the kernel hands over the next
//! block or the stop flag is set ([`super::StopFlag`] wakes it); on an idle
//! link it wakes once a second ([`POLL_WAIT_MS`]), for the kernel's
//! counters.

use std::os::fd::AsFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Control, Processor};
use crate::decode::Frame;

/// Longest sleep in `poll` on an idle link, in ms: when the kernel
/// counters are read next. (Setting the stop flag wakes the poll.)
const POLL_WAIT_MS: u16 = 1000;
/// Packets handled per read at most, between looks at the flags, the clock
/// and the channel.
const DISPATCH: usize = 1024;
/// How long the thread naps while the model's channel is full (the packets
/// wait in the kernel's ring meanwhile).
const BACKLOG_NAP: Duration = Duration::from_millis(1);
/// While traffic flows, the thread naps between reads. Each wake-up of the
/// capture thread, and each hand-over to the model's thread, costs the same
/// whether it carries ten messages or a thousand (switching in, caches and
/// TLB refilled after whatever ran between): at 10,000 messages/s a block
/// fills every 15 ms, and with a nap of 50 ms the two threads still woke 20
/// times a second each (docs/performance-live.md). The nap is long enough
/// to gather this many packets at the rate of the last turn...
const GATHER: u64 = 4096;
/// ... but at least this long (the fixed cost of a turn stays small against
/// its packets at any rate) ...
const WAKE_GAP_MIN: Duration = Duration::from_millis(50);
/// ... and at most this long: a message reaches the model at most this
/// much later (plus the block's 100 ms when traffic starts). The ring holds
/// what arrives meanwhile: at 100,000 messages/s the nap is [`WAKE_GAP_MIN`]
/// (about 8 MiB of the ring on `lo`, where each packet is there twice, of
/// the 128 MiB default); at 20,000/s and below it is this (at most 4,096
/// messages, about 7 MiB).
const WAKE_GAP_MAX: Duration = Duration::from_millis(200);
/// How often kernel counters are read (libpcap opens files in /sys for
/// them; each read also sends the counters, waking the model's thread).
const STATS_EVERY: Duration = Duration::from_secs(1);

/// What `-i` asks for.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub interface: String,
    pub filter: Option<String>,
    pub snaplen: i32,
    /// Kernel buffer in MiB (`-B`).
    pub buffer_mb: i32,
}

/// An open live capture, ready to hand to the capture thread.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    linktype: u16,
    /// The interface's name, escaped (it came from the command line).
    name: String,
}

impl LiveCapture {
    /// Opens the interface and sets the filter.
    ///
    /// # Errors
    /// With a message that says what to do: run with sudo or setcap, pick an
    /// interface that exists (listed), or fix the filter (libpcap's words).
    pub fn open(o: &LiveOptions) -> anyhow::Result<Self> {
        let name = crate::text::escape::text(&o.interface).into_owned();
        let inactive = pcap::Capture::from_device(o.interface.as_str())
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
            .snaplen(o.snaplen)
            .promisc(true)
            // A short read timeout, not immediate mode: immediate mode with a
            // large snap length lost most of a burst in our measurements
            // (each packet then takes a whole block of the ring). With
            // TPACKET_V3 this is how long a block may wait for more packets
            // before the kernel hands it over.
            .timeout(100)
            .buffer_size(o.buffer_mb.saturating_mul(1 << 20));
        // Non-blocking: on an idle link libpcap 1.10 (TPACKET_V3) never ends
        // a blocking read, so the stop flag and the last batch would wait for
        // the next packet (seen: quitting hung until traffic came).
        let mut cap = inactive
            .open()
            .map_err(|e| open_error(&name, &e))?
            .setnonblock()
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if let Some(f) = &o.filter {
            cap.filter(f, true)
                .map_err(|e| anyhow::anyhow!("bad capture filter \"{f}\": {e}"))?;
        }
        let linktype = u16::try_from(cap.get_datalink().0).unwrap_or(u16::MAX);
        if !crate::decode::link::is_supported(linktype) {
            anyhow::bail!(
                "{name}: link type {linktype} is not supported (Ethernet, Linux cooked, raw IP and loopback are)"
            );
        }
        Ok(Self {
            cap,
            linktype,
            name,
        })
    }

    pub(super) fn run(mut self, out: &mut Processor, control: &Control) {
        let linktype = self.linktype;
        let mut last_stats = Instant::now();
        // Wake-ups in a row that found nothing to read (a guard against a
        // descriptor that keeps saying "ready").
        let mut empty_wakes = 0u32;
        // The last read found packets: nap before polling.
        let mut flowing = false;
        // This turn: since when, and the packets read in it.
        let mut turn = Instant::now();
        let mut packets = 0u64;
        let waker = control.stop.waker();
        loop {
            if control.stop.load(Ordering::Relaxed) || out.disconnected() {
                break;
            }
            if last_stats.elapsed() >= STATS_EVERY {
                self.kernel_stats(out);
                out.flush(); // the counters, even on an idle link
                last_stats = Instant::now();
            }
            if out.backlogged() && !out.retry_backlog() {
                // The model is behind: leave the packets in the kernel's
                // ring (it drops, and counts, only when full).
                std::thread::sleep(BACKLOG_NAP);
                continue;
            }
            let paused = control.paused.load(Ordering::Relaxed);
            out.cork();
            let mut n = 0u64;
            let read = self.cap.dispatch(Some(DISPATCH), |p| {
                n += 1;
                if paused {
                    out.counters.lost.paused += 1;
                    return;
                }
                let ts_ns = p.header.ts.tv_sec * 1_000_000_000 + p.header.ts.tv_usec * 1000;
                out.frame(&Frame {
                    ts_ns,
                    linktype,
                    source: 0,
                    orig_len: p.header.len,
                    file_offset: None,
                    data: p.data,
                });
            });
            packets += n;
            match read {
                Ok(0) if flowing => {
                    // Read up to now: hand the turn's batches over at once,
                    // then let packets gather in the ring.
                    flowing = false;
                    out.flush_if_pending();
                    out.uncork();
                    let gap = nap(packets, turn.elapsed());
                    turn = Instant::now();
                    packets = 0;
                    std::thread::sleep(gap);
                }
                Ok(0) => {
                    // Nothing came during the nap: hand over what we have,
                    // then sleep until the kernel hands over a block.
                    out.flush_if_pending();
                    out.uncork();
                    self.wait(&mut empty_wakes, waker);
                    turn = Instant::now();
                    packets = 0;
                }
                Ok(_) => {
                    flowing = true;
                    empty_wakes = 0;
                }
                Err(e) => {
                    // Said as "capture stopped: …" by whoever shows it.
                    out.uncork();
                    out.fail(format!("{}: {e}", self.name));
                    return;
                }
            }
        }
        out.uncork();
        self.kernel_stats(out);
    }

    /// Sleeps until the kernel has a block for us, the stop flag is set
    /// (`waker`), or [`POLL_WAIT_MS`].
    fn wait(&self, empty_wakes: &mut u32, waker: Option<std::os::fd::BorrowedFd<'_>>) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        *empty_wakes += 1;
        if *empty_wakes > 3 {
            // Woken several times with nothing to read: nap instead of
            // spinning (an error the next read will report, or a signal).
            std::thread::sleep(Duration::from_millis(2));
            *empty_wakes = 0;
        }
        let mut fds: smallvec::SmallVec<[PollFd<'_>; 2]> =
            smallvec::smallvec![PollFd::new(self.cap.as_fd(), PollFlags::POLLIN)];
        fds.extend(waker.map(|w| PollFd::new(w, PollFlags::POLLIN)));
        match poll(&mut fds, PollTimeout::from(POLL_WAIT_MS)) {
            // Timed out on an idle link: not an empty wake-up.
            Ok(0) => *empty_wakes = 0,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }

    fn kernel_stats(&mut self, out: &mut Processor) {
        if let Ok(s) = self.cap.stats() {
            out.counters.lost.kernel = u64::from(s.dropped) + u64::from(s.if_dropped);
            out.counters.received_kernel = u64::from(s.received);
        }
    }
}

/// How long to nap after a turn that read `packets` in `took`: long
/// enough to gather [`GATHER`] at that rate, within [`WAKE_GAP_MIN`] and
/// [`WAKE_GAP_MAX`].
fn nap(packets: u64, took: Duration) -> Duration {
    let per_packet = took / u32::try_from(packets.max(1)).unwrap_or(u32::MAX);
    per_packet
        .saturating_mul(u32::try_from(GATHER).unwrap_or(u32::MAX))
        .clamp(WAKE_GAP_MIN, WAKE_GAP_MAX)
}

fn open_error(iface: &str, e: &pcap::Error) -> anyhow::Error {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        return anyhow::anyhow!(
            "{iface}: no permission to capture ({text}).\n\
             Run with sudo, or once: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v sipscope)"
        );
    }
    if lower.contains("no such device")
        || lower.contains("doesn't exist")
        || lower.contains("not found")
    {
        let names: Vec<String> = pcap::Device::list()
            .map(|l| l.into_iter().map(|d| d.name).collect())
            .unwrap_or_default();
        return anyhow::anyhow!(
            "{iface}: no such interface. Interfaces here: {}",
            if names.is_empty() {
                "(none listed)".into()
            } else {
                names.join(", ")
            }
        );
    }
    anyhow::anyhow!("{iface}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nap_gathers_a_few_thousand_packets_within_its_bounds() {
        let second = Duration::from_secs(1);
        // 10,000/s: 4,096 would take 410 ms, more than the longest nap.
        assert_eq!(nap(10_000, second), WAKE_GAP_MAX);
        // 40,000/s: about 102 ms.
        let at_40k = nap(40_000, second);
        assert!(at_40k > Duration::from_millis(100) && at_40k < Duration::from_millis(105));
        // 200,000/s, and a turn that read nothing (or took no time).
        assert_eq!(nap(200_000, second), WAKE_GAP_MIN);
        assert_eq!(nap(0, second), WAKE_GAP_MAX);
        assert_eq!(nap(1_000, Duration::ZERO), WAKE_GAP_MIN);
    }
}
