//! RTCP beside the streams: flows counted (and a few frames kept for
//! export), report blocks handed to the streams they report on, and the
//! flows that belong to a dialog.

use std::net::SocketAddr;

use super::{FRAME_COST, MAX_STREAMS, Media, Owners, RTCP_FRAMES_PER_FLOW, RtcpFlow, RtcpView};
use crate::decode::Frames;
use crate::model::dialog::DialogId;
use crate::model::message::Addr;

impl Media {
    /// The RTCP flows that report on a dialog's streams: between the same
    /// hosts, on the streams' ports (rtcp-mux) or the ports above them.
    pub fn rtcp_of(&self, dialog: DialogId) -> impl Iterator<Item = &RtcpFlow> {
        let mut keys: Vec<(Addr, Addr)> = Vec::new();
        for s in self.of_dialog(dialog) {
            let (src, dst) = (s.src.socket(), s.dst.socket());
            for (a, b) in [(src, dst), (dst, src)] {
                keys.push((Addr::from(a), Addr::from(b)));
                let up = |x: SocketAddr| SocketAddr::new(x.ip(), x.port().wrapping_add(1));
                keys.push((Addr::from(up(a)), Addr::from(up(b))));
            }
        }
        keys.sort_unstable_by_key(|(a, b)| (a.socket(), b.socket()));
        keys.dedup();
        keys.into_iter().filter_map(|k| self.rtcp_flows.get(&k))
    }

    /// The dialogs whose media an RTCP flow reports on: its addresses, or
    /// the RTP ports below them, as SDP announced them.
    #[must_use]
    pub fn dialogs_of_rtcp(&self, src: SocketAddr, dst: SocketAddr) -> Owners {
        let down = |a: SocketAddr| SocketAddr::new(a.ip(), a.port().wrapping_sub(1));
        let owners = self.lookup(src, dst);
        if owners.is_empty() {
            self.lookup(down(src), down(dst))
        } else {
            owners
        }
    }

    /// Adds an RTCP packet: counts it on its flow, and hands each report
    /// block to the stream it reports on (the SSRC sent towards the reporter).
    pub fn ingest_rtcp(
        &mut self,
        ts_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        rtcp: &crate::rtp::rtcp::Rtcp,
        frames: Frames,
    ) {
        self.media_comes();
        self.rtcp_packets += 1;
        let key = (Addr::from(src), Addr::from(dst));
        if self.rtcp_flows.len() < MAX_STREAMS || self.rtcp_flows.contains_key(&key) {
            let flow = self.rtcp_flows.entry(key).or_default();
            flow.packets += 1;
            for t in &rtcp.types {
                *flow.types.entry(*t).or_default() += 1;
            }
            let cost: usize = frames.iter().map(|f| FRAME_COST + f.mem_bytes()).sum();
            if self.kept_bytes + cost <= self.keep_total {
                self.kept_bytes += cost;
                flow.frames.extend(frames);
                while flow.frames.len() > RTCP_FRAMES_PER_FLOW {
                    if let Some(f) = flow.frames.pop_front() {
                        self.kept_bytes -= FRAME_COST + f.mem_bytes();
                    }
                }
            }
        }
        for b in &rtcp.blocks {
            // The stream reported on flows towards the reporter, from the
            // address it sends RTCP to (RTCP port - 1, or the same port with rtcp-mux).
            let candidates = self.by_ssrc.get(&b.ssrc).cloned().unwrap_or_default();
            let Some(stream) = candidates
                .iter()
                .find(|i| {
                    self.streams
                        .get(**i)
                        .is_some_and(|s| s.dst.ip() == src.ip() && s.src.ip() == dst.ip())
                })
                .and_then(|i| self.streams.get_mut(*i))
            else {
                continue;
            };
            let rate = stream
                .stats
                .payload_types
                .first()
                .map_or(8000, |pt| stream.clock_rate(*pt));
            let reports = stream.rtcp.map_or(0, |r| r.reports) + 1;
            stream.rtcp = Some(RtcpView {
                fraction_lost_pct: f64::from(b.fraction_lost) * 100.0 / 256.0,
                cumulative_lost: b.cumulative_lost,
                jitter_ms: f64::from(b.jitter) * 1000.0 / f64::from(rate.max(1)),
                rtt_ms: crate::rtp::rtcp::rtt_ms(b, ts_ns).map(|t| (t * 1000.0).round() / 1000.0),
                reports,
            });
        }
    }

    /// RTCP flows: (source, destination) and what came.
    pub fn rtcp_flows(&self) -> impl Iterator<Item = (&(Addr, Addr), &RtcpFlow)> {
        self.rtcp_flows.iter()
    }
}
