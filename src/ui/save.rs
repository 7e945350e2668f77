//! The save dialog (F2 / `s`): which calls, the format, with or without RTP,
//! the path; what to do when the file exists. pcap and pcapng are written
//! on a thread of their own, with progress; the capture and the model go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use crate::export::{self, CaptureJob, ExportError, Format, WriteError};
use crate::model::{Dialog, DialogId, Model};

use super::app::{AppState, Screen, SearchKey};

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
pub struct SaveForm {
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

impl SaveForm {
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

impl AppState {
    /// Opens the save dialog for what the user looks at.
    pub fn open_save(&mut self, model: &Model) {
        if self.saving.is_some() {
            self.status = Some("a save is still running".into());
            return;
        }
        let mut choices = Vec::new();
        if !self.selected.is_empty() {
            choices.push((SaveWhat::Selected, self.selected.iter().copied().collect()));
        }
        let in_view: Vec<DialogId> = if self.screen() == Screen::CallList {
            self.current().into_iter().collect()
        } else {
            let mut ids: Vec<DialogId> = self
                .ladder_messages(model)
                .iter()
                .map(|(d, _)| d.id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if !in_view.is_empty() {
            choices.push((SaveWhat::InView, in_view));
        }
        let shown = self.rows().to_vec();
        if !shown.is_empty() && shown.len() != model.len() {
            choices.push((SaveWhat::Shown, shown));
        }
        if !model.is_empty() {
            choices.push((SaveWhat::All, model.dialogs().map(|d| d.id).collect()));
        }
        if choices.is_empty() {
            self.status = Some("nothing to save: no calls yet".into());
            return;
        }
        let (format, with_rtp) = self
            .last_save
            .as_ref()
            .map_or((Format::Pcap, true), |l| (l.format, l.with_rtp));
        let mut form = SaveForm {
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
        form.path = self.default_path(model, form.dialogs(), format);
        self.save = Some(form);
        self.stack.push(Screen::Save);
    }

    /// A key in the save dialog.
    pub fn save_key(&mut self, key: SearchKey, model: &Model) {
        let Some(form) = self.save.as_mut() else {
            self.stack.pop();
            return;
        };
        if let Some(saving) = &self.saving {
            // The dialog shows progress; Esc cancels, other keys wait.
            if key == SearchKey::Cancel {
                saving.cancel.store(true, Ordering::Relaxed);
            }
            return;
        }
        let fields = SAVE_FIELDS.len();
        let step = |form: &mut SaveForm, forward: bool, model: &Model| match form.focus {
            0 => {
                let n = form.choices.len().max(1);
                form.what = if forward {
                    (form.what + 1) % n
                } else {
                    (form.what + n - 1) % n
                };
                if !form.named {
                    let name =
                        export::default_name(&dialogs_of(model, form.dialogs()), form.format);
                    form.path = Path::new(&form.path)
                        .with_file_name(name)
                        .display()
                        .to_string();
                    form.cursor = None;
                }
            }
            1 => {
                let all = Format::ALL;
                let i = all.iter().position(|f| *f == form.format).unwrap_or(0);
                let n = all.len();
                form.format = all[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                form.path = form.format.with_extension(&form.path);
                form.cursor = None;
            }
            2 => form.with_rtp = !form.with_rtp,
            _ => {}
        };
        form.message = None;
        match key {
            SearchKey::Cancel => {
                self.save = None;
                self.stack.pop();
            }
            SearchKey::Tab | SearchKey::Down => form.focus = (form.focus + 1) % fields,
            SearchKey::Up => form.focus = (form.focus + fields - 1) % fields,
            SearchKey::Left | SearchKey::Right | SearchKey::Home | SearchKey::End
                if form.focus == 3 =>
            {
                let len = form.path.chars().count();
                let pos = form.cursor.unwrap_or(len);
                form.cursor = match key {
                    SearchKey::Left => Some(pos.saturating_sub(1)),
                    SearchKey::Right if pos + 1 < len => Some(pos + 1),
                    SearchKey::Home => Some(0),
                    _ => None,
                };
            }
            SearchKey::Left => step(form, false, model),
            SearchKey::Right => step(form, true, model),
            SearchKey::Char(' ') if form.focus < 3 => step(form, true, model),
            SearchKey::Char(_)
            | SearchKey::Backspace
            | SearchKey::ClearLine
            | SearchKey::DeleteWord
                if form.focus == 3 =>
            {
                edit_path(form, key);
                form.overwrite = false;
                form.named = true;
                if let Some(f) = Format::from_path(Path::new(&form.path)) {
                    form.format = f;
                }
            }
            SearchKey::Enter => self.start_save(model),
            _ => {}
        }
    }

    /// Enter: saves, or asks first when the file exists.
    fn start_save(&mut self, model: &Model) {
        let Some(form) = self.save.as_mut() else {
            return;
        };
        let mut path = expand_home(form.path.trim());
        if form.path.trim().is_empty() || path.is_dir() {
            path = path.join(export::default_name(
                &dialogs_of(model, form.dialogs()),
                form.format,
            ));
            form.path = path.display().to_string();
            form.cursor = None;
        }
        if path.exists() && !form.overwrite {
            form.message = Some(format!(
                "{} exists: Enter replaces it, or edit the name",
                path.display()
            ));
            form.overwrite = true;
            form.focus = 3;
            return;
        }
        let overwrite = form.overwrite;
        let (format, with_rtp) = (form.format, form.with_rtp);
        if !format.holds_frames() {
            let dialogs = dialogs_of(model, form.dialogs());
            match export::export(model, &dialogs, format, with_rtp, &path, overwrite, |_| {}) {
                Ok(w) => self.saved(&w),
                Err(e) => form.message = Some(explain(&e)),
            }
            return;
        }
        // Collecting the frames of many calls takes a moment: say so first;
        // the loop starts the job once this is on screen.
        form.message = Some(format!(
            "collecting the frames of {} call{}…",
            form.dialogs().len(),
            if form.dialogs().len() == 1 { "" } else { "s" }
        ));
        form.pending = Some((path, overwrite));
    }

    /// Starts a save that Enter asked for (see `start_save`); true if it did.
    pub fn start_pending_save(&mut self, model: &Model) -> bool {
        let Some(form) = self.save.as_mut() else {
            return false;
        };
        let Some((path, overwrite)) = form.pending.take() else {
            return false;
        };
        form.message = None;
        let dialogs = dialogs_of(model, form.dialogs());
        let with_rtp = form.with_rtp;
        let cf = if form.format == Format::Pcapng {
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
                        self.saving = Some(Saving {
                            done,
                            total,
                            path,
                            cancel,
                            handle,
                        });
                    }
                    Err(e) => form.message = Some(format!("could not start saving: {e}")),
                }
            }
            Err(ExportError::Write(WriteError::MixedLinkTypes(types))) => {
                // pcap cannot hold them: offer pcapng, one Enter away.
                form.format = Format::Pcapng;
                form.path = Format::Pcapng.with_extension(&form.path);
                form.cursor = None;
                form.overwrite = false;
                form.message = Some(format!(
                    "pcap holds one link type and these calls have {}: switched to pcapng, Enter saves",
                    types.len()
                ));
            }
            Err(e) => form.message = Some(explain(&e)),
        }
        true
    }

    fn saved(&mut self, w: &export::Written) {
        tracing::info!("{w}");
        if let Some(form) = &self.save {
            self.last_save = Some(LastSave {
                dir: w.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                format: form.format,
                with_rtp: form.with_rtp,
            });
        }
        self.status = Some(w.to_string());
        self.save = None;
        if self.screen() == Screen::Save {
            self.stack.pop();
        }
    }

    /// The last save's directory (else the current one) and a name from the calls.
    fn default_path(&self, model: &Model, ids: &[DialogId], format: Format) -> String {
        let name = export::default_name(&dialogs_of(model, ids), format);
        match &self.last_save {
            Some(l) if !l.dir.as_os_str().is_empty() => l.dir.join(name).display().to_string(),
            _ => name,
        }
    }

    /// Checks on a running save; true when it ended (the screen changes).
    pub fn poll_save(&mut self) -> bool {
        if !self.saving.as_ref().is_some_and(|s| s.handle.is_finished()) {
            return false;
        }
        let Some(s) = self.saving.take() else {
            return false;
        };
        match s.handle.join() {
            Ok(Ok(w)) => self.saved(&w),
            Ok(Err(e)) => {
                if let Some(form) = self.save.as_mut() {
                    form.message = Some(explain(&e));
                }
            }
            Err(_) => {
                if let Some(form) = self.save.as_mut() {
                    form.message =
                        Some(format!("saving {} failed (see the log)", s.path.display()));
                }
            }
        }
        true
    }

    /// Starts a pending save and waits for it (tests, and quitting).
    pub fn wait_save(&mut self, model: &Model) {
        self.start_pending_save(model);
        while self.saving.is_some() {
            if !self.poll_save() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
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
fn edit_path(form: &mut SaveForm, key: SearchKey) {
    let chars: Vec<char> = form.path.chars().collect();
    let pos = form.cursor.unwrap_or(chars.len()).min(chars.len());
    let (before, after) = chars.split_at(pos);
    let mut before: Vec<char> = before.to_vec();
    match key {
        SearchKey::Char(c) => before.push(c),
        SearchKey::Backspace => {
            before.pop();
        }
        SearchKey::ClearLine => {
            form.path.clear();
            form.cursor = None;
            return;
        }
        SearchKey::DeleteWord => {
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
    match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if typed == "~" => {
            std::env::var_os("HOME").map_or_else(|| PathBuf::from("~"), PathBuf::from)
        }
        _ => PathBuf::from(typed),
    }
}

fn dialogs_of<'m>(model: &'m Model, ids: &[DialogId]) -> Vec<&'m Dialog> {
    ids.iter().filter_map(|id| model.dialog(*id)).collect()
}
