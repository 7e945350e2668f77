//! The JSON report (schema in docs/report.md), written as it is serialised:
//! the calls one after the other, each straight from its dialog
//! ([`super::call`]), never the whole report in memory. The bytes are
//! `serde_json`'s pretty printing of the report as one value.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use super::call::{self, Streams};
use super::memo::Memo;
use crate::model::findings::Severity;
use crate::model::{Dialog, Model};

/// What writing the report concluded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// The most severe finding of any call written (for `--fail-on`).
    pub worst: Option<Severity>,
}

/// Findings per rule id over the calls written, and the worst of them.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub per_rule: BTreeMap<&'static str, usize>,
    pub worst: Option<Severity>,
}

impl Counts {
    pub fn add(&mut self, concluded: &call::Concluded) {
        for (rule, severity) in concluded {
            *self.per_rule.entry(rule).or_insert(0) += 1;
            self.worst = self.worst.max(Some(*severity));
        }
    }

    pub fn merge(&mut self, other: Self) {
        for (rule, n) in other.per_rule {
            *self.per_rule.entry(rule).or_insert(0) += n;
        }
        self.worst = self.worst.max(other.worst);
    }

    pub fn remove(&mut self, concluded: &call::Concluded) {
        for (rule, _) in concluded {
            if let Some(n) = self.per_rule.get_mut(rule) {
                *n -= 1;
                if *n == 0 {
                    self.per_rule.remove(rule);
                }
            }
        }
    }
}

/// Calls rendered before their bytes go to the writer (one write per chunk).
const CHUNK: usize = 256 << 10;

/// Writes the report of `dialogs` (all of them when `None`).
///
/// # Errors
/// When writing fails.
pub fn write(
    model: &Model,
    dialogs: Option<&[&Dialog]>,
    warnings: &[String],
    out: &mut impl Write,
) -> io::Result<Written> {
    out.write_all(b"{\n  \"version\": 1,\n  \"stats\": ")?;
    value(out, 1, &model.stats())?;
    out.write_all(b",\n  \"calls\": [")?;
    let counts = calls(Calls { model, dialogs }, out)?;
    out.write_all(b",\n  \"findings\": ")?;
    value(out, 1, &counts.per_rule)?;
    out.write_all(b",\n  \"unassociated_rtp_streams\": ")?;
    let unassociated: Vec<_> = model.unassociated_streams().collect();
    value(out, 1, &Streams(&unassociated))?;
    out.write_all(b",\n  \"warnings\": ")?;
    value(out, 1, &warnings)?;
    out.write_all(b"\n}\n")?;
    Ok(Written {
        worst: counts.worst,
    })
}

/// Calls rendered by one worker at a time, in order.
const BATCH: usize = 64;

/// The calls a report writes: the chosen dialogs, or all of them.
#[derive(Clone, Copy)]
struct Calls<'a> {
    model: &'a Model,
    dialogs: Option<&'a [&'a Dialog]>,
}

impl<'a> Calls<'a> {
    fn iter(self) -> Box<dyn Iterator<Item = &'a Dialog> + 'a> {
        match self.dialogs {
            Some(ds) => Box::new(ds.iter().copied()),
            None => Box::new(self.model.dialogs()),
        }
    }

    fn len(self) -> usize {
        self.dialogs.map_or_else(|| self.model.len(), <[_]>::len)
    }
}

/// Writes the `calls` array's elements and its closing bracket; returns
/// their findings. With more than one core, workers render batches of calls
/// side by side, and they are written in order.
fn calls(calls: Calls<'_>, out: &mut impl Write) -> io::Result<Counts> {
    let model = calls.model;
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8);
    let mut counts = Counts::default();
    let mut any = false;
    if workers < 2 || calls.len() < 4 * BATCH {
        let mut buf = Vec::with_capacity(CHUNK + (64 << 10));
        let mut memo = Memo::default();
        for (i, d) in calls.iter().enumerate() {
            any = true;
            counts.add(&render(model, d, i == 0, None, &mut memo, &mut buf)?);
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
    } else {
        std::thread::scope(|scope| -> io::Result<()> {
            let mut batches = Vec::with_capacity(workers);
            let mut spares = Vec::with_capacity(workers);
            for w in 0..workers {
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                let (spare_tx, spare_rx) = std::sync::mpsc::sync_channel(2);
                scope.spawn(move || worker(model, calls.iter(), w, workers, &tx, &spare_rx));
                batches.push(rx);
                spares.push(spare_tx);
            }
            // Batch b is worker b % workers's; a worker that is done has no
            // batch after it either. Returning drops the receivers, which
            // stops the workers (a write failed).
            for b in 0.. {
                let Some(Ok(batch)) = batches
                    .get(b % workers)
                    .map(std::sync::mpsc::Receiver::recv)
                else {
                    break;
                };
                let (buf, c) = batch?;
                any = true;
                out.write_all(&buf)?;
                counts.merge(c);
                // The buffer goes back to its worker for a later batch (its
                // pages stay mapped and warm); if the worker is done or has
                // spares enough, it is dropped.
                if let Some(spare) = spares.get(b % workers) {
                    let _ = spare.try_send(buf);
                }
            }
            Ok(())
        })?;
    }
    out.write_all(if any { b"\n  ]" } else { b"]" })?;
    Ok(counts)
}

