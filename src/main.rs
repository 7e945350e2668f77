//! The `sipscope` binary: options → logging → capture → headless report.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use sipscope::capture::{self, Control, OpenFile, Source, live};
use sipscope::cli::{Cli, ReportFormat};
use sipscope::config::Config;
use sipscope::export::capture::CaptureFormat;
use sipscope::export::live::{LiveExport, Recorder, Rotation};
use sipscope::export::{Format, Selection};
use sipscope::headless::{self, StopWhen};
use sipscope::model::{Limits, Model};
use sipscope::ui::{self, app::AppState};
use sipscope::{logging, report};

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
    let log_path = cli.log_file.clone().unwrap_or_else(logging::default_path);
    // Logging is best effort: a read-only home must not stop a capture.
    let _guard = logging::init(&log_path).ok();

    if cli.read.is_empty() && cli.interface.is_none() {
        eprintln!(
            "sipscope: say what to read: -r FILE, or -i IFACE for a live capture (see --help)"
        );
        return Ok(ExitCode::from(2));
    }
    if !cli.read.is_empty() && cli.bpf().is_some() {
        eprintln!("sipscope: a capture filter applies to a live capture (-i), not to -r");
        return Ok(ExitCode::from(2));
    }

    // Read before the capture opens: once root is dropped, root's home is closed.
    let use_ui = !cli.no_ui && std::io::stdout().is_terminal();
    let config = match &cli.config {
        Some(path) => Config::load(path, true)?,
        None => Config::default_path()
            .map_or_else(|| Ok(Config::default()), |p| Config::load(&p, false))?,
    };

    let limits = Limits {
        // Exporting from a file must not lose the calls it is asked for.
        max_calls: cli
            .limit
            .unwrap_or(if cli.write.is_some() && cli.interface.is_none() {
                usize::MAX
            } else {
                20_000
            })
            .max(1),
        max_mem_bytes: cli.mem_mb.saturating_mul(1 << 20),
        raw_in_memory: cli.keep_raw,
        rtp_keep_per_call: cli.rtp_keep.bytes(),
        ..Limits::default()
    };
    let mut model = Model::new(limits);
    if cli.write.is_some() && !cli.call_ids.is_empty() {
        // Only the chosen calls are kept: less memory, none evicted.
        let ids: Vec<String> = cli.call_ids.iter().map(|c| c.trim().to_owned()).collect();
        model.keep_only(&ids);
    }
    let live = cli.interface.is_some();
    let export = match &cli.write {
        Some(path) => match ExportPlan::new(cli, path) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("sipscope: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let mut recording = match &export {
        Some(e) if live => {
            let mut r = e.live(cli);
            // Before root is dropped: the file may be where only root writes.
            r.recorder
                .prepare()
                .with_context(|| format!("cannot write {}", e.path.display()))?;
            capture::privileges::give_to_target(&r.recorder.first_file(), cli.user.as_deref())?;
            Some(r)
        }
        _ => None,
    };
    let source = if let Some(iface) = &cli.interface {
        let cap = live::LiveCapture::open(&live::LiveOptions {
            interface: iface.clone(),
            filter: cli.bpf(),
            snaplen: cli.snaplen,
            buffer_mb: cli.buffer_mb,
        })?;
        if let Some(user) = capture::privileges::drop_root(cli.user.as_deref())? {
            tracing::info!("dropped root privileges to {user}");
        }
        tracing::info!(interface = %iface, filter = ?cli.bpf(), "live capture started");
        Source::Live(cap)
    } else {
        let mut files = Vec::new();
        for (i, path) in cli.read.iter().enumerate() {
            let source = u16::try_from(i).context("too many input files")?;
            let f = OpenFile::open(path, source)?;
            model.set_source(source, f.path.clone());
            files.push(f);
        }
        Source::Files(files)
    };

    let control = Arc::new(Control::default());
    let interrupted = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&interrupted)).context("signal handler")?;
    }
    let (handle, rx) = capture::spawn(source, Arc::clone(&control)).context("capture thread")?;
    if use_ui {
        let source_text = match &cli.interface {
            Some(i) => format!(
                "live: {i}{}",
                cli.bpf()
                    .map(|f| format!("  filter: {f}"))
                    .unwrap_or_default()
            ),
            None => format!("file: {}", cli.read.join(", ")),
        };
        let mut app = AppState::new(config, source_text, live);
        let outcome =
            ui::run(&mut model, &rx, &control, &interrupted, &mut app).context("terminal")?;
        control
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // Unblock a capture thread waiting on a full channel, then join it.
        while rx.recv().is_some() {}
        join_capture(handle, &log_path, &outcome.warnings)?;
        std::mem::forget(model);
        if let Some(e) = outcome.failure {
            eprintln!("sipscope: {e}");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }

    let stop = StopWhen {
        duration: cli.duration.filter(|_| live).map(Duration::from_secs),
        count: cli.count,
    };
    let outcome = headless::run(
        &mut model,
        &rx,
        &control,
        &interrupted,
        stop,
        recording.as_mut(),
    );
    join_capture(handle, &log_path, &outcome.warnings)?;

    let failed = outcome.failure.clone();
    let mut recording_failed = false;
    if let Some(r) = &mut recording {
        r.recorder.finish();
        eprintln!("sipscope: {}", r.summary());
        if r.recorder.skipped > 0 {
            eprintln!(
                "sipscope: warning: {} packets of another link type left out (use .pcapng)",
                r.recorder.skipped
            );
        }
        if r.recorder.failed.is_some() {
            // Said when it happened (headless::tell_failure): exit 1, quietly.
            recording_failed = true;
        }
    } else if let Some(e) = &export {
        let dialogs = e.selection.dialogs(&model);
        for id in &e.selection.call_ids {
            if model.find(id).is_none() && !dialogs.is_empty() {
                eprintln!("sipscope: warning: no call with Call-ID '{id}'");
            }
        }
        let evicted = model.stats().evicted_calls;
        if evicted > 0 {
            eprintln!(
                "sipscope: warning: {evicted} dialogs were evicted to stay within -l/--mem and are not in the export: raise them"
            );
        }
        match sipscope::export::export(
            &model,
            &dialogs,
            e.format,
            cli.with_rtp,
            &e.path,
            true,
            |_| {},
        ) {
            Ok(w) => eprintln!("sipscope: {w}"),
            Err(sipscope::export::ExportError::Nothing) => {
                eprintln!("sipscope: {}", e.why_nothing(&model, cli));
                std::mem::forget(model);
                return Ok(ExitCode::from(1));
            }
            Err(err) => {
                eprintln!("sipscope: {err}");
                std::mem::forget(model);
                return Ok(ExitCode::from(1));
            }
        }
    }

    let report_format = match (cli.report, &cli.write) {
        (Some(f), _) => Some(f),
        (None, None) => Some(ReportFormat::Text),
        (None, Some(_)) => None,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match report_format {
        Some(ReportFormat::Json) => report::json::write(&model, None, &outcome.warnings, &mut out),
        Some(ReportFormat::Text) => report::text::write(&model, &outcome.warnings, &mut out),
        Some(ReportFormat::Stats) => {
            report::text::write_totals(&model, &outcome.warnings, &mut out)
        }
        None => Ok(()),
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

    // Tearing down millions of messages one by one takes longer than the
    // whole read did; the process is ending, so let the OS reclaim it.
    std::mem::forget(model);
    if let Some(e) = failed {
        eprintln!("sipscope: {e}");
        return Ok(ExitCode::from(1));
    }
    if recording_failed {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `-w` and what goes with it, checked before the capture starts.
struct ExportPlan {
    path: std::path::PathBuf,
    format: Format,
    selection: Selection,
}

impl ExportPlan {
    /// The plan, or what is wrong with the command line (a usage error).
    fn new(cli: &Cli, path: &std::path::Path) -> Result<Self, String> {
        // Standard output is pcap unless said otherwise (`| tshark -r -`).
        let stdout = path == std::path::Path::new("-");
        let by_name = if stdout {
            Some(Format::Pcap)
        } else {
            Format::from_path(path)
        };
        let format = cli.format.or(by_name).ok_or_else(|| {
            format!(
                "{}: say the format with --format, or name the file .pcap, .pcapng, .txt, .flow.txt or .json",
                path.display()
            )
        })?;
        let filter = cli
            .call_filter
            .as_deref()
            .map(|f| regex::RegexBuilder::new(f).case_insensitive(true).build())
            .transpose()
            .map_err(|e| format!("--filter: {e}"))?;
        let live = cli.interface.is_some();
        if live && !format.holds_frames() {
            return Err(
                "live, -w writes pcap or pcapng (the other formats are written from a file, -r)"
                    .into(),
            );
        }
        if live && path == std::path::Path::new("-") {
            return Err("live, -w needs a file name (standard output is for -r)".into());
        }
        if !live && (cli.rotate_size.is_some() || cli.rotate_seconds.is_some()) {
            return Err("--rotate-size and --rotate-seconds are for a live capture (-i)".into());
        }
        if path == std::path::Path::new("-") && cli.report.is_some() {
            return Err("-w - writes to standard output: it cannot carry a --report too".into());
        }
        // The same file, by any name (a symbolic or a hard link too).
        let inode = |p: &std::path::Path| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
        };
        let target = inode(path);
        if target.is_some()
            && cli
                .read
                .iter()
                .any(|r| inode(std::path::Path::new(r)) == target)
        {
            return Err(format!(
                "{}: that is an input (-r): write elsewhere",
                path.display()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            format,
            selection: Selection {
                call_ids: cli.call_ids.iter().map(|c| c.trim().to_owned()).collect(),
                filter,
            },
        })
    }

    /// Why nothing was chosen, in words.
    fn why_nothing(&self, model: &Model, cli: &Cli) -> String {
        let ids = &self.selection.call_ids;
        if model.is_empty() && ids.is_empty() {
            return "nothing to export: the capture has no SIP dialogs".into();
        }
        let found = ids.iter().filter(|c| model.find(c).is_some()).count();
        match (&cli.call_filter, ids.is_empty()) {
            (None, false) => format!(
                "nothing to export: no call with Call-ID {}",
                ids.iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Some(f), true) => format!("nothing to export: no call matches --filter '{f}'"),
            (Some(f), false) => format!(
                "nothing to export: {found} of those Call-IDs {} in the capture, and none matches --filter '{f}' (both must match)",
                if found == 1 { "is" } else { "are" }
            ),
            (None, true) => "nothing to export".into(),
        }
    }

    fn live(&self, cli: &Cli) -> LiveExport {
        let format = if self.format == Format::Pcapng {
            CaptureFormat::Pcapng
        } else {
            CaptureFormat::Pcap
        };
        let rotation = Rotation {
            max_bytes: cli.rotate_size.map(|mb| mb.saturating_mul(1 << 20)),
            max_secs: cli.rotate_seconds,
            keep: cli.rotate_keep.and_then(|k| usize::try_from(k).ok()),
        };
        LiveExport::new(
            Recorder::new(self.path.clone(), format, rotation),
            self.selection.clone(),
            cli.with_rtp,
        )
    }
}

/// Joins the capture thread (a panic there becomes an error) and prints the
/// warnings the capture sent.
fn join_capture(
    handle: std::thread::JoinHandle<()>,
    log_path: &std::path::Path,
    warnings: &[String],
) -> anyhow::Result<()> {
    if handle.join().is_err() {
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
