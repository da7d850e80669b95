//! Quantities with explicit units: durations, rates and sizes.
//!
//! Scenario files write every physical quantity as a string with a unit, so that
//! `"10 Mbit/s"` can never be mistaken for bytes per second and `"20 ms"` never for
//! seconds. The strings are converted to integers exactly: the number is read as a
//! fixed-point decimal (no floating point), multiplied by the unit, and rejected if
//! the result is not a whole number of the base unit or does not fit in a `u64`.
//!
//! | quantity | base unit | accepted units | examples |
//! |---|---|---|---|
//! | duration | nanosecond | `ns`, `us` (or `µs`), `ms`, `s` | `"20 ms"`, `"1.5 s"`, `"250 us"`, `"100 ns"` |
//! | rate | bit per second | `bit/s`, `kbit/s`, `Mbit/s`, `Gbit/s` (powers of 1000); `B/s`, `kB/s`, `MB/s`, `GB/s` (bytes, ×8) | `"10 Mbit/s"`, `"1 Gbit/s"`, `"500 kbit/s"`, `"125 kB/s"` |
//! | size | byte | `B`; `kB`, `MB`, `GB` (powers of 1000); `KiB`, `MiB`, `GiB` (powers of 1024); or a plain integer (bytes) | `"64 KiB"`, `"10 MB"`, `"1500 B"`, `1500` |
//!
//! Rules:
//! - The number is digits with an optional fractional part (`1.5`, `0.25`); no sign, no
//!   exponent, no digit separators. The space between number and unit is optional.
//! - Units are case-sensitive (`Mbit/s`, not `mbit/s`; `kB`, not `KB`; `KiB`, not `kiB`).
//! - A value that is not a whole number of the base unit is an error (`"1.5 ns"`,
//!   `"0.1 B"`), as is one above `u64::MAX` of the base unit.
//! - Durations and rates must be strings; only sizes also accept a plain integer.
//!
//! When written back (canonical form, run tables), a duration uses the largest unit not
//! above it with a decimal fraction (`"1.5 s"`, `"250 us"`); a rate the largest bit unit
//! (`"1.5 Mbit/s"`); a size the largest unit that divides it exactly, else plain bytes.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A span of simulated time in whole nanoseconds, written `"20 ms"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

/// A transmission rate in whole bits per second, written `"10 Mbit/s"` or `"125 kB/s"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u64);

/// An amount of data in whole bytes, written `"64 KiB"`, `"1500 B"` or `1500`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Size(u64);

/// Why a unit string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {quantity} {input:?}: {reason}")]
pub struct UnitError {
    /// "duration", "rate" or "size".
    pub quantity: &'static str,
    /// The string as written.
    pub input: String,
    /// What is wrong and what is allowed.
    pub reason: String,
}

const NS: u128 = 1;
const US: u128 = 1_000;
const MS: u128 = 1_000_000;
const SEC: u128 = 1_000_000_000;

