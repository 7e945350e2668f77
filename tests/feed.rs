//! The one event feed and its sinks, through the real capture thread: a
//! sink sees every SIP message and every RTP/RTCP packet tshark sees, after
//! the model took it in, and `--count` stops the model, not the reading.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use sipscope::capture::{self, Control, OpenFile, Source};
use sipscope::decode::Frames;
use sipscope::feed::Feed;
use sipscope::model::{Limits, Model};
use sipscope::rtp::MediaBody;
use sipscope::sink::{Sink, SinkSummary};
use sipscope::sip::SipMessage;

/// What the sink was handed.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    sip: u64,
    sip_frames: u64,
    /// Messages whose dialog the model did not know when the sink saw them.
    unknown_dialog: u64,
    rtp: u64,
    rtcp: u64,
    ticks: u64,
}

/// Counts what it is handed; gives the counts to the test when finished.
#[derive(Default)]
struct Counting {
    n: Counts,
    out: Arc<std::sync::Mutex<Counts>>,
}

impl Sink for Counting {
    fn sip(&mut self, model: &Model, msg: &SipMessage, frames: &Frames) {
        self.n.sip += 1;
        self.n.sip_frames += frames.len() as u64;
        if model
            .find(&String::from_utf8_lossy(msg.call_id()))
            .is_none()
        {
            self.n.unknown_dialog += 1;
        }
    }
    fn media(&mut self, _model: &Model, body: &MediaBody, _frames: &Frames) {
        match body {
            MediaBody::Rtp(_) => self.n.rtp += 1,
            MediaBody::Rtcp { .. } => self.n.rtcp += 1,
            MediaBody::Fax(_) => {}
        }
    }
    fn tick(&mut self) -> Option<String> {
        self.n.ticks += 1;
        None
    }
    fn finish(&mut self) -> SinkSummary {
        *self.out.lock().unwrap() = self.n;
        SinkSummary {
            lines: vec![format!("{} messages", self.n.sip)],
            failed: false,
        }
    }
}

/// Runs `path` through the capture thread and a feed with one counting sink.
fn feed_file(path: &Path, limit: Option<u64>) -> (Model, SinkSummary, Counts) {
    let shared = Arc::new(std::sync::Mutex::new(Counts::default()));
    let sink = Counting {
        out: Arc::clone(&shared),
        ..Counting::default()
    };
    let mut feed = Feed::new(vec![Box::new(sink)]).with_limit(limit);
    let mut model = Model::new(Limits {
        max_calls: usize::MAX,
        ..Limits::default()
    });
    let f = OpenFile::open(&path.to_string_lossy(), 0).unwrap();
    model.set_source(0, f.path.clone());
    let (handle, events) =
        capture::spawn(Source::Files(vec![f]), &Arc::new(Control::default())).unwrap();
    let mut finished = false;
    while let Some(ev) = events.recv() {
        finished |= feed.apply(&mut model, ev, &events).finished;
    }
    handle.join().unwrap();
    assert!(finished, "the capture never said it finished");
    assert!(feed.failure.is_none());
    let summary = feed.finish().remove(0);
    let counts = *shared.lock().unwrap();
    (model, summary, counts)
}

#[test]
fn a_sink_sees_every_message_and_media_packet_tshark_sees() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gen__hold_resume_refer_rtp.pcap");
    let truth = common::truth_of(&path);
    let (model, summary, n) = feed_file(&path, None);
    assert_eq!(n.sip, truth["sip"]["messages"].as_u64().unwrap());
    assert_eq!(n.sip_frames, truth["sip"]["frames"].as_u64().unwrap());
    assert_eq!(
        n.unknown_dialog, 0,
        "a sink saw a message before its dialog"
    );
    assert_eq!(n.rtp, truth["rtp"]["packets"].as_u64().unwrap());
    assert_eq!(n.rtcp, truth["rtcp"]["packets"].as_u64().unwrap());
    assert!(n.ticks > 0, "the sink was never ticked");
    // The model got the same traffic as without a sink.
    let plain = sipscope::replay(&path).unwrap();
    assert_eq!(model.stats(), plain.stats());
    assert_eq!(summary.lines, vec![format!("{} messages", n.sip)]);
}

#[test]
fn a_count_limit_stops_the_model_and_the_sinks_at_the_same_message() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gen__load_udp_2000calls_200cps.pcap");
    let (model, _, n) = feed_file(&path, Some(1000));
    assert_eq!(model.stats().sip_messages, 1000);
    assert_eq!(n.sip, 1000);
    // The rest was still read: the capture counted every packet.
    let truth = common::truth_of(&path);
    assert_eq!(
        model.stats().packets,
        truth["frames"].as_u64().unwrap(),
        "reading stopped with the model"
    );
}
