//! The numbers callers hand over, as they hold them: every primitive integer
//! and float, converted here once, by rules written down, instead of by an
//! `as` at every call site that wraps or rounds without a word.

mod sealed {
    /// Keeps the conversions this crate's to decide: a new impl could not
    /// be told apart from a silent `as`.
    pub trait Sealed {}
}

/// A number recorded as a histogram, distribution or gauge value: every
/// primitive integer and float.
///
/// Values are kept and summed as `f64`:
///
/// | type | becomes |
/// |---|---|
/// | `f64` | itself |
/// | `f32` | the `f64` of its shortest decimal text: `0.1f32` is sent as `0.1`, not `0.10000000149011612` |
/// | `i8` to `i32`, `u8` to `u32` | the same number, exactly |
/// | `i64`, `u64`, `i128`, `u128`, `isize`, `usize` | the same number up to 2^53 (9,007,199,254,740,992) in magnitude; above that, the nearest `f64`, which loses the low digits (`u64::MAX` is sent as `18446744073709552000`) |
///
/// NaN and infinite values are refused when recorded, through the error
/// handler (see [`Error::NonFiniteValue`](crate::Error::NonFiniteValue)).
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let rows: usize = 40;
/// let bytes: u64 = 2048;
/// collector.histogram("rows", rows, ());
/// collector.gauge("bytes", bytes, ());
/// collector.distribution("ratio", 0.25f32, ());
/// assert_eq!(collector.len(), 3);
/// ```
pub trait Value: Copy + sealed::Sealed {
    /// The value as it is kept and sent.
    ///
    /// ```
    /// use collector_runtime::values::Value;
    ///
    /// assert_eq!(7u8.to_f64(), 7.0);
    /// assert_eq!(0.1f32.to_f64(), 0.1);
    /// ```
    fn to_f64(self) -> f64;
}

/// An integer added to a counter: every primitive integer type.
///
/// A counter is sent as a signed 64-bit integer, the range DogStatsD servers
/// read, so a count outside it saturates to the nearest end instead of
/// wrapping: `u64::MAX` is sent as `9223372036854775807` (`i64::MAX`), and
/// an `i128` below `i64::MIN` as `-9223372036854775808`. Counts within the
/// range are sent exactly.
///
/// ```
/// # collector_runtime::set_global_client(collector_runtime::Client::new(cadence::NopMetricSink));
/// let collector = collector_runtime::Collector::new();
/// let deleted: usize = 3;
/// collector.count("rows.deleted", deleted, ());
/// collector.count("rows.deleted", -1i8, ());
/// assert_eq!(collector.len(), 1);
/// ```
pub trait Integer: Value {
    /// The count as a counter holds it, saturated into `i64`.
    ///
    /// ```
    /// use collector_runtime::values::Integer;
    ///
    /// assert_eq!(40usize.saturating_i64(), 40);
    /// assert_eq!(u64::MAX.saturating_i64(), i64::MAX);
    /// assert_eq!(i128::MIN.saturating_i64(), i64::MIN);
    /// ```
    fn saturating_i64(self) -> i64;
}

macro_rules! integers {
    (signed: $($signed:ty),*; unsigned: $($unsigned:ty),*) => {
        $(
            impl sealed::Sealed for $signed {}
            impl Value for $signed {
                #[inline]
                fn to_f64(self) -> f64 {
                    // Rounds to nearest above 2^53, as documented.
                    self as f64
                }
            }
            impl Integer for $signed {
                #[inline]
                fn saturating_i64(self) -> i64 {
                    i64::try_from(self).unwrap_or(if self < 0 { i64::MIN } else { i64::MAX })
                }
            }
        )*
        $(
            impl sealed::Sealed for $unsigned {}
            impl Value for $unsigned {
                #[inline]
                fn to_f64(self) -> f64 {
                    self as f64
                }
            }
            impl Integer for $unsigned {
                #[inline]
                fn saturating_i64(self) -> i64 {
                    i64::try_from(self).unwrap_or(i64::MAX)
                }
            }
        )*
    };
}

