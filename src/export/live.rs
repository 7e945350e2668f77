//! Writing frames as they arrive (`-i IFACE --no-ui -w FILE`), as sngrep's
//! `-O` does, with rotation by size or capture time so a capture can run
//! for days: with rotation on, files are numbered (`out-00001.pcap`...),
//! and `--rotate-keep N` deletes all but the newest N.
//!
//! A write error (a full disk) stops the recording, not the capture: it is
//! logged, counted and reported once.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::decode::{FrameRef, Frames};

use super::pcap::{CaptureFormat, FrameBytes};

/// A live recording: the recorder, and which calls' packets go to it.
#[derive(Debug)]
pub struct LiveExport {
    pub recorder: Recorder,
    pub selection: super::Selection,
    pub with_rtp: bool,
    /// Frames written of SIP, and of RTP and RTCP.
    pub sip_frames: u64,
    pub media_frames: u64,
    failure_told: bool,
}

impl LiveExport {
    #[must_use]
    pub fn new(recorder: Recorder, selection: super::Selection, with_rtp: bool) -> Self {
        Self {
            recorder,
            selection,
            with_rtp,
            sip_frames: 0,
            media_frames: 0,
            failure_told: false,
        }
    }

    /// One line on what was written: packets, files, what rotation deleted.
    #[must_use]
    pub fn summary(&self) -> String {
        let r = &self.recorder;
        let kept = r.files();
        let names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        let total = self.sip_frames + self.media_frames;
        if r.created() == 0 {
            return "wrote 0 packets: no call matched, no file".to_owned();
        }
        let deleted = r.deleted;
        let files = format!(
            "wrote {total} packets ({} SIP, {} RTP) in {} file{}",
            self.sip_frames,
            self.media_frames,
            r.created(),
            if r.created() == 1 { "" } else { "s" }
        );
        if deleted > 0 {
            format!(
                "{files} ({deleted} deleted by --rotate-keep); kept: {}",
                names.join(", ")
            )
        } else {
            format!("{files}: {}", names.join(", "))
        }
    }

    fn record(&mut self, frames: &[FrameRef], sip: bool) {
        self.recorder.write_as(frames, sip);
        self.sync_counts();
    }

    /// The counts follow the recorder's, which a failed write corrects to
    /// what really reached the file.
    fn sync_counts(&mut self) {
        [self.sip_frames, self.media_frames] = self.recorder.written;
    }
}

impl crate::sink::Sink for LiveExport {
    /// Records a message's frames if its dialog (after the model took the
    /// message in) passes the selection, as it stands now.
    fn sip(&mut self, model: &crate::model::Model, msg: &crate::sip::SipMessage, frames: &Frames) {
        let Some(d) = model.find(&String::from_utf8_lossy(msg.call_id())) else {
            return;
        };
        if self.selection.matches(model, d, model.clock()) {
            self.record(frames, true);
        }
    }

    /// Records an RTP or RTCP packet's frames if it belongs to a chosen dialog.
    fn media(&mut self, model: &crate::model::Model, p: &crate::rtp::MediaBody, frames: &Frames) {
        if !self.with_rtp {
            return;
        }
        if model
            .media_dialogs(p)
            .any(|d| self.selection.matches(model, d, model.clock()))
        {
            self.record(frames, false);
        }
    }

    /// Flushes after each batch, so the file is whole; the error that
    /// stopped the recording is told once (at once, not at the end of a
    /// two-day capture).
    fn tick(&mut self) -> Option<String> {
        self.recorder.flush();
        self.sync_counts();
        if self.failure_told {
            return None;
        }
        let f = self.recorder.failed.clone()?;
        self.failure_told = true;
        Some(f)
    }

    fn finish(&mut self) -> crate::sink::SinkSummary {
        self.recorder.finish();
        self.sync_counts();
        let mut lines = vec![self.summary()];
        if self.recorder.skipped > 0 {
            lines.push(format!(
                "warning: {} packets of another link type left out (use .pcapng)",
                self.recorder.skipped
            ));
        }
        crate::sink::SinkSummary {
            lines,
            failed: self.recorder.failed.is_some(),
        }
    }
}

