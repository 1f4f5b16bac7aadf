//! The pieces of moderation requests that need reading: durations (`30s`, `2h`, `1w`), ban
//! targets (a nickname, an address, a CIDR range) and the free texts (a reason, a topic, an
//! away message), with the limits they are held to.
//!
//! Shared by the plain-mode and JSON parsers (`parse.rs`) and so by `chatroom join`, which reads
//! what its user types with the same parser. The room trusts what comes out of here: a duration
//! is within [`MAX_DURATION`], a range is truncated to its network, a text is sanitized.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::refusal::Refusal;
use super::wire::{ErrorCode, Timestamp};
use crate::{nick, sanitize};

/// The longest a ban or a mute may last: a year. Longer is "until lifted", which is what
/// leaving the duration out means.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Longest reason for a kick or a ban, in characters.
pub const MAX_REASON: usize = 200;

/// Longest topic, in characters.
pub const MAX_TOPIC: usize = 300;

/// Longest away message, in characters.
pub const MAX_AWAY: usize = 200;

/// When a ban or mute of `duration` made `now` ends.
pub fn ends(now: Timestamp, duration: Option<Duration>) -> Option<Timestamp> {
    duration.map(|d| {
        let d = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Timestamp(now.0.checked_add_signed(d).unwrap_or(now.0))
    })
}

/// What a duration looks like, for error messages.
const DURATION_FORMS: &str = "a number and a unit: 30s, 10m, 2h, 1d or 1w (at most 365 days)";

/// How a typed duration is written, for error messages.
pub const DURATION_WORDS: &str = "30s, 10m, 2h, 1d or 1w";

/// Reads a typed duration: one number and one unit (`s`, `m`, `h`, `d`, `w`). `None` when the
/// word is not shaped like a duration at all (so `/ban eve spam` reads `spam` as the reason);
/// `Some(Err)` when it is, but is zero or longer than [`MAX_DURATION`].
pub fn typed_duration(word: &str) -> Option<Result<Duration, Refusal>> {
    let split = word.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = word.split_at(split);
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        "w" => 7 * 24 * 60 * 60,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    // Digits only, so the only failure is overflow: far beyond the limit anyway.
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .unwrap_or(u64::MAX);
    let bad = |why: String| Refusal::new(ErrorCode::BadRequest, why);
    Some(match secs {
        0 => Err(bad(format!(
            "'{word}' is no time at all: give a positive duration"
        ))),
        s if s > MAX_DURATION.as_secs() => {
            Err(bad(format!("'{word}' is too long: a year (365d) at most")))
        }
        s => Ok(Duration::from_secs(s)),
    })
}

/// A word where a duration must be (`/mute eve WORD`): the duration, or why the word is none.
pub fn duration_word(word: &str) -> Result<Duration, Refusal> {
    typed_duration(word).unwrap_or_else(|| {
        Err(Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "'{}' is not a duration: write {DURATION_WORDS}",
                sanitize::clean(word)
            ),
        ))
    })
}

/// Whether `word` is meant as a duration (digits, then letters: `10m`, but also `10min` or
/// `2nd`), for a client that would rather explain a mistyped duration than read it as the
/// start of a reason (see `join`'s `/ban`).
pub fn looks_like_duration(word: &str) -> bool {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && digits < word.len() && word.bytes().skip(digits).all(|b| b.is_ascii_alphabetic())
}

/// A duration given in whole seconds (JSON's `duration`): positive, at most [`MAX_DURATION`].
pub fn seconds(secs: u64) -> Result<Duration, Refusal> {
    if secs == 0 || secs > MAX_DURATION.as_secs() {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!("a duration must be {DURATION_FORMS}; leave it out for no end"),
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// What a ban names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanTarget {
    /// A member, whose address is banned.
    Nick(String),
    /// An address (a /32 or /128 network) or a range.
    Net(IpNet),
}

impl BanTarget {
    /// Reads a ban's target: an address, a CIDR range (its host bits dropped: `10.0.0.7/24` is
    /// `10.0.0.0/24`), or a nickname. An IPv4 address written as IPv6 (`::ffff:10.0.0.7`) is the
    /// IPv4 address, as the host sees such connections.
    pub fn parse(text: &str) -> Result<BanTarget, Refusal> {
        let text = text.trim();
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(BanTarget::Net(IpNet::from(canonical(ip))));
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(BanTarget::Net(canonical_net(net)));
        }
        if !reads_as_address(text) && nick::validate(text).is_ok() {
            return Ok(BanTarget::Nick(text.to_string()));
        }
        Err(Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "\"{}\" is not a nickname, an address or a range like 10.0.0.0/24",
                sanitize::clean(text)
            ),
        ))
    }
}

