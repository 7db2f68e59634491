//! Values as DogStatsD text: integers for counters, milliseconds with
//! microsecond precision for timers, and the shortest text that reads back
//! as the same `f64` for everything else.
//!
//! Written straight into the payload with no `fmt` machinery on the common
//! paths (whole numbers), since one flush formats thousands of values.

use std::fmt::Write as _;
use std::time::Duration;

/// Appends the decimal digits of `n`.
#[inline]
pub(crate) fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Appends `n` as a signed decimal integer.
#[inline]
pub(crate) fn write_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    write_u64(out, n.unsigned_abs());
}

/// Appends `elapsed` in milliseconds with microsecond precision (rounded to
/// the nearest microsecond), as the official clients send timers: `0.384`,
/// `2.7`, `1500`. Exact decimal text, so no float noise can appear.
pub(crate) fn write_millis(out: &mut String, elapsed: Duration) {
    let micros = elapsed.as_nanos().saturating_add(500) / 1_000;
    let micros = u64::try_from(micros).unwrap_or(u64::MAX);
    write_u64(out, micros / 1_000);
    let mut fraction = micros % 1_000;
    if fraction != 0 {
        out.push('.');
        let mut digits = 3;
        while fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        let mut text = [b'0'; 3];
        for at in (0..digits).rev() {
            text[at] = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        out.extend(text[..digits].iter().map(|&d| char::from(d)));
    }
}

/// Below this magnitude every whole `f64` is exactly an integer that `i64`
/// holds, so the integer path prints it exactly.
const EXACT_WHOLE: f64 = 9_007_199_254_740_992.0; // 2^53

/// Appends a finite `value` as the shortest text that parses back to the
/// same `f64`: whole numbers as integers (`3`, not `3.0`), others in plain
/// or exponent notation, whichever is shorter (`0.1`, `1e-7`, `1.5e300`).
pub(crate) fn write_f64(out: &mut String, value: f64) {
    if value.fract() == 0.0 && value.abs() < EXACT_WHOLE {
        if value == 0.0 && value.is_sign_negative() {
            return out.push_str("-0");
        }
        return write_i64(out, value as i64);
    }
    // Rust's float formatting is shortest-round-trip in both notations; it
    // never writes an exponent with `{}`, so very large or small values
    // would be long strings of zeros.
    let start = out.len();
    let _ = write!(out, "{value}");
    let plain = out.len() - start;
    if plain > 8 {
        let mut exponent = String::with_capacity(24);
        let _ = write!(exponent, "{value:e}");
        if exponent.len() < plain {
            out.truncate(start);
            out.push_str(&exponent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        write(&mut out);
        out
    }

    #[test]
    fn integers_cover_the_whole_range() {
        for n in [0, 1, -1, 9, 10, 99, 100, 12_345, i64::MAX, i64::MIN] {
            assert_eq!(text(|o| write_i64(o, n)), n.to_string());
        }
        assert_eq!(text(|o| write_u64(o, u64::MAX)), u64::MAX.to_string());
    }

    #[test]
    fn timers_are_milliseconds_with_microsecond_precision() {
        let cases = [
            (Duration::from_micros(384), "0.384"),
            (Duration::from_micros(2_700), "2.7"),
            (Duration::from_millis(1_500), "1500"),
            (Duration::from_micros(1_010), "1.01"),
            (Duration::from_micros(1), "0.001"),
            (Duration::ZERO, "0"),
            (Duration::from_nanos(499), "0"),
            (Duration::from_nanos(500), "0.001"),
            (Duration::from_nanos(2_699_600), "2.7"),
            (Duration::from_secs(3_600), "3600000"),
        ];
        for (elapsed, expected) in cases {
            assert_eq!(text(|o| write_millis(o, elapsed)), expected, "{elapsed:?}");
        }
        // Saturates instead of wrapping.
        let max = text(|o| write_millis(o, Duration::MAX));
        assert_eq!(max.parse::<f64>().unwrap(), u64::MAX as f64 / 1000.0);
    }

    #[test]
    fn floats_are_the_shortest_text_that_reads_back_the_same() {
        let cases = [
            (3.0, "3"),
            (-2.0, "-2"),
            (0.0, "0"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (2.7, "2.7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-7, "1e-7"),
            (1.5e300, "1.5e300"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
        ];
        for (value, expected) in cases {
            let sent = text(|o| write_f64(o, value));
            assert_eq!(sent, expected);
            assert_eq!(sent.parse::<f64>().unwrap().to_bits(), value.to_bits());
        }
    }

    #[test]
    fn every_float_reads_back_exactly() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = f64::from_bits(x);
            if value.is_finite() {
                let sent = text(|o| write_f64(o, value));
                assert_eq!(sent.parse::<f64>().unwrap().to_bits(), x, "{sent}");
            }
        }
    }
}
