//! The capture thread: reads frames from files or a live interface, runs the
//! [`Pipeline`], and hands SIP messages over a bounded channel in batches.
//!
//! Live, it never blocks on the consumer: when the channel is full the batch
//! waits in a small backlog and the live loop stops reading, so the packets
//! wait in the kernel's ring (which drops, and counts, when it fills). Reading
//! a file, it waits instead (nothing is lost by waiting).

pub mod file;
pub mod live;
pub mod privileges;
pub mod wake;

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::decode::DecodeStats;
use crate::decode::Frame;
use crate::model::Lost;
use crate::pipeline::Pipeline;
use crate::sip::SipMessage;
use file::CaptureReader;

/// What the capture thread tells the model's thread.
#[derive(Debug)]
pub enum CaptureEvent {
    Messages(Vec<SipMessage>),
    /// RTP packets, in capture order, sent before the next `Messages`.
    Rtp(Vec<crate::rtp::MediaPacket>),
    Counters(CaptureCounters),
    /// Something the user should know that did not stop the capture
    /// (a file cut short).
    Warning(String),
    /// The source is exhausted (files) or the capture was stopped.
    Finished,
    /// The capture could not go on.
    Failed(String),
}

/// What the capture side counts, apart from the messages it sends: the
/// decoder's figures and the packets lost before the model saw them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureCounters {
    /// Which source counted these (one capture thread each: an interface or
    /// the files, and a HEP listener).
    pub producer: u8,
    pub decode: DecodeStats,
    /// Packets lost on the way (channel full, kernel drops, paused).
    pub lost: Lost,
    /// Packets the capture filter passed (pcap statistics, live only).
    pub received_kernel: u64,
}

/// Messages per batch: amortises the channel without delaying the UI.
const BATCH: usize = 512;
/// RTP packets per batch (RTP is most of the traffic, and small).
const RTP_BATCH: usize = 4096;
/// Batches in flight: enough to ride out a burst live (32k messages), small
/// enough that a fast reader cannot fill memory ahead of the model.
pub const CHANNEL_BATCHES: usize = 64;
/// Batches in flight when every source is a file and nothing draws
/// ([`CaptureOptions::headless`]): a file waits for the model, so nothing
/// is lost with fewer, and each batch in flight holds its messages' read
/// chunks (docs/performance.md, issue 14: 64 -> 8 took the peak of a 757 MB
/// file from 222 to 209 MB, 8 -> 4 another 0.3 MB, at the same speed). Not with the UI: while it
/// draws, the reader needs room to run ahead (8 made opening that file
/// 2.8x slower).
const FILE_CHANNEL_BATCHES: usize = 4;

/// A live batch is sent at least this often, however small.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Live, the counters go to the model at most this often (each is an event
/// that wakes the model's thread), and at the end.
const COUNTERS_EVERY: Duration = Duration::from_millis(250);
/// Live, batches made during one turn of the live loop and held until its
/// end ([`Processor::cork`]), at most: then they go.
const CORK_BATCHES: usize = 8;
/// Live, batches held back while the channel is full, at most; beyond this
/// a batch is dropped and counted (the live loop stops reading long before:
/// one read adds a batch or two to what a turn held).
const BACKLOG_BATCHES: usize = CORK_BATCHES + 8;

/// The consumer's end of the capture: events in, spent batches back.
///
/// Batches go back to the capture thread to be freed (and their buffers
/// reused) there: the allocator then recycles message memory on the thread
/// that allocated it, instead of returning pages to the OS and faulting them
/// in again (a third of the run time on large files, measured).
///
/// With several sources (an interface and a HEP listener), each thread
/// says `Finished` when it ends; the consumer sees one `Finished`, from the
/// last.
pub struct Events {
    rx: std::sync::mpsc::Receiver<CaptureEvent>,
    spent: SyncSender<Vec<SipMessage>>,
    /// Sources whose thread has not said `Finished` yet.
    running: std::cell::Cell<usize>,
    /// Rung by each event sent (see [`wake::Wake`]).
    wake: Arc<wake::Wake>,
}

