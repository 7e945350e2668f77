//! The `sipscope` binary: options → logging → capture → the UI, or the
//! headless loop and its report.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use sipscope::capture::{self, CaptureOptions, Control, OpenFile, Source, live};
use sipscope::cli::{Cli, ReportFormat};
use sipscope::config::Config;
use sipscope::export::live::LiveExport;
use sipscope::export::request::WriteRequest;
use sipscope::feed::Feed;
use sipscope::headless::{self, StopWhen};
use sipscope::hep::listen::HepListener;
use sipscope::hep::send::{HepOptions, HepSender, Target};
use sipscope::model::{Limits, Model};
use sipscope::sink::Sink;
use sipscope::ui::{self, app::AppState};
use sipscope::{logging, report, signals};

/// mimalloc: messages are allocated on the capture thread and freed on the
/// model's; glibc's arenas made that cross-thread traffic a third of the run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap exits with 2 on a usage error by itself.
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sipscope: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    if let Some(what) = cli.generate {
        sipscope::cli::generate(what, &mut std::io::stdout().lock()).context("--generate")?;
        return Ok(ExitCode::SUCCESS);
    }
    // First: a signal during a slow open (a FIFO with no writer yet) stops
    // us with 128 + its number, like one during the capture.
    let interrupted = Arc::new(AtomicBool::new(false));
    signals::install(&interrupted).context("signal handler")?;
    // Until the loop that reads the flag runs (opening a FIFO blocks), and
    // after it (the capture thread may still block), a watchdog ends us.
    let loop_done = Arc::new(AtomicBool::new(false));
    signals::watchdog(&interrupted, &loop_done, 3 * headless::SIGNAL_GRACE);
    let log_path = cli.log_file.clone().unwrap_or_else(logging::default_path);
    // Logging is best effort: a read-only home must not stop a capture. A
    // log file asked for and refused (a symlink, a directory others write)
    // is said.
    let _guard = match logging::init(&log_path) {
        Ok(g) => Some(g),
        Err(e) => {
            if cli.log_file.is_some() {
                eprintln!("sipscope: warning: not logging: {e}");
            }
            None
        }
    };

    if cli.dump_config {
        let config = load_config(cli)?;
        print!("{}", config.active());
        return Ok(ExitCode::SUCCESS);
    }

    // ---- the command line, checked before anything opens ----
    let use_ui = !cli.no_ui && std::io::stdout().is_terminal();
    if let Some(usage) = usage_error(cli, use_ui) {
        eprintln!("sipscope: {usage}");
        return Ok(ExitCode::from(2));
    }
    let request = match &cli.write {
        Some(path) => match WriteRequest::new(cli, path) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("sipscope: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    // Read before the capture opens: once root is dropped, root's home is closed.
    let config = load_config(cli)?;

    // ---- the model, the sinks and the source ----
    let mut model = Model::new(limits(cli));
    if cli.write.is_some() && !cli.call_ids.is_empty() {
        // Only the chosen calls are kept: less memory, none evicted.
        let ids: Vec<String> = cli.call_ids.iter().map(|c| c.trim().to_owned()).collect();
        model.keep_only(&ids);
    }
    let live = cli.is_live();
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if let Some(r) = request.as_ref().filter(|_| live) {
        sinks.push(Box::new(prepare_recording(cli, r)?));
    }
    if let Some(hep) = hep_options(cli, live) {
        let hep = match hep {
            Ok(o) => o,
            Err(e) => {
                eprintln!("sipscope: -H {e}");
                return Ok(ExitCode::from(2));
            }
        };
        sinks.push(Box::new(
            HepSender::start(hep).context("starting the HEP sender")?,
        ));
    }
    if !use_ui && cli.report == Some(ReportFormat::Ndjson) {
        // Written from the loop that owns the model, as dialogs end.
        let out = std::io::BufWriter::with_capacity(256 << 10, std::io::stdout());
        sinks.push(Box::new(report::ndjson::Ndjson::new(
            out,
            !stdout_is_file(),
        )));
    }
    let mut feed = Feed::new(sinks).with_limit(cli.count);
    let sources = match open_sources(cli, &mut model) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sipscope: {e:#}");
            return Ok(ExitCode::from(if e.is::<UsageError>() { 2 } else { 1 }));
        }
    };

    // ---- the capture, and the loop that feeds the model ----
    let control = Arc::new(Control::default());
    let options = CaptureOptions {
        hep_port: (cli.hep_port != 0).then_some(cli.hep_port),
        headless: !use_ui,
    };
    let (handles, rx) =
        capture::spawn_sources(sources, &control, options).context("capture thread")?;
    // The capture thread had its grace to finish and did not (it sits in a
    // read): joining it gives it no second one.
    let mut gave_up = false;
    if use_ui {
        let mut app = AppState::new(config, source_text(cli), live);
        ui::run(&mut model, &rx, &control, &interrupted, &mut app, &mut feed)
            .context("terminal")?;
        control
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // Unblock a capture thread waiting on a full channel, then join it;
        // not for longer than the grace: it may sit in a read of a stalled
        // pipe.
        let start = std::time::Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(_) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            if start.elapsed() >= headless::SIGNAL_GRACE {
                gave_up = true;
                break;
            }
        }
    } else {
        let stop = StopWhen {
            duration: cli.duration.filter(|_| live).map(Duration::from_secs),
        };
        gave_up = headless::run(&mut model, &rx, &control, &interrupted, stop, &mut feed);
    }
    if let Some(w) = eviction_warning(cli, &model) {
        feed.warnings.push(w);
    }
    let sctp = model.stats().sctp_not_decoded;
    if sctp > 0 {
        feed.warnings.push(format!(
            "{sctp} SCTP DATA chunks were parts of a message split over several chunks and were not decoded (SIP over SCTP is read one whole message per chunk)"
        ));
    }
    let grace = if gave_up {
        Duration::ZERO
    } else {
        headless::SIGNAL_GRACE
    };
    join_capture(handles, grace, &log_path, &feed.warnings)?;
    loop_done.store(true, std::sync::atomic::Ordering::Relaxed);
    // However it stopped (end of input, --duration, a signal), the capture
    // is over: calls still waiting for a final response will not get one.
    model.end_capture();
    // What the sinks owe from the final model (the NDJSON report's open
    // dialogs and totals).
    feed.close(&model);

    // ---- what the sinks did, the export, the report ----
    let sinks_failed = finish_sinks(&mut feed);
    tracing::info!(
        held_bytes = model.held_bytes(),
        dialogs = model.len(),
        evicted = model.stats().evicted_calls,
        "the model at the end (the estimate --mem bounds)"
    );
    let code = if use_ui {
        ExitCode::SUCCESS
    } else {
        finish_headless(cli, &model, request.as_ref().filter(|_| !live), &feed)?
    };
    // Tearing down millions of messages one by one takes longer than the
    // whole read did; the process is ending, so let the OS reclaim it.
    std::mem::forget(model);
    if let Some(status) = signals::exit_status() {
        // Stopped by a signal: what was read is reported, then said.
        return Ok(ExitCode::from(status));
    }
    if let Some(e) = &feed.failure {
        eprintln!("sipscope: {}", sipscope::feed::Notice::stopped(e));
        return Ok(ExitCode::from(1));
    }
    if sinks_failed {
        // Said when it happened: exit 1, quietly.
        return Ok(ExitCode::from(1));
    }
    Ok(code)
}

