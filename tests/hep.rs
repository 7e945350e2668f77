//! `-H`: sipscope as a HEP v3 agent. What it sends is read two ways, never
//! with sipscope's own decoder: by a decoder written here from the
//! protocol's chunk table, and by sngrep 1.6 listening with `-L` (a real
//! HOMER peer), whose pcap tshark then counts. Both are compared with the
//! tshark truth of the capture that was sent.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One HEP v3 packet as the chunk table reads (vendor 0 chunks only).
#[derive(Debug, Default)]
struct Packet {
    family: Option<u8>,
    proto: Option<u8>,
    src_ip: Option<IpAddr>,
    dst_ip: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    secs: Option<u32>,
    micros: Option<u32>,
    payload_type: Option<u8>,
    agent: Option<u32>,
    password: Option<String>,
    correlation: Option<String>,
    payload: Vec<u8>,
}

/// Reads a packet chunk by chunk: "HEP3", u16 total length, then
/// (vendor u16, type u16, length u16 with its 6-byte header, value).
fn read_hep(b: &[u8]) -> Packet {
    assert_eq!(&b[..4], b"HEP3");
    let total = usize::from(u16::from_be_bytes([b[4], b[5]]));
    assert_eq!(total, b.len(), "the length field is the datagram's");
    let mut p = Packet::default();
    let mut at = 6;
    while at < total {
        let vendor = u16::from_be_bytes([b[at], b[at + 1]]);
        let kind = u16::from_be_bytes([b[at + 2], b[at + 3]]);
        let len = usize::from(u16::from_be_bytes([b[at + 4], b[at + 5]]));
        let v = &b[at + 6..at + len];
        at += len;
        assert_eq!(vendor, 0);
        let u16v = || u16::from_be_bytes([v[0], v[1]]);
        let u32v = || u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        match kind {
            1 => p.family = Some(v[0]),
            2 => p.proto = Some(v[0]),
            3 => p.src_ip = Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
            4 => p.dst_ip = Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
            5 => p.src_ip = Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).unwrap()))),
            6 => p.dst_ip = Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).unwrap()))),
            7 => p.src_port = Some(u16v()),
            8 => p.dst_port = Some(u16v()),
            9 => p.secs = Some(u32v()),
            10 => p.micros = Some(u32v()),
            11 => p.payload_type = Some(v[0]),
            12 => p.agent = Some(u32v()),
            14 => p.password = Some(String::from_utf8(v.to_vec()).unwrap()),
            15 => p.payload = v.to_vec(),
            17 => p.correlation = Some(String::from_utf8(v.to_vec()).unwrap()),
            other => panic!("unexpected chunk type {other}"),
        }
    }
    assert_eq!(at, total);
    p
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Sends `capture` with `-H` to a UDP socket of the test's and decodes
/// every datagram.
fn send_and_read(capture: &str, more: &[&str]) -> Vec<Packet> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let port = sock.local_addr().unwrap().port();
    let url = format!("udp:127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", capture, "--no-ui", "--report", "stats", "-H", &url])
        .args(more)
        .args(["--log-file", "/tmp/sipscope-hep-test.log"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut packets = Vec::new();
    let mut buf = vec![0u8; 70_000];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        packets.push(read_hep(&buf[..n]));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let rtcp = packets.iter().filter(|p| p.payload_type == Some(5)).count();
    let sip = packets.len() - rtcp;
    let said = if rtcp > 0 {
        format!("HEP: sent {sip} SIP messages and {rtcp} RTCP reports")
    } else {
        format!("HEP: sent {sip} SIP messages to")
    };
    assert!(err.contains(&said), "{err}");
    packets
}

/// Every message of the truth, in order: (time µs, src, dst, transport).
fn truth_messages(capture: &str) -> Vec<(i64, String, String, String)> {
    let truth = common::truth_of(Path::new(capture));
    let mut v: Vec<(i64, String, String, String)> = truth["calls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["messages"].as_array().unwrap().iter())
        .map(|m| {
            let t = m["time_epoch"].as_str().unwrap();
            let (s, frac) = t.split_once('.').unwrap();
            let us = s.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap();
            (
                us,
                m["src"].as_str().unwrap().to_owned(),
                m["dst"].as_str().unwrap().to_owned(),
                m["transport"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn packet_row(p: &Packet) -> (i64, String, String, String) {
    let us = i64::from(p.secs.unwrap()) * 1_000_000 + i64::from(p.micros.unwrap());
    let src = SocketAddr::new(p.src_ip.unwrap(), p.src_port.unwrap()).to_string();
    let dst = SocketAddr::new(p.dst_ip.unwrap(), p.dst_port.unwrap()).to_string();
    let transport = match p.proto.unwrap() {
        17 => "udp",
        6 => "tcp",
        other => panic!("protocol {other}"),
    };
    (us, src, dst, transport.to_owned())
}

#[test]
fn every_message_goes_out_with_its_time_addresses_and_transport() {
    for name in [
        "gen__basic_udp_5calls.pcap",
        "gen__basic_tcp_5calls.pcap",
        "heplify__sip_ipv6_udp.pcap",
    ] {
        let capture = data(name);
        let packets = send_and_read(&capture, &["--hep-id", "2001", "--hep-password", "k3y"]);
        let truth = truth_messages(&capture);
        let mut sent: Vec<_> = packets.iter().map(packet_row).collect();
        sent.sort();
        assert_eq!(sent, truth, "{name}");
        for p in &packets {
            assert_eq!(p.payload_type, Some(1), "SIP");
            assert_eq!(p.agent, Some(2001));
            assert_eq!(p.password.as_deref(), Some("k3y"));
            let v6 = matches!(p.src_ip, Some(IpAddr::V6(_)));
            assert_eq!(p.family, Some(if v6 { 10 } else { 2 }));
            let first_line = p.payload.split(|b| *b == b'\n').next().unwrap();
            assert!(
                first_line.starts_with(b"SIP/2.0 ") || first_line.ends_with(b" SIP/2.0\r"),
                "{name}: the payload is a SIP message: {}",
                String::from_utf8_lossy(first_line)
            );
        }
    }
}

#[test]
fn a_name_that_does_not_resolve_is_said_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", &data("gen__basic_udp_5calls.pcap"), "--no-ui"])
        .args(["-H", "udp:no-such-collector.invalid:9060"])
        .args(["--log-file", "/tmp/sipscope-hep-test.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not resolve"), "{err}");
    assert!(out.stdout.is_empty(), "no report after a usage error");
}

/// sngrep 1.6 as the collector (`-L`): the pcap it writes holds exactly the
/// capture's SIP messages, as tshark counts them.
#[test]
fn sngrep_listening_receives_every_message() {
    if Command::new("sngrep").arg("-V").output().is_err() {
        eprintln!("skipped: sngrep is not installed (scripts/test.sh installs it)");
        return;
    }
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("skipped: tshark is not installed (scripts/test.sh installs it)");
        return;
    }
    let capture = data("gen__hold_resume_refer_rtp.pcap");
    let dir = std::env::temp_dir().join(format!("sipscope-hep-sngrep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("received.pcap");
    // A free port: bind, note it, let go.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("udp:127.0.0.1:{port}");
    let mut sngrep = Command::new("sngrep")
        .args(["-N", "-q", "-L", &url, "-O"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // sngrep binds its socket at start: wait (bounded) until the port is taken.
    for _ in 0..50 {
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", &capture, "--no-ui", "--report", "stats", "-H", &url])
        .args(["--log-file", "/tmp/sipscope-hep-test.log"])
        .output()
        .unwrap();
    assert!(sent.status.success());
    std::thread::sleep(Duration::from_millis(500));
    // sngrep ends on SIGTERM and keeps what it wrote.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(sngrep.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let _ = sngrep.wait();
    let listed = Command::new("tshark")
        .arg("-r")
        .arg(&out)
        .args(["-Y", "sip", "-T", "fields", "-e", "frame.time_epoch"])
        .output()
        .unwrap();
    let times: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let truth = common::truth_of(Path::new(&capture));
    assert_eq!(
        times.len() as u64,
        truth["sip"]["messages"].as_u64().unwrap(),
        "sngrep wrote {} SIP messages",
        times.len()
    );
    // The original capture times went with them (to the microsecond).
    let first = truth_messages(&capture)[0].0;
    let (s, frac) = times[0].split_once('.').unwrap();
    let got = s.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap();
    assert_eq!(got, first, "the first message's capture time");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The truth's calls as rows, by Call-ID.
fn truth_calls(capture: &str) -> std::collections::BTreeMap<String, Vec<common::Row>> {
    let truth = common::truth_of(Path::new(capture));
    truth["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["call_id"].as_str().unwrap().to_owned(),
                common::call_rows(c),
            )
        })
        .collect()
}

/// A JSON report's calls as rows, by Call-ID (rows as `common::Row`).
fn report_calls(
    report: &serde_json::Value,
) -> std::collections::BTreeMap<String, Vec<common::Row>> {
    report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rows = common::report_rows(c);
            (c["call_id"].as_str().unwrap().to_owned(), rows)
        })
        .collect()
}

/// HEP inside a capture file (UDP to 9060, here sent by sngrep 1.6 `-H`:
/// another program's encoder) is read as the SIP it carries, with the
/// agent's addresses and times: the calls equal the truth of the capture
/// sngrep was sending.
#[test]
fn hep_inside_a_capture_is_read_as_the_sip_it_carries() {
    for name in ["gen__basic_udp_5calls.pcap", "heplify__sip_ipv6_udp.pcap"] {
        let carried = data(&format!("hep/sngrep_hep__{name}"));
        let model = sipscope::replay(&carried).unwrap();
        let got: std::collections::BTreeMap<String, Vec<common::Row>> = model
            .dialogs()
            .map(|d| (d.call_id().to_owned(), common::dialog_rows(d)))
            .collect();
        assert_eq!(got, truth_calls(&data(name)), "{name}");
        let first = model.dialogs().next().unwrap();
        let origin = model.origin(first.messages[0].origin()).expect("an agent");
        assert_eq!(origin.agent.to_string(), "127.0.0.1");
        assert_eq!(
            model.stats().hep_received,
            model.stats().sip_messages,
            "{name}"
        );
        // --hep-port 0: the same capture holds no SIP.
        let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .args([
                "-r",
                &carried,
                "--no-ui",
                "--report",
                "json",
                "--hep-port",
                "0",
            ])
            .args(["--log-file", "/tmp/sipscope-hep-test.log"])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["stats"]["sip_messages"], 0);
    }
}

/// A free local port for `carrier` (bound, noted, let go).
fn free_port(tcp: bool) -> u16 {
    if tcp {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

/// `sipscope -L URL --no-ui --report json` for `secs`, with more options.
fn listen(url: &str, secs: u32, more: &[&str]) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-L", url, "--no-ui", "--report", "json"])
        .args(["--duration", &secs.to_string()])
        .args(more)
        .args(["--log-file", "/tmp/sipscope-hep-listen.log"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bound, then listening: give the process a moment to bind.
    std::thread::sleep(Duration::from_millis(400));
    child
}

fn report_of(child: std::process::Child) -> serde_json::Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// sngrep 1.6 as the agent (`-I FILE -H`), sipscope as the collector: the
/// JSON report holds the truth's calls, message for message.
#[test]
fn sngrep_sends_to_the_listener_and_the_report_is_the_truth() {
    if Command::new("sngrep").arg("-V").output().is_err() {
        eprintln!("skipped: sngrep is not installed (scripts/test.sh installs it)");
        return;
    }
    let port = free_port(false);
    let url = format!("udp:127.0.0.1:{port}");
    let collector = listen(&url, 4, &[]);
    let captures = ["gen__basic_udp_5calls.pcap", "gen__busy_486_3calls.pcap"];
    for name in captures {
        let sent = Command::new("sngrep")
            .args(["-N", "-q", "-I", &data(name), "-H", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(sent.success());
    }
    let r = report_of(collector);
    let mut expected = truth_calls(&data(captures[0]));
    expected.extend(truth_calls(&data(captures[1])));
    assert_eq!(report_calls(&r), expected);
    assert_eq!(r["stats"]["hep_malformed"], 0);
    assert_eq!(r["stats"]["hep_received"], r["stats"]["sip_messages"]);
}

/// sipscope to sipscope over TCP, IPv6 and TCP captures among them: the
/// collector's report is the truth; a wrong password is refused and counted.
#[test]
fn sipscope_to_sipscope_over_tcp_and_a_wrong_password_is_refused() {
    let port = free_port(true);
    let url = format!("tcp:127.0.0.1:{port}");
    let collector = listen(&url, 4, &["--hep-password", "s3cret"]);
    let captures = ["heplify__sip_ipv6_udp.pcap", "gen__basic_tcp_5calls.pcap"];
    for name in captures {
        let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .args(["-r", &data(name), "--no-ui", "--report", "stats"])
            .args(["-H", &url, "--hep-password", "s3cret", "--hep-id", "9"])
            .args(["--log-file", "/tmp/sipscope-hep-test.log"])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    // The same capture again with another key: none of it may become a call.
    let wrong = Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(["-r", &data("gen__busy_486_3calls.pcap"), "--no-ui"])
        .args(["--report", "stats", "-H", &url, "--hep-password", "guess"])
        .args(["--log-file", "/tmp/sipscope-hep-test.log"])
        .output()
        .unwrap();
    assert!(wrong.status.success());
    let r = report_of(collector);
    let mut expected = truth_calls(&data(captures[0]));
    expected.extend(truth_calls(&data(captures[1])));
    assert_eq!(report_calls(&r), expected);
    assert_eq!(
        r["stats"]["hep_refused"], 15,
        "the busy capture's 15 messages"
    );
}

/// Garbage, truncated and oversized packets from the network are counted
/// as malformed; the listener goes on and takes the good packet after them.
#[test]
fn hostile_packets_are_counted_and_the_listener_goes_on() {
    let port = free_port(false);
    let url = format!("udp:127.0.0.1:{port}");
    let collector = listen(&url, 3, &[]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = ("127.0.0.1", port);
    let mut hostile: Vec<Vec<u8>> = vec![
        b"HEP3".to_vec(),
        b"HEP3\xff\xff".to_vec(),
        b"HEP3\x00\x0c\x00\x00\x00\x0f\x00\x00".to_vec(),
        b"HEP3\x00\x0c\x00\x00\x00\x0f\xff\xff".to_vec(),
        b"HEP2 something".to_vec(),
        vec![0u8; 1500],
    ];
    // Every prefix of a real packet.
    let mut good = Vec::new();
    sipscope::hep::encode(
        &sipscope::hep::HepMeta {
            ts_ns: 1_700_000_000_000_000_000,
            src: "10.0.0.1:5060".parse().unwrap(),
            dst: "10.0.0.2:5060".parse().unwrap(),
            ip_proto: sipscope::hep::PROTO_UDP,
            payload_type: 1,
            agent_id: None,
            password: None,
            correlation_id: None,
        },
        b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: hostile-1\r\nCSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\r\n",
        &mut good,
    )
    .unwrap();
    hostile.extend((6..good.len()).map(|n| good[..n].to_vec()));
    for h in &hostile {
        sock.send_to(h, to).unwrap();
    }
    sock.send_to(&good, to).unwrap();
    let r = report_of(collector);
    assert_eq!(r["stats"]["hep_malformed"], hostile.len());
    assert_eq!(r["calls"][0]["call_id"], "hostile-1");
}

/// tshark's reading of each RTCP packet of a capture: (time µs, source,
/// sender SSRC, first report block's SSRC, fraction lost, jitter, extended
/// highest sequence number).
fn tshark_rtcp(capture: &str) -> Vec<(i64, String, u32, u32, u64, u64, u64)> {
    let out = Command::new("tshark")
        .args([
            "-r",
            capture,
            "-Y",
            "rtcp",
            "-T",
            "fields",
            "-E",
            "separator=|",
        ])
        .args([
            "-e",
            "frame.time_epoch",
            "-e",
            "ip.src",
            "-e",
            "udp.srcport",
        ])
        .args(["-e", "rtcp.senderssrc", "-e", "rtcp.ssrc.identifier"])
        .args(["-e", "rtcp.ssrc.fraction", "-e", "rtcp.ssrc.jitter"])
        .args(["-e", "rtcp.ssrc.high_seq"])
        .output()
        .expect("tshark (scripts/deps.sh --test installs it)");
    let hex = |t: &str| u32::from_str_radix(t.trim_start_matches("0x"), 16).unwrap();
    let first = |t: &str| t.split(',').next().unwrap().to_owned();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            let (s, frac) = f[0].split_once('.').unwrap();
            let us = s.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap();
            (
                us,
                format!("{}:{}", f[1], f[2]),
                hex(f[3]),
                hex(&first(f[4])),
                first(f[5]).parse().unwrap(),
                first(f[6]).parse().unwrap(),
                first(f[7]).parse().unwrap(),
            )
        })
        .collect()
}

/// The RTCP of a call's streams goes out as HOMER reads it: payload type 5,
/// the report as JSON with heplify's names, the call's Call-ID in chunk 17.
/// Each is checked against tshark's reading of the same packet.
#[test]
fn rtcp_reports_go_as_homer_json_tied_to_their_call() {
    let capture = data("michalcab-isa__real_sip_call.pcap");
    let packets = send_and_read(&capture, &[]);
    let truth = tshark_rtcp(&capture);
    let call_ids: Vec<String> = common::truth_of(Path::new(&capture))["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_id"].as_str().unwrap().to_owned())
        .collect();
    let rtcp: Vec<&Packet> = packets
        .iter()
        .filter(|p| p.payload_type == Some(5))
        .collect();
    assert_eq!(
        rtcp.len(),
        truth.len(),
        "every RTCP packet, as tshark counts"
    );
    for p in rtcp {
        let (us, src, ..) = packet_row(p);
        let t = truth
            .iter()
            .find(|t| t.0 == us && t.1 == src)
            .unwrap_or_else(|| panic!("no RTCP at {us} from {src} in tshark's reading"));
        let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
        assert_eq!(v["type"], 200, "{v}");
        assert_eq!(v["ssrc"], t.2, "{v}");
        let b = &v["report_blocks"][0];
        assert_eq!(b["source_ssrc"], t.3, "{v}");
        assert_eq!(b["fraction_lost"], t.4, "{v}");
        assert_eq!(b["ia_jitter"], t.5, "{v}");
        assert_eq!(b["highest_seq_no"], t.6, "{v}");
        assert!(
            v["sender_information"]["packets"].as_u64().unwrap() > 0,
            "{v}"
        );
        let tied = p.correlation.as_deref().unwrap();
        assert!(
            call_ids.iter().any(|c| c == tied),
            "{tied} is no call of the capture"
        );
        assert_eq!(p.proto, Some(17));
    }
}
