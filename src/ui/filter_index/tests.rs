//! The index against the rule: on a generated model, every filter form
//! (plain text, text with capitals or not ASCII, a regex, inline flags, rule
//! ids of findings, the form, calls only, either order) gives the call list
//! exactly the dialogs [`RowFilter::matches`] passes, key after key, and
//! again once the model moved.

use crate::config::{Column, Config};
use crate::keymap::Action;
use crate::model::{Limits, Model};
use crate::sip::SipMessage;
use crate::ui::app::AppState;
use crate::ui::filter::{CompiledForm, FormField};
use crate::ui::input::TextKey;
use crate::ui::screens::Screen;

const A: &str = "198.18.0.1:5060";
const B: &str = "192.0.2.10:5060";

fn ingest(model: &mut Model, text: &str, ts_ns: i64, to_b: bool) {
    let mut m = SipMessage::parse_one(text.as_bytes()).unwrap();
    m.ts_ns = ts_ns;
    let (s, d) = if to_b { (A, B) } else { (B, A) };
    m.src = s.parse().unwrap();
    m.dst = d.parse().unwrap();
    model.ingest(&mut m);
}

fn sip(start: &str, call_id: &str, cseq: &str, from: &str) -> String {
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK{}\r\n\
         From: {from} <sip:alice@192.0.2.10>;tag=a\r\nTo: <sip:bob@192.0.2.10>\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n",
        cseq.replace(' ', "")
    )
}

/// Dialog `i` of a generated model: calls answered, busy, ringing forever,
/// registrations challenged, OPTIONS; names in capitals, with the Kelvin
/// sign, the long s and other letters outside ASCII.
fn dialog(model: &mut Model, i: i64, ts: i64) {
    let id = format!("Call-{i}@Gen");
    let from = [
        "\"Alice\"",
        "\"BOB Smith\"",
        "\"X\u{212A}Z\"",
        "\"Stra\u{df}e \u{17f}am\"",
        "\"\u{c9}lise\"",
        "\"carol\"",
    ][usize::try_from(i).unwrap() % 6];
    let invite = "INVITE sip:bob@192.0.2.10 SIP/2.0";
    match i % 7 {
        0..=2 => {
            ingest(model, &sip(invite, &id, "1 INVITE", from), ts, true);
            ingest(
                model,
                &sip("SIP/2.0 180 Ringing", &id, "1 INVITE", from),
                ts + 1,
                false,
            );
            ingest(
                model,
                &sip("SIP/2.0 200 OK", &id, "1 INVITE", from),
                ts + 2,
                false,
            );
            if i % 7 != 2 {
                // The third has no ACK (a finding).
                let ack = "ACK sip:bob@192.0.2.10 SIP/2.0";
                ingest(model, &sip(ack, &id, "1 ACK", from), ts + 3, true);
            }
        }
        3 => {
            ingest(model, &sip(invite, &id, "1 INVITE", from), ts, true);
            ingest(
                model,
                &sip("SIP/2.0 486 Busy Here", &id, "1 INVITE", from),
                ts + 1,
                false,
            );
        }
        4 => {
            ingest(model, &sip(invite, &id, "1 INVITE", from), ts, true);
            ingest(
                model,
                &sip("SIP/2.0 180 Ringing", &id, "1 INVITE", from),
                ts + 1,
                false,
            );
        }
        5 => {
            let reg = "REGISTER sip:192.0.2.10 SIP/2.0";
            ingest(model, &sip(reg, &id, "1 REGISTER", from), ts, true);
            let unauth = "SIP/2.0 401 Unauthorized";
            ingest(model, &sip(unauth, &id, "1 REGISTER", from), ts + 1, false);
        }
        _ => {
            let opt = "OPTIONS sip:bob@192.0.2.10 SIP/2.0";
            ingest(model, &sip(opt, &id, "1 OPTIONS", from), ts, true);
            ingest(
                model,
                &sip("SIP/2.0 200 OK", &id, "1 OPTIONS", from),
                ts + 1,
                false,
            );
        }
    }
}

fn generated(n: i64, limits: Limits) -> Model {
    let mut model = Model::new(limits);
    for i in 0..n {
        dialog(&mut model, i, 1_700_000_000_000_000_000 + i * 10_000_000);
    }
    model
}

fn unlimited() -> Limits {
    Limits {
        max_calls: usize::MAX,
        max_mem_bytes: usize::MAX,
        ..Limits::default()
    }
}

