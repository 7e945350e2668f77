//! Export: chosen calls to a file, as the original frames (pcap, pcapng),
//! as text (the messages, or the ladder), or as the JSON report.
//!
//! The model keeps a reference to every frame that carried a message, and
//! (within a budget) to every RTP and RTCP frame; exporting collects those
//! references for the chosen dialogs, sorts them by time and writes the
//! bytes read back from the capture files (or memory). A file is written
//! under a temporary name in its directory and renamed when complete, so no
//! half-written file ever carries the final name.

pub mod live;
pub mod pcap;
pub mod request;
pub mod text;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::decode::FrameRef;
use crate::model::{Dialog, Model};

pub use pcap::{CaptureFormat, FrameBytes, WriteError, linktype_name};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The original frames, as pcap (one link type).
    Pcap,
    /// The original frames, as pcapng (one interface per link type).
    Pcapng,
    /// Each message with a header line, as sngrep saves them.
    Text,
    /// The ladder as text: one line per message.
    Flow,
    /// The JSON report (docs/report.md) of the chosen calls.
    Json,
}

impl Format {
    pub const ALL: [Self; 5] = [Self::Pcap, Self::Pcapng, Self::Text, Self::Flow, Self::Json];

    /// The format a file name asks for: `.pcap`, `.pcapng`, `.txt`,
    /// `.flow` / `.flow.txt`, `.json`.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let flow = Path::new(&name).extension().is_some_and(|e| e == "flow")
            || Path::new(&name)
                .file_stem()
                .is_some_and(|s| Path::new(s).extension().is_some_and(|e| e == "flow"));
        if flow {
            return Some(Self::Flow);
        }
        match path
            .extension()?
            .to_string_lossy()
            .to_ascii_lowercase()
            .as_str()
        {
            "pcap" | "cap" => Some(Self::Pcap),
            "pcapng" => Some(Self::Pcapng),
            "txt" | "log" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
            Self::Text => "text",
            Self::Flow => "ladder text",
            Self::Json => "JSON",
        }
    }

    /// The extension a new file of this format gets.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
            Self::Text => "txt",
            Self::Flow => "flow.txt",
            Self::Json => "json",
        }
    }

    /// Does the format hold frames (and so RTP, when asked)?
    #[must_use]
    pub fn holds_frames(self) -> bool {
        matches!(self, Self::Pcap | Self::Pcapng)
    }

    /// `path` with this format's extension instead of another format's.
    #[must_use]
    pub fn with_extension(self, path: &str) -> String {
        let lower = path.to_ascii_lowercase();
        let stem_len = [
            ".flow.txt",
            ".pcapng",
            ".pcap",
            ".flow",
            ".json",
            ".txt",
            ".cap",
        ]
        .iter()
        .find(|e| lower.ends_with(*e))
        .map_or(path.len(), |e| path.len() - e.len());
        format!(
            "{}.{}",
            path.get(..stem_len).unwrap_or(path),
            self.extension()
        )
    }
}

/// Which calls to export: by Call-ID, by a display-filter regex (what `/`
/// matches in the call list, the rule ids of the call's findings too), or
/// all.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub call_ids: Vec<String>,
    pub filter: Option<regex::Regex>,
    /// The filter matches some rule id of the catalogue: only then are a
    /// dialog's findings looked at (a filter on `alice` runs no rules).
    names_rules: bool,
}

impl Selection {
    /// The calls named by Call-ID (none: any) that `filter` (none: any)
    /// matches.
    #[must_use]
    pub fn new(call_ids: Vec<String>, filter: Option<regex::Regex>) -> Self {
        let names_rules = filter.as_ref().is_some_and(|re| {
            crate::model::findings::catalogue::CATALOGUE
                .iter()
                .any(|r| re.is_match(r.id))
        });
        Self {
            call_ids,
            filter,
            names_rules,
        }
    }

    /// Does `d` pass (every given condition)? The filter matches the
    /// call-list row or, as `/` does, the rule id of one of the dialog's
    /// findings at `clock`.
    #[must_use]
    pub fn matches(&self, model: &Model, d: &Dialog, clock: crate::model::Clock) -> bool {
        (self.call_ids.is_empty() || self.call_ids.iter().any(|c| c == d.call_id()))
            && self.filter.as_ref().is_none_or(|re| {
                re.is_match(&d.filter_text(clock))
                    || (self.names_rules
                        && model
                            .findings_at(d, clock.now_ns)
                            .iter()
                            .any(|f| re.is_match(f.rule)))
            })
    }