/// What a worker keeps from one batch to the next: the bytes read ahead
/// for the batch, and renderings that repeat ([`Memo`]).
#[derive(Default)]
struct Kept {
    prefetched: crate::model::Prefetched,
    memo: Memo,
}

/// One rendered batch of calls and their findings.
type Batch = io::Result<(Vec<u8>, Counts)>;

/// Renders batches `w`, `w + workers`, ... of `dialogs`, in order, until
/// there are none left or nobody listens.
fn worker<'a>(
    model: &Model,
    dialogs: impl Iterator<Item = &'a Dialog>,
    w: usize,
    workers: usize,
    tx: &std::sync::mpsc::SyncSender<Batch>,
    spare: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let mut buf = Vec::with_capacity(CHUNK);
    let mut kept = Kept::default();
    let mut batch: Vec<&Dialog> = Vec::with_capacity(BATCH);
    let mut current = None;
    // Renders and sends the batch numbered `c`; false once nobody listens.
    let mut flush =
        |batch: &[&Dialog], c: usize| send(model, batch, c * BATCH, &mut buf, &mut kept, tx, spare);
    for (i, d) in dialogs.enumerate() {
        let b = i / BATCH;
        if b % workers != w {
            continue;
        }
        if current != Some(b) {
            if let Some(c) = current
                && !flush(&batch, c)
            {
                return;
            }
            batch.clear();
            current = Some(b);
        }
        batch.push(d);
    }
    if let Some(c) = current {
        flush(&batch, c);
    }
}

/// Renders one batch of calls, the first of them call `first` of the
/// report, into `buf` and sends it (taking a spare buffer in its place).
/// False when the report is over (nobody listens, or rendering failed).
fn send(
    model: &Model,
    batch: &[&Dialog],
    first: usize,
    buf: &mut Vec<u8>,
    kept: &mut Kept,
    tx: &std::sync::mpsc::SyncSender<Batch>,
    spare: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> bool {
    // What the calls will read of the capture file, in a few reads.
    model.prefetch(
        batch
            .iter()
            .flat_map(|d| d.messages.iter())
            .filter(|m| crate::model::findings::read_ahead(m)),
        &mut kept.prefetched,
    );
    let (prefetched, memo) = (&kept.prefetched, &mut kept.memo);
    let mut counts = Counts::default();
    for (k, d) in batch.iter().enumerate() {
        match render(model, d, first + k == 0, Some(prefetched), memo, buf) {
            Ok(c) => counts.add(&c),
            Err(e) => {
                let _ = tx.send(Err(e));
                return false;
            }
        }
    }
    let mut next = spare
        .try_recv()
        .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
    next.clear();
    tx.send(Ok((std::mem::replace(buf, next), counts))).is_ok()
}

/// One element of `calls`, at its place in the report.
fn render(
    model: &Model,
    d: &Dialog,
    first: bool,
    prefetched: Option<&crate::model::Prefetched>,
    memo: &mut Memo,
    buf: &mut Vec<u8>,
) -> io::Result<call::Concluded> {
    buf.extend_from_slice(if first { b"\n    " } else { b",\n    " });
    call::write(
        model,
        d,
        None,
        prefetched,
        &mut super::writer::Writer::pretty(buf, 2).with_memo(memo),
    )
}

/// One value of the top-level object, pretty, at `depth`.
fn value<T: Serialize + ?Sized>(out: &mut impl Write, depth: usize, v: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Indented::at(depth));
    v.serialize(&mut ser).map_err(io::Error::from)
}

/// `serde_json`'s `PrettyFormatter` (two spaces), starting `depth` levels in:
/// a value written alone is byte for byte what it would be inside the
/// report written as one value.
#[derive(Debug, Clone, Copy)]
pub struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    #[must_use]
    pub fn at(depth: usize) -> Self {
        Self {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(SPACES.get(..k).unwrap_or_default())?;
            n -= k;
        }
        Ok(())
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own when something was inside.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indented_at_zero_is_serde_jsons_pretty_printing() {
        let v = serde_json::json!({
            "a": [], "b": {}, "c": [1, [2, {"d": null}], {"e": [], "f": "x"}],
            "g": {"h": {"i": [true, false]}}, "j": 1.5
        });
        let mut ours = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut ours,
            Indented::at(0),
        ))
        .unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
    }

    #[test]
    fn the_findings_counts_are_the_calls_findings() {
        let model = crate::replay("tests/data/gen__hold_resume_refer_rtp.pcap").unwrap();
        let mut out = Vec::new();
        let written = write(&model, None, &["a warning".to_owned()], &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mut counted: BTreeMap<String, u64> = BTreeMap::new();
        for c in v["calls"].as_array().unwrap() {
            for f in c["findings"].as_array().unwrap() {
                *counted
                    .entry(f["rule"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
        assert!(!counted.is_empty());
        let said: BTreeMap<String, u64> = v["findings"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect();
        assert_eq!(said, counted);
        assert_eq!(v["warnings"][0], "a warning");
        assert!(written.worst.is_some());
    }

    #[test]
    fn an_empty_report_is_pretty_too() {
        let model = Model::new(crate::model::Limits::default());
        let mut out = Vec::new();
        write(&model, None, &[], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert!(
            text.contains("\n  },\n  \"calls\": [],\n  \"findings\": {},\n  \"unassociated_rtp_streams\": [],\n  \"warnings\": []\n}\n"),
            "{text}"
        );
    }
}
