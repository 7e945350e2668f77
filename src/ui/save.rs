//! The save dialog (F2 / `s`): which calls, the format, with or without RTP,
//! the path; what to do when the file exists. pcap and pcapng are written
//! on a thread of their own, with progress; the capture and the model go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use crate::export::{self, CaptureJob, ExportError, Format, WriteError};
use crate::model::{Dialog, DialogId, Model};

use super::input::TextKey;

/// Which calls to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveWhat {
    /// The calls marked with Space.
    Selected,
    /// The call under the cursor, or the ladder's calls.
    InView,
    /// The calls the call list shows (after the filters).
    Shown,
    All,
}

/// The dialog's fields, in order.
pub const SAVE_FIELDS: [&str; 4] = ["Calls", "Format", "RTP", "File"];

/// The save dialog's state.
#[derive(Debug, Clone)]
pub struct SaveDialog {
    /// The choices that apply, with their dialogs.
    pub choices: Vec<(SaveWhat, Vec<DialogId>)>,
    pub what: usize,
    pub format: Format,
    pub with_rtp: bool,
    pub path: String,
    pub focus: usize,
    /// What went wrong, or what to confirm, shown in the dialog.
    pub message: Option<String>,
    /// The file exists and the user was asked: the next Enter replaces it.
    pub overwrite: bool,
    /// The user typed the name: changing the calls keeps it.
    pub named: bool,
    /// Where typing goes in the path, in characters (`None`: the end).
    pub cursor: Option<usize>,
    /// Enter was pressed: the path and overwrite flag of the save to start.
    pub pending: Option<(PathBuf, bool)>,
}

impl SaveDialog {
    /// The label of a choice: `Selected calls (3)`.
    #[must_use]
    pub fn label(what: SaveWhat, n: usize) -> String {
        let name = match what {
            SaveWhat::Selected => "selected calls",
            SaveWhat::InView if n == 1 => "the call in view",
            SaveWhat::InView => "the calls in view",
            SaveWhat::Shown => "calls shown by the filter",
            SaveWhat::All => "all calls",
        };
        format!("{name} ({n})")
    }