impl Events {
    /// `Finished` from a source that is not the last is no news.
    fn last_finished(&self, ev: CaptureEvent) -> Option<CaptureEvent> {
        if matches!(ev, CaptureEvent::Finished) {
            let left = self.running.get().saturating_sub(1);
            self.running.set(left);
            if left > 0 {
                return None;
            }
        }
        Some(ev)
    }

    /// The next event, waiting at most `timeout`.
    ///
    /// # Errors
    /// On time-out, or when the capture thread is gone.
    pub fn recv_timeout(
        &self,
        timeout: Duration,
    ) -> Result<CaptureEvent, std::sync::mpsc::RecvTimeoutError> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if let Some(ev) = self.last_finished(self.rx.recv_timeout(left)?) {
                return Ok(ev);
            }
        }
    }

    /// The next event if one is waiting.
    ///
    /// # Errors
    /// When none is waiting, or the capture thread is gone.
    pub fn try_recv(&self) -> Result<CaptureEvent, std::sync::mpsc::TryRecvError> {
        loop {
            if let Some(ev) = self.last_finished(self.rx.try_recv()?) {
                return Ok(ev);
            }
        }
    }

    /// The next event, or `None` once the capture thread is gone.
    #[must_use]
    pub fn recv(&self) -> Option<CaptureEvent> {
        loop {
            if let Some(ev) = self.last_finished(self.rx.recv().ok()?) {
                return Some(ev);
            }
        }
    }

    /// What wakes a loop that sleeps until the capture sends something.
    #[must_use]
    pub fn wake(&self) -> &wake::Wake {
        &self.wake
    }

    /// Hands an ingested batch back to the capture thread.
    pub fn give_back(&self, mut batch: Vec<SipMessage>) {
        // The messages are freed here: the capture thread sets the pace
        // reading a file, this one has room.
        batch.clear();
        // If the capture thread is not taking them, dropping here is fine.
        let _ = self.spent.try_send(batch);
    }
}

/// One capture file or standard input, opened.
pub struct OpenFile {
    /// The file to read bytes back from by offset: only a regular file. A
    /// pipe, a FIFO or a device is read once, like standard input, and what
    /// needs its bytes again finds them in memory.
    pub path: Option<PathBuf>,
    /// The name to show (escaped: it came from the command line).
    pub name: String,
    reader: CaptureReader<Box<dyn Read + Send>>,
}

impl OpenFile {
    /// Opens `path` (`-` is standard input) as input number `source`.
    ///
    /// # Errors
    /// With a message that says what is wrong and what to do.
    pub fn open(path: &str, source: u16) -> anyhow::Result<Self> {
        let name = crate::text::escape::text(path).into_owned();
        let (inner, seekable): (Box<dyn Read + Send>, bool) = if path == "-" {
            (Box::new(io::stdin()), false)
        } else {
            let f = File::open(path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => anyhow::anyhow!("{name}: no such file"),
                io::ErrorKind::PermissionDenied => {
                    anyhow::anyhow!(
                        "{name}: permission denied (try sudo, or check the file's mode)"
                    )
                }
                _ => anyhow::anyhow!("{name}: {e}"),
            })?;
            let meta = f.metadata().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            if meta.is_dir() {
                anyhow::bail!("{name}: is a directory, not a capture file");
            }
            // Read once, front to back: the kernel may read further ahead.
            #[cfg(target_os = "linux")]
            if meta.is_file() {
                let _ = nix::fcntl::posix_fadvise(
                    &f,
                    0,
                    0,
                    nix::fcntl::PosixFadviseAdvice::POSIX_FADV_SEQUENTIAL,
                );
            }
            (Box::new(f), meta.is_file())
        };
        let reader = CaptureReader::new(inner, seekable, source)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        Ok(Self {
            path: seekable.then(|| PathBuf::from(path)),
            name: if path == "-" {
                "standard input".to_owned()
            } else {
                name
            },
            reader,
        })
    }
}

/// Where frames (or messages) come from.
pub enum Source {
    Files(Vec<OpenFile>),
    Live(live::LiveCapture),
    /// HEP from agents (`-L`).
    Hep(crate::hep::listen::HepListener),
}

