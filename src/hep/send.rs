//! `-H URL`: every SIP message as HEP v3 to a collector (HOMER's
//! heplify-server, sngrep `-L`, another sipscope `-L`), and the RTCP of the
//! calls' streams as HOMER takes it (payload type 5, the report as JSON,
//! tied to its call by the Call-ID: [`super::rtcp_json`]).
//!
//! The sink encodes on the loop that feeds the model and hands the packet
//! to a thread of its own over a bounded queue, so the capture never waits
//! on the network: live, a full queue drops the packet and counts it. From a
//! file (`-r`, replaying a capture into HOMER) nothing needs dropping, so the
//! queue waits instead. UDP sends datagrams; TCP connects, and reconnects
//! with a backoff when the collector goes away (packets meanwhile are
//! dropped and counted).

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{HepMeta, PROTO_TCP, PROTO_UDP, encode, payload_type};
use crate::decode::{Frames, Transport};
use crate::model::Model;
use crate::rtp::MediaBody;
use crate::sink::{Sink, SinkSummary};
use crate::sip::SipMessage;

/// Packets waiting for the network at most.
const QUEUE: usize = 16_384;
/// The longest wait between two attempts to reach a TCP collector.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A TCP write that takes longer gives up (the collector is stuck).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

pub use super::url::{Carrier, Target};

/// What `-H` was given.
#[derive(Debug, Clone)]
pub struct HepOptions {
    pub target: Target,
    /// `--hep-id`: the capture agent id (chunk 12).
    pub agent_id: Option<u32>,
    /// `--hep-password` (chunk 14).
    pub password: Option<String>,
    /// Reading files: wait for the network instead of dropping.
    pub lossless: bool,
}

/// What the sender did, shared with its thread.
#[derive(Debug, Default)]
pub struct HepCounters {
    pub sent: AtomicU64,
    /// Of `sent`, the RTCP reports.
    pub rtcp_sent: AtomicU64,
    /// Live: the queue was full (the collector or the network is slow).
    pub dropped_queue: AtomicU64,
    /// The collector could not be reached, or the send failed.
    pub dropped_unsent: AtomicU64,
    /// Messages too large for one HEP packet (65,535 bytes).
    pub too_long: AtomicU64,
}

impl HepCounters {
    /// Packets lost on the way to the collector, for every reason.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped_queue.load(Ordering::Relaxed)
            + self.dropped_unsent.load(Ordering::Relaxed)
            + self.too_long.load(Ordering::Relaxed)
    }
}

/// A packet for the sending thread, and whether it carries RTCP.
type Queued = (Vec<u8>, bool);

/// The HEP sink.
pub struct HepSender {
    options: HepOptions,
    queue: Option<SyncSender<Queued>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<HepCounters>,
}