const DURATION_UNITS: &[(&str, u128)] = &[("ns", NS), ("us", US), ("µs", US), ("ms", MS), ("s", SEC)];
const RATE_UNITS: &[(&str, u128)] = &[
    ("bit/s", 1),
    ("kbit/s", 1_000),
    ("Mbit/s", 1_000_000),
    ("Gbit/s", 1_000_000_000),
    ("B/s", 8),
    ("kB/s", 8_000),
    ("MB/s", 8_000_000),
    ("GB/s", 8_000_000_000),
];
const SIZE_UNITS: &[(&str, u128)] = &[
    ("B", 1),
    ("kB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

const DURATION_EXAMPLES: &str = "\"20 ms\", \"1.5 s\", \"250 us\", \"100 ns\"";
const RATE_EXAMPLES: &str = "\"10 Mbit/s\", \"1 Gbit/s\", \"500 kbit/s\", \"125 kB/s\"";
const SIZE_EXAMPLES: &str = "\"64 KiB\", \"10 MB\", \"1500 B\", 1500";

/// Parses a duration such as `"20 ms"` or `"1.5 s"` into whole nanoseconds.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    parse_quantity(s, "duration", DURATION_UNITS, DURATION_EXAMPLES).map(Duration)
}

/// Parses a rate such as `"10 Mbit/s"` or `"125 kB/s"` into whole bits per second.
pub fn parse_rate(s: &str) -> Result<Rate, UnitError> {
    parse_quantity(s, "rate", RATE_UNITS, RATE_EXAMPLES).map(Rate)
}

/// Parses a size such as `"64 KiB"` or `"1500 B"` into whole bytes.
pub fn parse_size(s: &str) -> Result<Size, UnitError> {
    parse_quantity(s, "size", SIZE_UNITS, SIZE_EXAMPLES).map(Size)
}

fn parse_quantity(
    input: &str,
    quantity: &'static str,
    units: &[(&str, u128)],
    examples: &str,
) -> Result<u64, UnitError> {
    let err = |reason: String| UnitError {
        quantity,
        input: input.to_string(),
        reason,
    };
    let unit_list = || units.iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", ");
    let s = input.trim();
    if s.starts_with('-') {
        return Err(err("must not be negative".into()));
    }
    let num_len = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = (&s[..num_len], s[num_len..].trim());
    if num.is_empty() {
        return Err(err(format!("expected a number followed by a unit, e.g. {examples}")));
    }
    // `1e30 Gbit/s`: the exponent was read as the start of an unknown unit "e30 Gbit/s"
    // (red team, rate_huge.ron).
    if let Some(rest) = unit.strip_prefix(['e', 'E']) {
        let unsigned = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let digits = unsigned.len() - unsigned.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if !num.is_empty() && digits > 0 {
            let exponent = &unit[..1 + (rest.len() - unsigned.len()) + digits];
            return Err(err(format!(
                "exponents are not accepted (`{num}{exponent}`): write the number in plain decimal before the unit, \
                 e.g. {examples}"
            )));
        }
    }
    if unit.is_empty() {
        return Err(err(format!(
            "missing unit; accepted units: {}; e.g. {examples}",
            unit_list()
        )));
    }
    let Some(&(_, factor)) = units.iter().find(|(u, _)| *u == unit) else {
        return Err(err(format!(
            "unknown unit {unit:?}; accepted units: {}; e.g. {examples}",
            unit_list()
        )));
    };
    let (mantissa, scale) = parse_decimal(num).ok_or_else(|| err(format!("{num:?} is not a decimal number")))?;
    let too_large = || err(format!("too large (the limit is {} in the base unit)", u64::MAX));
    let scaled = mantissa.checked_mul(factor).ok_or_else(too_large)?;
    let divisor = 10u128.pow(scale);
    if scaled % divisor != 0 {
        let base = match quantity {
            "duration" => "nanoseconds",
            "rate" => "bits per second",
            _ => "bytes",
        };
        return Err(err(format!("not a whole number of {base}")));
    }
    u64::try_from(scaled / divisor).map_err(|_| too_large())
}

/// Reads `digits[.digits]` as (mantissa, number of fractional digits). At most 18
/// fractional digits, so that `10^scale` and the mantissa fit in a `u128`.
pub(crate) fn parse_decimal(num: &str) -> Option<(u128, u32)> {
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || frac.len() > 18 || int.len() > 30 {
        return None;
    }
    let frac_trimmed = frac.trim_end_matches('0');
    let mut mantissa: u128 = 0;
    for b in int.bytes().chain(frac_trimmed.bytes()) {
        mantissa = mantissa.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
    }
    Some((mantissa, frac_trimmed.len() as u32))
}

/// Formats `value / unit` as a decimal without trailing zeros (exact).
fn fmt_decimal(f: &mut fmt::Formatter<'_>, value: u64, unit: u64, name: &str) -> fmt::Result {
    let (int, rem) = (value / unit, value % unit);
    if rem == 0 {
        return write!(f, "{int} {name}");
    }
    let width = unit.ilog10() as usize;
    let frac = format!("{rem:0width$}");
    write!(f, "{int}.{} {name}", frac.trim_end_matches('0'))
}

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration(0);

    /// A span of `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    /// A span of `ms` milliseconds (saturating).
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000_000))
    }
    /// A span of `s` seconds (saturating).
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000_000))
    }
    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// As a kernel duration.
    pub const fn to_sim(self) -> sim_core::SimDuration {
        sim_core::SimDuration(self.0)
    }
    /// As a kernel instant (this span after the start of the run).
    pub const fn to_sim_time(self) -> sim_core::SimTime {
        sim_core::SimTime(self.0)
    }
}

