//! Text for people, shared by the views, the reports and the exports: text
//! from the wire made safe to show ([`escape`]), a header's URI, UTC dates,
//! clock times and durations. Pure functions; no layer below imports it.

pub mod escape;

/// `sip:alice@example.com` out of `"Alice" <sip:alice@example.com>;tag=1`.
#[must_use]
pub fn uri_of(header: &str) -> &str {
    let inner = match (header.find('<'), header.find('>')) {
        (Some(a), Some(b)) if b > a => header.get(a + 1..b).unwrap_or(header),
        _ => header.split(';').next().unwrap_or(header),
    };
    inner.trim()
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for seconds since the epoch, without a
/// time-zone database: output must not depend on the machine's zone.
#[must_use]
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS.uuuuuu` (UTC) of a capture timestamp.
#[must_use]
pub fn utc_micros(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let micros = ts_ns.rem_euclid(1_000_000_000) / 1000;
    format!("{}.{micros:06}", utc(secs))
}

/// `HH:MM:SS.mmm` (UTC) of a capture timestamp.
#[must_use]
pub fn clock(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let ms = ts_ns.rem_euclid(1_000_000_000) / 1_000_000;
    let t = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}.{ms:03}", t / 3600, t % 3600 / 60, t % 60)
}

/// `HHMM` (UTC) of a capture timestamp, as a number (for file names).
#[must_use]
pub fn hhmm(ts_ns: i64) -> i64 {
    let secs = ts_ns.div_euclid(1_000_000_000);
    (secs.rem_euclid(86_400) / 3600) * 100 + secs.rem_euclid(3600) / 60
}

/// A duration for people: `850ms`, `12.3s`, `4:05`, `1:02:03`.
#[must_use]
pub fn duration(ns: i64) -> String {
    let ms = ns / 1_000_000;
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s < 60 {
        return format!("{}.{}s", s, (ms % 1000) / 100);
    }
    if s < 3600 {
        return format!("{}:{:02}", s / 60, s % 60);
    }
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(super::utc(1_795_306_588), "2026-11-22 00:16:28");
        assert_eq!(
            super::utc_micros(1_795_306_588_257_567_000),
            "2026-11-22 00:16:28.257567"
        );
    }

    #[test]
    fn formats_times_and_durations() {
        assert_eq!(super::clock(1_795_306_588_257_567_000), "00:16:28.257");
        assert_eq!(super::hhmm(1_795_306_588_257_567_000), 16);
        assert_eq!(super::duration(305_000_000), "305ms");
        assert_eq!(super::duration(9_012_000_000), "9.0s");
        assert_eq!(super::duration(125_000_000_000), "2:05");
    }

    #[test]
    fn uris_come_out_of_headers() {
        assert_eq!(
            super::uri_of("\"Alice\" <sip:alice@example.com>;tag=1"),
            "sip:alice@example.com"
        );
        assert_eq!(
            super::uri_of("sip:bob@b.example;tag=2"),
            "sip:bob@b.example"
        );
    }
}
