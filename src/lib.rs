//! sipscope: a terminal SIP sniffer.
//!
//! Module map, in the direction data flows:
//! - [`capture`]: the capture thread; files (pcap, pcapng, stdin) and live
//!   interfaces (libpcap); batches [`sip::SipMessage`]s over a bounded channel;
//!   [`capture::CaptureCounters`].
//! - [`decode`]: frames to transport payloads: link layers, IP with tunnels
//!   and fragment reassembly, UDP, TCP stream reassembly, WebSocket.
//! - [`pipeline`]: runs `decode` and SIP framing over one frame at a time.
//! - [`sip`]: the tolerant SIP scanner, the SDP scanner, rsip's strict check.
//! - [`rtp`]: RTP headers and per-stream statistics (loss, jitter).
//! - [`model`]: the call table every view, report and export reads; findings,
//!   SDP changes and the ladder's flow are computed there.
//! - [`feed`]: the one place capture events reach the model, and the
//!   [`sink`]s (live consumers beside it) are driven.
//! - [`hep`]: HEP v3 encoding and decoding; the `-H` sender (a sink).
//! - [`export`]: chosen calls to pcap, pcapng, text or JSON; `-w`'s request;
//!   the live recorder (a sink).
//! - [`report`]: headless JSON and text reports.
//! - [`ui`]: the terminal UI (call list, ladder, message, streams, diffs);
//!   [`keymap`] and [`config`] feed it.
//! - [`text`]: text for people (escaping wire text, URIs, times, durations),
//!   below every layer that shows text.
//! - [`hash`]: seeded hashing for maps keyed by wire data; [`contain`]: third
//!   parties' panics turned into errors; [`safe_file`]: opening given paths
//!   as root without following planted links.
//! - [`cli`], [`logging`], [`headless`], [`signals`]: the binary's glue.

pub mod capture;
pub mod cli;
pub mod config;
pub mod contain;
pub mod decode;
pub mod export;
pub mod feed;
pub mod hash;
pub mod headless;
pub mod hep;
pub mod keymap;
pub mod logging;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rtp;
pub mod safe_file;
pub mod signals;
pub mod sink;
pub mod sip;
pub mod text;
pub mod ui;

use std::path::Path;

use std::sync::Arc;

use capture::{Control, OpenFile, Source};
use feed::Feed;
use model::{Limits, Model};

/// What reading a capture to its end gave: the model and any warnings.
#[derive(Debug)]
pub struct Replay {
    pub model: Model,
    pub warnings: Vec<String>,
}

/// Reads capture files to their end through the real pipeline and returns the
/// model, as the UI would see it once the files are read.
///
/// # Errors
/// When a file cannot be opened or is not a capture, or the capture failed.
pub fn replay_with(paths: &[&Path], limits: Limits) -> anyhow::Result<Replay> {
    let mut files = Vec::new();
    let mut model = Model::new(limits);
    for (i, p) in paths.iter().enumerate() {
        let source = u16::try_from(i)?;
        let f = OpenFile::open(&p.to_string_lossy(), source)?;
        model.set_source(source, f.path.clone());
        files.push(f);
    }
    let (handle, events) = capture::spawn(Source::Files(files), &Arc::new(Control::default()))?;
    let mut feed = Feed::default();
    while let Some(ev) = events.recv() {
        feed.apply(&mut model, ev, &events);
    }
    if handle.join().is_err() {
        anyhow::bail!("the capture thread panicked");
    }
    if let Some(e) = feed.failure {
        anyhow::bail!(e);
    }
    Ok(Replay {
        model,
        warnings: feed.warnings,
    })
}

/// [`replay_with`] one file and the default limits, without a call limit.
///
/// # Errors
/// As [`replay_with`].
pub fn replay(path: impl AsRef<Path>) -> anyhow::Result<Model> {
    let limits = Limits {
        max_calls: usize::MAX,
        ..Limits::default()
    };
    Ok(replay_with(&[path.as_ref()], limits)?.model)
}