impl Rate {
    /// A rate of `bps` bits per second.
    pub const fn from_bits_per_sec(bps: u64) -> Self {
        Rate(bps)
    }
    /// Bits per second.
    pub const fn bits_per_sec(self) -> u64 {
        self.0
    }
    /// Whole bytes per second (rounded down).
    pub const fn bytes_per_sec(self) -> u64 {
        self.0 / 8
    }
}

impl Size {
    /// `n` bytes.
    pub const fn from_bytes(n: u64) -> Self {
        Size(n)
    }
    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// `"1.5 s"`, `"20 ms"`, `"250 us"`, `"100 ns"`, `"0 s"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        let (unit, name) = match ns {
            0 => (1_000_000_000, "s"),
            n if n >= 1_000_000_000 => (1_000_000_000, "s"),
            n if n >= 1_000_000 => (1_000_000, "ms"),
            n if n >= 1_000 => (1_000, "us"),
            _ => (1, "ns"),
        };
        fmt_decimal(f, ns, unit, name)
    }
}

impl fmt::Display for Rate {
    /// `"10 Mbit/s"`, `"1.5 Gbit/s"`, `"800 bit/s"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, name) = match self.0 {
            n if n >= 1_000_000_000 => (1_000_000_000, "Gbit/s"),
            n if n >= 1_000_000 => (1_000_000, "Mbit/s"),
            n if n >= 1_000 => (1_000, "kbit/s"),
            _ => (1, "bit/s"),
        };
        fmt_decimal(f, self.0, unit, name)
    }
}

impl Size {
    /// The largest unit dividing the size exactly (binary units first), if any.
    fn exact_unit(self) -> Option<(u64, &'static str)> {
        const UNITS: &[(u64, &str)] = &[
            (1 << 30, "GiB"),
            (1_000_000_000, "GB"),
            (1 << 20, "MiB"),
            (1_000_000, "MB"),
            (1 << 10, "KiB"),
            (1_000, "kB"),
        ];
        if self.0 == 0 {
            return None;
        }
        UNITS.iter().copied().find(|(u, _)| self.0.is_multiple_of(*u))
    }
}

impl fmt::Display for Size {
    /// `"64 KiB"`, `"10 MB"`, `"1460 B"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.exact_unit() {
            Some((u, name)) => write!(f, "{} {name}", self.0 / u),
            None => write!(f, "{} B", self.0),
        }
    }
}

impl From<Duration> for sim_core::SimDuration {
    fn from(d: Duration) -> Self {
        d.to_sim()
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Size {
    /// A string with a unit when one divides the size exactly, else a plain integer.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.exact_unit() {
            Some(_) => s.collect_str(self),
            None => s.serialize_u64(self.0),
        }
    }
}

/// Deserializes a unit string; plain numbers are rejected (or accepted, for sizes).
struct UnitVisitor {
    quantity: &'static str,
    examples: &'static str,
    parse: fn(&str) -> Result<u64, UnitError>,
    allow_int: bool,
}

