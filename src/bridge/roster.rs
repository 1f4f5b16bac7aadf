//! The room-wide member list: who is in the room on every host, for `/list`, the JSON `list`
//! and a newcomer's welcome.
//!
//! It is read from the keys the nickname claims keep (see [`super::nicks`]): the headcount is
//! the size of `nicks`, and the names as written are the values of each host's
//! `members:<host>`, for every host in the room's `hosts` set (alive, or dead and not reaped
//! yet: a dead host's members stay listed until a reaper announces their leaves, as they stay
//! in `nicks`). Nothing else is written for the list, so claims, releases and the reaper keep
//! it right without knowing about it. One script reads it in one round trip ([`ROSTER`]); a
//! claim reads it in the same script, right after the name is claimed (see [`super::nicks`]).
//!
//! The names come from Redis, so they are cleaned like anything a client sends (no escape
//! sequences reach a terminal), and at most [`MAX_NAMES`] are taken.

use redis::{Connection, RedisResult};

use super::keys::Keys;
use super::scripts::ROSTER;

/// The most names a list holds: far above any `--max-clients` a host serves, and a bound on
/// what a Redis written to by hand can make a host hold.
pub(crate) const MAX_NAMES: usize = 100_000;

/// The room on every host, as one read found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Roster {
    /// How many members the room has, on every host.
    pub(crate) count: u64,
    /// Their nicknames, host after host (whoever shows them sorts them); `None` when not asked
    /// for (a big room's welcome).
    pub(crate) names: Option<Vec<String>>,
}

/// The script's answer: the headcount, whether the names were read, the names.
pub(crate) type Reply = (u64, i64, Vec<Vec<u8>>);

/// Reads the room's headcount, and its names too when it has at most `names_up_to` members.
pub(crate) fn read(conn: &mut Connection, keys: &Keys, names_up_to: u64) -> RedisResult<Roster> {
    let reply: Reply = ROSTER
        .key(keys.nicks())
        .key(keys.hosts())
        .arg(keys.members_prefix())
        .arg(names_up_to)
        .arg(MAX_NAMES)
        .invoke(conn)?;
    Ok(from_reply(reply))
}

/// The roster a script answered with (see [`Reply`]).
pub(crate) fn from_reply((count, listed, names): Reply) -> Roster {
    Roster {
        count,
        names: (listed == 1).then(|| clean(names)),
    }
}

/// Names from Redis, cleaned and bounded.
fn clean(names: Vec<Vec<u8>>) -> Vec<String> {
    names
        .iter()
        .take(MAX_NAMES)
        .map(|name| {
            crate::sanitize::clean(&String::from_utf8_lossy(name))
                .trim()
                .to_string()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::heartbeat;
    use super::super::host_id::HostId;
    use super::super::nicks::{self, Claim};
    use super::super::test_redis::TestRedis;
    use super::*;
    use std::time::Duration;

    /// The names, sorted ignoring case (Redis lists hosts in any order).
    pub(crate) fn sorted(names: Option<Vec<String>>) -> Vec<String> {
        let mut names = names.expect("names");
        names.sort_by_cached_key(|name| crate::nick::fold(name));
        names
    }

    #[test]
    fn names_are_cleaned() {
        let names = ["bob", "\u{1b}[31mEve", "Ann", "  ", "b\u{ff}"];
        let bytes: Vec<Vec<u8>> = names.iter().map(|name| name.as_bytes().to_vec()).collect();
        let mut raw = bytes;
        raw.push(vec![b'z', 0xff]);
        let roster = from_reply((6, 1, raw));
        assert_eq!(
            roster.names.unwrap(),
            ["bob", "Eve", "Ann", "b\u{ff}", "z\u{fffd}"]
        );
        assert_eq!(from_reply((6, 0, Vec::new())).names, None);
    }

    #[test]
    fn the_roster_holds_the_members_of_every_host_in_the_room() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("roster").unwrap();
        let hosts = [HostId::random(), HostId::random(), HostId::random()];
        for host in &hosts {
            heartbeat::register(&mut conn, &keys, host, Duration::from_secs(30)).unwrap();
        }
        for (host, nick) in hosts.iter().zip(["cid", "Ann", "bob"]) {
            let claimed = nicks::claim(&mut conn, &keys, host, nick, 0).unwrap();
            assert_eq!(claimed, Claim::Claimed);
        }
        let roster = read(&mut conn, &keys, 10).unwrap();
        assert_eq!(roster.count, 3);
        assert_eq!(sorted(roster.names), ["Ann", "bob", "cid"]);
        // A big room: the count only.
        let big = read(&mut conn, &keys, 2).unwrap();
        assert_eq!((big.count, big.names), (3, None));
        // One who left is not listed.
        assert!(nicks::release(&mut conn, &keys, &hosts[2], "BOB").unwrap());
        let roster = read(&mut conn, &keys, 10).unwrap();
        assert_eq!(
            (roster.count, sorted(roster.names)),
            (2, vec!["Ann".to_string(), "cid".into()])
        );
    }

    #[test]
    fn an_empty_room_has_no_one() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let keys = Keys::new("empty").unwrap();
        let roster = read(&mut redis.conn(), &keys, 10).unwrap();
        assert_eq!((roster.count, roster.names), (0, Some(Vec::new())));
    }
}