integers!(signed: i8, i16, i32, i128, isize; unsigned: u8, u16, u32, u64, u128, usize);

impl sealed::Sealed for i64 {}
impl Value for i64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl Integer for i64 {
    #[inline]
    fn saturating_i64(self) -> i64 {
        self
    }
}

impl sealed::Sealed for f64 {}
impl Value for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

impl sealed::Sealed for f32 {}
impl Value for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        widen(self)
    }
}

/// The `f64` that the shortest decimal text of `value` reads as: the number
/// the caller wrote, rather than the binary neighbour a plain widening gives
/// (`0.1f32 as f64` is `0.10000000149011612`). Formatted on the stack, so
/// it never allocates.
fn widen(value: f32) -> f64 {
    use std::fmt::Write as _;
    if !value.is_finite() {
        return f64::from(value);
    }
    let mut text = StackText::default();
    // The shortest round-trip text of an f32 in exponent form is at most
    // 15 bytes (`-1.1754942e-38`): it always fits.
    if write!(text, "{value:e}").is_err() {
        return f64::from(value);
    }
    text.as_str().parse().unwrap_or_else(|_| f64::from(value))
}

/// A small text buffer on the stack.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_saturate_into_the_counter_range() {
        assert_eq!(u64::MAX.saturating_i64(), i64::MAX);
        assert_eq!(u128::MAX.saturating_i64(), i64::MAX);
        assert_eq!(usize::MAX.saturating_i64(), i64::MAX);
        assert_eq!(i128::MAX.saturating_i64(), i64::MAX);
        assert_eq!(i128::MIN.saturating_i64(), i64::MIN);
        assert_eq!(i64::MIN.saturating_i64(), i64::MIN);
        assert_eq!((i64::MAX as u64).saturating_i64(), i64::MAX);
        assert_eq!((i64::MAX as u64 + 1).saturating_i64(), i64::MAX);
        assert_eq!((-5i8).saturating_i64(), -5);
        assert_eq!(u8::MAX.saturating_i64(), 255);
        assert_eq!(isize::MIN.saturating_i64(), isize::MIN as i64);
    }

    #[test]
    fn integers_are_exact_up_to_two_to_the_53() {
        let exact = 1u64 << 53;
        assert_eq!(exact.to_f64(), 9_007_199_254_740_992.0);
        assert_eq!((-(1i64 << 53)).to_f64(), -9_007_199_254_740_992.0);
        // Past it, the nearest f64: the odd neighbour is not representable.
        assert_eq!((exact + 1).to_f64(), 9_007_199_254_740_992.0);
        assert_eq!(u64::MAX.to_f64(), 18_446_744_073_709_551_616.0);
        assert_eq!(u128::MAX.to_f64(), 3.402_823_669_209_385e38);
        assert_eq!(i8::MIN.to_f64(), -128.0);
    }

    #[test]
    fn f32_values_keep_their_decimal_text() {
        for (value, expected) in [
            (0.1f32, 0.1f64),
            (2.7, 2.7),
            (-0.3, -0.3),
            (1e-7, 1e-7),
            (3.402_823_5e38, 3.402_823_5e38),
            (1e-45, 1e-45),
            (-1.175_494_2e-38, -1.175_494_2e-38),
            (16_777_216.0, 16_777_216.0),
            (0.0, 0.0),
        ] {
            assert_eq!(value.to_f64(), expected, "{value}");
            // Still the same f32 when narrowed back.
            assert_eq!(value.to_f64() as f32, value);
        }
        assert!((-0.0f32).to_f64().is_sign_negative());
        assert!(f32::NAN.to_f64().is_nan());
        assert_eq!(f32::INFINITY.to_f64(), f64::INFINITY);
    }

    #[test]
    fn every_f32_reads_back_as_itself() {
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let value = f32::from_bits(x);
            if value.is_finite() {
                assert_eq!((value.to_f64() as f32).to_bits(), x, "{value:e}");
            }
        }
    }
}