/// The rows as the rule gives them: every dialog [`RowFilter::matches`]
/// passes, in id order (reversed when descending).
fn reference(app: &AppState, model: &Model) -> Vec<crate::model::DialogId> {
    let clock = app.clock(model);
    let mut ids: Vec<_> = model
        .dialogs()
        .filter(|d| !app.call_list.only_calls || d.kind == crate::model::DialogKind::Call)
        .filter(|d| app.filter.matches(model, d, clock))
        .map(|d| d.id)
        .collect();
    if !app.call_list.ascending {
        ids.reverse();
    }
    ids
}

fn check(app: &mut AppState, model: &Model, what: &str) -> usize {
    app.refresh(model);
    let want = reference(app, model);
    let n = want.len();
    if app.call_list.sort == Column::Index {
        assert_eq!(app.rows(), want.as_slice(), "{what}");
    } else {
        let mut got = app.rows().to_vec();
        got.sort_unstable();
        let mut want = want;
        want.sort_unstable();
        assert_eq!(got, want, "{what} (as sets)");
    }
    n
}

fn app() -> AppState {
    AppState::new(Config::default(), "test".into(), false)
}

/// Types `text` into `/` key by key, checking the rows after each.
fn typed(app: &mut AppState, model: &Model, text: &str) {
    for c in text.chars() {
        app.search_key(TextKey::Char(c));
        check(app, model, &format!("typing {:?}", app.filter.text()));
    }
}

const FILTERS: &[&str] = &[
    "call-1",
    "CALL-12@gen",
    "\"alice\"",
    "xkz",
    "straße",
    "sam",
    "élise",
    "ÉLISE",
    "busy",
    "486",
    "4xx",
    "destination-4",
    "in call",
    "auth",
    "call-1[0-3]@|smith",
    r"^invite .*carol",
    r"(?-i)BOB",
    r"\p{Lu}lise",
    r"[[:upper:]]mith",
    r"x\x{212A}z",
    "nothing-like-this",
];

/// Regexes run over whole chunks of texts, with the count of the 12,000
/// dialogs each passes where it is all or none.
const CHUNK_REGEXES: &[(&str, Option<usize>)] = &[
    // Anchors at each text's ends, word boundaries there, empty matches,
    // classes that match a newline (a match across two texts must not
    // count), `\A` and `\z`.
    (r"200$", None),
    (r"^register", None),
    (r"\bgen\b", Some(12_000)),
    (r"200\s+invite", Some(0)),
    (r"[^x]*", Some(12_000)),
    (r"a*", Some(12_000)),
    (r"486$|^opt", None),
    (r"[\n]", Some(0)),
    (r"x?$", Some(12_000)),
    (r"\Ainvite", None),
    (r"486\z", None),
    (r"ok\W*\w+ sip", Some(0)),
    (r"call-(1|2)[0-9]{3}@", None),
    // Capitals in classes, escapes and literals (read as lower case on
    // the index's texts), classes that exclude them, letters outside ASCII.
    (r"[A-C]all-1[0-3]@|SMITH$", None),
    (r"[^A-Z]lise|\x42OB smith", None),
    (r"x[K]z|É", None),
    (r"\w+ SMITH", None),
    (r"ca[^a-z]l", Some(0)),
    (r"C\S*-1?7@GEN", None),
];