/// When to start a new file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rotation {
    pub max_bytes: Option<u64>,
    pub max_secs: Option<u64>,
    /// Files kept; older ones this recorder wrote are deleted.
    pub keep: Option<usize>,
}

impl Rotation {
    fn on(&self) -> bool {
        self.max_bytes.is_some() || self.max_secs.is_some()
    }
}

/// Writes frames to a file (or a numbered series of files) as they come.
#[derive(Debug)]
pub struct Recorder {
    base: PathBuf,
    format: CaptureFormat,
    rotation: Rotation,
    out: Option<BufWriter<File>>,
    /// Link types whose interface block this pcapng file has (pcap: its one type).
    linktypes: Vec<u16>,
    file_bytes: u64,
    file_start_ns: i64,
    index: u32,
    files: VecDeque<PathBuf>,
    bytes: FrameBytes,
    scratch: Vec<u8>,
    /// The first file, made before root was dropped.
    prepared: Option<File>,
    /// Files deleted to keep the newest `keep`.
    deleted: u32,
    /// Where each record written to the current file since its last
    /// successful flush ends (a byte offset), and what it was: a frame
    /// (SIP or not) or a header/interface block (`None`). A failed write
    /// cuts the file back to the last whole record with it.
    pending: Vec<(u64, Option<bool>)>,
    /// Bytes of the current file known to be written (flushed).
    flushed_bytes: u64,
    /// Frames known to be in the files (after a failure: really there),
    /// SIP and other.
    pub written: [u64; 2],
    pub frames: u64,
    /// Frames a pcap file could not hold (another link type).
    pub skipped: u64,
    /// The write error that stopped the recording, if one did.
    pub failed: Option<String>,
    /// The frames written last (at most `RECENT_FRAMES`), so a frame several
    /// messages carry (a TCP segment ending one and starting the next, a
    /// WebSocket handshake, a connection's SYN) is written once.
    recent: VecDeque<FrameKey>,
    recent_set: std::collections::HashSet<FrameKey>,
}

/// A frame's identity: time, source, and place (file offset or address).
type FrameKey = (i64, u16, (u64, usize));

/// Frames remembered as written, to write a shared one once.
const RECENT_FRAMES: usize = 4096;

impl Recorder {
    #[must_use]
    pub fn new(base: PathBuf, format: CaptureFormat, rotation: Rotation) -> Self {
        Self {
            base,
            format,
            rotation,
            out: None,
            linktypes: Vec::new(),
            file_bytes: 0,
            file_start_ns: 0,
            index: 0,
            files: VecDeque::new(),
            bytes: FrameBytes::default(),
            scratch: Vec::new(),
            prepared: None,
            deleted: 0,
            pending: Vec::new(),
            flushed_bytes: 0,
            written: [0; 2],
            frames: 0,
            skipped: 0,
            failed: None,
            recent: VecDeque::new(),
            recent_set: std::collections::HashSet::new(),
        }
    }

    /// Creates the first file now (while still root, before the capture
    /// drops privileges; the header follows with the first frame).
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn prepare(&mut self) -> io::Result<()> {
        self.prepared = Some(crate::safe_file::create(&self.name(1))?);
        Ok(())
    }

    /// The name of the first file.
    #[must_use]
    pub fn first_file(&self) -> PathBuf {
        self.name(1)
    }

    /// The first file, once [`Self::prepare`]d and until written to.
    #[must_use]
    pub fn prepared(&self) -> Option<&File> {
        self.prepared.as_ref()
    }

    /// Whether the recording rotates (makes more files as it goes).
    #[must_use]
    pub fn rotates(&self) -> bool {
        self.rotation.on()
    }

    /// Ends the recording: flushes, and removes a prepared file that got
    /// nothing.
    pub fn finish(&mut self) {
        self.flush();
        if self.prepared.take().is_some() {
            let _ = std::fs::remove_file(self.name(1));
        }
    }