impl std::fmt::Debug for HepSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HepSender")
            .field("target", &self.options.target.url)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl HepSender {
    /// Opens the socket (UDP) and starts the sending thread; TCP connects
    /// there, so a collector that is not up yet delays nothing.
    ///
    /// # Errors
    /// When no UDP socket can be had, or the thread cannot start.
    pub fn start(options: HepOptions) -> std::io::Result<Self> {
        let counters = Arc::new(HepCounters::default());
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let link = match options.target.carrier {
            Carrier::Udp => {
                let bind: SocketAddr = if options.target.addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                }
                .parse()
                .map_err(std::io::Error::other)?;
                Link::Udp(UdpSocket::bind(bind)?)
            }
            Carrier::Tcp => Link::Tcp {
                stream: None,
                next_try: Instant::now(),
                backoff: Duration::from_millis(100),
            },
        };
        let (to, shared) = (options.target.addr, Arc::clone(&counters));
        let thread = std::thread::Builder::new()
            .name("hep-send".into())
            .spawn(move || send_loop(&rx, link, to, &shared))?;
        Ok(Self {
            options,
            queue: Some(tx),
            thread: Some(thread),
            counters,
        })
    }

    /// What was sent and dropped so far.
    #[must_use]
    pub fn counters(&self) -> &HepCounters {
        &self.counters
    }

    fn enqueue(&self, packet: Vec<u8>, rtcp: bool) {
        let Some(q) = &self.queue else { return };
        let packet = (packet, rtcp);
        if self.options.lossless {
            if q.send(packet).is_err() {
                self.counters.dropped_unsent.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        match q.try_send(packet) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counters.dropped_queue.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.counters.dropped_unsent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Sink for HepSender {
    fn sip(&mut self, _model: &Model, msg: &SipMessage, _frames: &Frames) {
        let meta = HepMeta {
            ts_ns: msg.ts_ns,
            src: msg.src,
            dst: msg.dst,
            ip_proto: match msg.transport {
                Transport::Udp => PROTO_UDP,
                Transport::Tcp | Transport::Ws => PROTO_TCP,
                Transport::Sctp => crate::hep::PROTO_SCTP,
            },
            payload_type: payload_type::SIP,
            agent_id: self.options.agent_id,
            password: self.options.password.as_deref(),
            correlation_id: None,
        };
        let mut packet = Vec::with_capacity(msg.raw.len() + 128);
        if encode(&meta, &msg.raw, &mut packet).is_err() {
            self.counters.too_long.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.enqueue(packet, false);
    }

    /// An RTCP report of a call's stream goes as HOMER's JSON form, with
    /// the call's Call-ID; one no call explains is not sent (HOMER could
    /// not tie it to anything).
    fn media(&mut self, model: &Model, body: &MediaBody, _frames: &Frames) {
        let MediaBody::Rtcp {
            ts_ns,
            src,
            dst,
            rtcp,
        } = body
        else {
            return;
        };
        let Some(dialog) = model.media_dialogs(body).next() else {
            return;
        };
        let meta = HepMeta {
            ts_ns: *ts_ns,
            src: *src,
            dst: *dst,
            ip_proto: PROTO_UDP,
            payload_type: payload_type::RTCP,
            agent_id: self.options.agent_id,
            password: self.options.password.as_deref(),
            correlation_id: Some(dialog.call_id().as_bytes()),
        };
        let json = super::rtcp_json::report(rtcp);
        let mut packet = Vec::with_capacity(json.len() + 128);
        if encode(&meta, &json, &mut packet).is_err() {
            self.counters.too_long.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.enqueue(packet, true);
    }

    fn counts(&self) -> crate::model::OutputCounts {
        crate::model::OutputCounts {
            hep_sent: self.counters.sent.load(Ordering::Relaxed),
            hep_dropped: self.counters.dropped(),
        }
    }

    fn tick(&mut self) -> Option<String> {
        None
    }

    fn finish(&mut self) -> SinkSummary {
        // Closing the queue lets the thread send what is left, then stop.
        self.queue = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let c = &self.counters;
        let rtcp = c.rtcp_sent.load(Ordering::Relaxed);
        let sip = c.sent.load(Ordering::Relaxed).saturating_sub(rtcp);
        let mut line = format!(
            "HEP: sent {sip} SIP message{}{} to {}",
            if sip == 1 { "" } else { "s" },
            if rtcp > 0 {
                format!(
                    " and {rtcp} RTCP report{}",
                    if rtcp == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            },
            self.options.target.url
        );
        let (queue, unsent, long) = (
            c.dropped_queue.load(Ordering::Relaxed),
            c.dropped_unsent.load(Ordering::Relaxed),
            c.too_long.load(Ordering::Relaxed),
        );
        let mut lost = Vec::new();
        if queue > 0 {
            lost.push(format!("{queue} with the queue full"));
        }
        if unsent > 0 {
            lost.push(format!("{unsent} the collector did not take"));
        }
        if long > 0 {
            lost.push(format!("{long} too large for HEP"));
        }
        if !lost.is_empty() {
            line.push_str("; dropped ");
            line.push_str(&lost.join(", "));
        }
        SinkSummary {
            lines: vec![line],
            failed: false,
        }
    }
}

/// The sending thread's end of the network.
enum Link {
    Udp(UdpSocket),
    Tcp {
        stream: Option<TcpStream>,
        next_try: Instant,
        backoff: Duration,
    },
}

fn send_loop(rx: &Receiver<Queued>, mut link: Link, to: SocketAddr, counters: &HepCounters) {
    while let Ok((packet, rtcp)) = rx.recv() {
        let ok = match &mut link {
            Link::Udp(sock) => sock.send_to(&packet, to).is_ok(),
            Link::Tcp {
                stream,
                next_try,
                backoff,
            } => {
                if stream.is_none() && Instant::now() >= *next_try {
                    match TcpStream::connect_timeout(&to, WRITE_TIMEOUT) {
                        Ok(s) => {
                            let _ = s.set_write_timeout(Some(WRITE_TIMEOUT));
                            let _ = s.set_nodelay(true);
                            tracing::info!("HEP: connected to {to}");
                            *stream = Some(s);
                            *backoff = Duration::from_millis(100);
                        }
                        Err(e) => {
                            tracing::warn!("HEP: cannot reach {to}: {e}");
                            *next_try = Instant::now() + *backoff;
                            *backoff = (*backoff * 2).min(MAX_BACKOFF);
                        }
                    }
                }
                match stream {
                    Some(s) => {
                        let written = s.write_all(&packet).is_ok();
                        if !written {
                            tracing::warn!("HEP: the connection to {to} broke; reconnecting");
                            *stream = None;
                            *next_try = Instant::now();
                        }
                        written
                    }
                    None => false,
                }
            }
        };
        let counter = if ok {
            &counters.sent
        } else {
            &counters.dropped_unsent
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if ok && rtcp {
            counters.rtcp_sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SipMessage {
        SipMessage::parse_one(
            b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\n\r\n",
        )
        .unwrap()
    }

    /// A TCP collector that is away: packets are dropped and counted, the
    /// sender keeps trying, and once the collector is up they arrive.
    #[test]
    fn tcp_reconnects_when_the_collector_comes_back() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut sender = HepSender::start(HepOptions {
            target: Target::parse(&format!("tcp:127.0.0.1:{port}")).unwrap(),
            agent_id: None,
            password: None,
            lossless: false,
        })
        .unwrap();
        let model = Model::default();
        let msg = options();
        for _ in 0..3 {
            sender.sip(&model, &msg, &Frames::new());
        }
        let start = Instant::now();
        while sender.counters().dropped_unsent.load(Ordering::Relaxed) < 3
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(sender.counters().dropped_unsent.load(Ordering::Relaxed), 3);
        // The collector comes up; within the backoff (at most 5 s) the
        // sender connects again.
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let start = Instant::now();
        let mut got = Vec::new();
        let mut conn: Option<std::net::TcpStream> = None;
        while start.elapsed() < Duration::from_secs(10) && got.len() < 2 {
            sender.sip(&model, &msg, &Frames::new());
            if conn.is_none() {
                conn = listener.accept().ok().map(|(c, _)| c);
            }
            if let Some(c) = conn.as_mut() {
                c.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let mut buf = vec![0u8; 65_536];
                if let Ok(n) = std::io::Read::read(c, &mut buf) {
                    let mut at = 0;
                    while let Ok((h, len)) = crate::hep::decode(buf.get(at..n).unwrap_or_default())
                    {
                        got.push(h.payload.to_vec());
                        at += len;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            got.len() >= 2,
            "nothing arrived after the collector came back"
        );
        assert!(got.iter().all(|p| p.starts_with(b"OPTIONS sip:a@b")));
        let summary = sender.finish();
        assert!(
            summary
                .lines
                .first()
                .is_some_and(|l| l.contains("the collector did not take")),
            "{:?}",
            summary.lines
        );
    }

    #[test]
    fn urls_say_what_is_wrong() {
        let t = Target::parse("udp:127.0.0.1:9060").unwrap();
        assert_eq!(
            (t.carrier, t.addr),
            (Carrier::Udp, "127.0.0.1:9060".parse().unwrap())
        );
        let t = Target::parse("tcp:[::1]:9061").unwrap();
        assert_eq!(
            (t.carrier, t.addr),
            (Carrier::Tcp, "[::1]:9061".parse().unwrap())
        );
        assert!(
            Target::parse("127.0.0.1:9060")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            Target::parse("udp:127.0.0.1")
                .unwrap_err()
                .contains("no port")
        );
        assert!(
            Target::parse("udp:127.0.0.1:x")
                .unwrap_err()
                .contains("not a port")
        );
        assert!(
            Target::parse("tls:127.0.0.1:9060")
                .unwrap_err()
                .contains("TLS")
        );
        assert!(
            Target::parse("udp:no-such-host.invalid:9060")
                .unwrap_err()
                .contains("does not resolve")
        );
    }
}
