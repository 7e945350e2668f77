//! `sipscope -L` under load: HEP v3 over UDP on loopback at a fixed rate,
//! and what arrived as SIP in the collector's report, with its CPU time.
//!
//!     cargo bench --bench hep_listen                 # 100,000/s for 10 s
//!     HEP_RATE=200000 HEP_SECS=5 cargo bench --bench hep_listen
//!
//! The sender is this process: it encodes distinct OPTIONS requests (one
//! Call-ID each) with the library's encoder and paces them in 1 ms slices.
//! The truth is the number sent; the collector's `sip_messages` must equal
//! it. The kernel's UDP receive errors (/proc/net/snmp `RcvbufErrors`) are
//! read before and after, so a loss there is told apart from one in
//! sipscope. Loopback only; bounded in count and time.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `RcvbufErrors` of the UDP line in /proc/net/snmp.
fn udp_rcvbuf_errors() -> u64 {
    let text = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut lines = text.lines().filter(|l| l.starts_with("Udp:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "RcvbufErrors")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// User and system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(") ").next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

fn main() {
    let rate = env_u64("HEP_RATE", 100_000).clamp(1_000, 1_000_000);
    let secs = env_u64("HEP_SECS", 10).clamp(1, 30);
    let total = rate * secs;
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("udp:127.0.0.1:{port}");
    let mut collector = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-L", &url, "--no-ui", "--report", "stats", "-l", "2000000"])
        .args(["--duration", &(secs + 4).to_string()])
        .args(["--log-file", "/tmp/sipscope-bench-hep.log"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let drops_before = udp_rcvbuf_errors();

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut packet = Vec::new();
    let per_ms = (rate / 1000).max(1);
    let start = Instant::now();
    let mut sent = 0u64;
    let mut slice = 0u64;
    while sent < total && start.elapsed() < Duration::from_secs(secs * 3) {
        for _ in 0..per_ms {
            if sent == total {
                break;
            }
            let body = format!(
                "OPTIONS sip:load@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK{sent}\r\n\
                 From: <sip:bench@10.1.0.1>;tag={sent}\r\nTo: <sip:load@127.0.0.1>\r\nCall-ID: load-{sent}\r\n\
                 CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            );
            let ts = 1_700_000_000_000_000_000 + i64::try_from(sent).unwrap() * 10_000;
            sipscope::hep::encode(
                &sipscope::hep::HepMeta {
                    ts_ns: ts,
                    src: "10.1.0.1:5060".parse().unwrap(),
                    dst: "10.1.0.2:5060".parse().unwrap(),
                    ip_proto: sipscope::hep::PROTO_UDP,
                    payload_type: sipscope::hep::payload_type::SIP,
                    agent_id: Some(1),
                    password: None,
                    correlation_id: None,
                },
                body.as_bytes(),
                &mut packet,
            )
            .unwrap();
            sock.send_to(&packet, ("127.0.0.1", port)).unwrap();
            sent += 1;
        }
        slice += 1;
        let due = Duration::from_millis(slice);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let took = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(collector.id());
    let mut report = String::new();
    collector
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    collector.wait().unwrap();
    let kernel_dropped = udp_rcvbuf_errors() - drops_before;
    let got: u64 = report
        .split(" SIP messages")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    println!(
        "sent {sent} HEP packets in {took:.2} s ({:.0}/s); the collector took in {got} SIP messages; \
         lost {} ({kernel_dropped} in the kernel's UDP buffer); collector CPU {cpu:.2} s \
         ({:.2} s per 100,000)",
        sent as f64 / took,
        sent.saturating_sub(got),
        cpu / (sent as f64 / 100_000.0)
    );
    println!("collector's totals: {}", report.trim());
    if got != sent {
        std::process::exit(1);
    }
}