    /// The files written so far (those not deleted by `keep`).
    #[must_use]
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.iter().cloned().collect()
    }

    /// Writes frames (in memory, as a live capture keeps them), as SIP.
    pub fn write(&mut self, frames: &[FrameRef]) {
        self.write_as(frames, true);
    }

    /// Writes frames, counted as SIP or as media.
    pub fn write_as(&mut self, frames: &[FrameRef], sip: bool) {
        for f in frames {
            if self.failed.is_some() {
                return;
            }
            let key = (f.ts_ns, f.source, super::loc_key(f));
            if self.recent_set.contains(&key) {
                continue;
            }
            match self.write_one(f) {
                Ok(true) => {
                    self.recent_set.insert(key);
                    self.recent.push_back(key);
                    if self.recent.len() > RECENT_FRAMES
                        && let Some(old) = self.recent.pop_front()
                    {
                        self.recent_set.remove(&old);
                    }
                    self.pending.push((self.file_bytes, Some(sip)));
                    self.written[usize::from(!sip)] += 1;
                    self.frames += 1;
                }
                Ok(false) => {}
                Err(e) => self.fail(&e),
            }
        }
    }

    /// Flushes what was written (after each batch, so the file is whole).
    pub fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            match out.flush() {
                Ok(()) => {
                    self.pending.clear();
                    self.flushed_bytes = self.file_bytes;
                }
                Err(e) => self.fail(&e),
            }
        }
    }

    /// How many files were made (some may have been deleted since).
    #[must_use]
    pub fn created(&self) -> u32 {
        u32::try_from(self.files.len()).unwrap_or(u32::MAX) + self.deleted
    }

    /// Stops the recording on an error, saying which file and, when the
    /// system refused, as whom sipscope runs now.
    fn fail(&mut self, e: &io::Error) {
        let mut text = format!(
            "recording stopped: {}: {e}",
            crate::text::escape::text(&self.name(self.index.max(1)).display().to_string())
        );
        if e.kind() == io::ErrorKind::PermissionDenied {
            text.push_str(&super::who_am_i_hint());
        }
        if let Some(cut) = self.cut_to_whole_records() {
            text.push_str(&cut);
        }
        tracing::error!("{text}");
        self.failed = Some(text);
    }

    /// After a failed write (a full disk), the file may end inside a
    /// record and the counts include frames that never reached it: cut the
    /// file back to its last whole record and count only what is there.
    /// The buffer's unwritten bytes are dropped, never written later.
    fn cut_to_whole_records(&mut self) -> Option<String> {
        let out = self.out.take()?;
        let (file, _unwritten) = out.into_parts();
        let size = file.metadata().ok()?.len();
        let start = self.flushed_bytes;
        let mut keep = start;
        let mut lost = 0u64;
        for (end, kind) in self.pending.drain(..) {
            if end <= size {
                keep = end;
            } else if let Some(sip) = kind {
                self.written[usize::from(!sip)] -= 1;
                self.frames -= 1;
                lost += 1;
            }
        }
        // A file whose header never made it whole is emptied.
        if file.metadata().ok()?.file_type().is_file() && size != keep {
            file.set_len(keep).ok()?;
        }
        Some(format!(
            "; {lost} packets did not reach the file and are not counted; it ends with its last whole packet"
        ))
    }

    fn name(&self, index: u32) -> PathBuf {
        if !self.rotation.on() {
            return self.base.clone();
        }
        let stem = self
            .base
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = self
            .base
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        self.base.with_file_name(format!("{stem}-{index:05}{ext}"))
    }

    /// Writes one frame; false when the file cannot hold it (another link
    /// type in a pcap file).
    fn write_one(&mut self, f: &FrameRef) -> io::Result<bool> {
        let due = self.out.is_some()
            && (self
                .rotation
                .max_bytes
                .is_some_and(|b| self.file_bytes >= b)
                || self.rotation.max_secs.is_some_and(|s| {
                    f.ts_ns - self.file_start_ns
                        >= i64::try_from(s)
                            .unwrap_or(i64::MAX)
                            .saturating_mul(1_000_000_000)
                }));
        if due || self.out.is_none() {
            self.open_next(f)?;
        }
        let data = self.bytes.read(f, &mut self.scratch)?;
        let Some(out) = self.out.as_mut() else {
            return Ok(false);
        };
        match self.format {
            CaptureFormat::Pcap => {
                if self.linktypes.first() != Some(&f.linktype) {
                    self.skipped += 1;
                    return Ok(false);
                }
                self.file_bytes += super::pcap::write_pcap_record(out, f, data, true)?;
            }
            CaptureFormat::Pcapng => {
                let iface = if let Some(i) = self.linktypes.iter().position(|t| *t == f.linktype) {
                    i
                } else {
                    self.file_bytes += super::pcap::write_interface(out, f.linktype)?;
                    self.pending.push((self.file_bytes, None));
                    self.linktypes.push(f.linktype);
                    self.linktypes.len() - 1
                };
                self.file_bytes += super::pcap::write_packet(out, iface, f, data)?;
            }
        }
        Ok(true)
    }

    /// Closes the current file and starts the next, with its header.
    fn open_next(&mut self, first: &FrameRef) -> io::Result<()> {
        if let Some(out) = self.out.as_mut() {
            // In place: a failure cuts this file back to whole records.
            out.flush()?;
            self.pending.clear();
            self.out = None;
        }
        self.flushed_bytes = 0;
        self.index += 1;
        let path = self.name(self.index);
        let file = match self.prepared.take() {
            Some(f) if self.index == 1 => f,
            _ => crate::safe_file::create(&path)?,
        };
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut head = Vec::new();
        self.linktypes.clear();
        match self.format {
            CaptureFormat::Pcap => {
                super::pcap::write_pcap_header(&mut head, first.linktype, true)?;
                self.linktypes.push(first.linktype);
            }
            CaptureFormat::Pcapng => super::pcap::write_section(&mut head)?,
        }
        self.file_bytes = head.len() as u64;
        self.pending.push((self.file_bytes, None));
        // Buffered: the header reaches the file with the first flush.
        out.write_all(&head)?;
        self.file_start_ns = first.ts_ns;
        self.out = Some(out);
        self.files.push_back(path);
        if let Some(keep) = self.rotation.keep {
            while self.files.len() > keep.max(1) {
                if let Some(old) = self.files.pop_front() {
                    remove_quietly(&old);
                    self.deleted += 1;
                }
            }
        }
        Ok(())
    }
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!("could not delete {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::FrameLoc;
    use std::sync::Arc;

    fn frame(ts_s: i64) -> FrameRef {
        FrameRef {
            ts_ns: ts_s * 1_000_000_000,
            linktype: 1,
            source: 0,
            orig_len: 60,
            loc: FrameLoc::Mem(Arc::from(&[7u8; 60][..])),
        }
    }

    fn frames_in(path: &Path) -> usize {
        let f = File::open(path).unwrap();
        let mut r = crate::capture::file::CaptureReader::new(f, true, 0).unwrap();
        let mut n = 0;
        while r.next_frame().unwrap().is_some() {
            n += 1;
        }
        n
    }

    #[test]
    fn rotates_by_time_and_keeps_the_newest_files() {
        let dir = std::env::temp_dir().join(format!("sipscope-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for format in [CaptureFormat::Pcap, CaptureFormat::Pcapng] {
            let base = dir.join(if format == CaptureFormat::Pcap {
                "r.pcap"
            } else {
                "r.pcapng"
            });
            let rotation = Rotation {
                max_secs: Some(10),
                keep: Some(2),
                ..Rotation::default()
            };
            let mut rec = Recorder::new(base, format, rotation);
            // 0..35 s, one frame a second: files of 10 s, 4 of them, 2 kept.
            let frames: Vec<FrameRef> = (0..35).map(frame).collect();
            rec.write(&frames);
            rec.flush();
            assert_eq!(rec.frames, 35);
            let files = rec.files();
            assert_eq!(files.len(), 2, "{files:?}");
            assert!(
                files[1].to_string_lossy().ends_with("-00004.pcap")
                    || files[1].to_string_lossy().ends_with("-00004.pcapng")
            );
            assert!(!dir.join("r-00001.pcap").exists());
            assert_eq!(frames_in(&files[0]), 10);
            assert_eq!(frames_in(&files[1]), 5);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_write_error_stops_the_recording_not_the_caller() {
        let mut rec = Recorder::new(
            PathBuf::from("/nonexistent-dir/x.pcap"),
            CaptureFormat::Pcap,
            Rotation::default(),
        );
        rec.write(&[frame(1), frame(2)]);
        assert!(
            rec.failed
                .as_deref()
                .unwrap()
                .contains("/nonexistent-dir/x.pcap: No such file")
        );
        assert_eq!(rec.frames, 0);
    }
}