/// Is standard output a regular file (written in blocks), rather than a
/// pipe or a terminal that a reader watches line by line?
fn stdout_is_file() -> bool {
    use std::os::fd::AsFd;
    std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file())
}

/// `--config FILE`, else the default file if there is one.
fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    match &cli.config {
        Some(path) => Config::load(path, true),
        None => Config::default_path()
            .map_or_else(|| Ok(Config::default()), |p| Config::load(&p, false)),
    }
}

/// What is wrong with the command line as a whole, if anything.
fn usage_error(cli: &Cli, use_ui: bool) -> Option<&'static str> {
    if cli.read.is_empty() && cli.interface.is_none() && cli.hep_listen.is_none() {
        return Some(
            "say what to read: -r FILE, -i IFACE for a live capture, or -L URL for HEP agents (see --help)",
        );
    }
    if !cli.read.is_empty() && cli.interface.is_some() {
        return Some("read files (-r) or capture live (-i), not both at once");
    }
    if !cli.read.is_empty() && cli.bpf().is_some() {
        return Some("a capture filter applies to a live capture (-i), not to -r");
    }
    if cli.write.is_some() && !cli.is_live() && use_ui {
        return Some("from a file, -w writes with --no-ui (in the UI, F2 saves the calls in view)");
    }
    None
}

