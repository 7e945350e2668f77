//! What `-w FILE` asks for, checked against the rest of the command line
//! before the capture starts: the format, the chosen calls, and (live) the
//! recorder that writes packets as they arrive.

use std::path::{Path, PathBuf};

use super::live::{LiveExport, Recorder, Rotation};
use super::{CaptureFormat, Format, Selection};
use crate::cli::Cli;
use crate::model::Model;

/// `-w` and what goes with it.
#[derive(Debug)]
pub struct WriteRequest {
    pub path: PathBuf,
    pub format: Format,
    pub selection: Selection,
}

impl WriteRequest {
    /// The request, or what is wrong with the command line (a usage error).
    ///
    /// # Errors
    /// The usage error, in words.
    pub fn new(cli: &Cli, path: &Path) -> Result<Self, String> {
        let stdout = path == Path::new("-");
        // Standard output is pcap unless said otherwise (`| tshark -r -`).
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
            .map(crate::model::dialog::row_filter)
            .transpose()
            .map_err(|e| format!("--filter: {e}"))?;
        let live = cli.is_live();
        if live && !format.holds_frames() {
            return Err(
                "live, -w writes pcap or pcapng (the other formats are written from a file, -r)"
                    .into(),
            );
        }
        if live && stdout {
            return Err("live, -w needs a file name (standard output is for -r)".into());
        }
        if !live && (cli.rotate_size.is_some() || cli.rotate_seconds.is_some()) {
            return Err("--rotate-size and --rotate-seconds are for a live capture (-i)".into());
        }
        if stdout && cli.report.is_some() {
            return Err("-w - writes to standard output: it cannot carry a --report too".into());
        }
        if is_an_input(cli, path) {
            return Err(format!(
                "{}: that is an input (-r): write elsewhere",
                path.display()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            format,
            selection: Selection::new(
                cli.call_ids.iter().map(|c| c.trim().to_owned()).collect(),
                filter,
            ),
        })
    }

    /// Why nothing was chosen, in words.
    #[must_use]
    pub fn why_nothing(&self, model: &Model, cli: &Cli) -> String {
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

    /// The live recording this request asks for (`-i ... -w FILE`).
    #[must_use]
    pub fn recording(&self, cli: &Cli) -> LiveExport {
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

/// Is `path` one of the inputs (`-r`), by any name (a symbolic or a hard
/// link too)?
fn is_an_input(cli: &Cli, path: &Path) -> bool {
    let inode = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
    };
    let target = inode(path);
    target.is_some() && cli.read.iter().any(|r| inode(Path::new(r)) == target)
}
