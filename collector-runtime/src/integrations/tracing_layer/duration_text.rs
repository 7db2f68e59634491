//! A `Duration` reaches a tracing layer only as text: tracing has no value
//! type for it, so `timing.db = ?elapsed` records its `Debug` form (`1.5ms`,
//! `12µs`, `2.000000001s`). Read back here exactly, to the nanosecond, with
//! integer arithmetic: what was measured is what is sent.

use std::time::Duration;

/// The duration `text` writes, in `Duration`'s `Debug` form: a decimal
/// number and one of `ns`, `µs` (or `us`), `ms`, `s`. `None` for anything
/// else.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(unit_at);
    let nanos_per_unit: u128 = match unit {
        "ns" => 1,
        "µs" | "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.contains('.') {
        return None;
    }
    let mut nanos = whole.parse::<u128>().ok()?.checked_mul(nanos_per_unit)?;
    // Each fraction digit is worth a tenth of the one before; digits below
    // a nanosecond are dropped.
    let mut worth = nanos_per_unit;
    for digit in fraction.bytes() {
        let digit = u128::from(digit.checked_sub(b'0').filter(|d| *d <= 9)?);
        worth /= 10;
        nanos = nanos.checked_add(digit * worth)?;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    // The remainder is below 10^9, so it fits.
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_debug_form_of_a_duration_reads_back_exactly() {
        for duration in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(999),
            Duration::from_micros(12),
            Duration::from_nanos(1_500),
            Duration::from_micros(1_500),
            Duration::from_millis(384),
            Duration::from_nanos(1_000_000_001),
            Duration::from_secs(90),
            Duration::new(u64::MAX, 999_999_999),
        ] {
            let text = format!("{duration:?}");
            assert_eq!(parse_duration(&text), Some(duration), "{text}");
        }
    }

    #[test]
    fn other_text_is_not_a_duration() {
        for text in [
            "",
            "ms",
            "12",
            "1.2.3ms",
            "12 parsecs",
            "-1ms",
            "1e3ms",
            ".5s",
        ] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
        assert_eq!(parse_duration("3us"), Some(Duration::from_micros(3)));
    }
}