/// The memory bounds the command line asks for.
fn limits(cli: &Cli) -> Limits {
    Limits {
        // No count by default: --mem, an estimate of everything the model
        // holds, decides how many dialogs fit (a count would evict calls
        // the budget could hold).
        max_calls: cli.limit.unwrap_or(usize::MAX).max(1),
        max_mem_bytes: cli.mem_mb.saturating_mul(1 << 20),
        raw_in_memory: cli.keep_raw,
        rtp_keep_per_call: cli.rtp_keep.bytes(),
        ..Limits::default()
    }
}

/// Dialogs were evicted: they are missing from the UI, the report and any
/// export, which must be said (on stderr and in the JSON `warnings`).
fn eviction_warning(cli: &Cli, model: &Model) -> Option<String> {
    let evicted = model.stats().evicted_calls;
    (evicted > 0).then(|| {
        let limit = cli
            .limit
            .map_or_else(String::new, |n| format!("-l {n}, "));
        format!(
            "{evicted} dialogs were evicted to stay within {limit}--mem {} MiB (live: -l 20000 by default); \
             they are missing from the report and any export: raise the limits",
            cli.mem_mb
        )
    })
}

/// The live recording of `-i ... -w FILE`, its first file made now: before
/// root is dropped, as the file may be where only root writes.
fn prepare_recording(cli: &Cli, request: &WriteRequest) -> anyhow::Result<LiveExport> {
    let mut r = request.recording(cli);
    r.recorder
        .prepare()
        .with_context(|| format!("cannot write {}", request.path.display()))?;
    if let Some(file) = r.recorder.prepared() {
        capture::privileges::give_to_target(file, cli.user.as_deref())?;
    }
    if r.recorder.rotates() {
        // The next files are made after root is dropped: check now, as that
        // user, rather than fail at the first rotation an hour in.
        let first = r.recorder.first_file();
        let dir = match first.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        if let Err(e) = capture::privileges::check_can_create_in(&dir, cli.user.as_deref()) {
            let _ = std::fs::remove_file(&first);
            return Err(e);
        }
    }
    Ok(r)
}

/// What `-H` asks for, if given: the collector's address is resolved now,
/// so a name that does not resolve is said at start.
fn hep_options(cli: &Cli, live: bool) -> Option<Result<HepOptions, String>> {
    let url = cli.hep_send.as_deref()?;
    Some(Target::parse(url).map(|target| HepOptions {
        target,
        agent_id: cli.hep_id,
        password: cli.hep_password.clone(),
        lossless: !live,
    }))
}

/// A mistake on the command line found while opening the sources.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// Opens the interface or the files, and the HEP listener; then drops root
/// (everything privileged is open by then).
fn open_sources(cli: &Cli, model: &mut Model) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    if let Some(url) = &cli.hep_listen {
        let l = HepListener::bind(url, cli.hep_password.clone()).map_err(UsageError)?;
        tracing::info!(url = %l.url(), "HEP listener bound");
        sources.push(Source::Hep(l));
    }
    if let Some(iface) = &cli.interface {
        let cap = live::LiveCapture::open(&live::LiveOptions {
            interface: iface.clone(),
            filter: cli.bpf(),
            snaplen: cli.snaplen,
            buffer_mb: cli.buffer_mb,
        })?;
        tracing::info!(interface = %iface, filter = ?cli.bpf(), "live capture started");
        sources.insert(0, Source::Live(cap));
    } else if !cli.read.is_empty() {
        let mut files = Vec::new();
        for (i, path) in cli.read.iter().enumerate() {
            let source = u16::try_from(i).context("too many input files")?;
            let f = OpenFile::open(path, source)?;
            model.set_source(source, f.path.clone());
            files.push(f);
        }
        sources.insert(0, Source::Files(files));
    }
    if cli.is_live() {
        match capture::privileges::drop_root(cli.user.as_deref())? {
            Some(user) => tracing::info!("dropped root privileges to {user}"),
            // Capturing with capabilities (setcap) as a normal user.
            None => tracing::info!("not root: no privileges to drop"),
        }
    }
    Ok(sources)
}

