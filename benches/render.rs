//! Rendering cost: one frame of the call list with 1,000,000 dialogs in the
//! model (`RENDER_DIALOGS` to change), one frame of a 500-message ladder,
//! into a 200x60 buffer, and the display filter (`/`) typed one key at a
//! time (`RENDER_ROUNDS` times, default 3): keys that extend it, Backspace,
//! the first key of a new filter, a regex. Targets (issues 3 and 14): a
//! frame under 2 ms, a keystroke in the filter applied (the rows recomputed
//! and a frame drawn) within 50 ms.
//! `cargo bench --bench render`.
#![allow(clippy::unwrap_used, clippy::many_single_char_names)]

use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sipscope::config::Config;
use sipscope::keymap::Action;
use sipscope::model::{Limits, Model};
use sipscope::sip::SipMessage;
use sipscope::ui::app::AppState;
use sipscope::ui::input::TextKey;
use sipscope::ui::views;

fn message(text: &str, ts_ns: i64, from: &str, to: &str) -> SipMessage {
    let mut m = SipMessage::parse_one(text.as_bytes()).unwrap();
    m.ts_ns = ts_ns;
    m.src = from.parse().unwrap();
    m.dst = to.parse().unwrap();
    m
}

/// Call `i` of the bench: INVITE, 180, 200, ACK, 10 ms after call `i - 1`.
fn add_call(model: &mut Model, i: i64) {
    let (a, b) = ("198.18.0.1:5060", "192.0.2.10:5060");
    let id = format!("call-{i}@bench");
    let ts = 1_700_000_000_000_000_000 + i * 10_000_000;
    for (k, (start, cseq, dir)) in [
        ("INVITE sip:bob@192.0.2.10 SIP/2.0", "1 INVITE", true),
        ("SIP/2.0 180 Ringing", "1 INVITE", false),
        ("SIP/2.0 200 OK", "1 INVITE", false),
        ("ACK sip:bob@192.0.2.10 SIP/2.0", "1 ACK", true),
    ]
    .into_iter()
    .enumerate()
    {
        let (s, d) = if dir { (a, b) } else { (b, a) };
        let mut m = message(
            &sip(start, &id, cseq),
            ts + i64::try_from(k).unwrap() * 1_000_000,
            s,
            d,
        );
        model.ingest(&mut m);
    }
}

/// Keys typed into the display filter while dialogs keep arriving (a file
/// still being read; live alike): between two keys the loop takes in
/// `per_key` new calls (`next` on), makes a slice of the filter's work,
/// then the key is applied (the rows made, a frame drawn). Prints each
/// kind's median and worst, and the slices until the rows are whole once
/// the traffic stops.
fn keys_while_dialogs_arrive(model: &mut Model, next: &mut i64, per_key: i64) {
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    let mut app = AppState::new(Config::default(), "bench".into(), false);
    // As the UI loop sets it reading a file.
    app.call_list.incremental = true;
    app.call_list.rules_in_slices = true;
    app.call_list.search_budget = Some(sipscope::ui::KEY_SEARCH);
    app.refresh(model);
    app.apply(Action::Search, model);
    while app.call_list.filter_progress().is_some() {
        app.prepare_filter(model, Some(Instant::now() + sipscope::ui::FILTER_SLICE));
    }
    for text in ["call-12345@", "call-4242[0-9]@|smith"] {
        app.search_key(TextKey::ClearLine);
        app.refresh(model);
        let (mut keys, mut cpu) = (vec![], 0f64);
        for c in text.chars() {
            for _ in 0..per_key {
                add_call(model, *next);
                *next += 1;
            }
            app.prepare_filter(model, Some(Instant::now() + sipscope::ui::FILTER_SLICE));
            let c0 = cpu_s();
            let t = Instant::now();
            app.search_key(TextKey::Char(c));
            app.refresh(model);
            buf.reset();
            views::draw(&mut buf, area, &app, model);
            keys.push(t.elapsed().as_secs_f64() * 1e3);
            cpu += cpu_s() - c0;
        }
        let n = keys.len();
        keys.sort_by(f64::total_cmp);
        println!(
            "{:<52} {:>9.3} ms median, {:.3} ms worst, {:.1} CPU-ms mean  ({n} keys, {} rows)",
            format!("'{text}' typed while {per_key} calls come a key"),
            keys.get(n / 2).copied().unwrap_or_default(),
            keys.last().copied().unwrap_or_default(),
            cpu * 1e3 / n.max(1) as f64,
            app.rows().len()
        );
        let (t, mut slices, mut worst) = (Instant::now(), 0, 0f64);
        while app.call_list.rows_progress().is_some() && slices < 10_000 {
            let s = Instant::now();
            if app.prepare_filter(model, Some(s + sipscope::ui::FILTER_SLICE)) {
                app.refresh(model);
                buf.reset();
                views::draw(&mut buf, area, &app, model);
            }
            worst = worst.max(s.elapsed().as_secs_f64() * 1e3);
            slices += 1;
        }
        println!(
            "{:<52} {:>9.3} ms  ({slices} slices, worst {worst:.3} ms, {} rows)",
            "  then until its rows are whole",
            t.elapsed().as_secs_f64() * 1e3,
            app.rows().len()
        );
    }
}