/// How the capture decodes what it reads.
#[derive(Debug, Clone, Copy)]
pub struct CaptureOptions {
    /// UDP to this port carrying HEP is decoded as the SIP inside (`--hep-port`).
    pub hep_port: Option<u16>,
    /// No UI draws from the model: the reader of files needs less room, and
    /// a live capture may hand traffic over less often ([`live::Pace`]).
    pub headless: bool,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            hep_port: Some(crate::pipeline::HEP_PORT),
            headless: false,
        }
    }
}

/// Flags the consumer sets and the capture thread reads.
#[derive(Debug, Default)]
pub struct Control {
    pub stop: StopFlag,
    /// While set, frames are read and dropped uncounted (the UI's pause).
    pub paused: AtomicBool,
}

/// The stop flag, read and set like an `AtomicBool`. Setting it also wakes
/// a live capture that sleeps in `poll` on a quiet link, so that sleep can
/// be long (a second) and a stop (the UI's quit, `--duration`, a signal)
/// still takes effect at once.
#[derive(Debug, Default)]
pub struct StopFlag {
    set: AtomicBool,
    /// Made by the first [`StopFlag::waker`]: setting the flag sends a
    /// byte on the first socket, which makes the second readable.
    wake: std::sync::OnceLock<Option<(UnixDatagram, UnixDatagram)>>,
}

impl StopFlag {
    #[must_use]
    pub fn load(&self, order: Ordering) -> bool {
        self.set.load(order)
    }

    pub fn store(&self, stop: bool, order: Ordering) {
        self.set.store(stop, order);
        if stop && let Some(Some((tx, _))) = self.wake.get() {
            // Non-blocking; a full socket already wakes the poll.
            let _ = tx.send(&[1]);
        }
    }

    /// A descriptor that becomes readable once the flag is set (`None` if
    /// no socket pair could be made: then only the flag is there).
    pub(crate) fn waker(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        let pair = self.wake.get_or_init(|| {
            let (tx, rx) = UnixDatagram::pair().ok()?;
            tx.set_nonblocking(true).ok()?;
            Some((tx, rx))
        });
        pair.as_ref().map(|(_, rx)| rx.as_fd())
    }
}

/// Starts the capture thread.
///
/// # Errors
/// When the thread cannot be spawned.
pub fn spawn(source: Source, control: &Arc<Control>) -> io::Result<(JoinHandle<()>, Events)> {
    let (mut handles, events) = spawn_sources(vec![source], control, CaptureOptions::default())?;
    let handle = handles
        .pop()
        .ok_or_else(|| io::Error::other("no capture thread"))?;
    Ok((handle, events))
}

/// Starts one capture thread per source, all sending to one consumer.
///
/// # Errors
/// When a thread cannot be spawned.
pub fn spawn_sources(
    sources: Vec<Source>,
    control: &Arc<Control>,
    options: CaptureOptions,
) -> io::Result<(Vec<JoinHandle<()>>, Events)> {
    let in_flight = if options.headless && sources.iter().all(|s| matches!(s, Source::Files(_))) {
        FILE_CHANNEL_BATCHES
    } else {
        CHANNEL_BATCHES
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(in_flight);
    let (spent_tx, spent_rx) = std::sync::mpsc::sync_channel(in_flight);
    let wake = Arc::new(wake::Wake::default());
    let tx = wake::Tx::new(tx, Arc::clone(&wake));
    let events = Events {
        rx,
        spent: spent_tx,
        running: std::cell::Cell::new(sources.len()),
        wake,
    };
    // Spent batches go back to the first source; the others allocate anew.
    let mut spent = Some(spent_rx);
    let mut handles = Vec::new();
    for (i, source) in sources.into_iter().enumerate() {
        let spent = spent
            .take()
            .unwrap_or_else(|| std::sync::mpsc::sync_channel(0).1);
        // Only an interface drops when the model is behind: the files wait,
        // and so does the HEP listener, leaving agents' packets in its
        // socket's buffer (32 MiB) rather than dropping them here.
        let live = matches!(source, Source::Live(_));
        let mut out = Processor::new(tx.clone(), spent, live);
        out.pipeline = Pipeline::new().with_hep_port(options.hep_port);
        out.counters.producer = u8::try_from(i).unwrap_or(u8::MAX);
        let control = Arc::clone(control);
        let pace = if options.headless {
            live::Pace::HEADLESS
        } else {
            live::Pace::SHOWN
        };
        let name = match &source {
            Source::Hep(_) => "hep-listen",
            _ => "capture",
        };
        handles.push(
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    match source {
                        Source::Files(files) => run_files(files, &mut out, &control),
                        Source::Live(cap) => cap.run(&mut out, &control, pace),
                        Source::Hep(listener) => listener.run(&mut out, &control),
                    }
                    out.finish();
                })?,
        );
    }
    Ok((handles, events))
}

