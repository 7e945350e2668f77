//! `-L URL`: sipscope as a HEP collector. Agents (heplify, sngrep `-H`,
//! another sipscope `-H`, Kamailio, `OpenSIPS`...) send HEP v3 over UDP or
//! TCP; each SIP message they carry becomes a message of the model, with
//! the agent's capture time, addresses and transport, and the agent (its
//! capture id and address) as its origin.
//!
//! The listener is a capture source like an interface: a thread of its own
//! that hands batches to the model's loop and never waits on it (a full
//! channel drops and counts, as live). Inside, a tokio runtime serves many
//! agents at once: one UDP socket and any number of TCP connections, with
//! timeouts. It trusts nothing: it binds only where it is told, never
//! answers over UDP, refuses packets without the password when one is set,
//! and holds each source to a rate of its own, so that one flooding agent
//! cannot take what the others need. Everything refused is counted.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use super::url::{Carrier, Role, Target};
use super::{PROTO_TCP, payload_type};
use crate::capture::{Control, Processor};
use crate::decode::{FrameLoc, FrameRef, Frames};
use crate::sip::{Origin, SipMessage};

/// Packets a second one source may send before the rest is dropped; and
/// the burst it may save up.
pub const PER_SOURCE_RATE: f64 = 250_000.0;
const PER_SOURCE_BURST: f64 = 50_000.0;
/// Sources whose rate is tracked at once; past that, new ones are refused
/// until old ones go quiet.
const MAX_SOURCES: usize = 4096;
/// TCP connections at once.
const MAX_CONNECTIONS: usize = 256;
/// A HEP packet begun over TCP must be whole within this.
const PACKET_TIMEOUT: Duration = Duration::from_secs(10);
/// The UDP socket's receive buffer: a burst of agents waits there.
const UDP_BUFFER: usize = 32 << 20;
/// Packets waiting between the network tasks and the decoder.
const QUEUE: usize = 65_536;

/// What `-L` was given, bound.
#[derive(Debug)]
pub struct HepListener {
    url: String,
    udp: Option<std::net::UdpSocket>,
    tcp: Option<std::net::TcpListener>,
    password: Option<String>,
}

/// What the listener refused, shared with its network tasks.
#[derive(Debug, Default)]
struct Refused {
    over_rate: AtomicU64,
    connections: AtomicU64,
}

impl HepListener {
    /// Binds `udp:HOST:PORT` or `tcp:HOST:PORT` now (before root is
    /// dropped, so a port under 1024 works). The host is required: a
    /// collector that anyone on any network can feed is a choice to write
    /// out (`udp:0.0.0.0:9060`), never a default.
    ///
    /// # Errors
    /// The URL in words, or why the address cannot be bound.
    pub fn bind(url: &str, password: Option<String>) -> Result<Self, String> {
        let (carrier, addr) = parse(url)?;
        let (mut udp, mut tcp) = (None, None);
        match carrier {
            Carrier::Udp => {
                let s = std::net::UdpSocket::bind(addr)
                    .map_err(|e| format!("{url}: cannot listen: {e}"))?;
                // A larger buffer where the system allows (root may force it).
                let _ = nix::sys::socket::setsockopt(
                    &s,
                    nix::sys::socket::sockopt::RcvBufForce,
                    &UDP_BUFFER,
                )
                .or_else(|_| {
                    nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::RcvBuf, &UDP_BUFFER)
                });
                udp = Some(s);
            }
            Carrier::Tcp => {
                tcp = Some(
                    std::net::TcpListener::bind(addr)
                        .map_err(|e| format!("{url}: cannot listen: {e}"))?,
                );
            }
        }
        Ok(Self {
            url: url.to_owned(),
            udp,
            tcp,
            password,
        })
    }

    /// Where it listens, as given.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The local address bound (port 0 gives a free one).
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match (&self.udp, &self.tcp) {
            (Some(u), _) => u.local_addr().ok(),
            (_, Some(t)) => t.local_addr().ok(),
            _ => None,
        }
    }

    /// Serves agents until the capture is stopped or the model's loop is
    /// gone; runs on its capture thread.
    pub(crate) fn run(self, out: &mut Processor, control: &Control) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                out.fail(format!("{}: cannot start the listener: {e}", self.url));
                return;
            }
        };
        tracing::info!(url = %self.url, "HEP listener started");
        rt.block_on(self.serve(out, control));
    }

    async fn serve(self, out: &mut Processor, control: &Control) {
        let (tx, mut rx) = mpsc::channel::<Received>(QUEUE);
        let refused = Arc::new(Refused::default());
        if let Some(s) = self.udp {
            match s
                .set_nonblocking(true)
                .and_then(|()| tokio::net::UdpSocket::from_std(s))
            {
                Ok(s) => {
                    tokio::spawn(read_udp(s, tx.clone(), Arc::clone(&refused)));
                }
                Err(e) => return out.fail(format!("{}: {e}", self.url)),
            }
        }
        if let Some(l) = self.tcp {
            match l
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpListener::from_std(l))
            {
                Ok(l) => {
                    tokio::spawn(accept_tcp(l, tx.clone(), Arc::clone(&refused)));
                }
                Err(e) => return out.fail(format!("{}: {e}", self.url)),
            }
        }
        drop(tx);
        let mut decoder = Decoder::new(self.password);
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Some(r) => decoder.take(out, &r),
                    None => break,
                },
                _ = tick.tick() => {
                    out.received.hep_over_limit = refused.over_rate.load(Ordering::Relaxed)
                        + refused.connections.load(Ordering::Relaxed);
                    if control.stop.load(Ordering::Relaxed) || out.disconnected() {
                        break;
                    }
                    out.flush();
                }
            }
        }
        out.received.hep_over_limit =
            refused.over_rate.load(Ordering::Relaxed) + refused.connections.load(Ordering::Relaxed);
    }
}

