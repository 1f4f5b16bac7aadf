//! Nicknames across hosts: each is held by one member of one host, room-wide, and the room-wide
//! headcount (`--max-clients` counts everybody on every host).
//!
//! Redis holds, per room, `nicks` (folded nickname -> the holder's host id: folded as
//! [`crate::nick::fold`] folds, so `Alice` and `alice` are one name across hosts as on one) and,
//! per host, `members:<host>` (folded nickname -> the nickname as written: what a reaper needs to
//! announce the leaves of a dead host's members). Claim and release are scripts, so two hosts
//! claiming one name at once cannot both get it, and a host can release only its own.
//!
//! What is checked here is only what must be atomic across hosts; the host still checks a name
//! against its own rules and members first (validity, look-alikes on the same host, the hold
//! after a leave: see `server/names.rs`).

use redis::{Connection, RedisResult};

use super::host_id::HostId;
use super::keys::Keys;
use super::roster::{self, Roster};
use super::scripts::{CLAIM, RELEASE};
use crate::nick::fold;

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The nickname is this host's member's now.
    Claimed,
    /// A member of the host `owner` (perhaps this one) holds it.
    Taken { owner: String },
    /// The room holds its most members already.
    Full,
}

/// Claims `nick` for a member of `host`, in a room of at most `most` members (0: no limit).
#[cfg(test)]
pub(crate) fn claim(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    nick: &str,
    most: u32,
) -> RedisResult<Claim> {
    claim_with_roster(conn, keys, host, nick, most, None).map(|(claim, _)| claim)
}

/// Claims `nick` for a member of `host`, in a room of at most `most` members (0: no limit),
/// and, when claimed and `names_up_to` is given, reads the room's
/// roster in the same script (with the names when it has at most that many members): one
/// round trip for a newcomer's claim and welcome.
pub(crate) fn claim_with_roster(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    nick: &str,
    most: u32,
    names_up_to: Option<u64>,
) -> RedisResult<(Claim, Option<Roster>)> {
    // The script reads no roster for a negative bound.
    let up_to = names_up_to.map_or(-1, i128::from);
    let (status, owner, roster): (i64, String, Option<roster::Reply>) = CLAIM
        .key(keys.nicks())
        .key(keys.members(host))
        .key(keys.hosts())
        .arg(fold(nick))
        .arg(nick)
        .arg(host.as_str())
        .arg(most)
        .arg(up_to.to_string())
        .arg(keys.members_prefix())
        .arg(roster::MAX_NAMES)
        .invoke(conn)?;
    let claim = match status {
        1 => Claim::Claimed,
        0 => Claim::Taken { owner },
        _ => Claim::Full,
    };
    Ok((claim, roster.map(roster::from_reply)))
}

/// Gives up `nick`, if a member of `host` holds it; true when it did.
pub(crate) fn release(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    nick: &str,
) -> RedisResult<bool> {
    RELEASE
        .key(keys.nicks())
        .key(keys.members(host))
        .arg(fold(nick))
        .arg(host.as_str())
        .invoke(conn)
}

/// How many members the room has, on every host.
#[cfg(test)]
pub(crate) fn headcount(conn: &mut Connection, keys: &Keys) -> RedisResult<u64> {
    redis::cmd("HLEN").arg(keys.nicks()).query(conn)
}

/// The nicknames of one host's members, as written.
#[cfg(test)]
pub(crate) fn members_of(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
) -> RedisResult<Vec<String>> {
    redis::cmd("HVALS").arg(keys.members(host)).query(conn)
}

#[cfg(test)]
mod tests {
    use super::super::test_redis::TestRedis;
    use super::*;

    fn keys() -> Keys {
        Keys::new("test").unwrap()
    }

    #[test]
    fn a_nickname_is_one_hosts_ignoring_case() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let (mut one, mut two) = (redis.conn(), redis.conn());
        let (a, b) = (HostId::random(), HostId::random());
        assert_eq!(
            claim(&mut one, &keys(), &a, "Alice", 0).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            claim(&mut two, &keys(), &b, "aLICE", 0).unwrap(),
            Claim::Taken {
                owner: a.to_string()
            }
        );
        // Only its holder's host can give it up.
        assert!(!release(&mut two, &keys(), &b, "alice").unwrap());
        assert_eq!(members_of(&mut one, &keys(), &a).unwrap(), ["Alice"]);
        assert!(release(&mut one, &keys(), &a, "ALICE").unwrap());
        assert!(members_of(&mut one, &keys(), &a).unwrap().is_empty());
        assert_eq!(
            claim(&mut two, &keys(), &b, "aLICE", 0).unwrap(),
            Claim::Claimed
        );
        assert_eq!(members_of(&mut two, &keys(), &b).unwrap(), ["aLICE"]);
    }

    #[test]
    fn a_claim_reads_the_roster_in_the_same_call() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (a, b) = (HostId::random(), HostId::random());
        let ttl = std::time::Duration::from_secs(30);
        for host in [&a, &b] {
            super::super::heartbeat::register(&mut conn, &keys(), host, ttl).unwrap();
        }
        claim(&mut conn, &keys(), &a, "Ann", 0).unwrap();
        let (claimed, roster) =
            claim_with_roster(&mut conn, &keys(), &b, "bob", 0, Some(5)).unwrap();
        assert_eq!(claimed, Claim::Claimed);
        let roster = roster.expect("a roster");
        let names = super::super::roster::tests::sorted(roster.names);
        assert_eq!(
            (roster.count, names),
            (2, vec!["Ann".to_string(), "bob".into()])
        );
        // A big room: the count only.
        let (_, roster) = claim_with_roster(&mut conn, &keys(), &b, "cid", 0, Some(2)).unwrap();
        assert_eq!(
            roster,
            Some(Roster {
                count: 3,
                names: None
            })
        );
        // None asked for, or nothing claimed: none read.
        let (_, roster) = claim_with_roster(&mut conn, &keys(), &b, "dee", 0, None).unwrap();
        assert_eq!(roster, None);
        let (taken, roster) = claim_with_roster(&mut conn, &keys(), &b, "ANN", 0, Some(9)).unwrap();
        assert!(matches!(taken, Claim::Taken { .. }), "{taken:?}");
        assert_eq!(roster, None);
    }

    #[test]
    fn a_race_for_one_nickname_has_one_winner() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let mut conn = redis.conn();
                std::thread::spawn(move || {
                    let host = HostId::random();
                    (0..50)
                        .filter(|n| {
                            claim(&mut conn, &keys(), &host, &format!("nick{n}"), 0).unwrap()
                                == Claim::Claimed
                        })
                        .count()
                })
            })
            .collect();
        let won: usize = racers.into_iter().map(|r| r.join().unwrap()).sum();
        assert_eq!(won, 50);
        assert_eq!(headcount(&mut redis.conn(), &keys()).unwrap(), 50);
    }

    #[test]
    fn a_full_room_refuses_on_every_host() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (a, b) = (HostId::random(), HostId::random());
        assert_eq!(
            claim(&mut conn, &keys(), &a, "ana", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            claim(&mut conn, &keys(), &b, "bo", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(claim(&mut conn, &keys(), &b, "cy", 2).unwrap(), Claim::Full);
        assert_eq!(claim(&mut conn, &keys(), &a, "cy", 2).unwrap(), Claim::Full);
        assert!(release(&mut conn, &keys(), &a, "ana").unwrap());
        assert_eq!(
            claim(&mut conn, &keys(), &b, "cy", 2).unwrap(),
            Claim::Claimed
        );
        assert_eq!(headcount(&mut conn, &keys()).unwrap(), 2);
    }
}