/// Runs the [`Pipeline`] over each frame and sends what it yields in batches,
/// without ever blocking a live capture.
pub struct Processor {
    tx: wake::Tx,
    spent: std::sync::mpsc::Receiver<Vec<SipMessage>>,
    live: bool,
    /// Live: events the full channel did not take yet, in order, each with
    /// the packets it holds (counted lost if it is dropped).
    backlog: std::collections::VecDeque<(CaptureEvent, u64)>,
    /// Live: while set, events wait in `held` (see [`Self::cork`]).
    corked: bool,
    held: Vec<(CaptureEvent, u64)>,
    batch: Vec<SipMessage>,
    last_flush: Instant,
    /// Live: when the counters last went out; `None` once the capture ends
    /// (they go out with every flush then).
    counters_sent: Option<Instant>,
    /// The counters last sent.
    last_counters: Option<CaptureCounters>,
    pub pipeline: Pipeline,
    pub counters: CaptureCounters,
    /// What came without the pipeline (HEP from agents), counted by its
    /// source; sent with the pipeline's counts.
    pub received: DecodeStats,
    disconnected: bool,
}

impl Processor {
    fn new(tx: wake::Tx, spent: std::sync::mpsc::Receiver<Vec<SipMessage>>, live: bool) -> Self {
        Self {
            tx,
            spent,
            live,
            backlog: std::collections::VecDeque::new(),
            corked: false,
            held: Vec::new(),
            batch: Vec::with_capacity(BATCH),
            last_flush: Instant::now(),
            counters_sent: live.then(Instant::now),
            last_counters: None,
            pipeline: Pipeline::new(),
            counters: CaptureCounters::default(),
            received: DecodeStats::default(),
            disconnected: false,
        }
    }

    /// Decodes a frame; sends a batch when it is full. (Live, the loop
    /// sends what is pending at the end of each turn: no clock per frame.)
    pub fn frame(&mut self, frame: &Frame<'_>) {
        self.frame_in(frame, None);
    }

    /// [`Self::frame`] for a frame whose bytes lie in `chunk`: the messages
    /// found in it share the chunk instead of copying their bytes.
    pub fn frame_in(&mut self, frame: &Frame<'_>, chunk: Option<&Arc<[u8]>>) {
        let (sip_before, rtp_before) = (self.batch.len(), self.pipeline.rtp_pending());
        self.pipeline.push_in(frame, chunk, &mut self.batch);
        // SIP and RTP keep their order across the two kinds of batch: an RTP
        // packet must reach the model after the SDP that came before it, and
        // before a later SDP that reuses its address (as a second call may).
        if self.pipeline.rtp_pending() > rtp_before && sip_before > 0 {
            self.send_sip();
        } else if self.batch.len() > sip_before && rtp_before > 0 {
            let rtp = self.pipeline.take_rtp();
            let n = rtp.len() as u64;
            self.send(CaptureEvent::Rtp(rtp), n);
        }
        if self.batch.len() >= BATCH || self.pipeline.rtp_pending() >= RTP_BATCH {
            self.flush();
        }
    }