impl<'de> Visitor<'de> for UnitVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} with a unit, e.g. {}", self.quantity, self.examples)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        if self.allow_int {
            Ok(v)
        } else {
            Err(E::custom(format!(
                "a bare number {v} is ambiguous for a {}: write it as a string with a unit, e.g. {}",
                self.quantity, self.examples
            )))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::custom(format!(
                "invalid {} {v}: must not be negative",
                self.quantity
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        Err(E::custom(format!(
            "a bare number {v} is not a {}: write it as a string with a unit, e.g. {}",
            self.quantity, self.examples
        )))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            quantity: "duration",
            examples: DURATION_EXAMPLES,
            parse: |s| parse_duration(s).map(|v| v.0),
            allow_int: false,
        })
        .map(Duration)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            quantity: "rate",
            examples: RATE_EXAMPLES,
            parse: |s| parse_rate(s).map(|v| v.0),
            allow_int: false,
        })
        .map(Rate)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            quantity: "size",
            examples: SIZE_EXAMPLES,
            parse: |s| parse_size(s).map(|v| v.0),
            allow_int: true,
        })
        .map(Size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        assert_eq!(parse_duration("20 ms").unwrap().as_nanos(), 20_000_000);
        assert_eq!(parse_duration("1.5 s").unwrap().as_nanos(), 1_500_000_000);
        assert_eq!(parse_duration("250 us").unwrap().as_nanos(), 250_000);
        assert_eq!(parse_duration("250µs").unwrap().as_nanos(), 250_000);
        assert_eq!(parse_duration("100 ns").unwrap().as_nanos(), 100);
        assert_eq!(parse_duration("0.000000001 s").unwrap().as_nanos(), 1);
        // 0.1 + 0.2 style surprises cannot happen: fixed point.
        assert_eq!(parse_duration("0.3 s").unwrap().as_nanos(), 300_000_000);
        assert_eq!(parse_duration("18446744073.709551615 s").unwrap().as_nanos(), u64::MAX);
    }

    #[test]
    fn rates_and_sizes_are_exact() {
        assert_eq!(parse_rate("10 Mbit/s").unwrap().bits_per_sec(), 10_000_000);
        assert_eq!(parse_rate("1 Gbit/s").unwrap().bits_per_sec(), 1_000_000_000);
        assert_eq!(parse_rate("500 kbit/s").unwrap().bits_per_sec(), 500_000);
        assert_eq!(parse_rate("125 kB/s").unwrap().bits_per_sec(), 1_000_000);
        assert_eq!(parse_rate("1.544 Mbit/s").unwrap().bits_per_sec(), 1_544_000);
        assert_eq!(parse_size("64 KiB").unwrap().bytes(), 65_536);
        assert_eq!(parse_size("10 MB").unwrap().bytes(), 10_000_000);
        assert_eq!(parse_size("1500 B").unwrap().bytes(), 1500);
        assert_eq!(parse_size("1.5 KiB").unwrap().bytes(), 1536);
    }

    #[test]
    fn errors_say_what_is_allowed() {
        let e = parse_duration("20 msec").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid duration \"20 msec\": unknown unit \"msec\"; accepted units: ns, us, µs, ms, s; e.g. \"20 ms\", \"1.5 s\", \"250 us\", \"100 ns\""
        );
        assert_eq!(
            parse_duration("1.5 ns").unwrap_err().reason,
            "not a whole number of nanoseconds"
        );
        assert_eq!(parse_duration("-1 s").unwrap_err().reason, "must not be negative");
        assert!(parse_duration("20").unwrap_err().reason.starts_with("missing unit"));
        assert!(
            parse_duration("ms")
                .unwrap_err()
                .reason
                .starts_with("expected a number")
        );
        assert!(
            parse_duration("1.2.3 s")
                .unwrap_err()
                .reason
                .contains("not a decimal number")
        );
        assert!(
            parse_duration("18446744074 s")
                .unwrap_err()
                .reason
                .starts_with("too large")
        );
        assert!(
            parse_rate("10 Mbps")
                .unwrap_err()
                .reason
                .contains("bit/s, kbit/s, Mbit/s")
        );
        assert!(
            parse_size("64 kib")
                .unwrap_err()
                .reason
                .contains("unknown unit \"kib\"")
        );
        assert_eq!(parse_size("0.1 B").unwrap_err().reason, "not a whole number of bytes");
    }

    #[test]
    fn display_round_trips() {
        for s in ["1.5 s", "20 ms", "250 us", "100 ns", "0 s", "1.000001 s"] {
            assert_eq!(parse_duration(s).unwrap().to_string(), s);
        }
        for s in ["10 Mbit/s", "1.5 Gbit/s", "800 bit/s", "1 Mbit/s"] {
            assert_eq!(parse_rate(s).unwrap().to_string(), s);
        }
        assert_eq!(parse_rate("125 kB/s").unwrap().to_string(), "1 Mbit/s");
        assert_eq!(Size(65_536).to_string(), "64 KiB");
        assert_eq!(Size(2_000_000).to_string(), "2 MB");
        assert_eq!(Size(1460).to_string(), "1460 B");
    }
}
