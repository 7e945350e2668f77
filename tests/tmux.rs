//! End to end, as a person uses it: the real binary in tmux on a capture,
//! keys typed with `send-keys`, the screen read with `capture-pane -p`.
//! scripts/test.sh installs tmux where it is missing; without it this test
//! says so and passes (it cannot run).
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

struct Session(String);

/// tmux on a server of the test's own (`-L`), away from anyone else's sessions.
fn tmux(name: &str) -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", name]);
    c
}

impl Session {
    fn start(args: &str) -> Option<Self> {
        Self::start_in(&std::env::temp_dir(), "main", args)
    }

    /// Starts sipscope in `dir` (its working directory) on a server named
    /// after the test `tag`.
    fn start_in(dir: &std::path::Path, tag: &str, args: &str) -> Option<Self> {
        let name = format!("sipscope-test-{tag}-{}", std::process::id());
        let cmd = format!(
            "{} --log-file {}/sipscope-tmux.log {args}",
            env!("CARGO_BIN_EXE_sipscope"),
            std::env::temp_dir().display()
        );
        // A server starting up under load can refuse the first attempt.
        for _ in 0..5 {
            let out = tmux(&name)
                .args([
                    "-f",
                    "/dev/null",
                    "new-session",
                    "-d",
                    "-s",
                    &name,
                    "-x",
                    "150",
                    "-y",
                    "30",
                    "-c",
                    &dir.display().to_string(),
                    &cmd,
                ])
                .env("TERM", "xterm-256color")
                .env_remove("TMUX")
                .output()
                .ok()?;
            if out.status.success() {
                return Some(Self(name));
            }
            eprintln!("tmux new-session: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(300));
        }
        None
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            tmux(&self.0)
                .args(["send-keys", "-t", &self.0, k])
                .status()
                .unwrap();
            // Keys one at a time: two quick Escapes read as Alt-Esc.
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    fn screen(&self) -> String {
        let out = tmux(&self.0)
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (bounded) until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) || start.elapsed() > Duration::from_secs(10) {
                assert!(s.contains(text), "expected {text:?} on screen:\n{s}");
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Session {
    /// Waits (bounded) for the program to exit; true when it did.
    fn ended(&self) -> bool {
        let running = || {
            tmux(&self.0)
                .args(["has-session", "-t", &self.0])
                .status()
                .unwrap()
                .success()
        };
        let start = Instant::now();
        while running() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(100));
        }
        !running()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&self.0).arg("kill-server").status();
    }
}

#[test]
fn a_user_browses_a_capture_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (scripts/test.sh installs it)");
        return;
    }
    let sample = format!("{}/assets/sample.pcap", env!("CARGO_MANIFEST_DIR"));
    let s = Session::start(&format!("-r {sample}")).expect("tmux session");
    s.wait_for("Dialogs 11 (shown 11)");
    // The eleventh dialog can be counted before the rest of the file has
    // reached the rows' states (a loaded machine): each state is waited for.
    for state in ["registered", "busy", "cancelled"] {
        s.wait_for(state);
    }

    // The third dialog: a registration with a digest challenge.
    s.keys(&["g", "j", "j"]);
    let list = s.wait_for("> 3 ");
    assert!(
        list.lines()
            .any(|l| l.starts_with("> 3") && l.contains("REGISTER")),
        "{list}"
    );
    s.keys(&["Enter"]);
    let ladder = s.wait_for("Call flow");
    assert!(ladder.contains("401 Unauthorized"), "{ladder}");
    assert!(ladder.contains("200 OK (2 REGISTER)"), "{ladder}");

    // Down to the 200 OK (the fourth arrow), then its raw message full screen.
    s.keys(&["j", "j", "j", "Enter"]);
    let msg = s.wait_for("strict RFC 3261 parse");
    assert!(
        msg.lines().any(|l| l.starts_with("SIP/2.0 200 OK")),
        "{msg}"
    );
    assert!(msg.contains("CSeq: 2 REGISTER"), "{msg}");

    // Back to the list, and filter on 486. One Escape at a time, each seen
    // on screen: under load two quick ones can reach the program as Alt-Esc.
    s.keys(&["Escape"]);
    s.wait_for("Call flow");
    s.keys(&["Escape"]);
    s.wait_for("Dialogs 11");
    s.keys(&["/", "4", "8", "6", "Enter"]);
    let filtered = s.wait_for("(shown 3)");
    let rows: Vec<&str> = filtered.lines().filter(|l| l.contains("INVITE")).collect();
    assert_eq!(rows.len(), 3, "{filtered}");
    assert!(rows.iter().all(|r| r.contains("busy")), "{filtered}");

    // q first takes the filter away, then quits, and the terminal comes back.
    s.keys(&["q"]);
    s.wait_for("(shown 11)");
    s.keys(&["q"]);
    assert!(s.ended(), "sipscope did not quit on q");
}