/// `udp:HOST:PORT` / `tcp:HOST:PORT`, the host required.
fn parse(url: &str) -> Result<(Carrier, SocketAddr), String> {
    Target::parse_for(url, Role::Listen).map(|t| (t.carrier, t.addr))
}

/// One HEP packet off the network, and who sent it.
struct Received {
    peer: IpAddr,
    bytes: Vec<u8>,
}

/// A token bucket per source address, bounded in sources.
struct Rates {
    buckets: HashMap<IpAddr, (f64, Instant)>,
}

impl Rates {
    fn new() -> Self {
        Self {
            buckets: HashMap::new(),
        }
    }

    /// May `peer` send one more packet now?
    fn allow(&mut self, peer: IpAddr, now: Instant) -> bool {
        if !self.buckets.contains_key(&peer) && self.buckets.len() >= MAX_SOURCES {
            // Forget the sources quiet for a while; if none is, refuse.
            self.buckets
                .retain(|_, (_, seen)| now.duration_since(*seen) < Duration::from_secs(10));
            if self.buckets.len() >= MAX_SOURCES {
                return false;
            }
        }
        let (tokens, seen) = self.buckets.entry(peer).or_insert((PER_SOURCE_BURST, now));
        let refill = now.duration_since(*seen).as_secs_f64() * PER_SOURCE_RATE;
        *tokens = (*tokens + refill).min(PER_SOURCE_BURST);
        *seen = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

async fn read_udp(sock: tokio::net::UdpSocket, tx: mpsc::Sender<Received>, refused: Arc<Refused>) {
    let mut buf = vec![0u8; 65_536];
    let mut rates = Rates::new();
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        if !rates.allow(peer.ip(), Instant::now()) {
            refused.over_rate.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let bytes = buf.get(..n).unwrap_or_default().to_vec();
        if tx
            .send(Received {
                peer: peer.ip(),
                bytes,
            })
            .await
            .is_err()
        {
            return;
        }
    }
}

async fn accept_tcp(
    listener: tokio::net::TcpListener,
    tx: mpsc::Sender<Received>,
    refused: Arc<Refused>,
) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors, say: wait, then go on.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
            refused.connections.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        }
        open.fetch_add(1, Ordering::Relaxed);
        let (tx, refused, open) = (tx.clone(), Arc::clone(&refused), Arc::clone(&open));
        tokio::spawn(async move {
            read_tcp(stream, peer.ip(), &tx, &refused).await;
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// HEP packets back to back on one connection; a packet that does not
/// start with `HEP3` ends it (there is no finding the next one).
async fn read_tcp(
    mut stream: tokio::net::TcpStream,
    peer: IpAddr,
    tx: &mpsc::Sender<Received>,
    refused: &Refused,
) {
    let mut rates = Rates::new();
    loop {
        let mut head = [0u8; 6];
        if stream.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
        let mut bytes = head.to_vec();
        let whole = &head[..4] == b"HEP3" && len >= 6;
        if whole {
            bytes.resize(len, 0);
            let rest = bytes.get_mut(6..).unwrap_or_default();
            match tokio::time::timeout(PACKET_TIMEOUT, stream.read_exact(rest)).await {
                Ok(Ok(_)) => {}
                _ => return,
            }
            if !rates.allow(peer, Instant::now()) {
                refused.over_rate.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        }
        // A packet that is no HEP goes to the decoder to be counted, then
        // the connection ends.
        if tx.send(Received { peer, bytes }).await.is_err() || !whole {
            return;
        }
    }
}

/// Turns packets into messages: the password, the payload type, a frame
/// for export.
struct Decoder {
    password: Option<String>,
    /// TCP sequence numbers of the frames made for each flow, so an export
    /// reads as one stream in Wireshark.
    seq: HashMap<(SocketAddr, SocketAddr), u32>,
    messages: Vec<SipMessage>,
}

impl Decoder {
    fn new(password: Option<String>) -> Self {
        Self {
            password,
            seq: HashMap::new(),
            messages: Vec::new(),
        }
    }

    fn take(&mut self, out: &mut Processor, r: &Received) {
        out.received.hep_packets += 1;
        let Ok((h, _)) = super::decode(&r.bytes) else {
            out.received.hep_malformed += 1;
            return;
        };
        if let Some(p) = &self.password
            && h.meta.password != Some(p.as_str())
        {
            out.received.hep_refused += 1;
            return;
        }
        if h.meta.payload_type != payload_type::SIP {
            out.received.hep_not_sip += 1;
            return;
        }
        let frames: Frames = smallvec::smallvec![self.frame(&h)];
        let origin = Some(Origin {
            agent_id: h.meta.agent_id,
            agent: r.peer,
        });
        crate::pipeline::push_hep_sip(&h, origin, &frames, None, &mut self.messages);
        for m in self.messages.drain(..) {
            out.message(m);
        }
    }

    /// The message as a raw IP packet (link type 101), as the agent saw it
    /// on the wire: what `-w` and the save dialog write for it.
    fn frame(&mut self, h: &super::Hep<'_>) -> FrameRef {
        let m = &h.meta;
        let builder = match (m.src, m.dst) {
            (SocketAddr::V4(s), SocketAddr::V4(d)) => {
                etherparse::PacketBuilder::ipv4(s.ip().octets(), d.ip().octets(), 64)
            }
            (s, d) => etherparse::PacketBuilder::ipv6(v6(s.ip()).octets(), v6(d.ip()).octets(), 64),
        };
        let mut bytes = Vec::with_capacity(h.payload.len() + 60);
        let written = if m.ip_proto == PROTO_TCP {
            if self.seq.len() >= 65_536 {
                self.seq.clear();
            }
            let seq = self.seq.entry((m.src, m.dst)).or_insert(1);
            let at = *seq;
            *seq = seq.wrapping_add(u32::try_from(h.payload.len()).unwrap_or(0));
            builder
                .tcp(m.src.port(), m.dst.port(), at, 65_535)
                .psh()
                .ack(0)
                .write(&mut bytes, h.payload)
        } else {
            builder
                .udp(m.src.port(), m.dst.port())
                .write(&mut bytes, h.payload)
        };
        if written.is_err() {
            bytes.clear();
        }
        FrameRef {
            ts_ns: m.ts_ns,
            linktype: crate::decode::link::linktype::RAW,
            source: u16::MAX,
            orig_len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            loc: FrameLoc::Mem(bytes.into()),
        }
    }
}

fn v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_to_listen_on_is_never_implied() {
        assert!(parse("udp::9060").unwrap_err().contains("which address"));
        assert!(parse("udp:9060").unwrap_err().contains("where to listen"));
        assert!(parse("sctp:127.0.0.1:9060").unwrap_err().contains("scheme"));
        assert_eq!(
            parse("tcp:[::1]:9061").unwrap(),
            (Carrier::Tcp, "[::1]:9061".parse().unwrap())
        );
        assert_eq!(
            parse("udp:0.0.0.0:9060").unwrap(),
            (Carrier::Udp, "0.0.0.0:9060".parse().unwrap())
        );
    }

    #[test]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn one_source_is_held_to_its_rate_and_others_keep_theirs() {
        let mut r = Rates::new();
        let now = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let burst = PER_SOURCE_BURST as usize;
        let allowed = (0..burst * 2).filter(|_| r.allow(a, now)).count();
        assert_eq!(allowed, burst, "the burst, then nothing until time passes");
        assert!(r.allow(b, now), "another source is not held by the first");
        // A tenth of a second later, the rate has refilled some.
        let later = now + Duration::from_millis(100);
        let refilled = (0..burst).filter(|_| r.allow(a, later)).count();
        assert_eq!(refilled, (PER_SOURCE_RATE / 10.0) as usize);
    }
}
