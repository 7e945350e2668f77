//! RTP stream statistics against tshark (`-o rtp.heuristic_rtp:TRUE -z
//! rtp,streams`, held in the `*.truth.json` files): the same streams, with the
//! same packet and lost counts, and mean and max jitter within 1 % (or 0.002 ms),
//! whichever is larger. The packets are found here by decoding UDP and
//! reading RTP headers, independently of SIP.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use sipscope::capture::file::CaptureReader;
use sipscope::decode::{ip, link};
use sipscope::rtp::{self, StreamStats};

mod common;
use common::{sdp_addresses_by_call, stream_owner, truth_files};

type Key = (String, String, u32);

fn streams(path: &Path) -> BTreeMap<Key, StreamStats> {
    let mut r = CaptureReader::new(std::fs::File::open(path).unwrap(), true, 0).unwrap();
    let mut out: BTreeMap<Key, StreamStats> = BTreeMap::new();
    while let Some(f) = r.next_frame().unwrap() {
        let Some(p) = link::ip_payload(f.linktype, f.data).and_then(ip::parse) else {
            continue;
        };
        if p.proto != ip::UDP || p.fragment.is_some() {
            continue;
        }
        let Some((src, dst, payload)) = ip::udp(p.src, p.dst, p.payload) else {
            continue;
        };
        let Some(h) = rtp::parse(payload) else {
            continue;
        };
        out.entry((src.to_string(), dst.to_string(), h.ssrc))
            .or_default()
            .add(
                f.ts_ns,
                &h,
                payload.len(),
                (h.payload_type < 96).then(|| rtp::static_clock_rate(h.payload_type)),
            );
    }
    out
}

/// Within 1 %, or 0.002 ms (tshark prints three decimals).
fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 0.002_f64.max(theirs.abs() * 0.01)
}