/// Select a call, F2, Enter: the file lands in the working directory under
/// the default name, and tshark reads it back, RTP included.
#[test]
fn a_user_saves_a_call_with_its_rtp_and_tshark_reads_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (scripts/test.sh installs it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipscope-tmux-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let capture = format!(
        "{}/tests/data/gen__hold_resume_refer_rtp.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = Session::start_in(&dir, "save", &format!("-r {capture}")).expect("tmux session");
    s.wait_for("Dialogs 1 (shown 1)");
    s.keys(&["Enter"]);
    s.wait_for("Call flow");
    s.keys(&["F2"]);
    let dialog = s.wait_for("Enter save");
    assert!(dialog.contains("the call in view (1)"), "{dialog}");
    assert!(dialog.contains("[x] with RTP and RTCP"), "{dialog}");
    assert!(dialog.contains("calls-alice-bob-0016.pcap"), "{dialog}");
    s.keys(&["Enter"]);
    let done = s.wait_for("wrote 472 packets (18 SIP, 454 RTP) to calls-alice-bob-0016.pcap");
    assert!(done.contains("Call flow"), "back on the ladder: {done}");
    let saved = dir.join("calls-alice-bob-0016.pcap");
    assert!(saved.exists());
    if let Ok(out) = Command::new("tshark").arg("-r").arg(&saved).output() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.lines().any(|l| !l.starts_with("Running as user")),
            "{stderr}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 472);
    }
    s.keys(&["q"]);
    drop(s);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Live with the UI and `-w`: the recorder is a sink the UI loop drives as
/// the headless one does, so what the user watches is also written.
#[test]
fn a_live_capture_in_the_ui_records_with_w() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (scripts/test.sh installs it)");
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: live capture needs root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipscope-tmux-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("live.pcap");
    let port = 5096;
    let s = Session::start_in(
        &dir,
        "live",
        &format!("-i lo -w {} udp port {port}", out.display()),
    )
    .expect("tmux session");
    s.wait_for("live: lo");
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..3 {
        let msg = format!(
            "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKui{i}\r\n\
             From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ui-{i}\r\n\
             CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        sock.send_to(msg.as_bytes(), ("127.0.0.1", port)).unwrap();
    }
    s.wait_for("Dialogs 3 (shown 3)");
    // Live, quitting asks to be confirmed.
    s.keys(&["q", "q"]);
    assert!(s.ended(), "sipscope did not quit on q q");
    drop(s);
    let bytes = std::fs::read(&out).expect("the recording exists");
    if let Ok(t) = Command::new("tshark")
        .args([
            "-r",
            &out.display().to_string(),
            "-Y",
            "sip.Method == \"OPTIONS\"",
        ])
        .output()
    {
        let listed = String::from_utf8_lossy(&t.stdout);
        assert_eq!(listed.lines().count(), 3, "{listed}");
    } else {
        // pcap header (24) + 3 records of at least 16 + 200 bytes.
        assert!(bytes.len() > 24 + 3 * 216, "{} bytes", bytes.len());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The 32-second drop, as a person meets it: the list names `ack-missing`,
/// the ladder says why under its title, `!` says what it means and what to
/// try.
#[test]
fn a_user_reads_why_a_call_dropped() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (scripts/test.sh installs it)");
        return;
    }
    let capture = format!(
        "{}/tests/data/diagnosis/ack_missing.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let s = Session::start_in(&std::env::temp_dir(), "diagnosis", &format!("-r {capture}"))
        .expect("tmux session");
    let list = s.wait_for("Dialogs 1 (shown 1)");
    assert!(
        list.contains("Findings") && list.contains("ack-missing"),
        "{list}"
    );
    s.keys(&["Enter"]);
    let ladder = s.wait_for("E ack-missing: 200 OK sent 11 times over 31.5 s, never acknowledged");
    assert!(
        ladder.contains("the callee sent BYE 32.0 s after the first"),
        "{ladder}"
    );
    assert!(ladder.contains("2nd send +0.5 s Timer G"), "{ladder}");
    s.keys(&["!"]);
    let view = s.wait_for("E ack-missing (1)");
    s.keys(&["j"]);
    let view = if view.contains("Try:") {
        view
    } else {
        s.wait_for("Try:")
    };
    assert!(view.contains("never received the caller's ACK"), "{view}");
    s.keys(&["Escape"]);
    s.wait_for("Call flow");
    s.keys(&["Escape"]);
    s.wait_for("(shown");
    s.keys(&["q"]);
    assert!(s.ended(), "sipscope did not quit");
}
