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

/// A duration for people, the one form every view, report and export
/// uses: `850ms`, `12.3s`, `4:05`, `1:02:03`, `3d04:05`, `1200d`;
/// rounded to what it shows (34.498 s is `34.5s`), negative with a `-`.
/// At most 8 characters up to 99 days.
#[must_use]
pub fn duration(ns: i64) -> String {
    if ns < 0 {
        return format!("-{}", duration(ns.checked_neg().unwrap_or(i64::MAX)));
    }
    // Rounded to the unit shown, without overflow near i64::MAX.
    let round = |unit: i64| ns / unit + i64::from(ns % unit >= unit / 2);
    let ms = round(1_000_000);
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let tenths = round(100_000_000);
    if tenths < 600 {
        return format!("{}.{}s", tenths / 10, tenths % 10);
    }
    let s = round(1_000_000_000);
    if s < 3600 {
        return format!("{}:{:02}", s / 60, s % 60);
    }
    if s < 86_400 {
        return format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60);
    }
    let minutes = round(60_000_000_000);
    let days = minutes / 1440;
    if days < 100 {
        return format!("{days}d{:02}:{:02}", minutes % 1440 / 60, minutes % 60);
    }
    format!("{}d", round(86_400_000_000_000))
}

/// Milliseconds, rounded, for delays (PDD): `48`.
#[must_use]
pub fn millis(ns: i64) -> String {
    let ms = ns / 1_000_000 + i64::from(ns % 1_000_000 >= 500_000)
        - i64::from(ns % 1_000_000 <= -500_000);
    ms.to_string()
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
        // Rounded to what is shown, never cut: 34.498 s is 34.5 s.
        assert_eq!(super::duration(34_498_000_000), "34.5s");
        assert_eq!(super::duration(999_600_000), "1.0s");
        assert_eq!(super::duration(59_960_000_000), "1:00");
        assert_eq!(super::duration(3_599_600_000_000), "1:00:00");
        assert_eq!(super::duration(-1_500_000_000), "-1.5s");
        // Days fit the call list's column (8 cells) up to 99 days, then
        // days alone: a capture's timestamps can be years apart.
        assert_eq!(
            super::duration(86_400_000_000_000 + 3_720_000_000_000),
            "1d01:02"
        );
        assert_eq!(super::duration(2_538_987_240_000_000_000), "29386d");
        assert_eq!(super::duration(i64::MAX), "106752d");
        assert_eq!(super::duration(i64::MIN), "-106752d");
        assert_eq!(super::millis(47_600_000), "48");
        assert_eq!(super::millis(47_400_000), "47");
        assert_eq!(super::millis(-47_600_000), "-48");
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
