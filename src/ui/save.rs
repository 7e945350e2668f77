//! The save dialog (F2 / `s`): which calls, the format, with or without RTP,
//! the path; what to do when the file exists. pcap and pcapng are written
//! on a thread of their own, with progress; the capture and the model go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// A pcap or pcapng export running on its thread.
#[derive(Debug)]
pub struct Saving {
    pub done: Arc<AtomicUsize>,
    pub total: usize,
    pub path: PathBuf,
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
        let format = Format::Pcap;
        let mut form = SaveForm {
            choices,
            what: 0,
            format,
            with_rtp: true,
            path: String::new(),
            focus: 0,
            message: None,
            overwrite: false,
            named: false,
        };
        form.path = default_path(model, form.dialogs(), format);
        self.save = Some(form);
        self.stack.push(Screen::Save);
    }

    /// A key in the save dialog.
    pub fn save_key(&mut self, key: SearchKey, model: &Model) {
        let Some(form) = self.save.as_mut() else {
            self.stack.pop();
            return;
        };
        if self.saving.is_some() {
            return; // the dialog shows progress; keys wait
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
                    form.path = default_path(model, form.dialogs(), form.format);
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
            SearchKey::Left => step(form, false, model),
            SearchKey::Right => step(form, true, model),
            SearchKey::Char(' ') if form.focus < 3 => step(form, true, model),
            SearchKey::Char(c) if form.focus == 3 => {
                form.path.push(c);
                form.overwrite = false;
                form.named = true;
                if let Some(f) = Format::from_path(Path::new(&form.path)) {
                    form.format = f;
                }
            }
            SearchKey::Backspace if form.focus == 3 => {
                form.path.pop();
                form.overwrite = false;
                form.named = true;
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
        let mut path = PathBuf::from(form.path.trim());
        if form.path.trim().is_empty() || path.is_dir() {
            path = path.join(export::default_name(
                &dialogs_of(model, form.dialogs()),
                form.format,
            ));
            form.path = path.display().to_string();
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
        let dialogs = dialogs_of(model, form.dialogs());
        let overwrite = form.overwrite;
        let (format, with_rtp) = (form.format, form.with_rtp);
        let capture = match format {
            Format::Pcap => Some(export::CaptureFormat::Pcap),
            Format::Pcapng => Some(export::CaptureFormat::Pcapng),
            _ => None,
        };
        let Some(cf) = capture else {
            match export::export(model, &dialogs, format, with_rtp, &path, overwrite, |_| {}) {
                Ok(w) => self.saved(&w),
                Err(e) => form.message = Some(e.to_string()),
            }
            return;
        };
        match CaptureJob::new(model, &dialogs, cf, with_rtp) {
            Ok(job) => {
                let done = Arc::new(AtomicUsize::new(0));
                let total = job.packets();
                let counter = Arc::clone(&done);
                let target = path.clone();
                let spawned = std::thread::Builder::new()
                    .name("export".into())
                    .spawn(move || {
                        job.run(&target, overwrite, |n| counter.store(n, Ordering::Relaxed))
                    });
                match spawned {
                    Ok(handle) => {
                        self.saving = Some(Saving {
                            done,
                            total,
                            path,
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
                form.overwrite = false;
                form.message = Some(format!(
                    "pcap holds one link type and these calls have {}: switched to pcapng, Enter saves",
                    types.len()
                ));
            }
            Err(e) => form.message = Some(e.to_string()),
        }
    }

    fn saved(&mut self, w: &export::Written) {
        tracing::info!("{w}");
        self.status = Some(w.to_string());
        self.save = None;
        if self.screen() == Screen::Save {
            self.stack.pop();
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
                    form.message = Some(e.to_string());
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

    /// Waits for a running save (tests, and quitting).
    pub fn wait_save(&mut self) {
        while self.saving.is_some() {
            if !self.poll_save() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

fn dialogs_of<'m>(model: &'m Model, ids: &[DialogId]) -> Vec<&'m Dialog> {
    ids.iter().filter_map(|id| model.dialog(*id)).collect()
}

/// The current directory and a name from the calls.
fn default_path(model: &Model, ids: &[DialogId], format: Format) -> String {
    export::default_name(&dialogs_of(model, ids), format)
}
