//! Live capture through libpcap (the `pcap` crate).

use std::sync::atomic::Ordering;

use super::{Control, Processor};
use crate::decode::Frame;

/// How long the capture thread sleeps when no packet is waiting.
const IDLE_NAP: std::time::Duration = std::time::Duration::from_millis(2);
/// How often kernel counters are read while idle.
const IDLE_STATS: std::time::Duration = std::time::Duration::from_millis(500);

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
            // large snap length lost most of a burst in our measurements.
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
        let mut last_stats = std::time::Instant::now();
        loop {
            if control.stop.load(Ordering::Relaxed) || out.disconnected() {
                break;
            }
            match self.cap.next_packet() {
                Ok(p) => {
                    if control.paused.load(Ordering::Relaxed) {
                        out.counters.lost.paused += 1;
                        continue;
                    }
                    let ts_ns = p.header.ts.tv_sec * 1_000_000_000 + p.header.ts.tv_usec * 1000;
                    out.frame(&Frame {
                        ts_ns,
                        linktype: self.linktype,
                        source: 0,
                        orig_len: p.header.len,
                        file_offset: None,
                        data: p.data,
                    });
                }
                Err(pcap::Error::TimeoutExpired) => {
                    // Nothing to read now: hand over what we have, then nap.
                    out.flush_if_pending();
                    if last_stats.elapsed() >= IDLE_STATS {
                        self.kernel_stats(out);
                        out.flush();
                        last_stats = std::time::Instant::now();
                    }
                    std::thread::sleep(IDLE_NAP);
                }
                Err(e) => {
                    // Said as "capture stopped: …" by whoever shows it.
                    out.fail(format!("{}: {e}", self.name));
                    return;
                }
            }
        }
        self.kernel_stats(out);
    }

    fn kernel_stats(&mut self, out: &mut Processor) {
        if let Ok(s) = self.cap.stats() {
            out.counters.lost.kernel = u64::from(s.dropped) + u64::from(s.if_dropped);
            out.counters.received_kernel = u64::from(s.received);
        }
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