    fn dialogs(&self) -> &[DialogId] {
        self.choices
            .get(self.what)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// The directory, format and RTP choice of the last save.
#[derive(Debug, Clone)]
pub struct LastSave {
    pub dir: PathBuf,
    pub format: Format,
    pub with_rtp: bool,
}

/// A pcap or pcapng export running on its thread.
#[derive(Debug)]
pub struct Saving {
    pub done: Arc<AtomicUsize>,
    pub total: usize,
    pub path: PathBuf,
    /// Set by Esc: the writer stops and removes its temporary file.
    pub cancel: Arc<AtomicBool>,
    handle: JoinHandle<Result<export::Written, ExportError>>,
}

impl Saving {
    /// Has the writer ended (done, failed or cancelled)?
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Asks the writer to stop; it removes its temporary file.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Waits for the writer: what it wrote, or why not, in words.
    ///
    /// # Errors
    /// The export failed, was cancelled, or its thread panicked.
    pub fn join(self) -> Result<export::Written, String> {
        match self.handle.join() {
            Ok(Ok(w)) => Ok(w),
            Ok(Err(e)) => Err(explain(&e)),
            Err(_) => Err(format!(
                "saving {} failed (see the log)",
                self.path.display()
            )),
        }
    }
}

/// What a key in the save dialog asks for.
#[derive(Debug)]
pub enum SaveStep {
    /// The dialog stays open.
    Editing,
    /// Esc: close without saving.
    Cancel,
    /// A text format was written (pcap and pcapng go through
    /// [`SaveDialog::start_pending`]).
    Saved(export::Written),
}

impl SaveDialog {
    /// The dialog for `choices` (at least one), starting from the last save's
    /// directory, format and RTP choice.
    #[must_use]
    pub fn new(
        choices: Vec<(SaveWhat, Vec<DialogId>)>,
        last: Option<&LastSave>,
        model: &Model,
    ) -> Self {
        let (format, with_rtp) = last.map_or((Format::Pcap, true), |l| (l.format, l.with_rtp));
        let mut form = Self {
            choices,
            what: 0,
            format,
            with_rtp,
            path: String::new(),
            focus: 0,
            message: None,
            overwrite: false,
            named: false,
            cursor: None,
            pending: None,
        };
        form.path = default_path(last, model, form.dialogs(), format);
        form
    }

    /// A key (no save running).
    pub fn key(&mut self, key: TextKey, model: &Model) -> SaveStep {
        let fields = SAVE_FIELDS.len();
        self.message = None;
        match key {
            TextKey::Cancel => return SaveStep::Cancel,
            TextKey::Tab | TextKey::Down => self.focus = (self.focus + 1) % fields,
            TextKey::Up => self.focus = (self.focus + fields - 1) % fields,
            TextKey::Left | TextKey::Right | TextKey::Home | TextKey::End if self.focus == 3 => {
                let len = self.path.chars().count();
                let pos = self.cursor.unwrap_or(len);
                self.cursor = match key {
                    TextKey::Left => Some(pos.saturating_sub(1)),
                    TextKey::Right if pos + 1 < len => Some(pos + 1),
                    TextKey::Home => Some(0),
                    _ => None,
                };
            }
            TextKey::Left => self.step(false, model),
            TextKey::Right => self.step(true, model),
            TextKey::Char(' ') if self.focus < 3 => self.step(true, model),
            TextKey::Char(_) | TextKey::Backspace | TextKey::ClearLine | TextKey::DeleteWord
                if self.focus == 3 =>
            {
                edit_path(self, key);
                self.overwrite = false;
                self.named = true;
                if let Some(f) = Format::from_path(Path::new(&self.path)) {
                    self.format = f;
                }
            }
            TextKey::Enter => return self.start(model),
            _ => {}
        }
        SaveStep::Editing
    }

    /// The focused choice to the next (or previous) value.
    fn step(&mut self, forward: bool, model: &Model) {
        match self.focus {
            0 => {
                let n = self.choices.len().max(1);
                self.what = if forward {
                    (self.what + 1) % n
                } else {
                    (self.what + n - 1) % n
                };
                if !self.named {
                    let name =
                        export::default_name(&dialogs_of(model, self.dialogs()), self.format);
                    self.path = Path::new(&self.path)
                        .with_file_name(name)
                        .display()
                        .to_string();
                    self.cursor = None;
                }
            }
            1 => {
                let all = Format::ALL;
                let i = all.iter().position(|f| *f == self.format).unwrap_or(0);
                let n = all.len();
                self.format = all[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                self.path = self.format.with_extension(&self.path);
                self.cursor = None;
            }
            2 => self.with_rtp = !self.with_rtp,
            _ => {}
        }
    }

    /// Enter: saves a text format, or asks first when the file exists; pcap
    /// and pcapng wait for [`SaveDialog::start_pending`].
    fn start(&mut self, model: &Model) -> SaveStep {
        let mut path = expand_home(self.path.trim());
        if self.path.trim().is_empty() || path.is_dir() {
            path = path.join(export::default_name(
                &dialogs_of(model, self.dialogs()),
                self.format,
            ));
            self.path = path.display().to_string();
            self.cursor = None;
        }
        if path.exists() && !self.overwrite {
            self.message = Some(format!(
                "{} exists: Enter replaces it, or edit the name",
                path.display()
            ));
            self.overwrite = true;
            self.focus = 3;
            return SaveStep::Editing;
        }
        let overwrite = self.overwrite;
        let (format, with_rtp) = (self.format, self.with_rtp);
        if !format.holds_frames() {
            let dialogs = dialogs_of(model, self.dialogs());
            match export::export(model, &dialogs, format, with_rtp, &path, overwrite, |_| {}) {
                Ok(w) => return SaveStep::Saved(w),
                Err(e) => self.message = Some(explain(&e)),
            }
            return SaveStep::Editing;
        }
        // Collecting the frames of many calls takes a moment: say so first;
        // the loop starts the job once this is on screen.
        self.message = Some(format!(
            "collecting the frames of {} call{}…",
            self.dialogs().len(),
            if self.dialogs().len() == 1 { "" } else { "s" }
        ));
        self.pending = Some((path, overwrite));
        SaveStep::Editing
    }

    /// Starts a save that Enter asked for (see `start`) into `saving`;
    /// true if one was pending.
    pub fn start_pending(&mut self, model: &Model, saving: &mut Option<Saving>) -> bool {
        let Some((path, overwrite)) = self.pending.take() else {
            return false;
        };
        self.message = None;
        let dialogs = dialogs_of(model, self.dialogs());
        let with_rtp = self.with_rtp;
        let cf = if self.format == Format::Pcapng {
            export::CaptureFormat::Pcapng
        } else {
            export::CaptureFormat::Pcap
        };
        match CaptureJob::new(model, &dialogs, cf, with_rtp) {
            Ok(job) => {
                let done = Arc::new(AtomicUsize::new(0));
                let cancel = Arc::new(AtomicBool::new(false));
                let total = job.packets();
                let (counter, stop) = (Arc::clone(&done), Arc::clone(&cancel));
                let target = path.clone();
                let spawned = std::thread::Builder::new()
                    .name("export".into())
                    .spawn(move || {
                        job.run(&target, overwrite, |n| {
                            counter.store(n, Ordering::Relaxed);
                            !stop.load(Ordering::Relaxed)
                        })
                    });
                match spawned {
                    Ok(handle) => {
                        *saving = Some(Saving {
                            done,
                            total,
                            path,
                            cancel,
                            handle,
                        });
                    }
                    Err(e) => self.message = Some(format!("could not start saving: {e}")),
                }
            }
            Err(ExportError::Write(WriteError::MixedLinkTypes(types))) => {
                // pcap cannot hold them: offer pcapng, one Enter away.
                self.format = Format::Pcapng;
                self.path = Format::Pcapng.with_extension(&self.path);
                self.cursor = None;
                self.overwrite = false;
                self.message = Some(format!(
                    "pcap holds one link type and these calls have {}: switched to pcapng, Enter saves",
                    types.len()
                ));
            }
            Err(e) => self.message = Some(explain(&e)),
        }
        true
    }

    /// Where and how this dialog saved `w`: the next one starts from there.
    #[must_use]
    pub fn last_save(&self, w: &export::Written) -> LastSave {
        LastSave {
            dir: w.path.parent().map(Path::to_path_buf).unwrap_or_default(),
            format: self.format,
            with_rtp: self.with_rtp,
        }
    }
}

/// The last save's directory (else the current one) and a name from the calls.
fn default_path(
    last: Option<&LastSave>,
    model: &Model,
    ids: &[DialogId],
    format: Format,
) -> String {
    let name = export::default_name(&dialogs_of(model, ids), format);
    match last {
        Some(l) if !l.dir.as_os_str().is_empty() => l.dir.join(name).display().to_string(),
        _ => name,
    }
}

/// An export error for the dialog: a cancel in words, and, when the system
/// refused, as whom sipscope runs (it dropped root after a live capture opened).
fn explain(e: &ExportError) -> String {
    match e {
        ExportError::Write(WriteError::Io(io)) if io.kind() == std::io::ErrorKind::Interrupted => {
            "cancelled: nothing was written".into()
        }
        ExportError::Io(_, io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            format!("{e}{}", export::who_am_i_hint())
        }
        _ => e.to_string(),
    }
}

/// An edit of the path field at its cursor (`None`: the end).
fn edit_path(form: &mut SaveDialog, key: TextKey) {
    let chars: Vec<char> = form.path.chars().collect();
    let pos = form.cursor.unwrap_or(chars.len()).min(chars.len());
    let (before, after) = chars.split_at(pos);
    let mut before: Vec<char> = before.to_vec();
    match key {
        TextKey::Char(c) => before.push(c),
        TextKey::Backspace => {
            before.pop();
        }
        TextKey::ClearLine => {
            form.path.clear();
            form.cursor = None;
            return;
        }
        TextKey::DeleteWord => {
            // Back to the previous `/` (or the start): a path component.
            while before.last() == Some(&'/') {
                before.pop();
            }
            while before.last().is_some_and(|c| *c != '/') {
                before.pop();
            }
        }
        _ => return,
    }
    form.cursor = form.cursor.map(|_| before.len());
    form.path = before.iter().chain(after).collect();
}

/// `~/x` as the shell reads it (from `HOME`); anything else as typed.
fn expand_home(typed: &str) -> PathBuf {
    // As root, `~` is root's home, not the `HOME` a `sudo -E` kept.
    let home = crate::safe_file::root_home()
        .map(std::ffi::OsString::from)
        .or_else(|| std::env::var_os("HOME"));
    match (typed.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        (None, Some(home)) if typed == "~" => PathBuf::from(home),
        _ => PathBuf::from(typed),
    }
}

fn dialogs_of<'m>(model: &'m Model, ids: &[DialogId]) -> Vec<&'m Dialog> {
    ids.iter().filter_map(|id| model.dialog(*id)).collect()
}