    /// Live: what is sent from now on is held, in order, until
    /// [`Self::uncork`] (or until [`CORK_BATCHES`] are held): the live loop
    /// hands a turn's batches over together, and the model's thread, woken
    /// by the first, finds the others already there instead of sleeping
    /// and waking again between them.
    pub fn cork(&mut self) {
        self.corked = self.live;
    }

    /// Live: sends what [`Self::cork`] held, and what comes next, at once.
    pub fn uncork(&mut self) {
        self.corked = false;
        self.release();
    }

    /// Sends the held events, in order.
    fn release(&mut self) {
        let held = std::mem::take(&mut self.held);
        for (ev, n) in held {
            self.send_now(ev, n);
        }
    }

    /// Live: batches are waiting for room in the channel; the caller should
    /// leave packets in the kernel's ring until [`Self::retry_backlog`]
    /// empties it.
    #[must_use]
    pub fn backlogged(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// Live: sends held-back batches while the channel takes them; true when
    /// none is left.
    pub fn retry_backlog(&mut self) -> bool {
        while let Some((ev, n)) = self.backlog.pop_front() {
            match self.tx.try_send(ev) {
                Ok(()) => {}
                Err(TrySendError::Full(ev)) => {
                    self.backlog.push_front((ev, n));
                    return false;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnected = true;
                    self.backlog.clear();
                }
            }
        }
        true
    }

    /// A message that needed no decoding here (HEP from an agent); sent
    /// with the next batch.
    pub fn message(&mut self, msg: SipMessage) {
        if self.pipeline.rtp_pending() > 0 {
            let rtp = self.pipeline.take_rtp();
            let n = rtp.len() as u64;
            self.send(CaptureEvent::Rtp(rtp), n);
        }
        self.batch.push(msg);
        if self.batch.len() >= BATCH || (self.live && self.last_flush.elapsed() >= FLUSH_EVERY) {
            self.flush();
        }
    }

    /// The consumer is gone: stop reading.
    #[must_use]
    pub fn disconnected(&self) -> bool {
        self.disconnected
    }

    /// Sends the batch if it holds anything.
    pub fn flush_if_pending(&mut self) {
        if !self.batch.is_empty() || self.pipeline.rtp_pending() > 0 {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        self.counters.decode = self.pipeline.stats().plus(self.received);
        self.send_sip();
        // After the SIP that usually set them up (the model also links a
        // stream to SDP that arrives after its first packets).
        if self.pipeline.rtp_pending() > 0 {
            let rtp = self.pipeline.take_rtp();
            let n = rtp.len() as u64;
            self.send(CaptureEvent::Rtp(rtp), n);
        }
        if let Some(sent) = self.counters_sent {
            // Live, the same counters again (an idle link) would only wake
            // the model's thread.
            if sent.elapsed() < COUNTERS_EVERY || self.last_counters == Some(self.counters) {
                return;
            }
            self.counters_sent = Some(Instant::now());
        }
        let counters = self.counters;
        self.last_counters = Some(counters);
        self.send(CaptureEvent::Counters(counters), 0);
    }

    /// Sends the SIP batch, if it holds anything.
    fn send_sip(&mut self) {
        if !self.batch.is_empty() {
            let next = self.spent.try_recv().map_or_else(
                |_| Vec::with_capacity(BATCH),
                |mut v| {
                    v.clear(); // emptied by `give_back` already
                    v
                },
            );
            let batch = std::mem::replace(&mut self.batch, next);
            let n = batch.len() as u64;
            self.send(CaptureEvent::Messages(batch), n);
        }
    }

    fn send(&mut self, ev: CaptureEvent, lost_if_dropped: u64) {
        if self.corked {
            if self.held.len() < CORK_BATCHES {
                self.held.push((ev, lost_if_dropped));
                return;
            }
            self.release();
        }
        self.send_now(ev, lost_if_dropped);
    }

    fn send_now(&mut self, ev: CaptureEvent, lost_if_dropped: u64) {
        if self.live {
            // Keep the order: nothing overtakes a held-back batch.
            if !self.retry_backlog() {
                self.hold(ev, lost_if_dropped);
                return;
            }
            match self.tx.try_send(ev) {
                Ok(()) => {}
                Err(TrySendError::Full(ev)) => self.hold(ev, lost_if_dropped),
                Err(TrySendError::Disconnected(_)) => self.disconnected = true,
            }
        } else if self.tx.send(ev).is_err() {
            self.disconnected = true;
        }
    }

    /// Live, the channel is full: the event waits in the backlog. Counters
    /// are a running total, so only the newest waiting one is kept; past
    /// [`BACKLOG_BATCHES`] a batch is dropped and counted.
    fn hold(&mut self, ev: CaptureEvent, lost_if_dropped: u64) {
        if matches!(ev, CaptureEvent::Counters(_)) {
            self.backlog
                .retain(|(e, _)| !matches!(e, CaptureEvent::Counters(_)));
        } else if self.backlog.len() >= BACKLOG_BATCHES {
            self.counters.lost.channel += lost_if_dropped;
            return;
        }
        self.backlog.push_back((ev, lost_if_dropped));
    }

    /// Live, at the end: the backlog goes out, waiting for room (the
    /// consumer drains until it hears `Finished`).
    fn drain_backlog(&mut self) {
        while let Some((ev, _)) = self.backlog.pop_front() {
            if self.tx.send(ev).is_err() {
                self.disconnected = true;
                self.backlog.clear();
            }
        }
    }

    /// Sends a warning; live, a full channel holds it back with the batches.
    pub fn warn(&mut self, text: String) {
        self.send(CaptureEvent::Warning(text), 0);
    }

    pub fn fail(&mut self, text: String) {
        self.uncork();
        self.counters_sent = None;
        self.flush();
        self.drain_backlog();
        // Failure must arrive: wait for room even live.
        let _ = self.tx.send(CaptureEvent::Failed(text));
    }

    fn finish(mut self) {
        self.uncork();
        self.pipeline.finish(&mut self.batch);
        self.counters_sent = None;
        self.flush();
        self.drain_backlog();
        let _ = self.tx.send(CaptureEvent::Finished);
    }
}

/// Reads every file, merging several by timestamp.
fn run_files(mut files: Vec<OpenFile>, out: &mut Processor, control: &Control) {
    if files.len() == 1 {
        if let Some(f) = files.first_mut() {
            read_one(f, out, control);
        }
        return;
    }
    // Several files: hold one owned frame per file and always take the oldest.
    let mut heads: Vec<Option<OwnedFrame>> = files.iter_mut().map(|f| next_owned(f, out)).collect();
    loop {
        if control.stop.load(Ordering::Relaxed) || out.disconnected() {
            return;
        }
        let Some(i) = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i, h.ts_ns)))
            .min_by_key(|(_, ts)| *ts)
            .map(|(i, _)| i)
        else {
            return;
        };
        let (Some(slot), Some(file)) = (heads.get_mut(i), files.get_mut(i)) else {
            return;
        };
        if let Some(f) = slot.take() {
            out.frame(&f.as_frame());
        }
        *slot = next_owned(file, out);
    }
}

