//! The ladder's endpoint names: shortened to fit their column, keeping the
//! tail that tells them apart, never written over one another. The columns
//! are checked against the addresses tshark reads (the truth file), in order
//! of first appearance; snapshots show the whole screen at 80x24 and wider.
#![allow(clippy::unwrap_used)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sipscope::config::Config;
use sipscope::keymap::Action;
use sipscope::model::Model;
use sipscope::ui::app::AppState;
use sipscope::ui::views;

mod common;

fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}"))
}

/// The ladder of the capture's first call, drawn at `w`x`h`, with the
/// message pane (the default) or without.
fn ladder(model: &Model, w: u16, h: u16, pane: bool) -> Terminal<TestBackend> {
    let mut a = AppState::new(Config::default(), "file: test.pcap".into(), false);
    a.refresh(model);
    a.apply(Action::Top, model);
    a.apply(Action::Open, model);
    if !pane {
        a.apply(Action::Raw, model);
    }
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::render(f, &a, model)).unwrap();
    t
}

fn rows(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect()
}

/// The endpoints of the first call as tshark saw them: every source and
/// destination of its messages, in order of first appearance.
fn truth_endpoints(name: &str) -> Vec<String> {
    let truth = common::truth_of(&path(name));
    let mut out: Vec<String> = Vec::new();
    for m in truth["calls"][0]["messages"].as_array().unwrap() {
        for k in ["src", "dst"] {
            let a = m[k].as_str().unwrap().to_owned();
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// The names on the header row (the row above the first arrow), left to
/// right, in the ladder's `width` (the message pane is right of it), with
/// the lanes' numbers left out.
fn header_names(t: &Terminal<TestBackend>, width: usize) -> Vec<String> {
    let rows = rows(t);
    let first_arrow = rows
        .iter()
        .position(|r| r.get(2..3) == Some(":") && r.get(5..6) == Some(":"))
        .expect("an arrow row");
    rows[first_arrow - 1]
        .chars()
        .take(width)
        .collect::<String>()
        .split_whitespace()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit() || c == '!'))
        .map(str::to_owned)
        .collect()
}

/// The ladder's width beside the message pane (as the view splits it).
fn ladder_width(t: &Terminal<TestBackend>, pane: bool) -> usize {
    let w = t.backend().buffer().area.width;
    usize::from(if pane && w >= 60 { w * 3 / 5 } else { w })
}

/// Each name is its endpoint's address, whole or cut with `…` (its tail,
/// the port left out when every endpoint uses the same one), and no two
/// names are the same: none was written over another.
fn assert_names_fit(name: &str, t: &Terminal<TestBackend>, pane: bool) {
    let ends = truth_endpoints(name);
    let names = header_names(t, ladder_width(t, pane));
    assert_eq!(names.len(), ends.len(), "{name}: {names:?} for {ends:?}");
    let port = |a: &str| a.rsplit_once(':').unwrap().1.to_owned();
    let one_port = ends.iter().all(|a| port(a) == port(&ends[0]));
    for (shown, addr) in names.iter().zip(&ends) {
        let host = addr
            .rsplit_once(':')
            .unwrap()
            .0
            .trim_matches(['[', ']'])
            .to_owned();
        let ok = match shown.strip_prefix('…') {
            None => shown == addr || (one_port && *shown == host),
            Some(tail) => {
                tail.chars().count() >= 3
                    && (addr.ends_with(tail) || (one_port && host.ends_with(tail)))
            }
        };
        assert!(ok, "{name}: {shown:?} does not name {addr}");
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{name}: {names:?}");
}

#[test]
fn ipv6_endpoint_names_keep_their_tails_at_80x24() {
    let name = "synthetic_ipv6_proxy.pcap";
    let m = sipscope::replay(path(name)).unwrap();
    let t = ladder(&m, 80, 24, true);
    assert_names_fit(name, &t, true);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ipv6_endpoint_names_at_140_and_200_columns() {
    let name = "synthetic_ipv6_proxy.pcap";
    let m = sipscope::replay(path(name)).unwrap();
    let narrow = ladder(&m, 140, 16, true);
    assert_names_fit(name, &narrow, true);
    insta::assert_snapshot!("ipv6_140_with_pane", narrow.backend());
    let wide = ladder(&m, 200, 16, false);
    assert_names_fit(name, &wide, false);
    insta::assert_snapshot!("ipv6_200", wide.backend());
}

#[test]
fn ipv4_endpoint_names_never_collide_at_80x24() {
    for name in [
        "michalcab-isa__real_sip_call.pcap",
        "kamailio__proxy_2calls.pcap",
    ] {
        let m = sipscope::replay(path(name)).unwrap();
        for pane in [true, false] {
            let t = ladder(&m, 80, 24, pane);
            assert_names_fit(name, &t, pane);
            insta::assert_snapshot!(format!("{name}_80x24_pane_{pane}"), t.backend());
        }
    }
}

/// Narrower and narrower: whatever the width, no name overlaps another,
/// and nothing panics.
#[test]
fn endpoint_names_never_overlap_at_any_width() {
    let m = sipscope::replay(path("synthetic_ipv6_proxy.pcap")).unwrap();
    for w in (20..=120).step_by(7) {
        let t = ladder(&m, w, 12, false);
        let names = header_names(&t, ladder_width(&t, false));
        // Three endpoints: three names, or fewer only when a column has no
        // room at all (then it is blank, never overwritten).
        assert!(names.len() <= 3, "{w}: {names:?}");
        if w >= 40 {
            assert_eq!(names.len(), 3, "{w}: {names:?}");
        }
    }
}
