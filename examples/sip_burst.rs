//! A bounded burst of realistic SIP over UDP on loopback, for live-capture
//! benchmarks (`scripts/bench_live.sh`).
//!
//!     cargo run --release --example sip_burst -- [RATE] [SECS] [A] [B]
//!
//! Sends RATE SIP messages a second (default 100,000) for SECS seconds
//! (default 10; at most 60), paced in 1 ms slices, as whole calls between
//! two loopback addresses (default 127.0.14.1:5060, the caller, and
//! 127.0.14.2:5060): INVITE with SDP, 100 Trying, 180 Ringing, 200 OK with
//! SDP, ACK, BYE, 200 OK. Each call has its own Call-ID, tags and branches.
//! Both ends are bound sockets that never read, so the kernel sends no ICMP
//! "port unreachable" back and drops the datagrams after the capture taps
//! have seen them. Prints `sent N in S s` on stdout.
//!
//! Each of the seven messages is rendered once, with the call number (nine
//! digits) and the RTP port (five) as fixed-width fields that are rewritten
//! in place for every call: formatting each message anew took a quarter of
//! the sender's time, and under load it could not reach 100,000/s.
//!
//! Only loopback: the addresses must be in 127.0.0.0/8.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Stands for the call number in a template (nine digits).
const CALL: &str = "#########";
/// Stands for the RTP port in a template (five digits).
const PORT: &str = "%%%%%";

/// One message of a call: the text (with [`CALL`] and [`PORT`] where the
/// call's own figures go), sent from the caller's end or not.
fn message(step: usize, a: SocketAddr, b: SocketAddr, out: &mut String) -> bool {
    let call = CALL;
    out.clear();
    let (ai, bi) = (a.ip(), b.ip());
    let sdp = |ip: std::net::IpAddr, port: &str| {
        format!(
            "v=0\r\no=- {call} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
        )
    };
    let (start, cseq, from_caller, body) = match step {
        0 => (
            format!("INVITE sip:bob{call}@{bi} SIP/2.0"),
            "1 INVITE",
            true,
            sdp(ai, PORT),
        ),
        1 => (
            "SIP/2.0 100 Trying".to_owned(),
            "1 INVITE",
            false,
            String::new(),
        ),
        2 => (
            "SIP/2.0 180 Ringing".to_owned(),
            "1 INVITE",
            false,
            String::new(),
        ),
        3 => (
            "SIP/2.0 200 OK".to_owned(),
            "1 INVITE",
            false,
            sdp(bi, PORT),
        ),
        4 => (
            format!("ACK sip:bob{call}@{b} SIP/2.0"),
            "1 ACK",
            true,
            String::new(),
        ),
        5 => (
            format!("BYE sip:bob{call}@{b} SIP/2.0"),
            "2 BYE",
            true,
            String::new(),
        ),
        _ => ("SIP/2.0 200 OK".to_owned(), "2 BYE", false, String::new()),
    };
    // Requests from the caller carry their own branch; responses echo it.
    let branch = match step {
        0..=3 => format!("z9hG4bK{call}i"),
        4 => format!("z9hG4bK{call}a"),
        _ => format!("z9hG4bK{call}b"),
    };
    let to_tag = if step == 0 || step == 1 {
        String::new()
    } else {
        format!(";tag=b{call}")
    };
    let _ = write!(
        out,
        "{start}\r\nVia: SIP/2.0/UDP {a};branch={branch}\r\nMax-Forwards: 70\r\n\
         From: \"Alice {call}\" <sip:alice{call}@{ai}>;tag=a{call}\r\n\
         To: <sip:bob{call}@{bi}>{to_tag}\r\nCall-ID: burst-{call}@{ai}\r\nCSeq: {cseq}\r\n\
         Contact: <sip:{}@{}>\r\nUser-Agent: sip_burst\r\n",
        if from_caller { "alice" } else { "bob" },
        if from_caller { a } else { b },
    );
    if body.is_empty() {
        out.push_str("Content-Length: 0\r\n\r\n");
    } else {
        let _ = write!(
            out,
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    }
    from_caller
}

/// A message rendered once, and where its call number and RTP port go.
struct Template {
    text: Vec<u8>,
    from_caller: bool,
    calls: Vec<usize>,
    ports: Vec<usize>,
}

impl Template {
    fn new(step: usize, a: SocketAddr, b: SocketAddr) -> Self {
        let mut text = String::new();
        let from_caller = message(step, a, b, &mut text);
        let at = |pat: &str| text.match_indices(pat).map(|(i, _)| i).collect();
        Self {
            calls: at(CALL),
            ports: at(PORT),
            text: text.into_bytes(),
            from_caller,
        }
    }

    /// Writes `call`'s figures into the text.
    fn fill(&mut self, call: u64, step: usize) {
        // The answer's media port differs from the offer's.
        let port = 10_000 + (call % 20_000) * 2 + if step == 3 { 40_000 } else { 0 };
        for &i in &self.calls {
            digits(call, &mut self.text[i..i + CALL.len()]);
        }
        for &i in &self.ports {
            digits(port, &mut self.text[i..i + PORT.len()]);
        }
    }
}

/// `n` in decimal, zero-padded to fill `out`.
fn digits(mut n: u64, out: &mut [u8]) {
    for d in out.iter_mut().rev() {
        *d = b'0' + u8::try_from(n % 10).unwrap();
        n /= 10;
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rate: u64 = arg(&args, 0, 100_000u64).clamp(1_000, 1_000_000);
    let secs: u64 = arg(&args, 1, 10u64).clamp(1, 60);
    let a: SocketAddr = arg(&args, 2, "127.0.14.1:5060".parse().unwrap());
    let b: SocketAddr = arg(&args, 3, "127.0.14.2:5060".parse().unwrap());
    assert!(
        a.ip().is_loopback() && b.ip().is_loopback(),
        "loopback addresses only"
    );
    let uac = UdpSocket::bind(a).expect("bind the caller's address");
    let uas = UdpSocket::bind(b).expect("bind the callee's address");
    let total = rate * secs;
    // Slices of 1 ms; a late slice sends its share at once (the rate over
    // a second is kept, as a real burst would not be smoother).
    let per_slice = |slice: u64| rate * slice / 1000;
    let mut templates: Vec<Template> = (0..7).map(|step| Template::new(step, a, b)).collect();
    let (mut sent, mut failed) = (0u64, 0u64);
    let start = Instant::now();
    let limit = Duration::from_secs(secs * 2 + 5);
    let mut slice = 1u64;
    while sent < total && start.elapsed() < limit {
        let due = per_slice(slice).min(total);
        while sent < due {
            let (call, step) = (sent / 7, usize::try_from(sent % 7).unwrap_or(0));
            let t = &mut templates[step];
            t.fill(call, step);
            let r = if t.from_caller {
                uac.send_to(&t.text, b)
            } else {
                uas.send_to(&t.text, a)
            };
            if r.is_err() {
                failed += 1;
            }
            sent += 1;
        }
        slice += 1;
        if let Some(wait) = Duration::from_millis(slice - 1).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "sent {} in {took:.2} s ({:.0}/s), {failed} failed",
        sent - failed,
        (sent - failed) as f64 / took
    );
}
