//! Integer simulation time. The clock never uses floats, so two runs of the same scenario can
//! never disagree because of rounding, and ordering of events is exact.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point on the virtual clock, in whole milliseconds since the start of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of virtual time in whole milliseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event; used for "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Milliseconds since the start.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for output files and reports only (never for ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The duration from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Adds a duration, saturating instead of wrapping at the end of time.
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

/// A time that may not have come yet, in 8 bytes where `Option<SimTime>` takes 16: a pod
/// record holds four (scheduled, pull start, running, finished), and millions of records are
/// written and read per run. `SimTime::MAX` (never an event's time) stands for none.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct MaybeTime(u64);

impl MaybeTime {
    /// Not yet.
    pub const NONE: MaybeTime = MaybeTime(u64::MAX);

    /// The time, if it has come.
    #[inline]
    pub fn get(self) -> Option<SimTime> {
        (self.0 != u64::MAX).then_some(SimTime(self.0))
    }

    /// True once a time is set.
    #[inline]
    pub fn is_some(self) -> bool {
        self.0 != u64::MAX
    }
}

impl From<SimTime> for MaybeTime {
    /// `t`, which must be an event's time (not [`SimTime::MAX`]).
    #[inline]
    fn from(t: SimTime) -> MaybeTime {
        debug_assert!(t != SimTime::MAX, "SimTime::MAX stands for no time");
        MaybeTime(t.0)
    }
}

impl fmt::Debug for MaybeTime {
    /// As the `Option<SimTime>` it stands for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// `x.round() as u64` (half away from zero, then saturating: NaN and negatives give 0)
/// without the call to libm's `round` that the baseline x86-64 target makes (no SSE4.1):
/// trace reading rounds four numbers per pod, millions of pods per run. Below 2^53 the
/// integer part and the fraction are exact, so the comparison with one half is too; from 2^53
/// on every double is an integer already.
#[inline]
pub fn round_to_u64(x: f64) -> u64 {
    if x.is_nan() || x >= 9_007_199_254_740_992.0 {
        // NaN, 2^53 and above, +infinity: nothing to round (`as` saturates NaN to 0).
        return x as u64;
    }
    let whole = x as u64; // truncates; negatives saturate to 0
    if x - whole as f64 >= 0.5 {
        whole + 1
    } else {
        whole
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1000)
    }

    /// A duration of whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms)
    }

    /// Converts seconds given as a float (trace files) to milliseconds, rounding to the nearest
    /// millisecond. Callers validate that `s` is finite and non-negative.
    pub fn from_secs_f64(s: f64) -> SimDuration {
        SimDuration(round_to_u64(s * 1000.0))
    }

    /// Milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for output only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Whole seconds, rounded up: the unit AWS bills in.
    pub fn ceil_secs(self) -> u64 {
        self.0.div_ceil(1000)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

/// Formats milliseconds as seconds with exactly three decimals, using integer arithmetic so the
/// text is exact and identical on every platform.
pub fn fmt_secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fmt_secs(self.0))?;
        f.write_str("s")
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms.is_multiple_of(3_600_000) && ms > 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{}ms", ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maybe_time_holds_every_event_time_or_none() {
        assert_eq!(MaybeTime::NONE.get(), None);
        assert!(!MaybeTime::NONE.is_some());
        for t in [0, 1, 61_200_000, u64::MAX - 1] {
            let m = MaybeTime::from(SimTime(t));
            assert_eq!(m.get(), Some(SimTime(t)));
            assert!(m.is_some());
            assert_eq!(format!("{m:?}"), format!("{:?}", Some(SimTime(t))));
        }
        assert_eq!(format!("{:?}", MaybeTime::NONE), "None");
        assert_eq!(std::mem::size_of::<MaybeTime>(), 8);
    }

    #[test]
    fn ceil_secs_rounds_up_partial_seconds() {
        assert_eq!(SimDuration(0).ceil_secs(), 0);
        assert_eq!(SimDuration(1).ceil_secs(), 1);
        assert_eq!(SimDuration(1000).ceil_secs(), 1);
        assert_eq!(SimDuration(1001).ceil_secs(), 2);
    }

    #[test]
    fn round_to_u64_at_the_edges() {
        let cases = [
            0.0,
            -0.0,
            0.5,
            0.49999999999999994,
            1.5,
            2.5,
            -0.5,
            -0.7,
            1e12 + 0.5,
            4503599627370495.5,
            9007199254740991.0,
            9007199254740992.0,
            1.8446744073709552e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for x in cases {
            assert_eq!(round_to_u64(x), x.round() as u64, "{x:e}");
        }
    }

    proptest::proptest! {
        /// Exactly what `round() as u64` gives, for any double at all.
        #[test]
        fn round_to_u64_is_round_then_cast(bits in proptest::num::u64::ANY, small in 0.0f64..1e13) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(round_to_u64(x), x.round() as u64);
            proptest::prop_assert_eq!(round_to_u64(small), small.round() as u64);
        }
    }

    #[test]
    fn fmt_secs_is_exact() {
        assert_eq!(fmt_secs(0), "0.000");
        assert_eq!(fmt_secs(1), "0.001");
        assert_eq!(fmt_secs(61_234), "61.234");
    }

    #[test]
    fn from_secs_f64_rounds_to_millis() {
        assert_eq!(SimDuration::from_secs_f64(1.2345), SimDuration(1235));
        assert_eq!(SimDuration::from_secs_f64(0.0), SimDuration(0));
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(SimTime::MAX + SimDuration(5), SimTime::MAX);
        assert_eq!(SimTime(5) - SimTime(10), SimDuration::ZERO);
    }
}