fn read_one(f: &mut OpenFile, out: &mut Processor, control: &Control) {
    let mut n = 0u64;
    if !f.reader.seekable() {
        f.reader.yield_before_waiting();
    }
    loop {
        n += 1;
        if n.is_multiple_of(65_536) && (control.stop.load(Ordering::Relaxed) || out.disconnected())
        {
            return;
        }
        match f.reader.next_frame_shared() {
            Ok(Some((frame, chunk))) => out.frame_in(&frame, Some(chunk)),
            Ok(None) => break,
            // A pipe drained: what is held goes now, before a read waits.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => out.flush_if_pending(),
            Err(e) => {
                out.fail(format!("{}: read error: {e}", shown(f)));
                return;
            }
        }
    }
    if let Some(end) = f.reader.end.clone() {
        out.warn(format!("{}: {end}", shown(f)));
    }
    file_ended(f, out);
}

/// At the end of one input: counts what its reader dropped, and says that
/// it held several captures one after the other, all read.
fn file_ended(f: &OpenFile, out: &mut Processor) {
    out.received.unknown_interface += f.reader.unknown_interface;
    let n = f.reader.concatenated;
    if n > 0 {
        out.warn(format!(
            "{}: {} capture{} followed the first (concatenated, as `cat a.pcap b.pcap`); all were read",
            shown(f),
            n,
            if n == 1 { "" } else { "s" }
        ));
    }
}