    /// The model's dialogs that pass, oldest first.
    #[must_use]
    pub fn dialogs<'m>(&self, model: &'m Model) -> Vec<&'m Dialog> {
        let clock = model.clock();
        if self.filter.is_none() && !self.call_ids.is_empty() {
            let mut found: Vec<&Dialog> =
                self.call_ids.iter().filter_map(|c| model.find(c)).collect();
            found.sort_by_key(|d| d.id);
            found.dedup_by_key(|d| d.id);
            return found;
        }
        model
            .dialogs()
            .filter(|d| self.matches(model, d, clock))
            .collect()
    }
}

/// The frames of the chosen dialogs, in time order.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    pub frames: Vec<FrameRef>,
    /// How many of `frames` carried SIP (the rest are RTP and RTCP).
    pub sip_frames: usize,
    /// RTP frames of these calls let go to stay within the media budget.
    pub rtp_not_kept: u64,
}

impl Plan {
    /// Collects the frames that carried the dialogs' messages and, with
    /// `with_rtp`, their kept RTP and RTCP frames.
    #[must_use]
    pub fn new(model: &Model, dialogs: &[&Dialog], with_rtp: bool) -> Self {
        let mut sip: Vec<FrameRef> = dialogs
            .iter()
            .flat_map(|d| d.messages.iter())
            .flat_map(crate::model::Message::frames)
            .collect();
        sort_dedup(&mut sip);
        let mut plan = Self {
            sip_frames: sip.len(),
            frames: sip,
            rtp_not_kept: 0,
        };
        if with_rtp {
            let mut media: Vec<FrameRef> = Vec::new();
            // A stream both legs of a call hold is counted once.
            let mut seen = std::collections::HashSet::new();
            for d in dialogs {
                // RTP and fax (UDPTL): the call's media frames.
                for s in model.media_of(d) {
                    if !seen.insert(std::ptr::from_ref(s)) {
                        continue;
                    }
                    media.extend(s.frames.iter().cloned());
                    plan.rtp_not_kept += s.frames_not_kept;
                }
                for flow in model.rtcp_of(d) {
                    media.extend(flow.frames.iter().cloned());
                }
            }
            sort_dedup(&mut media);
            plan.frames.extend(media);
            // Stable: equal times keep SIP before media, as captured order mostly is.
            plan.frames.sort_by_key(|f| f.ts_ns);
        }
        plan
    }
}

fn sort_dedup(frames: &mut Vec<FrameRef>) {
    frames.sort_by_key(|f| (f.ts_ns, f.source, loc_key(f)));
    frames.dedup();
}

/// Orders frames at one instant: by file offset, or by address in memory.
pub(crate) fn loc_key(f: &FrameRef) -> (u64, usize) {
    match &f.loc {
        crate::decode::FrameLoc::File { offset, .. } => (*offset, 0),
        crate::decode::FrameLoc::Mem(b) => (u64::MAX, b.as_ptr() as usize),
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub format: Format,
    pub calls: usize,
    pub packets: usize,
    pub sip: usize,
    pub media: usize,
    pub messages: usize,
    pub rtp_not_kept: u64,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.path == Path::new("-") {
            "standard output".to_owned()
        } else {
            self.path.display().to_string()
        };
        if self.format.holds_frames() {
            write!(
                f,
                "wrote {} packets ({} SIP, {} RTP) to {name}",
                self.packets, self.sip, self.media
            )?;
            if self.rtp_not_kept > 0 {
                write!(
                    f,
                    "; {} RTP packets were not kept (media budget, --rtp-keep)",
                    self.rtp_not_kept
                )?;
            }
            Ok(())
        } else {
            let calls = if self.calls == 1 { "call" } else { "calls" };
            write!(
                f,
                "wrote {} messages of {} {calls} as {} to {name}",
                self.messages,
                self.calls,
                self.format.name()
            )
        }
    }
}

/// For a refused write: as whom sipscope runs, when that is not root (it
/// dropped root after opening a live capture).
#[must_use]
pub fn who_am_i_hint() -> String {
    let uid = nix::unistd::geteuid();
    if uid.is_root() {
        return String::new();
    }
    let name = nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name);
    format!(
        " (sipscope runs as {name} here: choose a directory {name} can write, or start it with --user)"
    )
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} exists")]
    Exists(PathBuf),
    #[error("nothing to export: no call is chosen")]
    Nothing,
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, io::Error),
}

impl From<io::Error> for ExportError {
    fn from(e: io::Error) -> Self {
        Self::Write(WriteError::Io(e))
    }
}

