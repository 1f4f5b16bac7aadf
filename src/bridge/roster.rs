//! The room-wide member list: who is in the room on every host, for `/list`, the JSON `list`
//! and a newcomer's welcome.
//!
//! It is read from the keys the nickname claims keep (see [`super::nicks`]): the headcount is
//! the size of `nicks`, and the names as written are the values of each host's
//! `members:<host>`, for every host in the room's `hosts` set (alive, or dead and not reaped
//! yet: a dead host's members stay listed until a reaper announces their leaves, as they stay
//! in `nicks`). Nothing else is written for the list, so claims, releases and the reaper keep
//! it right without knowing about it.
//!
//! Two round trips (the hosts and the headcount, then every host's names), neither atomic with
//! the other: a member who joins or leaves meanwhile may be in one and not the other, as in any
//! list that is out of date once read.
//!
//! The names come from Redis, so they are cleaned like anything a client sends (no escape
//! sequences reach a terminal), and at most [`MAX_NAMES`] are taken.

use redis::{Connection, RedisResult};

use super::host_id::HostId;
use super::keys::Keys;
use crate::nick::fold;

/// The most names a list holds: far above any `--max-clients` a host serves, and a bound on
/// what a Redis written to by hand can make a host hold.
pub(crate) const MAX_NAMES: usize = 100_000;

/// The room on every host, as one read found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Roster {
    /// How many members the room has, on every host.
    pub(crate) count: u64,
    /// Their nicknames, sorted ignoring case; `None` when not asked for (a big room's welcome).
    pub(crate) names: Option<Vec<String>>,
}

/// Reads the room's headcount, and its names too when it has at most `names_up_to` members.
pub(crate) fn read(conn: &mut Connection, keys: &Keys, names_up_to: u64) -> RedisResult<Roster> {
    let (hosts, count): (Vec<String>, u64) = redis::pipe()
        .cmd("SMEMBERS")
        .arg(keys.hosts())
        .cmd("HLEN")
        .arg(keys.nicks())
        .query(conn)?;
    if count > names_up_to {
        return Ok(Roster { count, names: None });
    }
    // A member in `hosts` that is not a host id was not put there by a host: it has no members.
    let hosts: Vec<HostId> = hosts.iter().filter_map(|id| id.parse().ok()).collect();
    let mut pipe = redis::pipe();
    for host in &hosts {
        pipe.cmd("HVALS").arg(keys.members(host));
    }
    let per_host: Vec<Vec<String>> = if hosts.is_empty() {
        Vec::new()
    } else {
        pipe.query(conn)?
    };
    Ok(Roster {
        count,
        names: Some(names(per_host)),
    })
}

/// The names of every host's members, cleaned, bounded and sorted ignoring case.
fn names(per_host: Vec<Vec<String>>) -> Vec<String> {
    let mut names: Vec<String> = per_host
        .into_iter()
        .flatten()
        .map(|name| crate::sanitize::clean(&name).trim().to_string())
        .filter(|name| !name.is_empty())
        .take(MAX_NAMES)
        .collect();
    names.sort_by_cached_key(|name| fold(name));
    names
}

#[cfg(test)]
mod tests {
    use super::super::heartbeat;
    use super::super::nicks::{self, Claim};
    use super::super::test_redis::TestRedis;
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_are_cleaned_and_sorted_ignoring_case() {
        let got = names(vec![
            vec!["bob".into(), "\u{1b}[31mEve".into()],
            vec!["Ann".into(), "  ".into()],
        ]);
        assert_eq!(got, ["Ann", "bob", "Eve"]);
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
        assert_eq!(roster.names.unwrap(), ["Ann", "bob", "cid"]);
        // A big room: the count only.
        let big = read(&mut conn, &keys, 2).unwrap();
        assert_eq!((big.count, big.names), (3, None));
        // One who left is not listed.
        assert!(nicks::release(&mut conn, &keys, &hosts[2], "BOB").unwrap());
        let roster = read(&mut conn, &keys, 10).unwrap();
        assert_eq!(
            (roster.count, roster.names.unwrap()),
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