/// A sort key (`>`: the next column) on the call list of every dialog, as
/// the UI loop applies it: the rows made (for the key's budget at most,
/// then a slice a turn), a frame drawn; then the slices until the rows are
/// in the new order.
fn sort_keys(model: &Model, app: &mut AppState) {
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    app.refresh(model);
    for _ in 0..4 {
        let t = Instant::now();
        app.apply(Action::SortNext, model);
        app.refresh(model);
        buf.reset();
        views::draw(&mut buf, area, app, model);
        let key = t.elapsed().as_secs_f64() * 1e3;
        let (t, mut slices, mut worst) = (Instant::now(), 0, 0f64);
        while app.call_list.rows_progress().is_some() && slices < 100_000 {
            let s = Instant::now();
            if app.prepare_filter(model, Some(s + sipscope::ui::FILTER_SLICE)) {
                app.refresh(model);
                buf.reset();
                views::draw(&mut buf, area, app, model);
            }
            worst = worst.max(s.elapsed().as_secs_f64() * 1e3);
            slices += 1;
        }
        println!(
            "{:<52} {key:>9.3} ms  (then {:.3} ms in {slices} slices, worst {worst:.3} ms)",
            format!("sort key: by {}", app.call_list.sort.title()),
            t.elapsed().as_secs_f64() * 1e3,
        );
    }
}

fn sip(start: &str, call_id: &str, cseq: &str) -> String {
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK{cseq}{call_id}\r\n\
         From: \"Alice\" <sip:alice@192.0.2.10>;tag=a\r\nTo: <sip:bob@192.0.2.10>;tag=b\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    )
}

/// CPU seconds of the whole process so far (every thread, user and
/// system; /proc ticks of 10 ms): what a key cost, whatever the load beside.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command's ")": state is field 3, utime 14, stime 15.
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn time_it(label: &str, n: u32, mut f: impl FnMut()) {
    f();
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let per = t.elapsed() / n;
    println!("{label:<52} {:>9.3} ms", per.as_secs_f64() * 1e3);
}

/// The UI loop's slices (each `FILTER_SLICE` of work, the rows made and
/// the prompt drawn when they change) until the rows are whole: each
/// slice's milliseconds into `slices`, the whole into `wholes`.
fn until_whole(
    app: &mut AppState,
    model: &Model,
    prompt: &mut Buffer,
    slices: &mut Vec<f64>,
    wholes: &mut Vec<f64>,
    label: &str,
) {
    let area = prompt.area;
    let t = Instant::now();
    let mut n = 0;
    while app.call_list.rows_progress().is_some() {
        let s = Instant::now();
        if app.prepare_filter(model, Some(s + sipscope::ui::FILTER_SLICE)) {
            app.refresh(model);
            prompt.reset();
            views::draw(prompt, area, app, model);
        }
        slices.push(s.elapsed().as_secs_f64() * 1e3);
        n += 1;
    }
    if n > 0 {
        wholes.push(t.elapsed().as_secs_f64() * 1e3);
        println!(
            "{label:<52} {:>9.3} ms  ({n} slices, {} rows)",
            t.elapsed().as_secs_f64() * 1e3,
            app.rows().len()
        );
    }
}