/// Writes a file through a temporary name in the same directory, then
/// gives it its name: replacing an existing file only with `overwrite`.
/// On any error the temporary file is removed and `path` is untouched.
/// `-` is standard output.
///
/// # Errors
/// [`ExportError::Exists`] when `path` exists and `overwrite` is off; what
/// `write` returns; I/O errors creating, writing or renaming.
pub fn save_atomically<T>(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let io_err = |e: io::Error| ExportError::Io(path.to_path_buf(), e);
    if path == Path::new("-") {
        // Standard output: for a pipe (`| tshark -r -`), written as it goes.
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        let value = write(&mut out)?;
        out.flush().map_err(io_err)?;
        return Ok(value);
    }
    if !overwrite && path.exists() {
        return Err(ExportError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io_err(io::Error::other("not a file name")))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_err)?;
    let result = (|| {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut out)?;
        out.flush().map_err(io_err)?;
        let file = out.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        if overwrite {
            std::fs::rename(&tmp, path).map_err(io_err)?;
        } else {
            // A hard link fails if the name was taken meanwhile: no clobbering.
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(ExportError::Exists(path.to_path_buf()));
                }
                Err(_) => std::fs::rename(&tmp, path).map_err(io_err)?,
            }
        }
        Ok(value)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Frames ready to be written, apart from the model: a pcap or pcapng export
/// can then run on another thread while the UI goes on.
#[derive(Debug)]
pub struct CaptureJob {
    plan: Plan,
    bytes: FrameBytes,
    format: CaptureFormat,
    calls: usize,
    messages: usize,
    with_rtp: bool,
}

impl CaptureJob {
    /// Collects the frames of `dialogs` and opens the files they are in.
    ///
    /// # Errors
    /// [`ExportError::Nothing`] for no dialogs; `MixedLinkTypes` for pcap
    /// with several link types; I/O errors opening the capture files.
    pub fn new(
        model: &Model,
        dialogs: &[&Dialog],
        format: CaptureFormat,
        with_rtp: bool,
    ) -> Result<Self, ExportError> {
        if dialogs.is_empty() {
            return Err(ExportError::Nothing);
        }
        let plan = Plan::new(model, dialogs, with_rtp);
        if format == CaptureFormat::Pcap {
            let types = pcap::linktypes(&plan.frames);
            if types.len() > 1 {
                return Err(WriteError::MixedLinkTypes(types).into());
            }
        }
        let paths: Vec<Option<PathBuf>> = (0..=u16::MAX)
            .take(model.source_count())
            .map(|s| model.source_path(s).map(Path::to_path_buf))
            .collect();
        let bytes = FrameBytes::open(&paths)?;
        Ok(Self {
            plan,
            bytes,
            format,
            calls: dialogs.len(),
            messages: dialogs.iter().map(|d| d.messages.len()).sum(),
            with_rtp,
        })
    }

    /// How many packets the job writes.
    #[must_use]
    pub fn packets(&self) -> usize {
        self.plan.frames.len()
    }

    /// Writes the file. `progress` is told how many packets are written;
    /// when it says false, the save is cancelled (and nothing is left).
    ///
    /// # Errors
    /// As [`save_atomically`].
    pub fn run(
        &self,
        path: &Path,
        overwrite: bool,
        progress: impl FnMut(usize) -> bool,
    ) -> Result<Written, ExportError> {
        save_atomically(path, overwrite, |mut out| {
            pcap::write(
                &self.plan.frames,
                &self.bytes,
                self.format,
                &mut out,
                progress,
            )?;
            Ok(())
        })?;
        Ok(Written {
            path: path.to_path_buf(),
            format: match self.format {
                CaptureFormat::Pcap => Format::Pcap,
                CaptureFormat::Pcapng => Format::Pcapng,
            },
            calls: self.calls,
            packets: self.plan.frames.len(),
            sip: self.plan.sip_frames,
            media: self.plan.frames.len() - self.plan.sip_frames,
            messages: self.messages,
            rtp_not_kept: if self.with_rtp {
                self.plan.rtp_not_kept
            } else {
                0
            },
        })
    }
}

/// Exports `dialogs` to `path` in `format`. `progress` is told how many
/// packets were written, as they are (for the frame formats).
///
/// # Errors
/// As [`save_atomically`]; [`ExportError::Nothing`] for no dialogs.
pub fn export(
    model: &Model,
    dialogs: &[&Dialog],
    format: Format,
    with_rtp: bool,
    path: &Path,
    overwrite: bool,
    mut progress: impl FnMut(usize),
) -> Result<Written, ExportError> {
    if dialogs.is_empty() {
        return Err(ExportError::Nothing);
    }
    let written = Written {
        path: path.to_path_buf(),
        format,
        calls: dialogs.len(),
        packets: 0,
        sip: 0,
        media: 0,
        messages: dialogs.iter().map(|d| d.messages.len()).sum(),
        rtp_not_kept: 0,
    };
    match format {
        Format::Pcap => CaptureJob::new(model, dialogs, CaptureFormat::Pcap, with_rtp)?.run(
            path,
            overwrite,
            |n| {
                progress(n);
                true
            },
        ),
        Format::Pcapng => CaptureJob::new(model, dialogs, CaptureFormat::Pcapng, with_rtp)?.run(
            path,
            overwrite,
            |n| {
                progress(n);
                true
            },
        ),
        Format::Text => save_atomically(path, overwrite, |mut out| {
            text::write_messages(model, dialogs, &mut out).map_err(ExportError::from)
        })
        .map(|()| written),
        Format::Flow => save_atomically(path, overwrite, |mut out| {
            text::write_flow(model, dialogs, &mut out).map_err(ExportError::from)
        })
        .map(|()| written),
        Format::Json => save_atomically(path, overwrite, |mut out| {
            crate::report::json::write(model, Some(dialogs), &[], &mut out)
                .map(|_| ())
                .map_err(ExportError::from)
        })
        .map(|()| written),
    }
}

