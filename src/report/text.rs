//! The text report: a table a person reads, one row per dialog, then totals.

use std::io::Write;

use crate::model::Model;

/// Shortens `s` to `n` characters, marking the cut.
fn fit(s: &str, n: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.chars().count() <= n {
        clean
    } else {
        let mut t: String = clean.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The findings of a dialog at warning or worse, by rule id, worst first
/// (`E:ack-missing W:pdd-high`); `-` when there are none.
fn findings_cell(model: &Model, d: &crate::model::Dialog) -> String {
    use crate::model::findings::Severity;
    let f = model.findings(d);
    let mut shown: Vec<(Severity, &str)> = f
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| (f.severity, f.rule))
        .collect();
    shown.sort_by_key(|s| std::cmp::Reverse(s.0));
    shown.dedup();
    if shown.is_empty() {
        return "-".into();
    }
    shown
        .iter()
        .map(|(s, r)| format!("{}:{r}", if *s == Severity::Error { 'E' } else { 'W' }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the table.
///
/// # Errors
/// When writing fails.
pub fn write(model: &Model, warnings: &[String], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>5}  {:<26}  {:<13}  {:<14}  {:<28}  {:<28}  {:>4}  {:>8}  {:>8}  findings",
        "#", "start (UTC)", "kind", "state", "from", "to", "msgs", "pdd ms", "duration"
    )?;
    // Formatting a date is the dearest part of a row; dialogs arrive in time
    // order, so most rows share the previous row's second.
    let mut date: (i64, String) = (i64::MIN, String::new());
    let clock = model.clock();
    for (i, d) in model.dialogs().enumerate() {
        let ts = d.first_ts();
        let secs = ts.div_euclid(1_000_000_000);
        if date.0 != secs {
            date = (secs, crate::text::utc(secs));
        }
        let micros = ts.rem_euclid(1_000_000_000) / 1000;
        writeln!(
            out,
            "{:>5}  {:<26}  {:<13}  {:<14}  {:<28}  {:<28}  {:>4}  {:>8}  {:>8}  {}",
            i + 1,
            format!("{}.{micros:06}", date.1),
            d.kind.as_str(),
            d.state_at(clock).name(),
            fit(crate::text::uri_of(d.from()), 28),
            fit(crate::text::uri_of(d.to()), 28),
            d.messages.len(),
            d.pdd_ns().map_or_else(|| "-".into(), crate::text::millis),
            crate::text::duration(d.duration_at(clock)),
            findings_cell(model, d),
        )?;
    }
    writeln!(out)?;
    write_totals(model, warnings, out)
}

/// The totals line (and any warnings): `--report stats`.
///
/// # Errors
/// When writing fails.
pub fn write_totals(
    model: &Model,
    warnings: &[String],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let s = model.stats();
    writeln!(
        out,
        "{} dialogs, {} SIP messages in {} packets; malformed {}, retransmissions {}, duplicates {}, \
         reassembled datagrams {}; lost: channel {}, kernel {}, evicted dialogs {}",
        model.len(),
        s.sip_messages,
        s.packets,
        s.malformed,
        s.retransmissions,
        s.duplicates,
        s.reassembled_datagrams,
        s.dropped_channel,
        s.dropped_kernel,
        s.evicted_calls
    )?;
    // The other losses, said when there are any.
    let other = [
        (s.fragments_dropped, "incomplete datagrams given up"),
        (
            s.fragments_conflicting,
            "datagrams with conflicting fragments",
        ),
        (s.tcp_gaps, "TCP gaps"),
        (
            s.unknown_interface,
            "packets of an undescribed pcapng interface",
        ),
        (s.dropped_messages, "messages over the per-call limit"),
    ];
    let said: Vec<String> = other
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{what} {n}"))
        .collect();
    if !said.is_empty() {
        writeln!(out, "also lost: {}", said.join(", "))?;
    }
    for w in warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