fn main() {
    let (a, b) = ("198.18.0.1:5060", "192.0.2.10:5060");
    let mut model = Model::new(Limits {
        max_calls: usize::MAX,
        max_mem_bytes: usize::MAX,
        ..Limits::default()
    });
    let n: i64 = std::env::var("RENDER_DIALOGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    for i in 0..n {
        add_call(&mut model, i);
    }
    // Keys while dialogs keep arriving (the file not read to its end yet):
    // RENDER_ARRIVING calls between two keys (500: 5,000 messages, about
    // what a turn of the loop takes in from a file).
    let per_key: i64 = std::env::var("RENDER_ARRIVING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut next = n + 1_000_000;
    keys_while_dialogs_arrive(&mut model, &mut next, per_key);
    // One long dialog: 250 INFO transactions (500 messages).
    for i in 0..250i64 {
        let cseq = format!("{} INFO", i + 2);
        let ts = 1_700_001_000_000_000_000 + i * 20_000_000;
        let mut m = message(
            &sip("INFO sip:bob@192.0.2.10 SIP/2.0", "long@bench", &cseq),
            ts,
            a,
            b,
        );
        model.ingest(&mut m);
        let mut m = message(
            &sip("SIP/2.0 200 OK", "long@bench", &cseq),
            ts + 5_000_000,
            b,
            a,
        );
        model.ingest(&mut m);
    }
    // A file read to its end (a million dialogs come from a file): the
    // clock stands still, the filter's searches and the rules it names are
    // made a slice at a time after the key's budget.
    model.end_capture();
    println!("model: {} dialogs, built in {:?}", model.len(), t.elapsed());

    let mut app = AppState::new(Config::default(), "bench".into(), false);
    let t = Instant::now();
    app.refresh(&model);
    let total = model.len();
    println!(
        "{:<52} {:>9.3} ms",
        format!("call list rows (filter + sort of {total} dialogs)"),
        t.elapsed().as_secs_f64() * 1e3
    );

    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    time_it(
        &format!("call list frame, {total} dialogs, 200x60"),
        200,
        || {
            buf.reset();
            views::draw(&mut buf, area, &app, &model);
        },
    );

    // The loop's settings reading a file, for the sort keys.
    app.call_list.incremental = true;
    app.call_list.search_budget = Some(sipscope::ui::KEY_SEARCH);
    sort_keys(&model, &mut app);
    app.call_list.sort = sipscope::config::Column::Index;
    app.call_list.invalidate();
    app.refresh(&model);

    // The display filter, typed: each key applied as the UI loop does
    // (the rows recomputed, then a frame). `/` makes the filter's index
    // (the loop does it after drawing the prompt), then keys that extend
    // the filter, keys that delete one character, and new filters (the
    // line cleared, a first character typed); ROUNDS times.
    let rounds: usize = std::env::var("RENDER_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // Before each key, one slice of the loop's filter work (the index, then
    // the rules' masks), as the loop does after each frame; not in the
    // key's time or CPU (`key_cpu`: the CPU seconds when the key began).
    let key_cpu = std::cell::Cell::new(0f64);
    let mut key = |app: &mut AppState, k: TextKey| {
        app.prepare_filter(&model, Some(Instant::now() + sipscope::ui::FILTER_SLICE));
        key_cpu.set(cpu_s());
        let t = Instant::now();
        app.search_key(k);
        app.refresh(&model);
        buf.reset();
        views::draw(&mut buf, area, app, &model);
        t.elapsed().as_secs_f64() * 1e3
    };
    let (mut extend, mut delete, mut fresh, mut regex) = (vec![], vec![], vec![], vec![]);
    let (mut rule, mut few) = (vec![], vec![]);
    // The slices that run the rules a filter naming rule ids waits for
    // (the rows shown meanwhile are those of the rules run so far), and
    // the time until its rows are whole.
    let (mut rule_slices, mut rule_wholes) = (vec![], vec![]);
    // The same for a key's search of the index cut at its budget
    // (`ui::KEY_SEARCH`): the loop searches on a slice a turn.
    let (mut search_slices, mut search_wholes) = (vec![], vec![]);
    // CPU seconds per kind of key, and how many.
    let mut cpu = [(0f64, 0u32); 6];
    let mut charge = |kind: usize, since: f64| {
        cpu[kind].0 += cpu_s() - since;
        cpu[kind].1 += 1;
    };
    // The loop makes the index a slice at a time (`ui::FILTER_SLICE`).
    let mut prompt = Buffer::empty(area);
    app.call_list.incremental = true;
    app.call_list.rules_in_slices = true;
    app.call_list.search_budget = Some(sipscope::ui::KEY_SEARCH);
    let slice = sipscope::ui::FILTER_SLICE;
    let (mut slices, mut builds) = (vec![], vec![]);
    for round in 0..rounds {
        // `/`: the prompt drawn, then slices of the index until it is
        // whole (a key typed meanwhile waits for one slice at most).
        let t = Instant::now();
        app.apply(Action::Search, &model);
        prompt.reset();
        views::draw(&mut prompt, area, &app, &model);
        let mut n = 0;
        loop {
            let s = Instant::now();
            app.prepare_filter(&model, Some(s + slice));
            slices.push(s.elapsed().as_secs_f64() * 1e3);
            n += 1;
            if app.call_list.filter_progress().is_none() {
                break;
            }
        }
        builds.push(t.elapsed().as_secs_f64() * 1e3);
        println!(
            "{:<52} {:>9.3} ms  ({n} slices, index {:.1} MiB)",
            format!("'/': the filter's index made (round {round})"),
            t.elapsed().as_secs_f64() * 1e3,
            app.call_list.filter_index_bytes() as f64 / 1_048_576.0
        );
        for c in "call-12345@".chars() {
            let ms = key(&mut app, TextKey::Char(c));
            if app.filter.text().len() == 1 {
                fresh.push(ms);
                charge(2, key_cpu.get());
            } else {
                extend.push(ms);
                charge(0, key_cpu.get());
            }
            println!(
                "{:<52} {ms:>9.3} ms  ({} rows)",
                format!("filter key '{c}'"),
                app.rows().len()
            );
        }
        for _ in 0..6 {
            let ms = key(&mut app, TextKey::Backspace);
            delete.push(ms);
            charge(1, key_cpu.get());
            println!(
                "{:<52} {ms:>9.3} ms  ({} rows)",
                format!("Backspace to '{}'", app.filter.text()),
                app.rows().len()
            );
        }
        // '4' also names rule ids ("forbidden-403"): the findings of the
        // dialogs whose text has no 4 are looked at (their rules run the
        // first time).
        for first in ["b", "4", "z"] {
            key(&mut app, TextKey::ClearLine);
            let ms = key(&mut app, TextKey::Char(first.chars().next().unwrap()));
            if first == "4" {
                rule.push(ms);
                charge(4, key_cpu.get());
                until_whole(
                    &mut app,
                    &model,
                    &mut prompt,
                    &mut rule_slices,
                    &mut rule_wholes,
                    "'4': until its rows are whole (the rules run)",
                );
            } else {
                fresh.push(ms);
                charge(2, key_cpu.get());
            }
            println!(
                "{:<52} {ms:>9.3} ms  ({} rows)",
                format!("a new filter '{first}'"),
                app.rows().len()
            );
        }
        // A regex (not plain text): every key is a full pass.
        key(&mut app, TextKey::ClearLine);
        for c in "bob|call-9999.$".chars() {
            let ms = key(&mut app, TextKey::Char(c));
            regex.push(ms);
            charge(3, key_cpu.get());
        }
        println!(
            "{:<52} {:>9.3} ms  ({} rows)",
            "regex 'bob|call-9999.$', its last key",
            regex.last().copied().unwrap_or_default(),
            app.rows().len()
        );
        // A regex that few dialogs match: the keys once it is one (the
        // text compiles and is not plain).
        key(&mut app, TextKey::ClearLine);
        let mut typed = String::new();
        for c in "call-4242[0-9]@|smith".chars() {
            typed.push(c);
            let ms = key(&mut app, TextKey::Char(c));
            if app.filter.text() == typed && typed.contains(['[', '|']) {
                few.push(ms);
                charge(5, key_cpu.get());
            }
        }
        println!(
            "{:<52} {:>9.3} ms  ({} rows)",
            "regex 'call-4242[0-9]@|smith', its last key",
            few.last().copied().unwrap_or_default(),
            app.rows().len()
        );
        // A key's search cut at its budget: the rest in the loop's slices.
        until_whole(
            &mut app,
            &model,
            &mut prompt,
            &mut search_slices,
            &mut search_wholes,
            "  its search, until its rows are whole",
        );
        key(&mut app, TextKey::Cancel);
    }
    for ((what, v), (cpu, n)) in [
        ("a key that extends the filter", &mut extend),
        ("Backspace", &mut delete),
        ("the first key of a new filter", &mut fresh),
        ("a key of a regex filter", &mut regex),
        ("a new filter naming rule ids ('4')", &mut rule),
        ("a key of a regex few dialogs match", &mut few),
    ]
    .into_iter()
    .zip(cpu)
    {
        v.sort_by(f64::total_cmp);
        println!(
            "{:<52} {:>9.3} ms median, {:.3} ms worst, {:.1} CPU-ms mean  ({} keys)",
            what,
            v.get(v.len() / 2).copied().unwrap_or_default(),
            v.last().copied().unwrap_or_default(),
            cpu * 1e3 / f64::from(n.max(1)),
            v.len()
        );
    }
    for (what, v) in [
        (
            "'/': a slice of the index (the most a key waits)",
            &mut slices,
        ),
        ("'/': until the index is whole", &mut builds),
        (
            "'4': a slice of the rules run (the most a key waits)",
            &mut rule_slices,
        ),
        ("'4': until its rows are whole", &mut rule_wholes),
        (
            "a search cut at its budget: a slice after",
            &mut search_slices,
        ),
        (
            "a search cut at its budget: until whole",
            &mut search_wholes,
        ),
    ] {
        v.sort_by(f64::total_cmp);
        println!(
            "{:<52} {:>9.3} ms median, {:.3} ms worst  ({} times)",
            what,
            v.get(v.len() / 2).copied().unwrap_or_default(),
            v.last().copied().unwrap_or_default(),
            v.len()
        );
    }

    // Keys typed while the index is being made (a slice between keys, as
    // the loop turns): the rows of the part made so far.
    app.apply(Action::Search, &model);
    let mut during = vec![];
    for c in "call-1".chars() {
        let s = Instant::now();
        app.prepare_filter(&model, Some(s + slice));
        let waited = s.elapsed().as_secs_f64() * 1e3;
        let ms = key(&mut app, TextKey::Char(c));
        during.push(ms);
        println!(
            "{:<52} {ms:>9.3} ms  ({} rows so far, {:.0} % made; the slice before {waited:.3} ms)",
            format!("filter key '{c}' while the index is made"),
            app.rows().len(),
            app.call_list.filter_progress().unwrap_or(1.0) * 100.0
        );
    }
    while app.call_list.filter_progress().is_some() {
        app.prepare_filter(&model, Some(Instant::now() + slice));
    }
    let t = Instant::now();
    app.refresh(&model);
    prompt.reset();
    views::draw(&mut prompt, area, &app, &model);
    println!(
        "{:<52} {:>9.3} ms  ({} rows)",
        "the rows made again once the index is whole",
        t.elapsed().as_secs_f64() * 1e3,
        app.rows().len()
    );
    during.sort_by(f64::total_cmp);
    println!(
        "{:<52} {:>9.3} ms median, {:.3} ms worst  ({} keys)",
        "a key typed while the index is made",
        during.get(during.len() / 2).copied().unwrap_or_default(),
        during.last().copied().unwrap_or_default(),
        during.len()
    );
    app.search_key(TextKey::Cancel);
    app.set_filter("");
    app.refresh(&model);

    // The long dialog is the last row; open its ladder and go to its middle.
    app.apply(Action::Bottom, &model);
    app.apply(Action::Open, &model);
    for _ in 0..250 {
        app.apply(Action::Down, &model);
    }
    assert_eq!(app.ladder_messages(&model).len(), 500);
    time_it("ladder frame, 500 messages, raw pane, 200x60", 200, || {
        buf.reset();
        views::draw(&mut buf, area, &app, &model);
    });
}
