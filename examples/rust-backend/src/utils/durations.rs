//! Durations as Open WebUI writes them: `JWT_EXPIRES_IN=4w`, `1d12h`, `-1`.
//!
//! Upstream scans the string for every `<number><unit>` pair and adds them up, so it
//! accepts more than its documentation shows (`30min` is thirty minutes, `1h30` is one
//! hour). The twin accepts exactly the same strings, with the same result, down to the
//! microsecond and the range of Python's `timedelta`.

use std::fmt;

// --8<-- [start:units]
/// Microseconds per unit, longest unit name first: `ms` must win over `m` and `s`.
const UNITS: [(&str, f64); 6] = [
    ("ms", 1e3),
    ("s", 1e6),
    ("m", 60e6),
    ("h", 3_600e6),
    ("d", 86_400e6),
    ("w", 604_800e6),
];

/// Python's `timedelta` spans ±999,999,999 days; `i128` holds that range exactly.
const MICROS_PER_DAY: i128 = 86_400_000_000;
const MAX_MICROS: i128 = 999_999_999 * MICROS_PER_DAY + (MICROS_PER_DAY - 1);
const MIN_MICROS: i128 = -999_999_999 * MICROS_PER_DAY;
// --8<-- [end:units]

/// A signed span with microsecond resolution: Python's `timedelta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeDelta {
    micros: i128,
}

impl TimeDelta {
    /// The span in microseconds.
    #[must_use]
    pub fn micros(self) -> i128 {
        self.micros
    }
}

/// The string holds no number-unit pair, or its span is out of `timedelta`'s range.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidDuration(pub String);

impl fmt::Display for InvalidDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?}: expected pairs like 4w or 1d12h",
            self.0
        )
    }
}

impl std::error::Error for InvalidDuration {}

// --8<-- [start:parse]
/// Returns the span `value` names, or `None` for "never expires".
///
/// `"-1"` and `"0"` mean no expiry; any other string must contain at least one
/// number-unit pair, and text between pairs is ignored, as upstream ignores it.
///
/// # Errors
/// [`InvalidDuration`] when no pair is found or the sum leaves `timedelta`'s range.
pub fn parse_duration(value: &str) -> Result<Option<TimeDelta>, InvalidDuration> {
    if value == "-1" || value == "0" {
        return Ok(None);
    }
    let invalid = || InvalidDuration(value.to_owned());
    let mut total: Option<i128> = None;
    let mut rest = value;
    while let Some(first) = rest.chars().next() {
        if let Some((micros, len)) = pair_at(rest) {
            let sum = total.unwrap_or(0) + micros.ok_or_else(invalid)?;
            total = Some(in_range(sum).ok_or_else(invalid)?);
            rest = &rest[len..];
        } else {
            rest = &rest[first.len_utf8()..];
        }
    }
    total
        .map(|micros| Some(TimeDelta { micros }))
        .ok_or_else(invalid)
}

/// Matches `-?[0-9]+(\.[0-9]+)?(ms|s|m|h|d|w)` at the start of `text`, like Python's
/// `re.findall` does at each position: the span (`None` if out of range) and the length.
fn pair_at(text: &str) -> Option<(Option<i128>, usize)> {
    let digits =
        |from: usize| text[from..].bytes().take_while(u8::is_ascii_digit).count();
    let start = usize::from(text.starts_with('-'));
    let whole = digits(start);
    if whole == 0 {
        return None;
    }
    let mut end = start + whole;
    if text[end..].starts_with('.') && digits(end + 1) > 0 {
        end += 1 + digits(end + 1);
    }
    let number: f64 = text[..end].parse().ok()?;
    let (unit, per_unit) = UNITS
        .iter()
        .find(|(unit, _)| text[end..].starts_with(unit))?;
    Some((to_micros(number * per_unit), end + unit.len()))
}
// --8<-- [end:parse]

/// Rounds half to even, as `timedelta` does, and keeps the result in its range.
fn to_micros(micros: f64) -> Option<i128> {
    // The cast saturates at i128's bounds, far outside the range `in_range` allows.
    #[allow(clippy::cast_possible_truncation)]
    in_range(micros.round_ties_even() as i128)
}

fn in_range(micros: i128) -> Option<i128> {
    (MIN_MICROS..=MAX_MICROS)
        .contains(&micros)
        .then_some(micros)
}

// --8<-- [start:tests]
#[cfg(test)]
mod tests {
    use super::parse_duration;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        spans: Vec<Span>,
        never_expires: Vec<String>,
        invalid: Vec<String>,
        deviations: Vec<Deviation>,
    }

    #[derive(Deserialize)]
    struct Span {
        input: String,
        micros: i128,
    }

    #[derive(Deserialize)]
    struct Deviation {
        input: String,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!(
            "../../../../snippets/vectors/durations.json"
        ))
        .unwrap()
    }

    #[test]
    fn spans_match_upstream() {
        for span in vectors().spans {
            let parsed = parse_duration(&span.input).unwrap().unwrap();
            assert_eq!(parsed.micros(), span.micros, "input {:?}", span.input);
        }
    }

    #[test]
    fn minus_one_and_zero_never_expire() {
        for input in vectors().never_expires {
            assert_eq!(parse_duration(&input), Ok(None), "input {input:?}");
        }
    }

    #[test]
    fn invalid_strings_are_rejected() {
        let vectors = vectors();
        let deviations = vectors.deviations.into_iter().map(|d| d.input);
        for input in vectors.invalid.into_iter().chain(deviations) {
            assert!(parse_duration(&input).is_err(), "input {input:?}");
        }
    }
}
// --8<-- [end:tests]