#[test]
fn rtp_streams_agree_with_tshark() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for (capture, t) in truth_files() {
        let capture = capture.as_str();
        let truth = t["rtp"]["streams"].as_array().unwrap();
        let ours = streams(Path::new(capture));
        let short = Path::new(capture)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // Streams of RTP with SIP on top: every tshark stream must be ours,
        // and ours must not invent streams of more than a handful of packets.
        for s in truth {
            let key = (
                s["src"].as_str().unwrap().to_owned(),
                s["dst"].as_str().unwrap().to_owned(),
                u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap(),
            );
            compared += 1;
            let Some(o) = ours.get(&key) else {
                failures.push(format!("{short}: tshark stream {key:?} not found"));
                continue;
            };
            let packets = s["packets"].as_u64().unwrap();
            let lost = s["lost"].as_i64().unwrap();
            if o.packets != packets || o.lost() != lost {
                failures.push(format!(
                    "{short} {key:?}: packets/lost {}/{} vs tshark {packets}/{lost}",
                    o.packets,
                    o.lost()
                ));
            }
            // Without SDP a dynamic payload type's clock is unknown: no jitter
            // for it, here and in tshark (RFC 4733 events among them).
            let (mean, max) = (
                s["mean_jitter_ms"].as_f64().unwrap(),
                s["max_jitter_ms"].as_f64().unwrap(),
            );
            if !close(o.mean_jitter_ms(), mean) || !close(o.max_jitter_ms, max) {
                failures.push(format!(
                    "{short} {key:?}: jitter mean/max {:.3}/{:.3} vs tshark {mean}/{max}",
                    o.mean_jitter_ms(),
                    o.max_jitter_ms
                ));
            }
            let max_delta = s["max_delta_ms"].as_f64().unwrap();
            if !close(o.max_delta_ns as f64 / 1e6, max_delta) {
                failures.push(format!(
                    "{short} {key:?}: max delta {} vs tshark {max_delta}",
                    o.max_delta_ns as f64 / 1e6
                ));
            }
        }
        for (key, o) in &ours {
            let known = truth
                .iter()
                .any(|s| s["src"] == key.0.as_str() && s["dst"] == key.1.as_str());
            if !known && o.packets > 5 {
                failures.push(format!(
                    "{short}: a stream tshark does not see: {key:?}, {} packets",
                    o.packets
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 20, "only {compared} streams compared");
}

/// Through the whole pipeline: every stream tshark ties to SDP is tied in our
/// model to the call whose message carried that SDP, with tshark's packet and loss counts and jitter
/// (RFC 4733 event streams included: none, as tshark says); and the
/// report shows the DTMF digit that sipp's RFC 4733 events carry.
#[test]
fn the_model_ties_sdp_streams_to_their_calls() {
    let mut tied = 0;
    let mut failures = Vec::new();
    for (capture, t) in truth_files() {
        let capture = capture.as_str();
        let model = sipscope::replay(capture).unwrap();
        let sdp = sdp_addresses_by_call(Path::new(capture), &t);
        for s in t["rtp"]["streams"].as_array().unwrap() {
            if s["setup_method"] != "SDP" {
                continue;
            }
            let ssrc =
                u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap();
            // The call whose SDP set the stream up (see common::stream_owner).
            let owner = stream_owner(sdp.as_ref(), &t, s);
            let Some(owner) = owner.as_deref().and_then(|id| model.find(id)) else {
                failures.push(format!("{capture}: no call holds the setup frame of {s}"));
                continue;
            };
            let found = model.streams_of(owner).find(|x| {
                x.ssrc == ssrc
                    && x.src.to_string() == s["src"].as_str().unwrap()
                    && x.dst.to_string() == s["dst"].as_str().unwrap()
            });
            match found {
                // Here codecs come from the SDP, so RFC 4733 event streams are
                // known for what they are and carry no jitter, as in tshark.
                Some(x)
                    if x.stats.packets == s["packets"].as_u64().unwrap()
                        && x.stats.lost() == s["lost"].as_i64().unwrap()
                        && close(
                            x.stats.mean_jitter_ms(),
                            s["mean_jitter_ms"].as_f64().unwrap(),
                        )
                        && close(x.stats.max_jitter_ms, s["max_jitter_ms"].as_f64().unwrap()) =>
                {
                    tied += 1;
                }
                Some(x) => failures.push(format!(
                    "{capture}: {} packets, {} lost, jitter {:.3}/{:.3} vs {s}",
                    x.stats.packets,
                    x.stats.lost(),
                    x.stats.mean_jitter_ms(),
                    x.stats.max_jitter_ms
                )),
                None => failures.push(format!("{capture}: stream not tied to a call: {s}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(tied >= 20, "only {tied} streams tied");

    let model = sipscope::replay(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gen__hold_resume_refer_rtp.pcap"),
    )
    .unwrap();
    let digits: Vec<String> = model
        .dialogs()
        .flat_map(|d| model.streams_of(d))
        .map(|s| s.dtmf.clone())
        .filter(|d| !d.is_empty())
        .collect();
    assert_eq!(digits, ["1", "1"], "sipp sends the event both ways");
}

/// The hold/resume capture: tshark shows the re-INVITE at frame 339 with
/// `a=sendonly`, its 200 OK with `a=recvonly`, and the re-INVITE at frame 442
/// back to `a=sendrecv` (`tshark -Y sdp -e sdp.media_attr`). The report must
/// say so in words.
#[test]
fn sdp_changes_show_hold_and_resume() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let model = sipscope::replay(dir.join("gen__hold_resume_refer_rtp.pcap")).unwrap();
    let d = model.dialogs().next().unwrap();
    let summaries: Vec<Vec<String>> = model
        .sdp_changes(d)
        .into_iter()
        .map(|c| c.summary)
        .collect();
    assert_eq!(summaries.len(), 6, "{summaries:?}");
    assert_eq!(summaries[2], ["audio: hold (sendonly)"]);
    assert_eq!(summaries[3][0], "audio: direction sendonly → recvonly");
    assert_eq!(summaries[4], ["audio: resume (sendrecv)"]);
    assert!(summaries[1].contains(&"audio: codec PCMA".to_owned()));
}

/// RTCP: per (source, destination) flow, the packets and the packet types
/// (each part of a compound packet) that tshark counts.
#[test]
fn rtcp_flows_agree_with_tshark() {
    let mut flows = 0;
    let mut failures = Vec::new();
    for (capture, t) in truth_files() {
        let capture = capture.as_str();
        let model = sipscope::replay(capture).unwrap();
        for f in t["rtcp"]["flows"].as_array().unwrap() {
            flows += 1;
            let (src, dst) = (f["src"].as_str().unwrap(), f["dst"].as_str().unwrap());
            let Some((_, ours)) = model
                .rtcp_flows()
                .find(|((s, d), _)| s.to_string() == src && d.to_string() == dst)
            else {
                failures.push(format!("{capture}: RTCP flow {src} → {dst} not found"));
                continue;
            };
            let types: std::collections::BTreeMap<String, u64> = ours
                .types
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect();
            let theirs: std::collections::BTreeMap<String, u64> = f["rtcp_types"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            if ours.packets != f["packets"].as_u64().unwrap() || types != theirs {
                failures.push(format!(
                    "{capture}: {src} → {dst}: {} packets {types:?} vs tshark {f}",
                    ours.packets
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(flows >= 10, "only {flows} flows compared");
}

/// The model's streams through the real pipeline: every one is a stream
/// tshark finds too (UDP that only looks like RTP, DNS and `NetBIOS`
/// among it, is not a stream: `synthetic_dns_netbios_rtp.pcap`).
#[test]
fn the_model_finds_no_stream_tshark_does_not() {
    let mut failures = Vec::new();
    for (capture, t) in truth_files() {
        let theirs: std::collections::BTreeSet<Key> = t["rtp"]["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["src"].as_str().unwrap().to_owned(),
                    s["dst"].as_str().unwrap().to_owned(),
                    u32::from_str_radix(s["ssrc"].as_str().unwrap().trim_start_matches("0x"), 16)
                        .unwrap(),
                )
            })
            .collect();
        let model = sipscope::replay(&capture).unwrap();
        let ours = model
            .dialogs()
            .flat_map(|d| model.streams_of(d))
            .chain(model.unassociated_streams());
        for s in ours {
            let key = (s.src.to_string(), s.dst.to_string(), s.ssrc);
            if !theirs.contains(&key) {
                failures.push(format!(
                    "{capture}: {key:?} ({} packets) is not a tshark stream",
                    s.stats.packets
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A call challenged (401 to its first INVITE with SDP), then answered, and
/// re-INVITEd by the PBX to media flowing end to end: both legs named both
/// ends, so each holds both directions (issue 13, item 2). The truth is
/// tshark's list of streams; which leg named which address, its SDPs.
#[test]
fn a_challenged_leg_still_shares_the_media_its_sdps_named() {
    let path = format!(
        "{}/tests/data/michalcab-isa__real_sip_call.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{path}.truth.json")).unwrap())
            .unwrap();
    let mut expected: Vec<(String, String)> = truth["rtp"]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["src"].as_str().unwrap().to_owned(),
                s["dst"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 2);
    let model = sipscope::replay(Path::new(&path)).unwrap();
    assert_eq!(model.len(), 2);
    for d in model.dialogs() {
        let mut got: Vec<(String, String)> = model
            .streams_of(d)
            .map(|s| (s.src.to_string(), s.dst.to_string()))
            .collect();
        got.sort();
        assert_eq!(got, expected, "{}", d.call_id());
    }
}
