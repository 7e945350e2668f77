//! The views, drawn from real captures through the real pipeline into
//! ratatui's `TestBackend`, and compared with reviewed snapshots.
#![allow(clippy::unwrap_used)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sipscope::config::Config;
use sipscope::keymap::Action;
use sipscope::model::Model;
use sipscope::ui::app::AppState;
use sipscope::ui::views;

fn model(name: &str) -> Model {
    sipscope::replay(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn app(model: &Model) -> AppState {
    let mut a = AppState::new(Config::default(), "file: test.pcap".into(), false);
    a.refresh(model);
    a
}

fn draw(app: &AppState, model: &Model, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::render(f, app, model)).unwrap();
    t
}

/// No cell may hold a control character: nothing from the wire reaches the
/// terminal as an escape sequence.
fn assert_no_control_chars(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "a control character reached the screen: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn call_list_of_the_sample_capture() {
    let m = model("../../assets/sample.pcap");
    let a = app(&m);
    let t = draw(&a, &m, 150, 18);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn call_list_filters_and_sorts() {
    let m = model("../../assets/sample.pcap");
    let mut a = app(&m);
    a.set_filter("486");
    a.refresh(&m);
    assert_eq!(a.rows().len(), 3);
    a.set_filter("");
    a.apply(Action::OnlyCalls, &m);
    a.refresh(&m);
    assert_eq!(a.rows().len(), 8, "registrations hidden");
    // Sort by the third column (Method), descending.
    a.apply(Action::SortNext, &m);
    a.apply(Action::SortNext, &m);
    a.apply(Action::SortReverse, &m);
    a.refresh(&m);
    let t = draw(&a, &m, 150, 14);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ladder_marks_retransmissions() {
    let m = model("synthetic_retrans_xcid.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Down, &m); // the retransmitted INVITE
    let t = draw(&a, &m, 150, 14);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ladder_of_legs_tied_by_x_call_id() {
    let m = model("synthetic_retrans_xcid.pcap");
    let mut a = app(&m);
    // The B-leg names the A-leg in X-Call-ID: the extended flow shows both.
    a.apply(Action::Bottom, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Extended, &m);
    a.apply(Action::Raw, &m); // hide the pane: four columns need the width
    let t = draw(&a, &m, 140, 20);
    insta::assert_snapshot!(t.backend());
    assert_eq!(a.ladder_messages(&m).len(), 15);
}

#[test]
fn hostile_headers_are_shown_escaped() {
    let m = model("synthetic_escapes.pcap");
    let mut a = app(&m);
    a.columns.push(sipscope::config::Column::UserAgent);
    let t = draw(&a, &m, 200, 8);
    assert_no_control_chars(&t);
    insta::assert_snapshot!("hostile_call_list", t.backend());
    a.apply(Action::Open, &m);
    let t = draw(&a, &m, 160, 16);
    assert_no_control_chars(&t);
    insta::assert_snapshot!("hostile_ladder_and_message", t.backend());
    a.apply(Action::Open, &m);
    let t = draw(&a, &m, 120, 16);
    assert_no_control_chars(&t);
    insta::assert_snapshot!("hostile_full_message", t.backend());
}

#[test]
fn a_20x6_terminal_shows_what_fits() {
    let m = model("../../assets/sample.pcap");
    let a = app(&m);
    let t = draw(&a, &m, 20, 6);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn tiny_and_odd_sizes_never_panic_on_any_screen() {
    let m = model("synthetic_retrans_xcid.pcap");
    let screens: Vec<Vec<Action>> = vec![
        vec![],
        vec![Action::Open],
        vec![Action::Open, Action::Extended],
        vec![Action::Open, Action::Open],
        vec![Action::Help],
        vec![Action::FilterForm],
        vec![Action::Columns],
    ];
    for keys in screens {
        let mut a = app(&m);
        for k in keys {
            a.apply(k, &m);
        }
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (5, 3),
            (20, 6),
            (40, 4),
            (300, 2),
            (13, 40),
        ] {
            let _ = draw(&a, &m, w, h);
        }
    }
}

#[test]
fn help_lists_every_action_with_its_keys() {
    let m = model("synthetic_escapes.pcap");
    let mut a = app(&m);
    a.apply(Action::Help, &m);
    let t = draw(&a, &m, 110, 36);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn empty_model_says_so() {
    let m = Model::default();
    let a = app(&m);
    let t = draw(&a, &m, 60, 8);
    let text = format!("{}", t.backend());
    assert!(text.contains("no SIP dialogs yet"), "{text}");
}

#[test]
fn streams_view_shows_quality_figures_and_the_packet_rate() {
    let m = model("gen__hold_resume_refer_rtp.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Streams, &m);
    assert_eq!(a.ladder_streams(&m).len(), 4);
    let t = draw(&a, &m, 150, 24);
    let text = format!("{}", t.backend());
    // tshark: 217 packets, 0 lost, mean jitter 0.369 ms (tests/rtp.rs holds the comparison).
    assert!(text.contains("217") && text.contains("PCMA"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ladder_shows_media_lanes_beside_the_arrows() {
    let m = model("gen__hold_resume_refer_rtp.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Raw, &m); // the lanes are easier to see without the pane
    let t = draw(&a, &m, 120, 24);
    let text = format!("{}", t.backend());
    // Four streams: PCMA both ways and RFC 4733 events both ways.
    assert!(text.contains('┃'), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn sdp_diff_shows_the_hold_in_words_and_side_by_side() {
    let m = model("gen__hold_resume_refer_rtp.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    // The re-INVITE that puts the call on hold (a=sendonly) is the fifth arrow.
    for _ in 0..4 {
        a.apply(Action::Down, &m);
    }
    a.apply(Action::SdpDiff, &m);
    let t = draw(&a, &m, 140, 22);
    let text = format!("{}", t.backend());
    assert!(text.contains("audio: hold (sendonly)"), "{text}");
    assert!(
        text.contains("a=sendonly") && text.contains("a=sendrecv"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn two_marked_arrows_compare_side_by_side() {
    let m = model("gen__busy_486_3calls.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Select, &m); // INVITE
    a.apply(Action::Down, &m);
    a.apply(Action::Down, &m);
    a.apply(Action::Select, &m); // 180 Ringing: the diff opens
    let t = draw(&a, &m, 140, 16);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("Message diff") && text.contains("SIP/2.0 180 Ringing"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
    a.apply(Action::Back, &m);
    assert!(a.ladder.as_ref().unwrap().marked.is_empty());
}

#[test]
fn no_common_codec_and_a_488_are_explained() {
    let m = model("synthetic_no_common_codec.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Down, &m);
    a.apply(Action::Down, &m); // the 200 OK answering with G729 only
    a.apply(Action::SdpDiff, &m);
    let t = draw(&a, &m, 130, 16);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("audio: no common codec: offer PCMU, PCMA; answer G729"),
        "{text}"
    );
    insta::assert_snapshot!("no_common_codec", t.backend());

    let mut a = app(&m);
    a.apply(Action::Bottom, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Down, &m); // the 488
    a.apply(Action::SdpDiff, &m);
    let t = draw(&a, &m, 130, 14);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("offer refused with 488: offered PCMU")
            && text.contains("Incompatible media format"),
        "{text}"
    );
    insta::assert_snapshot!("refused_488", t.backend());
}

/// Keys into the save dialog, as the loop hands them over.
fn save_keys(a: &mut AppState, m: &Model, keys: &[sipscope::ui::input::TextKey]) {
    for k in keys {
        a.save_key(*k, m);
    }
}

#[test]
fn save_dialog_writes_the_call_in_view_and_asks_before_replacing() {
    use sipscope::ui::input::TextKey;
    use sipscope::ui::screens::Screen;
    let m = model("gen__hold_resume_refer_rtp.pcap");
    let mut a = app(&m);
    a.apply(Action::Open, &m);
    a.apply(Action::Save, &m);
    assert_eq!(a.screen(), Screen::Save);
    let dir = std::env::temp_dir().join(format!("sipscope-ui-save-{:010}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("call.pcap");
    // The path field (the fourth): Ctrl-U clears the default name, then ours.
    save_keys(&mut a, &m, &[TextKey::Down, TextKey::Down, TextKey::Down]);
    save_keys(&mut a, &m, &[TextKey::ClearLine]);
    assert!(a.save.as_ref().unwrap().path.is_empty());
    for c in path.display().to_string().chars() {
        a.save_key(TextKey::Char(c), &m);
    }
    let t = draw(&a, &m, 110, 24);
    let screen = format!("{:?}", t.backend());
    assert!(screen.contains("the call in view (1)"), "{screen}");
    assert!(screen.contains("[x] with RTP and RTCP"), "{screen}");
    insta::assert_snapshot!(
        t.backend()
            .to_string()
            .replace(&dir.display().to_string(), "DIR")
    );
    save_keys(&mut a, &m, &[TextKey::Enter]);
    a.wait_save(&m);
    assert_eq!(a.screen(), Screen::Ladder, "the dialog closes on success");
    let status = a.status.clone().unwrap();
    assert!(
        status.starts_with("wrote 472 packets (18 SIP, 454 RTP) to "),
        "{status}"
    );
    assert_eq!(sipscope::replay(&path).unwrap().stats().rtp_packets, 454);
    // Again: the file exists, so the dialog asks; a second Enter replaces it.
    a.apply(Action::Save, &m);
    let form = a.save.as_mut().unwrap();
    form.named = true;
    form.path = path.display().to_string();
    form.focus = 2;
    save_keys(&mut a, &m, &[TextKey::Char(' '), TextKey::Enter]); // SIP only
    assert!(
        a.save
            .as_ref()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("exists"),
        "asks first"
    );
    save_keys(&mut a, &m, &[TextKey::Enter]);
    a.wait_save(&m);
    assert!(
        a.status
            .clone()
            .unwrap()
            .starts_with("wrote 18 packets (18 SIP, 0 RTP)")
    );
    // An error stays in the dialog, and nothing is written.
    a.apply(Action::Save, &m);
    let form = a.save.as_mut().unwrap();
    form.path = dir.join("no/such/dir/x.pcap").display().to_string();
    form.named = true;
    save_keys(&mut a, &m, &[TextKey::Enter]);
    a.wait_save(&m);
    assert_eq!(a.screen(), Screen::Save);
    let msg = a.save.as_ref().unwrap().message.clone().unwrap();
    assert!(msg.contains("No such file or directory"), "{msg}");
    // Text formats follow the extension.
    let form = a.save.as_mut().unwrap();
    form.path = dir.join("flow").display().to_string();
    form.focus = 3;
    save_keys(
        &mut a,
        &m,
        &"..flow.txt"
            .chars()
            .skip(1)
            .map(TextKey::Char)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        a.save.as_ref().unwrap().format,
        sipscope::export::Format::Flow
    );
    // Edited away and back, the format follows every edit.
    let typed = |t: &str| t.chars().map(TextKey::Char).collect::<Vec<_>>();
    save_keys(&mut a, &m, &[TextKey::Backspace; 9]);
    save_keys(&mut a, &m, &typed(".json"));
    assert_eq!(
        a.save.as_ref().unwrap().format,
        sipscope::export::Format::Json
    );
    save_keys(&mut a, &m, &[TextKey::Backspace; 5]);
    save_keys(&mut a, &m, &typed(".flow.txt"));
    save_keys(&mut a, &m, &[TextKey::Enter]);
    let flow = std::fs::read_to_string(dir.join("flow.flow.txt")).unwrap();
    assert!(flow.contains("INVITE (1) SDP"), "{flow}");
    assert_eq!(
        flow.lines().filter(|l| l.contains("--")).count(),
        18,
        "{flow}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The sample capture's list with `486` typed into `/` (the line still
/// open): the three busy calls (tshark: three 486).
fn typing_486(m: &Model) -> AppState {
    let mut a = app(m);
    a.apply(Action::Search, m);
    for c in "486".chars() {
        a.search_key(sipscope::ui::input::TextKey::Char(c));
    }
    a.refresh(m);
    assert_eq!(a.rows().len(), 3, "filtered while typing: the three 486s");
    a
}

#[test]
fn the_display_filter_follows_typing_and_esc_puts_the_old_one_back() {
    use sipscope::ui::input::TextKey;
    let m = model("../../assets/sample.pcap");
    let mut a = typing_486(&m);
    // An unfinished regex keeps the last good one.
    a.search_key(TextKey::Char('('));
    a.refresh(&m);
    assert_eq!(a.rows().len(), 3);
    a.search_key(TextKey::Cancel);
    a.refresh(&m);
    assert_eq!(a.rows().len(), 11, "Esc: the filter from before");
    // Esc in the list clears a selection before it quits.
    a.apply(Action::Select, &m);
    assert_eq!(a.selected.len(), 1);
    a.apply(Action::Back, &m);
    assert!(a.selected.is_empty() && !a.quit);
    a.apply(Action::Back, &m);
    assert!(a.quit);
}

/// A sort moves the rows under the cursor while a filter is typed; Enter
/// then keeps the cursor on the call it is on, not the top row (the call
/// it stood on before the filter does not pass).
#[test]
fn enter_on_a_filter_keeps_the_call_a_sort_put_under_the_cursor() {
    use sipscope::ui::input::TextKey;
    let m = model("../../assets/sample.pcap");
    let mut a = typing_486(&m);
    // Reverse: the call under the cursor goes to the bottom row.
    a.apply(Action::SortReverse, &m);
    a.refresh(&m);
    let on = a.call_list.current().unwrap();
    assert_ne!(a.rows().first().copied(), Some(on), "not the top row");
    a.search_key(TextKey::Enter);
    a.refresh(&m);
    assert_eq!(
        a.call_list.current(),
        Some(on),
        "Enter kept the cursor's call"
    );
}

#[test]
fn the_path_field_edits_at_its_cursor() {
    use sipscope::ui::input::TextKey as K;
    let m = model("gen__busy_486_3calls.pcap");
    let mut a = app(&m);
    a.apply(Action::Save, &m);
    save_keys(&mut a, &m, &[K::Up, K::ClearLine]); // Up from the first field: the last
    let typed = |t: &str| t.chars().map(K::Char).collect::<Vec<_>>();
    save_keys(&mut a, &m, &typed("dir/abc.pcap"));
    save_keys(&mut a, &m, &[K::Left; 5]);
    save_keys(&mut a, &m, &typed("X"));
    assert_eq!(a.save.as_ref().unwrap().path, "dir/abcX.pcap");
    save_keys(
        &mut a,
        &m,
        &[K::Home, K::Char('/'), K::End, K::Backspace, K::Backspace],
    );
    assert_eq!(a.save.as_ref().unwrap().path, "/dir/abcX.pc");
    save_keys(&mut a, &m, &[K::DeleteWord]);
    assert_eq!(a.save.as_ref().unwrap().path, "/dir/");
    let t = draw(&a, &m, 100, 20);
    assert!(format!("{:?}", t.backend()).contains("/dir/"));
}

#[test]
fn a_click_selects_the_row_the_view_drew_there() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let click = |row: u16| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let m = model("../../assets/sample.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    let _ = draw(&a, &m, 150, 18);
    // Four lines above the rows: the third row is on line 6.
    sipscope::ui::handle(&click(6), &mut a, &m);
    assert_eq!(a.call_list.cursor, 2);
    sipscope::ui::handle(&click(1), &mut a, &m);
    assert_eq!(a.call_list.cursor, 2, "the counts line is no row");
    // The ladder: two lines above the arrows.
    a.apply(Action::Open, &m);
    let _ = draw(&a, &m, 150, 18);
    sipscope::ui::handle(&click(4), &mut a, &m);
    assert_eq!(a.ladder.as_ref().unwrap().cursor, 2);
}

/// Calls that HEP agents captured: the list says where each was seen (the
/// column joins the defaults), and the counts line says how much HEP came in.
#[test]
fn calls_from_hep_agents_say_where_they_were_seen() {
    let m = model("hep/sngrep_hep__gen__basic_udp_5calls.pcap");
    let a = app(&m);
    let t = draw(&a, &m, 190, 12);
    insta::assert_snapshot!(t.backend());
}

/// The 32-second drop: the list names `ack-missing`, `/ack-missing` finds
/// it, and the ladder says why under its title and marks the 200 OKs it
/// rests on.
#[test]
fn a_call_without_ack_says_so_in_the_list_and_the_ladder() {
    let m = model("diagnosis/ack_missing.pcap");
    let mut a = app(&m);
    let t = draw(&a, &m, 150, 8);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("Findings") && text.contains("ack-missing"),
        "{text}"
    );
    a.set_filter("ack-miss");
    a.refresh(&m);
    assert_eq!(a.rows().len(), 1, "the filter matches rule ids");
    a.set_filter("pdd-high");
    a.refresh(&m);
    assert_eq!(a.rows().len(), 0);
    a.set_filter("");
    a.refresh(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Raw, &m);
    let t = draw(&a, &m, 140, 22);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("E ack-missing: 200 OK sent 11 times over 31.5 s, never acknowledged"),
        "{text}"
    );
    // Every 200 OK send in view carries the mark; each resend its place.
    assert!(text.matches('◆').count() >= 10, "{text}");
    assert!(text.contains("4th send +3.5 s Timer G"), "{text}");
    insta::assert_snapshot!(t.backend());
}

/// The findings view (F9 / `!`): rules worst first with their counts, what
/// the selected finding means and what to try; Enter opens that call's
/// ladder; from the ladder, only the ladder's findings.
#[test]
fn findings_view_groups_rules_and_opens_the_call() {
    let m = model("diagnosis/no_media.pcap");
    let mut a = app(&m);
    a.apply(Action::Findings, &m);
    assert_eq!(a.screen(), sipscope::ui::screens::Screen::Findings);
    a.apply(Action::Down, &m);
    let t = draw(&a, &m, 110, 16);
    let text = format!("{}", t.backend());
    assert!(text.contains("E no-media (1)"), "{text}");
    assert!(
        text.contains("Try: Check where media should flow"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
    a.apply(Action::Open, &m);
    assert_eq!(a.screen(), sipscope::ui::screens::Screen::Ladder);
    assert_eq!(
        a.ladder.as_ref().unwrap().dialogs,
        [m.find("nomedia-2").unwrap().id]
    );
    a.apply(Action::Findings, &m);
    assert_eq!(a.findings.scope.as_ref().map(Vec::len), Some(1));
    a.apply(Action::Open, &m);
    assert_eq!(
        a.screen(),
        sipscope::ui::screens::Screen::Ladder,
        "back to it"
    );
}

/// A dialog with two findings is one dialog in the findings view's count:
/// `gen__busy_486_3calls` has three busy calls (tshark: three 486), each with
/// `final-failure-cause` and `destination-4xx-6xx`.
#[test]
fn the_findings_view_counts_each_dialog_once() {
    let m = model("gen__busy_486_3calls.pcap");
    let mut a = app(&m);
    a.apply(Action::Findings, &m);
    let text = format!("{}", draw(&a, &m, 110, 16).backend());
    assert!(text.contains("2 rules, 6 findings in 3 dialogs"), "{text}");
}

/// A proxy's capture: the forwarded INVITE says how long the proxy took,
/// and the pane what it rewrote; two agents' copies of a packet are one
/// arrow seen twice.
#[test]
fn the_ladder_shows_hops_and_vantage_points() {
    let m = model("kamailio__proxy_2calls.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Down, &m);
    a.apply(Action::Down, &m);
    let t = draw(&a, &m, 160, 24);
    insta::assert_snapshot!(t.backend());
    let m = model("hep/two_agents__kamailio__proxy_2calls.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    let t = draw(&a, &m, 160, 16);
    insta::assert_snapshot!("two_agents", t.backend());
}

#[test]
fn a_file_opens_at_its_first_dialog_and_live_follows_the_tail() {
    let m = model("../../assets/sample.pcap");
    let a = app(&m);
    assert_eq!(
        a.call_list.cursor, 0,
        "a file opens at the top, as in sngrep"
    );
    assert!(!a.call_list.autoscroll);
    let t = draw(&a, &m, 150, 18);
    assert!(!format!("{}", t.backend()).contains("[autoscroll]"));

    let mut live = AppState::new(Config::default(), "live: lo".into(), true);
    live.refresh(&m);
    assert!(live.call_list.autoscroll, "live follows new dialogs");
    assert_eq!(live.call_list.cursor, 10);

    // The config's word wins either way.
    let config = Config {
        autoscroll: Some(true),
        ..Config::default()
    };
    let mut following = AppState::new(config, "file: test.pcap".into(), false);
    following.refresh(&m);
    assert_eq!(following.call_list.cursor, 10);
}

#[test]
fn help_scrolls_at_80x24_and_only_back_closes_it() {
    let m = model("../../assets/sample.pcap");
    let mut a = app(&m);
    a.apply(Action::Help, &m);
    let text = format!("{}", draw(&a, &m, 80, 24).backend());
    assert!(text.contains("more below"), "{text}");
    assert!(!text.contains("Mouse: click"), "the end is below: {text}");
    // Keys that mean nothing here leave the help open.
    for key in [Action::Pause, Action::Save, Action::Open, Action::SortNext] {
        a.apply(key, &m);
        assert_eq!(
            a.screen(),
            sipscope::ui::screens::nav::Screen::Help,
            "{key:?}"
        );
    }
    a.apply(Action::PageDown, &m);
    a.apply(Action::PageDown, &m);
    a.apply(Action::PageDown, &m);
    let t = draw(&a, &m, 80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("Mouse: click"), "scrolled to the end: {text}");
    assert!(text.contains("of 40"), "{text}");
    insta::assert_snapshot!(t.backend());
    // Scrolling on past the end is not kept: one Up moves at once.
    a.apply(Action::PageDown, &m);
    a.apply(Action::Up, &m);
    let text = format!("{}", draw(&a, &m, 80, 24).backend());
    assert!(!text.contains("Mouse: click"), "{text}");
    a.apply(Action::Back, &m);
    assert_eq!(a.screen(), sipscope::ui::screens::nav::Screen::CallList);
    // Opened again, it starts at the top.
    a.apply(Action::Help, &m);
    assert_eq!(a.help.scroll, 0);
}

#[test]
fn streams_view_fits_80x24_and_scrolls_its_columns_sideways() {
    let m = model("gen__hold_resume_refer_rtp.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Streams, &m);
    let t = draw(&a, &m, 80, 24);
    let text = format!("{}", t.backend());
    // Packets, loss, jitter and MOS are on screen (tshark: 217 packets, 0 lost).
    for word in ["Pkts", "Lost%", "Jitter", "MOS", "217", "0.0%", "4.40"] {
        assert!(text.contains(word), "{word}: {text}");
    }
    assert!(text.contains("→"), "columns out of sight are said: {text}");
    insta::assert_snapshot!(t.backend());
    // Sideways: SSRC and the rest come into view; the addresses stay.
    for _ in 0..4 {
        a.apply(Action::ScrollRight, &m);
    }
    let text = format!("{}", draw(&a, &m, 80, 24).backend());
    assert!(
        text.contains("0xDEE0EE8F") && text.contains("DTMF"),
        "{text}"
    );
    assert!(text.contains("6000 → "), "{text}");
    for _ in 0..20 {
        a.apply(Action::ScrollRight, &m);
    }
    let _ = draw(&a, &m, 80, 24);
    a.apply(Action::ScrollLeft, &m);
    for (w, h) in [(0, 0), (1, 1), (20, 6), (40, 10)] {
        let _ = draw(&a, &m, w, h);
    }
}

#[test]
fn rtp_no_dialog_explains_is_counted_in_the_list_and_listed_with_u() {
    // RTP alone, no SIP: tshark's heuristic finds one stream, 236 packets, SSRC 0xDEE0EE8F.
    let m = model("sipp__g711a.pcap");
    let mut a = app(&m);
    let text = format!("{}", draw(&a, &m, 100, 12).backend());
    assert!(text.contains("RTP without a dialog 1 (u)"), "{text}");
    a.apply(Action::Unassociated, &m);
    assert_eq!(a.screen(), sipscope::ui::screens::nav::Screen::Streams);
    assert_eq!(a.shown_streams(&m).len(), 1);
    let t = draw(&a, &m, 100, 12);
    let text = format!("{}", t.backend());
    assert!(text.contains("not tied to a dialog  1 stream"), "{text}");
    assert!(
        text.contains("10.1.3.143:5000 → 10.1.6.18:2006") && text.contains("236"),
        "{text}"
    );
    // In the streams view, u goes back to the ladder's streams (none here).
    a.apply(Action::Unassociated, &m);
    assert!(a.shown_streams(&m).is_empty());
    a.apply(Action::Back, &m);
    assert_eq!(a.screen(), sipscope::ui::screens::nav::Screen::CallList);
}

/// Timer B as a marker row: seven sends of the INVITE on the RFC 3261
/// schedule, each placed in it, then the row where the caller gave up.
#[test]
fn ladder_marks_where_timer_b_fired() {
    let m = model("diagnosis/invite_timeout.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Raw, &m);
    let t = draw(&a, &m, 110, 14);
    let text = format!("{}", t.backend());
    assert!(text.contains("7th send +31.5 s Timer A"), "{text}");
    assert!(
        text.contains("⏱ Timer B: no answer to INVITE after 32.0 s"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
}

/// A timer's marker sits at its place in time among the arrows, not under
/// the last one: the session timer's refresh fell due between the ACK and
/// the BYE, and 64×T1 ran out as the callee sent its BYE (marker first, the
/// BYE it explains under it). A click on a marker's line selects nothing.
#[test]
fn ladder_puts_timer_markers_in_time_order() {
    let lines_of = |t: &Terminal<TestBackend>| -> Vec<String> {
        let b = t.backend().buffer();
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect()
    };
    let at = |lines: &[String], what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} not drawn: {lines:#?}"))
    };

    let m = model("diagnosis/session_timer_expiry.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Raw, &m);
    let lines = lines_of(&draw(&a, &m, 110, 16));
    let marker = at(
        &lines,
        "⏱ Session-Expires 90 s: refresh due by +45.0 s, none came",
    );
    assert!(at(&lines, "02:13:21.010") < marker, "{lines:#?}");
    assert!(marker < at(&lines, "02:14:51.510"), "{lines:#?}");
    // The marker's line is no arrow; the line under it is the BYE.
    let y = u16::try_from(marker).unwrap();
    let len = a.ladder_messages(&m).len();
    let ladder = a.ladder.as_ref().unwrap();
    assert_eq!(ladder.row_at(y, len), None);
    assert_eq!(ladder.row_at(y + 1, len), Some(5));
    assert_eq!(ladder.row_at(y - 1, len), Some(4));

    let m = model("diagnosis/ack_missing.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Open, &m);
    a.apply(Action::Raw, &m);
    a.apply(Action::Bottom, &m);
    let lines = lines_of(&draw(&a, &m, 110, 12));
    let marker = at(&lines, "⏱ no ACK for 200: gave up after 64×T1 = 32.0 s");
    assert!(at(&lines, "02:13:52.500") < marker, "{lines:#?}");
    assert_eq!(at(&lines, "02:13:53.000◆"), marker + 1, "{lines:#?}");
    assert_eq!(at(&lines, "02:13:53.010"), marker + 2, "{lines:#?}");
}

/// Issue 13, item 5: dialogs picked up in the middle say so (state and the
/// CSeq's method), a cancelled call keeps the code of its final response.
#[test]
fn call_list_says_how_each_dialog_was_captured() {
    let m = model("states/mid_dialog.pcap");
    let a = app(&m);
    let t = draw(&a, &m, 150, 9);
    let text = format!("{}", t.backend());
    assert!(text.contains("BYE"), "{text}");
    assert!(text.contains("response only"), "{text}");
    assert!(text.contains("mid-dialog"), "{text}");
    insta::assert_snapshot!(t.backend());
}

/// Issue 13, item 1: an arrow reads the reason phrase the carrier sent.
#[test]
fn ladder_shows_reason_phrases_as_sent() {
    let m = model("states/reason_phrases.pcap");
    let mut a = app(&m);
    a.apply(Action::Top, &m);
    a.apply(Action::Down, &m);
    a.apply(Action::Open, &m);
    let t = draw(&a, &m, 120, 12);
    let text = format!("{}", t.backend());
    assert!(text.contains("183 In band info available"), "{text}");
    assert!(text.contains("480 Error (1 INVITE)"), "{text}");
    insta::assert_snapshot!(t.backend());
}