#[test]
fn every_filter_form_gives_the_rows_of_the_rule() {
    let mut model = generated(12_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.refresh(&model);
    let mut seen = 0;
    for f in FILTERS {
        a.set_filter(f);
        let n = check(&mut a, &model, f);
        seen += usize::from(n > 0 && n < model.len());
    }
    assert!(seen >= FILTERS.len() - 2, "the filters tell dialogs apart");
    for (f, all_or_none) in CHUNK_REGEXES {
        a.set_filter(f);
        let n = check(&mut a, &model, f);
        match all_or_none {
            Some(want) => assert_eq!(n, *want, "{f}"),
            None => assert!(n > 0 && n < model.len(), "{f}: {n}"),
        }
    }
    // Not ASCII in the text: the Kelvin sign and the long s match k and s.
    a.set_filter("xkz");
    assert_eq!(check(&mut a, &model, "xkz"), 2000);
    a.set_filter("ſam");
    assert_eq!(check(&mut a, &model, "ſam"), 2000);
    // A rule id of findings that no text holds: the busy calls.
    a.set_filter("4xx");
    assert_eq!(
        check(&mut a, &model, "4xx"),
        (0..12_000).filter(|i| i % 7 == 3).count()
    );
}

/// The rows of an index still being made: those of the rule, among the
/// dialogs of the chunks made so far.
fn check_partial(app: &mut AppState, model: &Model, what: &str) -> usize {
    app.refresh(model);
    let mut want = reference(app, model);
    want.sort_unstable();
    let got = app.rows().to_vec();
    assert!(
        got.iter().all(|id| want.binary_search(id).is_ok()),
        "{what}: a row the rule does not pass"
    );
    let mut sorted = got.clone();
    sorted.sort_unstable();
    if app.call_list.ascending {
        assert_eq!(got, sorted, "{what}: in id order");
    }
    got.len()
}

#[test]
fn an_index_made_a_slice_at_a_time_shows_its_part_then_every_row() {
    // 10 chunks of 4,096 ids; a batch is a chunk per core.
    let mut model = generated(40_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.call_list.incremental = true;
    a.refresh(&model);
    a.apply(Action::Search, &model);
    // A deadline already passed: one batch per call.
    let past = Some(std::time::Instant::now());
    assert!(!a.prepare_filter(&model, past));
    let done = a.call_list.filter_progress().expect("being made");
    assert!(done > 0.0 && done < 1.0, "{done}");
    // Keys typed meanwhile: the rows of the part made.
    for c in "call-1".chars() {
        a.search_key(TextKey::Char(c));
        let n = check_partial(&mut a, &model, "typed while made");
        assert!(n < reference(&a, &model).len(), "only a part so far");
        if c == 'c' {
            a.prepare_filter(&model, past);
        }
    }
    // The counts line says the rows are those of a part.
    let area = ratatui::layout::Rect::new(0, 0, 160, 10);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::ui::views::draw(&mut buf, area, &a, &model);
    let line: String = (0..160).map(|x| buf[(x, 1)].symbol().to_owned()).collect();
    assert!(line.contains("so far, filter index"), "{line}");
    // A regex and a rule id while it is made.
    a.search_key(TextKey::ClearLine);
    typed_partial(&mut a, &model, "call-(1|2)4xx");
    let mut turns = 0;
    while !a.prepare_filter(&model, past) {
        turns += 1;
        assert!(turns < 20, "the index is made in a few turns");
    }
    assert!(a.call_list.filter_progress().is_none());
    check(&mut a, &model, "whole: every row");
    // Whole: keys extend, delete and start again as before.
    a.search_key(TextKey::ClearLine);
    typed(&mut a, &model, "call-12");
    a.search_key(TextKey::Backspace);
    check(&mut a, &model, "backspace");
    a.search_key(TextKey::Enter);
    check(&mut a, &model, "entered");
}

fn typed_partial(app: &mut AppState, model: &Model, text: &str) {
    for c in text.chars() {
        app.search_key(TextKey::Char(c));
        check_partial(app, model, &format!("typing {:?}", app.filter.text()));
    }
}

#[test]
fn new_traffic_while_the_index_is_made_is_in_it_once_whole() {
    let mut model = generated(30_000, unlimited());
    let mut a = app();
    a.call_list.incremental = true;
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    a.prepare_filter(&model, past);
    typed_partial(&mut a, &model, "ringing");
    // Calls answered, new dialogs, in the middle of the pass.
    more_traffic(
        &mut model,
        30_000,
        500,
        1_700_000_000_000_000_000 + 30_000 * 10_000_000,
    );
    // (Rows of chunks made before the model moved may be behind it, until
    // the index is whole.)
    a.refresh(&model);
    let mut turns = 0;
    while !a.prepare_filter(&model, past) {
        turns += 1;
        assert!(turns < 20, "the index is made in a few turns");
    }
    check(&mut a, &model, "whole after the model moved");
    model.end_capture();
    check(&mut a, &model, "capture ended");
}

#[test]
fn the_rules_of_findings_are_kept_across_filters_until_the_model_moves() {
    let mut model = generated(8_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.refresh(&model);
    let busy = (0..8_000).filter(|i| i % 7 == 3).count();
    a.set_filter("4xx");
    assert_eq!(check(&mut a, &model, "4xx"), busy);
    // The filter (and its index) let go, then another naming rules: the
    // masks were kept and still give the rule's rows.
    a.set_filter("");
    a.refresh(&model);
    assert_eq!(a.call_list.filter_index_bytes(), 0);
    a.set_filter("ack-missing|4xx");
    check(&mut a, &model, "kept masks");
    a.set_filter("destination-4");
    assert_eq!(check(&mut a, &model, "destination-4"), busy);
    // The model moves: the busy calls get an ACK, new dialogs come.
    let late = 1_700_000_000_000_000_000 + 8_000 * 10_000_000;
    for i in 8_000..8_700 {
        dialog(&mut model, i, late + i * 1_000_000);
    }
    a.set_filter("4xx|ack-missing");
    check(&mut a, &model, "after new traffic");
    // Worked out ahead, a slice a turn, while the filter is typed.
    a.call_list.incremental = true;
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    let mut turns = 0;
    while a.filter_busy() {
        a.prepare_filter(&model, past);
        turns += 1;
        assert!(turns < 100, "the masks are made in a few turns");
    }
    assert!(turns > 2, "a slice at a time");
    a.search_key(TextKey::ClearLine);
    typed(&mut a, &model, "4xx");
}

#[test]
fn typed_keys_extend_delete_and_start_again() {
    let mut model = generated(10_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.refresh(&model);
    a.apply(Action::Search, &model);
    a.prepare_filter(&model, None);
    assert!(a.call_list.filter_index_bytes() > 0, "made at '/'");
    typed(&mut a, &model, "call-12");
    for _ in 0..3 {
        a.search_key(TextKey::Backspace);
        check(&mut a, &model, "backspace");
    }
    typed(&mut a, &model, "9@gen 4");
    a.search_key(TextKey::ClearLine);
    check(&mut a, &model, "cleared");
    typed(&mut a, &model, "Bob smi");
    a.search_key(TextKey::ClearLine);
    typed(&mut a, &model, "(?-i)Al");
    a.search_key(TextKey::Enter);
    check(&mut a, &model, "entered");
    // Esc and Back take the filter away; its texts go with it.
    a.set_filter("");
    a.refresh(&model);
    assert_eq!(a.call_list.filter_index_bytes(), 0);
    assert_eq!(a.rows().len(), model.len());
}

#[test]
fn the_form_calls_only_and_the_order_apply_with_the_filter() {
    let mut model = generated(9_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.refresh(&model);
    let form = CompiledForm::compile(|f| match f {
        FormField::Methods => "INVITE",
        FormField::From => "alice|carol",
        _ => "",
    })
    .unwrap();
    a.filter.set_form(form);
    a.call_list.refilter();
    check(&mut a, &model, "form alone");
    a.apply(Action::Search, &model);
    typed(&mut a, &model, "call-2");
    a.search_key(TextKey::Enter);
    a.apply(Action::SortReverse, &model);
    typed_again(&mut a, &model, "destination-");
    a.apply(Action::OnlyCalls, &model);
    a.filter.set_form(CompiledForm::default());
    a.call_list.refilter();
    check(&mut a, &model, "calls only, descending");
    a.apply(Action::Search, &model);
    a.search_key(TextKey::ClearLine);
    check(&mut a, &model, "the line emptied, calls only");
    typed(&mut a, &model, "4");
    a.search_key(TextKey::Enter);
    // Another column: the same dialogs.
    a.apply(Action::SortNext, &model);
    a.apply(Action::SortNext, &model);
    assert_ne!(a.call_list.sort, Column::Index);
    a.apply(Action::Search, &model);
    typed(&mut a, &model, "86");
}

fn typed_again(a: &mut AppState, model: &Model, text: &str) {
    a.apply(Action::Search, model);
    a.search_key(TextKey::ClearLine);
    typed(a, model, text);
    a.search_key(TextKey::Enter);
}

#[test]
fn the_index_follows_the_model() {
    let mut model = generated(6_000, unlimited());
    let mut a = app();
    a.apply(Action::Search, &model);
    typed(&mut a, &model, "ringing");
    // Calls ringing time out or are answered; new dialogs come.
    let late = 1_700_000_000_000_000_000 + 6_000 * 1_000_000;
    more_traffic(&mut model, 6_000, 300, late);
    check(&mut a, &model, "after new traffic");
    model.end_capture();
    check(&mut a, &model, "capture ended");
    a.search_key(TextKey::Backspace);
    check(&mut a, &model, "backspace");
    // Cleared: nothing left to show.
    model.clear();
    a.cleared();
    check(&mut a, &model, "model cleared");
    for i in 0..100 {
        dialog(&mut model, i, late + i);
    }
    a.search_key(TextKey::Char('g'));
    check(&mut a, &model, "after the clear");
}

#[test]
fn dialogs_rotated_out_leave_the_index() {
    let limits = Limits {
        max_calls: 5_000,
        max_mem_bytes: usize::MAX,
        ..Limits::default()
    };
    let mut model = Model::new(limits);
    let mut a = app();
    a.apply(Action::Search, &model);
    for round in 0..4 {
        for i in round * 3_000..(round + 1) * 3_000 {
            dialog(&mut model, i, 1_700_000_000_000_000_000 + i * 1_000_000);
        }
        a.search_key(TextKey::ClearLine);
        typed(&mut a, &model, "call-1");
    }
    assert!(model.dialog(crate::model::DialogId(0)).is_none());
}

/// The text as it was written before `write_filter_text`: the same bytes.
#[test]
fn filter_texts_read_as_before() {
    let mut model = generated(700, unlimited());
    for ended in [false, true] {
        if ended {
            model.end_capture();
        }
        let clock = app().clock(&model);
        for d in model.dialogs() {
            let first = d.first_request();
            let before = format!(
                "{} {} {} {} {} {} {} {}",
                d.method_label(),
                d.from(),
                d.to(),
                first.map(|m| m.src().to_string()).unwrap_or_default(),
                first.map(|m| m.dst().to_string()).unwrap_or_default(),
                d.state_at(clock).name(),
                d.call_id(),
                d.messages
                    .iter()
                    .filter_map(crate::model::Message::status)
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            assert_eq!(d.filter_text(clock), before);
        }
    }
}

/// An index not yet begun is no index at 100 %: the count line said
/// "shown 0 so far, filter index 100 %" for its first frame.
#[test]
fn an_index_not_begun_is_at_zero_percent() {
    let index = crate::ui::filter_index::FilterIndex::default();
    assert!(index.partial());
    assert!(index.progress() < f64::EPSILON, "{}", index.progress());
}

/// Traffic after a generated model of `n` dialogs, from `late` on: a 200 OK
/// to `answered` of its calls (every seventh from the fifth), then 1,000
/// new dialogs.
fn more_traffic(model: &mut Model, n: i64, answered: usize, late: i64) {
    for i in (4..n).step_by(7).take(answered) {
        let id = format!("Call-{i}@Gen");
        let ok = sip("SIP/2.0 200 OK", &id, "1 INVITE", "\"Alice\"");
        ingest(model, &ok, late + i, false);
    }
    for i in n..n + 1_000 {
        dialog(model, i, late + 10_000 + i * 1_000_000);
    }
}

#[test]
fn a_filter_naming_rule_ids_shows_the_rules_run_so_far_then_every_row() {
    // A file read to its end, and one still being read.
    rules_run_in_slices(true);
    rules_run_in_slices(false);
}

fn rules_run_in_slices(ended: bool) {
    let mut model = generated(40_000, unlimited());
    if ended {
        model.end_capture();
    }
    let mut a = app();
    a.call_list.incremental = true;
    a.call_list.rules_in_slices = true;
    a.refresh(&model);
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    a.prepare_filter(&model, past);
    while a.call_list.filter_progress().is_some() {
        a.prepare_filter(&model, past);
    }
    // The index whole, the rules of a few dialogs worked out ahead: a
    // filter naming rule ids does not run the others' now.
    typed_partial(&mut a, &model, "4xx");
    let (what, done) = a.call_list.rows_progress().expect("rules pending");
    assert_eq!(what, crate::ui::screens::call_list::Pending::Findings);
    assert!(done < 0.5, "{done}");
    let so_far = a.rows().len();
    assert!(so_far < reference(&a, &model).len(), "only a part so far");
    let area = ratatui::layout::Rect::new(0, 0, 160, 10);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::ui::views::draw(&mut buf, area, &a, &model);
    let line: String = (0..160).map(|x| buf[(x, 1)].symbol().to_owned()).collect();
    assert!(line.contains("so far, findings"), "{line}");
    // Another key meanwhile, then Enter: the loop goes on with the rules
    // (a slice a turn) and makes the rows again once they are all run.
    a.search_key(TextKey::Char('|'));
    a.search_key(TextKey::Char('a'));
    a.search_key(TextKey::Char('c'));
    a.search_key(TextKey::Char('k'));
    check_partial(&mut a, &model, "4xx|ack");
    if !ended {
        // The file goes on: the rules run so far are made again.
        more_traffic(
            &mut model,
            40_000,
            300,
            1_700_000_000_000_000_000 + 40_000 * 10_000_000,
        );
        check_partial(&mut a, &model, "new traffic");
    }
    a.search_key(TextKey::Enter);
    let mut turns = 0;
    while a.filter_busy() {
        if a.prepare_filter(&model, past) {
            check_partial(&mut a, &model, "rules being run");
        }
        a.refresh(&model);
        turns += 1;
        assert!(turns < 200, "the rules are run in a few turns");
    }
    assert!(turns > 2, "a slice at a time");
    assert!(a.call_list.rows_progress().is_none());
    check(&mut a, &model, "every rule run");
    // Kept: a new filter naming rule ids is whole at once.
    a.apply(Action::Search, &model);
    a.search_key(TextKey::ClearLine);
    typed(&mut a, &model, "destination-4");
    assert!(a.call_list.rows_progress().is_none());
}

/// 30,000 dialogs read to the end, the cursor on one far down (its chunk
/// is made and searched last); `budget`: each key's search time.
fn cursor_far_down(
    budget: Option<std::time::Duration>,
) -> (Model, AppState, crate::model::DialogId) {
    let mut model = generated(30_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.call_list.incremental = true;
    a.call_list.search_budget = budget;
    a.refresh(&model);
    a.call_list.cursor = 29_990;
    let x = a.current().unwrap();
    (model, a, x)
}

#[test]
fn a_filter_keeps_the_cursor_on_its_dialog_while_it_passes() {
    let (model, mut a, x) = cursor_far_down(None);
    let text = model.dialog(x).unwrap().call_id().to_ascii_lowercase();
    assert_eq!(text, "call-29990@gen");
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    a.prepare_filter(&model, past);
    // Typed while the index is made: the dialog is not in the part yet.
    typed_partial(&mut a, &model, "call-2");
    assert!(a.call_list.filter_progress().is_some());
    while !a.prepare_filter(&model, past) {}
    a.refresh(&model);
    assert_eq!(a.current(), Some(x), "whole: back on its dialog");
    for c in "999".chars() {
        a.search_key(TextKey::Char(c));
        check(&mut a, &model, "typing");
        assert_eq!(a.current(), Some(x), "{} passes it", a.filter.text());
    }
    a.search_key(TextKey::Char('1'));
    check(&mut a, &model, "call-29991");
    assert_eq!(a.call_list.cursor, 0, "it no longer passes: the top");
    // Backspace (the typo undone): back on the dialog the filter left out.
    a.search_key(TextKey::Backspace);
    check(&mut a, &model, "call-2999");
    assert_eq!(a.current(), Some(x), "the place found again");
    // Moved by hand, the cursor stays where it was put.
    a.search_key(TextKey::Enter);
    a.apply(Action::Down, &model);
    let below = a.current().unwrap();
    a.apply(Action::Search, &model);
    a.search_key(TextKey::Backspace);
    check(&mut a, &model, "call-299");
    assert_eq!(a.current(), Some(below));
}

#[test]
fn enter_while_the_rows_are_a_part_opens_the_cursors_dialog_once_found() {
    // A chunk of the index per turn: the rows are a part for a while.
    let (model, mut a, x) = cursor_far_down(Some(std::time::Duration::ZERO));
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    while a.call_list.filter_progress().is_some() {
        a.prepare_filter(&model, past);
    }
    for c in "call-2".chars() {
        a.search_key(TextKey::Char(c));
    }
    a.refresh(&model);
    a.search_key(TextKey::Enter);
    a.refresh(&model);
    // A slice searched: some rows shown, the cursor's dialog not among them.
    while a.current().is_none() {
        a.prepare_filter(&model, past);
        a.refresh(&model);
    }
    assert!(
        a.call_list.cursor_unsettled(),
        "searching, its dialog not found yet"
    );
    assert_ne!(a.current(), Some(x));
    // Enter now would open the first row of the part: it waits instead.
    a.apply(Action::Open, &model);
    assert_eq!(a.screen(), Screen::CallList);
    let mut turns = 0;
    while a.call_list.rows_progress().is_some() {
        a.prepare_filter(&model, past);
        a.refresh(&model);
        turns += 1;
        assert!(turns < 200, "searched in a few turns");
    }
    assert_eq!(
        a.screen(),
        Screen::Ladder,
        "opened once the rows were whole"
    );
    assert_eq!(a.current(), Some(x), "on the dialog the cursor was on");
}

#[test]
fn a_search_made_a_part_at_a_time_shows_its_part_then_every_row() {
    let mut model = generated(20_000, unlimited());
    model.end_capture();
    let mut a = app();
    a.call_list.incremental = true;
    // A chunk of the index per turn: the key, then each slice of the loop.
    a.call_list.search_budget = Some(std::time::Duration::ZERO);
    a.refresh(&model);
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    a.prepare_filter(&model, past);
    while a.call_list.filter_progress().is_some() {
        a.prepare_filter(&model, past);
    }
    let whole = |a: &mut AppState, model: &Model| {
        let mut turns = 0;
        a.refresh(model);
        while a.call_list.rows_progress().is_some() {
            a.prepare_filter(model, past);
            if turns == 3 {
                check_partial(a, model, "searched on");
            } else {
                a.refresh(model);
            }
            turns += 1;
            assert!(turns < 100, "searched in a few turns");
        }
        turns
    };
    // Every form of filter: the parts, once whole, are the rule's rows.
    for f in FILTERS.iter().chain(CHUNK_REGEXES.iter().map(|(f, _)| f)) {
        a.set_filter(f);
        check_partial(&mut a, &model, f);
        let turns = whole(&mut a, &model);
        assert!(turns > 2, "{f}: a part at a time");
        check(&mut a, &model, f);
    }
    // Keys typed meanwhile, and the counts line.
    a.search_key(TextKey::ClearLine);
    typed_partial(&mut a, &model, "call-1[0-3]");
    let (what, _) = a.call_list.rows_progress().expect("searching");
    assert_eq!(what, crate::ui::screens::call_list::Pending::Search);
    let area = ratatui::layout::Rect::new(0, 0, 160, 10);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::ui::views::draw(&mut buf, area, &a, &model);
    let line: String = (0..160).map(|x| buf[(x, 1)].symbol().to_owned()).collect();
    assert!(line.contains("so far, searched"), "{line}");
    a.search_key(TextKey::Enter);
    whole(&mut a, &model);
    check(&mut a, &model, "entered");
    // Keys that extend plain text while the search is under way: the few
    // rows so far narrowed, the search on from where it was.
    a.apply(Action::Search, &model);
    a.search_key(TextKey::ClearLine);
    typed_partial(&mut a, &model, "call-12");
    a.prepare_filter(&model, past);
    typed_partial(&mut a, &model, "3");
    assert!(a.call_list.rows_progress().is_some());
    whole(&mut a, &model);
    check(&mut a, &model, "call-123, narrowed while searched");
    a.search_key(TextKey::Enter);
    // A key that extends a whole search narrows its rows: whole at once.
    a.apply(Action::Search, &model);
    a.search_key(TextKey::ClearLine);
    a.search_key(TextKey::Char('c'));
    whole(&mut a, &model);
    typed(&mut a, &model, "all-12");
    // The model moves while a search is under way: made again.
    a.search_key(TextKey::ClearLine);
    typed_partial(&mut a, &model, "ringing|busy");
    model.clear();
    a.cleared();
    for i in 0..9_000 {
        dialog(&mut model, i, 1_800_000_000_000_000_000 + i);
    }
    a.apply(Action::Search, &model);
    a.search_key(TextKey::ClearLine);
    typed_partial(&mut a, &model, "ringing|busy");
    whole(&mut a, &model);
    check(&mut a, &model, "after a clear");
}

/// A file still being read (or live): the model moves between refreshes.
/// A key searches for its budget, the rows are the rule's in the part
/// searched, and the chunks searched stay searched while they do not move
/// (a search begun again at each refresh would never end).
#[test]
fn while_the_model_moves_a_search_keeps_its_place() {
    let mut model = generated(20_000, unlimited());
    let mut a = app();
    a.call_list.incremental = true;
    a.call_list.search_budget = Some(std::time::Duration::ZERO);
    a.apply(Action::Search, &model);
    let past = Some(std::time::Instant::now());
    a.prepare_filter(&model, past);
    while a.call_list.filter_progress().is_some() {
        a.prepare_filter(&model, past);
    }
    typed_partial(&mut a, &model, "call-1[0-3]@|smith");
    for _ in 0..3 {
        a.prepare_filter(&model, past);
    }
    check_partial(&mut a, &model, "searched on");
    let (what, before) = a.call_list.rows_progress().expect("a part");
    assert_eq!(what, crate::ui::screens::call_list::Pending::Search);
    // Calls answered in the first chunk, new dialogs after the last.
    more_traffic(
        &mut model,
        20_000,
        50,
        1_700_000_000_000_000_000 + 20_000 * 10_000_000,
    );
    check_partial(&mut a, &model, "the model moved");
    let (_, after) = a.call_list.rows_progress().expect("a part");
    assert!(
        after >= 0.5 && before >= 0.5,
        "the chunks that did not move stay searched: {before} then {after}"
    );
    let mut turns = 0;
    while a.call_list.rows_progress().is_some() {
        a.prepare_filter(&model, past);
        check_partial(&mut a, &model, "searched on after the move");
        turns += 1;
        assert!(turns < 100, "searched in a few turns");
    }
    // Once the capture ends, the index is brought in step and the rows
    // are the rule's.
    model.end_capture();
    a.refresh(&model);
    while a.call_list.rows_progress().is_some() {
        a.prepare_filter(&model, past);
        a.refresh(&model);
        turns += 1;
        assert!(turns < 200, "searched in a few turns");
    }
    check(&mut a, &model, "capture ended");
}

/// Once the capture has ended, a large list sorted by a text column is
/// sorted a slice at a time (the rows in id order meanwhile), then takes
/// the order a whole sort gives; with a filter too, and reversed.
#[test]
fn a_large_sort_is_made_a_slice_at_a_time() {
    let mut model = generated(5_000, unlimited());
    model.end_capture();
    let mut whole = app();
    let mut a = app();
    a.call_list.incremental = true;
    a.call_list.search_budget = Some(std::time::Duration::ZERO);
    let past = Some(std::time::Instant::now());
    for (sort, reverse, filter) in [
        (Column::From, false, ""),
        (Column::CallId, true, ""),
        (Column::To, false, "call-1"),
    ] {
        for x in [&mut whole, &mut a] {
            x.set_filter(filter);
            x.call_list.sort = sort;
            x.call_list.ascending = !reverse;
            x.call_list.invalidate();
            x.refresh(&model);
        }
        let mut turns = 0;
        let mut sorting = 0;
        while let Some((what, _)) = a.call_list.rows_progress() {
            if what == crate::ui::screens::call_list::Pending::Sort {
                // The rows meanwhile: the same, in another order.
                let mut ids = a.rows().to_vec();
                ids.sort_unstable();
                let mut want = whole.rows().to_vec();
                want.sort_unstable();
                assert_eq!(ids, want, "{sort:?}: the rows meanwhile");
                sorting += 1;
            }
            if a.prepare_filter(&model, past) {
                a.refresh(&model);
            }
            turns += 1;
            assert!(turns < 10_000, "sorted in turns");
        }
        assert!(
            sorting > 3,
            "{sort:?}: a part at a time ({sorting} of {turns}, {} rows)",
            a.rows().len()
        );
        assert_eq!(a.rows(), whole.rows(), "{sort:?} {filter}");
    }
}

#[test]
fn a_text_that_is_not_a_regex_says_why_and_enter_keeps_it_open() {
    let model = generated(100, unlimited());
    let mut a = app();
    a.refresh(&model);
    a.apply(Action::Search, &model);
    for c in "call-1".chars() {
        a.search_key(TextKey::Char(c));
    }
    a.refresh(&model);
    let rows = a.rows().len();
    a.search_key(TextKey::Char('('));
    let why = a.search_input.as_ref().and_then(|i| i.error.clone());
    assert_eq!(why.as_deref(), Some("unclosed group"));
    // The filter before stays in force; Enter does not drop the text.
    assert_eq!(a.filter.text(), "call-1");
    a.search_key(TextKey::Enter);
    assert!(a.search_input.is_some(), "still open to be mended");
    let area = ratatui::layout::Rect::new(0, 0, 160, 10);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::ui::views::draw(&mut buf, area, &a, &model);
    let screen: String = (0..10)
        .flat_map(|y| (0..160).map(move |x| (x, y)))
        .map(|(x, y)| buf[(x, y)].symbol().to_owned())
        .collect();
    assert!(screen.contains("not a regex: unclosed group"), "{screen}");
    a.search_key(TextKey::Char(')'));
    assert!(a.search_input.as_ref().unwrap().error.is_none());
    a.search_key(TextKey::Enter);
    assert!(a.search_input.is_none());
    assert_eq!(a.filter.text(), "call-1()");
    a.refresh(&model);
    assert_eq!(a.rows().len(), rows);
}