/// Whether a ban's target `text` is read as an address or a range, never as a nickname: digits
/// and dots (`10.0.0.7`, or `10.0.0` mistyped), a slash, or any colon (IPv6). The host refuses
/// such nicknames, so that `/ban 10.0.0.7` cannot mean both a member and an address.
pub fn reads_as_address(text: &str) -> bool {
    text.contains(':')
        || text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '/')
}

/// As typed: the nickname, or the address or range (see [`net_text`]).
impl std::fmt::Display for BanTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BanTarget::Nick(nick) => f.write_str(nick),
            BanTarget::Net(net) => f.write_str(&net_text(net)),
        }
    }
}

/// An address as the host counts it: an IPv4 address carried in IPv6 is that IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// A range without host bits, an IPv4-mapped range as the IPv4 range it carries.
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && v6.prefix_len() >= 96
        && let Ok(mapped) = ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(mapped.trunc());
    }
    net.trunc()
}

/// A range as people write it: a single address without its `/32` or `/128`.
pub fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

/// A free text (reason, topic, away message): sanitized and trimmed; `None` when nothing is
/// left; refused when longer than `max` characters.
pub fn free_text(text: &str, what: &str, max: usize) -> Result<Option<String>, Refusal> {
    if text.contains(['\n', '\r']) {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!("the {what} holds a line break; keep it to one line"),
        ));
    }
    let clean = sanitize::clean(text);
    let clean = clean.trim();
    if clean.is_empty() {
        return Ok(None);
    }
    if clean.chars().count() > max {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!("the {what} is too long ({max} characters at most)"),
        ));
    }
    Ok(Some(clean.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(word: &str) -> Option<Result<u64, ErrorCode>> {
        typed_duration(word).map(|d| d.map(|d| d.as_secs()).map_err(|r| r.code))
    }

    #[test]
    fn durations_are_a_number_and_a_unit() {
        assert_eq!(typed("30s"), Some(Ok(30)));
        assert_eq!(typed("10m"), Some(Ok(600)));
        assert_eq!(typed("2h"), Some(Ok(7200)));
        assert_eq!(typed("1d"), Some(Ok(86_400)));
        assert_eq!(typed("1w"), Some(Ok(604_800)));
        assert_eq!(typed("365d"), Some(Ok(MAX_DURATION.as_secs())));
        // Shaped like durations, but not allowed.
        assert_eq!(typed("0m"), Some(Err(ErrorCode::BadRequest)));
        assert_eq!(typed("366d"), Some(Err(ErrorCode::BadRequest)));
        assert_eq!(typed("53w"), Some(Err(ErrorCode::BadRequest)));
        assert_eq!(
            typed("99999999999999999999999w"),
            Some(Err(ErrorCode::BadRequest))
        );
        // Not durations: words of a reason.
        for word in ["spam", "10", "m", "1.5h", "10min", "-1h", "1h30m", "1H", ""] {
            assert_eq!(typed(word), None, "{word}");
        }
    }

    #[test]
    fn duration_mistakes_name_the_word_and_say_what_to_write() {
        let why = |word: &str| duration_word(word).unwrap_err().message;
        assert_eq!(duration_word("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(
            why("lunch"),
            "'lunch' is not a duration: write 30s, 10m, 2h, 1d or 1w"
        );
        for word in [
            "", "m", "10", "10x", "1.5h", "-1h", "1h30m", "1H", "\u{663}m",
        ] {
            assert!(why(word).contains("is not a duration"), "{word:?}");
        }
        assert_eq!(
            why("0s"),
            "'0s' is no time at all: give a positive duration"
        );
        assert_eq!(why("400d"), "'400d' is too long: a year (365d) at most");
        assert!(why("99999999999999999999d").contains("a year"));
        assert!(!why("\u{1b}[2J").contains('\u{1b}'));
    }

    #[test]
    fn what_looks_like_a_duration() {
        for word in ["10m", "366d", "1x", "10min", "2nd"] {
            assert!(looks_like_duration(word), "{word}");
        }
        for word in ["spam", "m10", "10", "10m!", ""] {
            assert!(!looks_like_duration(word), "{word}");
        }
    }

    #[test]
    fn json_durations_are_positive_seconds_within_a_year() {
        assert_eq!(seconds(1).unwrap(), Duration::from_secs(1));
        assert!(seconds(0).is_err());
        assert!(seconds(MAX_DURATION.as_secs() + 1).is_err());
        assert!(seconds(MAX_DURATION.as_secs()).is_ok());
    }

    #[test]
    fn ban_targets_are_addresses_ranges_or_nicknames() {
        // As typed, and the network it bans: host bits dropped, IPv4-mapped IPv6 as IPv4, and
        // the widest ranges read without trouble (whether one may ban them is the room's call).
        for (typed, net) in [
            ("10.0.0.7", "10.0.0.7/32"),
            ("10.0.0.7/24", "10.0.0.0/24"),
            ("2001:db8::1", "2001:db8::1/128"),
            ("2001:db8::1/48", "2001:db8::/48"),
            ("::ffff:10.0.0.7", "10.0.0.7/32"),
            ("::ffff:10.0.0.0/120", "10.0.0.0/24"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::/0", "::/0"),
            ("::ffff:0.0.0.0/96", "0.0.0.0/0"),
            ("10.9.8.7/0", "0.0.0.0/0"),
        ] {
            let expected = BanTarget::Net(net.parse().unwrap());
            assert_eq!(BanTarget::parse(typed).unwrap(), expected, "{typed}");
        }
        assert_eq!(
            BanTarget::parse(" eve ").unwrap(),
            BanTarget::Nick("eve".into())
        );
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "300.1.1.1",
            "10.0.0",
            "bad nick",
            "a/b",
            "\u{1b}[2J",
            "",
        ] {
            let refusal = BanTarget::parse(bad).unwrap_err();
            assert_eq!(refusal.code, ErrorCode::BadRequest, "{bad}");
            assert!(!refusal.message.contains('\u{1b}'));
        }
    }

    #[test]
    fn ranges_read_as_people_write_them() {
        assert_eq!(net_text(&"10.0.0.7/32".parse().unwrap()), "10.0.0.7");
        assert_eq!(net_text(&"10.0.0.0/24".parse().unwrap()), "10.0.0.0/24");
        assert_eq!(net_text(&"2001:db8::/64".parse().unwrap()), "2001:db8::/64");
        assert_eq!(net_text(&"::1/128".parse().unwrap()), "::1");
    }

    #[test]
    fn free_texts_are_clean_bounded_and_may_be_empty() {
        assert_eq!(
            free_text(" spam\u{1b}[31m ", "reason", 10).unwrap(),
            Some("spam".into())
        );
        assert_eq!(free_text("  ", "reason", 10).unwrap(), None);
        assert_eq!(
            free_text(&"x".repeat(11), "reason", 10)
                .unwrap_err()
                .message,
            "the reason is too long (10 characters at most)"
        );
        assert!(free_text("a\nb", "topic", 10).is_err());
        assert_eq!(
            free_text(&"é".repeat(10), "topic", 10).unwrap(),
            Some("é".repeat(10))
        );
    }

    #[test]
    fn durations_end_later_and_absent_ones_never() {
        let at = |text: &str| Timestamp(text.parse().unwrap());
        let now = at("2026-12-07T12:00:00Z");
        assert_eq!(
            ends(now, Some(Duration::from_secs(3600))),
            Some(at("2026-12-07T13:00:00Z"))
        );
        assert_eq!(ends(now, None), None);
    }
}