fn shown(f: &OpenFile) -> String {
    f.name.clone()
}

struct OwnedFrame {
    ts_ns: i64,
    linktype: u16,
    source: u16,
    orig_len: u32,
    file_offset: Option<u64>,
    data: Vec<u8>,
}

impl OwnedFrame {
    fn as_frame(&self) -> Frame<'_> {
        Frame {
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            source: self.source,
            orig_len: self.orig_len,
            file_offset: self.file_offset,
            data: &self.data,
        }
    }
}

fn next_owned(f: &mut OpenFile, out: &mut Processor) -> Option<OwnedFrame> {
    let shown_name = shown(f);
    match f.reader.next_frame() {
        Ok(Some(fr)) => Some(OwnedFrame {
            ts_ns: fr.ts_ns,
            linktype: fr.linktype,
            source: fr.source,
            orig_len: fr.orig_len,
            file_offset: fr.file_offset,
            data: fr.data.to_vec(),
        }),
        Ok(None) => {
            if let Some(end) = f.reader.end.clone() {
                out.warn(format!("{shown_name}: {end}"));
            }
            file_ended(f, out);
            None
        }
        Err(e) => {
            out.warn(format!("{shown_name}: read error: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(n: usize) -> SipMessage {
        let text = format!(
            "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{n}\r\n\
             From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\n\
             Call-ID: cork-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        SipMessage::parse_one(text.as_bytes()).unwrap()
    }

    /// A live processor, its events' receiver, and `n` messages given to it.
    fn live(n: usize) -> (Processor, std::sync::mpsc::Receiver<CaptureEvent>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_BATCHES);
        let (_spent_tx, spent_rx) = std::sync::mpsc::sync_channel(1);
        let tx = wake::Tx::new(tx, Arc::default());
        let mut out = Processor::new(tx, spent_rx, true);
        out.cork();
        for i in 0..n {
            out.message(options(i));
        }
        (out, rx)
    }

    /// The messages' numbers, in the order the events brought them.
    fn received(rx: &std::sync::mpsc::Receiver<CaptureEvent>) -> Vec<usize> {
        let mut seen = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            if let CaptureEvent::Messages(batch) = ev {
                for m in batch {
                    let id = String::from_utf8_lossy(m.call_id()).into_owned();
                    seen.push(id.strip_prefix("cork-").unwrap().parse().unwrap());
                }
            }
        }
        seen
    }

    #[test]
    fn setting_the_stop_flag_wakes_a_poll_on_its_waker() {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let control = Control::default();
        let waker = control.stop.waker().unwrap();
        let mut fds = [PollFd::new(waker, PollFlags::POLLIN)];
        assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 0);
        control.stop.store(true, Ordering::Relaxed);
        assert!(control.stop.load(Ordering::Relaxed));
        assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 1);
    }

    #[test]
    fn a_corked_live_turn_hands_its_batches_over_together_and_in_order() {
        let (mut out, rx) = live(3 * BATCH);
        assert!(received(&rx).is_empty(), "sent while corked");
        assert!(!out.backlogged(), "held batches are not a full channel");
        out.uncork();
        assert_eq!(received(&rx), (0..3 * BATCH).collect::<Vec<_>>());
    }

    #[test]
    fn a_cork_holds_a_bounded_number_of_batches() {
        let n = (CORK_BATCHES + 2) * BATCH;
        let (mut out, rx) = live(n);
        let early = received(&rx);
        // Batches are full, or fewer messages when the flush timer ran out
        // on a slow machine: either way the cork held no more than its
        // bound and let the rest go.
        assert!(out.held.len() <= CORK_BATCHES, "{}", out.held.len());
        assert!(!early.is_empty(), "nothing let go past the cork");
        out.uncork();
        let mut all = early;
        all.extend(received(&rx));
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}