/// A file name for an export of `dialogs`: from the first call's From and
/// To users and its start time (`calls-alice-bob-1412.pcap`).
#[must_use]
pub fn default_name(dialogs: &[&Dialog], format: Format) -> String {
    let Some(first) = dialogs.first() else {
        return format!("calls.{}", format.extension());
    };
    let user = |h: &str| {
        let uri = crate::text::uri_of(h);
        let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
        let rest = rest.split([';', '>', '?']).next().unwrap_or_default();
        // The user part; a URI without one names a host (and maybe a port).
        let user = match rest.split_once('@') {
            Some((user, _)) => user,
            None if rest.starts_with('[') => rest.split(']').next().unwrap_or_default(),
            None => rest.split(':').next().unwrap_or_default(),
        };
        let clean: String = user
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.'))
            .take(24)
            .collect();
        if clean.is_empty() {
            "anon".to_owned()
        } else {
            clean
        }
    };
    let hhmm = crate::text::hhmm(first.first_ts());
    let more = if dialogs.len() > 1 {
        format!("-and-{}-more", dialogs.len() - 1)
    } else {
        String::new()
    };
    format!(
        "calls-{}-{}-{hhmm:04}{more}.{}",
        user(first.from()),
        user(first.to()),
        format.extension()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        let f = |p: &str| Format::from_path(Path::new(p));
        assert_eq!(f("a.pcap"), Some(Format::Pcap));
        assert_eq!(f("a.PCAPNG"), Some(Format::Pcapng));
        assert_eq!(f("a.flow.txt"), Some(Format::Flow));
        assert_eq!(f("a.txt"), Some(Format::Text));
        assert_eq!(f("a.json"), Some(Format::Json));
        assert_eq!(f("a"), None);
        assert_eq!(
            Format::Pcapng.with_extension("x/calls.pcap"),
            "x/calls.pcapng"
        );
        assert_eq!(Format::Pcap.with_extension("calls.flow.txt"), "calls.pcap");
        assert_eq!(Format::Json.with_extension("calls"), "calls.json");
    }

    #[test]
    fn a_cancelled_save_leaves_nothing() {
        let m = crate::replay(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/gen__hold_resume_refer_rtp.pcap"
        ))
        .unwrap();
        let d: Vec<&Dialog> = m.dialogs().collect();
        let job = CaptureJob::new(&m, &d, CaptureFormat::Pcap, true).unwrap();
        let dir = std::env::temp_dir().join(format!("sipscope-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.pcap");
        // Esc after 100 of the 472 packets.
        let r = job.run(&path, false, |n| n < 100);
        assert!(
            matches!(r, Err(ExportError::Write(WriteError::Io(ref e))) if e.kind() == io::ErrorKind::Interrupted)
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn user_parts_name_the_file() {
        let m = crate::replay(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/gen__busy_486_3calls.pcap"
        ))
        .unwrap();
        let d: Vec<&Dialog> = m.dialogs().collect();
        assert_eq!(
            default_name(&d[..1], Format::Pcap),
            "calls-alice-bob-0016.pcap"
        );
        assert_eq!(
            default_name(&d, Format::Flow),
            "calls-alice-bob-0016-and-2-more.flow.txt"
        );
    }

    #[test]
    fn a_failed_write_leaves_no_file_and_an_existing_one_untouched() {
        let dir = std::env::temp_dir().join(format!("sipscope-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.pcap");
        let err = save_atomically(&path, false, |out| {
            out.write_all(b"half").unwrap();
            Err::<(), _>(ExportError::Nothing)
        });
        assert!(err.is_err());
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temporary file left"
        );
        save_atomically(&path, false, |out| Ok(out.write_all(b"one")?)).unwrap();
        let again = save_atomically(&path, false, |out| Ok(out.write_all(b"two")?));
        assert!(matches!(again, Err(ExportError::Exists(_))));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        save_atomically(&path, true, |out| Ok(out.write_all(b"two")?)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let missing = save_atomically(&dir.join("no/such/dir.pcap"), false, |_| Ok(()));
        assert!(
            matches!(missing, Err(ExportError::Io(_, ref e)) if e.kind() == io::ErrorKind::NotFound)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
