//! The same message at several hops and vantage points, on a real proxy's
//! capture (Kamailio 5.6 forwarding two sipp calls on loopback:
//! 127.0.0.2 → proxy 127.0.0.1 → 127.0.0.3), checked against tshark's own
//! reading of every message's Via branches.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Command;

use sipscope::model::flow::Flow;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// One message as tshark reads it: (time, src, dst, method or status, Via
/// branches in order).
type TsharkRow = (String, String, String, String, Vec<String>);

/// An arrow: (src, dst, label), and the (src, dst) of its previous hop.
type Hop = ((String, String, String), Option<(String, String)>);

/// tshark's rows, in capture order.
fn tshark_rows(capture: &str) -> Option<Vec<TsharkRow>> {
    let out = Command::new("tshark")
        .args(["-n", "-r", capture, "-Y", "sip", "-T", "fields"])
        .args(["-E", "separator=;", "-e", "frame.time_epoch"])
        .args([
            "-e",
            "ip.src",
            "-e",
            "udp.srcport",
            "-e",
            "ip.dst",
            "-e",
            "udp.dstport",
        ])
        .args([
            "-e",
            "sip.Method",
            "-e",
            "sip.Status-Code",
            "-e",
            "sip.Via.branch",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(';').collect();
                let what = if f[5].is_empty() { f[6] } else { f[5] };
                (
                    f[0].get(..17).unwrap_or(f[0]).to_owned(),
                    format!("{}:{}", f[1], f[2]),
                    format!("{}:{}", f[3], f[4]),
                    what.to_owned(),
                    f[7].split(',').map(str::to_owned).collect(),
                )
            })
            .collect(),
    )
}

/// Per arrow: (src, dst, label) and, for a forwarded one, the (src, dst) of
/// its previous hop.
fn hops(flow: &Flow) -> Vec<Hop> {
    flow.arrows
        .iter()
        .map(|a| {
            let m = a.message;
            let prev = a.hop_from.map(|j| {
                let p = flow.arrows[j].message;
                (p.src().to_string(), p.dst().to_string())
            });
            ((m.src().to_string(), m.dst().to_string(), m.label()), prev)
        })
        .collect()
}

#[test]
fn a_proxy_forwarding_is_seen_as_hops_of_one_message() {
    let capture = data("kamailio__proxy_2calls.pcap");
    let model = sipscope::replay(&capture).unwrap();
    let ids: Vec<_> = model.dialogs().map(|d| d.id).collect();
    let flow = model.flow(&ids, false, false);
    let got = hops(&flow);
    assert_eq!(got.len(), 26, "every message an arrow");
    let Some(rows) = tshark_rows(&capture) else {
        eprintln!("skipped the tshark check: tshark is not installed");
        return;
    };
    // tshark's view: a request whose second Via branch is another request's
    // top branch, or a response whose top branch is another response's
    // second, with the same method or status, is the next hop of the first
    // such message.
    let mut expected: BTreeMap<(String, String, String), Option<(String, String)>> =
        BTreeMap::new();
    for (i, (_, src, dst, what, vias)) in rows.iter().enumerate() {
        let request = what.chars().all(|c| c.is_ascii_uppercase());
        let prev = rows[..i].iter().find(|(_, _, _, w, v)| {
            w == what
                && if request {
                    vias.get(1).is_some_and(|b| Some(b) == v.first())
                } else {
                    v.get(1).is_some_and(|b| Some(b) == vias.first())
                }
        });
        expected
            .entry((src.clone(), dst.clone(), what.clone()))
            .or_insert(prev.map(|p| (p.1.clone(), p.2.clone())));
    }
    let forwarded = got.iter().filter(|(_, p)| p.is_some()).count();
    assert_eq!(
        forwarded,
        rows.iter()
            .enumerate()
            .filter(|(i, (_, _, _, what, vias))| {
                let request = what.chars().all(|c| c.is_ascii_uppercase());
                rows[..*i].iter().any(|(_, _, _, w, v)| {
                    w == what
                        && if request {
                            vias.get(1).is_some_and(|b| Some(b) == v.first())
                        } else {
                            v.get(1).is_some_and(|b| Some(b) == vias.first())
                        }
                })
            })
            .count(),
        "as many forwarded messages as tshark's Vias say"
    );
    assert_eq!(
        forwarded, 12,
        "INVITE, 180, 200, ACK, BYE and its 200 in each call (not the proxy's own 100s)"
    );
    for ((src, dst, label), prev) in &got {
        let what = label.split(' ').next().unwrap().to_owned();
        assert_eq!(
            expected.get(&(src.clone(), dst.clone(), what.clone())),
            Some(prev),
            "{src} → {dst} {what}"
        );
    }
    // What the proxy rewrote on the first INVITE: its Via and Record-Route
    // added, Max-Forwards down by one.
    let invite = flow
        .arrows
        .iter()
        .find(|a| a.hop_from.is_some() && a.message.label().starts_with("INVITE"))
        .unwrap();
    let before = flow.arrows[invite.hop_from.unwrap()].message;
    let rewrites: Vec<String> = model
        .hop_rewrites(before, invite.message)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        rewrites
            .iter()
            .any(|r| r.starts_with("+ via: SIP/2.0/UDP 127.0.0.1")),
        "{rewrites:?}"
    );
    assert!(
        rewrites.iter().any(|r| r.starts_with("+ record-route:")),
        "{rewrites:?}"
    );
    assert!(
        rewrites.iter().any(|r| r == "max-forwards: 70 → 69"),
        "{rewrites:?}"
    );
}

/// Two HEP agents (ids 101 and 102) sent the same capture: every packet was
/// seen twice, and the ladder shows it once, with both vantage points.
#[test]
fn one_packet_seen_by_two_agents_is_one_arrow() {
    let model = sipscope::replay(data("hep/two_agents__kamailio__proxy_2calls.pcap")).unwrap();
    assert_eq!(model.stats().sip_messages, 52);
    let ids: Vec<_> = model.dialogs().map(|d| d.id).collect();
    let flow = model.flow(&ids, false, false);
    assert_eq!(flow.arrows.len(), 26, "one arrow per packet");
    assert_eq!(
        flow.sightings.len(),
        26,
        "each seen again by the other agent"
    );
    for (i, a) in flow.arrows.iter().enumerate() {
        assert_eq!(a.also_seen, 1);
        let s = flow.sightings_of(i);
        assert_eq!(s.len(), 1);
        let names = [
            model.origin_name(a.message.origin()),
            model.origin_name(s[0].origin),
        ];
        assert_eq!(names, ["101@127.0.0.1", "102@127.0.0.1"]);
        assert!(!a.message.retransmission(), "a copy is no retransmission");
    }
    // The hops are still found among the first agent's copies.
    assert_eq!(
        flow.arrows.iter().filter(|a| a.hop_from.is_some()).count(),
        12
    );
}