/// The UI's header line for the source.
fn source_text(cli: &Cli) -> String {
    let mut text = match &cli.interface {
        Some(i) => format!(
            "live: {i}{}",
            cli.bpf()
                .map(|f| format!("  filter: {f}"))
                .unwrap_or_default()
        ),
        None if cli.read.is_empty() => String::new(),
        None => format!("file: {}", cli.read.join(", ")),
    };
    if let Some(url) = &cli.hep_listen {
        if !text.is_empty() {
            text.push_str("  ");
        }
        text.push_str("HEP: ");
        text.push_str(url);
    }
    text
}

/// Says on stderr what each sink did; true when one stopped on an error.
fn finish_sinks(feed: &mut Feed) -> bool {
    let mut failed = false;
    for summary in feed.finish() {
        for line in &summary.lines {
            eprintln!("sipscope: {line}");
        }
        failed |= summary.failed;
    }
    failed
}

/// Headless, once the capture ended: the export from a file (`-r ... -w`),
/// then the report.
fn finish_headless(
    cli: &Cli,
    model: &Model,
    export: Option<&WriteRequest>,
    feed: &Feed,
) -> anyhow::Result<ExitCode> {
    if let Some(e) = export
        && !write_export(cli, model, e)
    {
        return Ok(ExitCode::from(1));
    }
    let report_format = match (cli.report, &cli.write) {
        (Some(f), _) => Some(f),
        (None, None) if !cli.quiet => Some(ReportFormat::Text),
        (None, _) => None,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 << 10, stdout.lock());
    // The worst finding, when the report already worked every one out.
    let mut worst = None;
    match report_format {
        Some(ReportFormat::Json) => report::json::write(model, None, &feed.warnings, &mut out)
            .map(|w| worst = Some(w.worst)),
        Some(ReportFormat::Text) => report::text::write(model, &feed.warnings, &mut out),
        Some(ReportFormat::Stats) => report::text::write_totals(model, &feed.warnings, &mut out),
        // Written as the capture went (a sink).
        Some(ReportFormat::Ndjson) | None => Ok(()),
    }
    .or_else(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(())
        } else {
            Err(e)
        }
    })
    .context("writing the report")?;
    let _ = out.flush();
    // Findings that fail the run (scripts, monitoring): exit 3.
    if let Some(f) = cli.fail_on
        && worst.map_or_else(
            || model.has_finding(f.severity()),
            |w| w >= Some(f.severity()),
        )
    {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the chosen calls of a file to `-w`; says what it did, or why
/// nothing was written (false).
fn write_export(cli: &Cli, model: &Model, e: &WriteRequest) -> bool {
    let dialogs = e.selection.dialogs(model);
    for id in &e.selection.call_ids {
        if model.find(id).is_none() && !dialogs.is_empty() {
            eprintln!("sipscope: warning: no call with Call-ID '{id}'");
        }
    }
    match sipscope::export::export(
        model,
        &dialogs,
        e.format,
        cli.with_rtp,
        &e.path,
        true,
        |_| {},
    ) {
        Ok(w) => {
            eprintln!("sipscope: {w}");
            true
        }
        Err(sipscope::export::ExportError::Nothing) => {
            eprintln!("sipscope: {}", e.why_nothing(model, cli));
            false
        }
        Err(err) => {
            eprintln!("sipscope: {err}");
            false
        }
    }
}

/// Joins the capture thread (a panic there becomes an error) and prints the
/// warnings the capture sent.
fn join_capture(
    handles: Vec<std::thread::JoinHandle<()>>,
    grace: Duration,
    log_path: &std::path::Path,
    warnings: &[String],
) -> anyhow::Result<()> {
    // Stopped early, a thread may sit in a read that never returns (a pipe
    // whose writer stalls): give them a moment, then leave them. Every
    // finished thread is joined, whatever the first one says.
    let start = std::time::Instant::now();
    while !handles.iter().all(std::thread::JoinHandle::is_finished) && start.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut panicked = false;
    for h in handles {
        if h.is_finished() {
            panicked |= h.join().is_err();
        } else {
            tracing::warn!("a capture thread is blocked in a read; exiting without it");
        }
    }
    if panicked {
        anyhow::bail!(
            "the capture thread panicked; see the log at {}",
            log_path.display()
        );
    }
    for w in warnings {
        eprintln!("sipscope: warning: {w}");
    }
    Ok(())
}
