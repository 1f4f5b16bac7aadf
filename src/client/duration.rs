//! Durations as people type them in `join` (`/ban eve 1d`, `/mute bob 10m`): one number and
//! one unit, turned into the whole seconds the JSON requests carry.
//!
//! The host checks them again (it is the one that must not trust us); checking here too means
//! a typo is explained on the spot instead of sending a request the room will refuse.

/// The longest duration a ban or a mute may have: a year. Longer is "until lifted", which is
/// what leaving the duration out says.
pub const MAX_SECONDS: u64 = 365 * DAY;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;

/// How a duration is written, for usage lines and errors.
pub const FORMS: &str = "30s, 10m, 2h, 1d or 1w";

/// Whether `word` is meant as a duration (digits, then letters: `10m`, but also `10min` or
/// `1x`), so that in `/ban eve 10min spam` the mistake is explained rather than `10min` taken
/// as the start of the reason. A reason may not start with such a word (`2nd warning`); it
/// reads fine after a duration.
pub fn looks_like(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && digits < word.len() && word.bytes().skip(digits).all(|b| b.is_ascii_alphabetic())
}

/// `30s`, `10m`, `2h`, `1d`, `1w` in whole seconds: positive, at most [`MAX_SECONDS`].
pub fn parse(word: &str) -> Result<u64, String> {
    let bad = || format!("'{word}' is not a duration: write {FORMS}");
    let Some((at, unit)) = word.char_indices().next_back() else {
        return Err(bad());
    };
    let number = &word[..at];
    let unit = match unit {
        's' | 'S' => 1,
        'm' | 'M' => MINUTE,
        'h' | 'H' => HOUR,
        'd' | 'D' => DAY,
        'w' | 'W' => WEEK,
        _ => return Err(bad()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let too_long = || format!("'{word}' is too long: a year (365d) at most");
    let count: u64 = number.parse().map_err(|_| too_long())?;
    let seconds = count.checked_mul(unit).ok_or_else(too_long)?;
    match seconds {
        0 => Err(format!(
            "'{word}' is no time at all: give a positive duration"
        )),
        s if s > MAX_SECONDS => Err(too_long()),
        s => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_is_read_in_seconds() {
        assert_eq!(parse("30s"), Ok(30));
        assert_eq!(parse("10m"), Ok(600));
        assert_eq!(parse("2h"), Ok(7200));
        assert_eq!(parse("1d"), Ok(86_400));
        assert_eq!(parse("1w"), Ok(604_800));
        assert_eq!(parse("365d"), Ok(MAX_SECONDS));
        assert_eq!(parse("10M"), Ok(600));
    }

    #[test]
    fn mistakes_are_explained() {
        for word in [
            "", "m", "10", "10x", "1.5h", "-1h", "1h30m", "ten m", "١m", "1é", "é",
        ] {
            let why = parse(word).unwrap_err();
            assert!(why.contains("is not a duration"), "{word:?}: {why}");
        }
        assert!(parse("0s").unwrap_err().contains("no time at all"));
        assert!(parse("366d").unwrap_err().contains("a year"));
        assert!(parse("53w").unwrap_err().contains("a year"));
        assert!(
            parse("99999999999999999999d")
                .unwrap_err()
                .contains("a year")
        );
        assert!(parse("9999999999999999w").unwrap_err().contains("a year"));
    }

    #[test]
    fn what_looks_like_a_duration() {
        assert!(looks_like("10m"));
        assert!(looks_like("366d"));
        assert!(looks_like("1x"));
        assert!(looks_like("10min"));
        assert!(!looks_like("spam"));
        assert!(!looks_like("m10"));
        assert!(!looks_like("10"));
        assert!(!looks_like("10m!"));
        assert!(!looks_like(""));
    }
}
