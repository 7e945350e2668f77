//! Live capture through libpcap (the `pcap` crate).
//!
//! The kernel fills a ring of blocks (`TPACKET_V3`) and hands a block over when
//! it is full or 100 ms after its first packet. The thread reads every packet
//! of the ready blocks (`pcap_dispatch`). While traffic flows it then naps
//! and reads again, the packets waiting in the ring meanwhile: one wake-up
//! (and one hand-over to the model's thread) per nap, whatever the rate,
//! instead of one per block. The nap is long enough to gather a few
//! thousand packets at the rate just seen, within bounds ([`Pace`]: shorter
//! when a UI shows the traffic as it comes). The batches made during one turn go to the model's
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
/// Reads at most, once stopped, to take in what the ring holds (at 1,024
/// packets each: more than the 128 MiB default holds on `lo`).
const DRAIN_READS: usize = 256;
/// How long the thread naps while the model's channel is full (the packets
/// wait in the kernel's ring meanwhile).
const BACKLOG_NAP: Duration = Duration::from_millis(1);
/// While traffic flows, the thread naps between reads. Each wake-up of the
/// capture thread, and each hand-over to the model's thread, costs the same
/// whether it carries ten messages or a thousand (switching in, caches and
/// TLB refilled after whatever ran between): at 10,000 messages/s a block
/// fills every 15 ms, and with a nap of 50 ms the two threads still woke 20
/// times a second each (docs/performance-live.md). The nap is long enough
/// to gather [`Pace::gather`] packets at the rate of the last turn, at
/// least this long (the fixed cost of a turn stays small against its
/// packets at any rate) and at most [`Pace::longest`].
const WAKE_GAP_MIN: Duration = Duration::from_millis(50);

/// How the live loop paces its turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Packets a nap should gather at the rate of the last turn.
    gather: u32,
    /// The longest nap: a message reaches the model at most this much later
    /// (plus the block's 100 ms when traffic starts).
    longest: Duration,
}

impl Pace {
    /// A UI shows the traffic: at most 200 ms late. The ring holds what
    /// arrives meanwhile: at 100,000 messages/s the nap is
    /// [`WAKE_GAP_MIN`] (about 8 MiB of the ring on `lo`, where each packet
    /// is there twice, of the 128 MiB default); at 20,000/s and below 200 ms
    /// (at most 4,096 messages, about 7 MiB).
    pub const SHOWN: Self = Self {
        gather: 4096,
        longest: Duration::from_millis(200),
    };
    /// Nobody watches as it comes (`--no-ui`: a report at the end, NDJSON
    /// lines, a recording, HEP): a turn a second at 16,000 messages/s and
    /// below, at most 1 s late; at 100,000/s a nap of 164 ms (about 26 MiB
    /// of the ring on `lo`).
    pub const HEADLESS: Self = Self {
        gather: 16_384,
        longest: Duration::from_secs(1),
    };

    /// How long to nap after a turn that read `packets` in `took`.
    fn nap(self, packets: u64, took: Duration) -> Duration {
        let per_packet = took / u32::try_from(packets.max(1)).unwrap_or(u32::MAX);
        per_packet
            .saturating_mul(self.gather)
            .clamp(WAKE_GAP_MIN, self.longest)
    }
}

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

    pub(super) fn run(mut self, out: &mut Processor, control: &Control, pace: Pace) {
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
            out.cork();
            let read = self.read(out, control);
            let n = *read.as_ref().unwrap_or(&0);
            packets += n;
            match read {
                Ok(0) if flowing => {
                    // Read up to now: hand the turn's batches over at once,
                    // then let packets gather in the ring.
                    flowing = false;
                    out.flush_if_pending();
                    out.uncork();
                    let gap = pace.nap(packets, turn.elapsed());
                    turn = Instant::now();
                    packets = 0;
                    sleep_unless_stopped(gap, waker);
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
        if !out.disconnected() {
            // Stopped (a quit, `--duration`, a signal): what the kernel has
            // handed over arrived before the stop; take it in (bounded: a
            // ring's worth at most). A nap may have left a second of it.
            for _ in 0..DRAIN_READS {
                if !matches!(self.read(out, control), Ok(n) if n > 0) {
                    break;
                }
            }
        }
        out.uncork();
        self.kernel_stats(out);
    }

    /// Reads the packets of the ready blocks (at most [`DISPATCH`]);
    /// returns how many.
    fn read(&mut self, out: &mut Processor, control: &Control) -> Result<u64, pcap::Error> {
        let linktype = self.linktype;
        let paused = control.paused.load(Ordering::Relaxed);
        let mut n = 0u64;
        self.cap.dispatch(Some(DISPATCH), |p| {
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
        })?;
        Ok(n)
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

/// Sleeps `gap`, or less if the stop flag is set (its `waker`).
fn sleep_unless_stopped(gap: Duration, waker: Option<std::os::fd::BorrowedFd<'_>>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let Some(waker) = waker else {
        std::thread::sleep(gap);
        return;
    };
    let ms = u16::try_from(gap.as_millis()).unwrap_or(u16::MAX);
    if poll(
        &mut [PollFd::new(waker, PollFlags::POLLIN)],
        PollTimeout::from(ms),
    )
    .is_err()
    {
        std::thread::sleep(gap);
    }
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
        let shown = Pace::SHOWN;
        // 10,000/s: 4,096 would take 410 ms, more than the longest nap.
        assert_eq!(shown.nap(10_000, second), shown.longest);
        // 40,000/s: about 102 ms.
        let at_40k = shown.nap(40_000, second);
        assert!(at_40k > Duration::from_millis(100) && at_40k < Duration::from_millis(105));
        // 200,000/s, and a turn that read nothing (or took no time).
        assert_eq!(shown.nap(200_000, second), WAKE_GAP_MIN);
        assert_eq!(shown.nap(0, second), shown.longest);
        assert_eq!(shown.nap(1_000, Duration::ZERO), WAKE_GAP_MIN);
        // Headless: a turn a second at 10,000/s, 164 ms at 100,000/s.
        let headless = Pace::HEADLESS;
        assert_eq!(headless.nap(10_000, second), second);
        let at_100k = headless.nap(100_000, second);
        assert!(at_100k > Duration::from_millis(160) && at_100k < Duration::from_millis(170));
    }

    #[test]
    fn a_nap_ends_when_the_stop_flag_is_set() {
        let control = std::sync::Arc::new(Control::default());
        let setter = std::sync::Arc::clone(&control);
        let started = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            setter.stop.store(true, Ordering::Relaxed);
        });
        sleep_unless_stopped(Duration::from_secs(30), control.stop.waker());
        t.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}
