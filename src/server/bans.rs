//! The room's ban list: addresses and ranges refused entry, until a time or until lifted.
//!
//! Bans are by address because nicknames are free: a banned member could come back under any
//! other. The list is bounded ([`MAX_BANS`]) so that no operator (or a stolen operator
//! password) can grow it without limit, and operators are held to what a ban may cover
//! ([`check_scope`]); the host's console is not. Expired bans are dropped when the list is read
//! or added to, so an expiry needs no timer. The room owns the one [`Bans`], kept across restarts
//! in the room's state file (`room_state_file.rs`).

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::protocol::moderation::{canonical, net_text};
use crate::protocol::parse::Refusal;
use crate::protocol::wire::BanEntry;
use crate::protocol::{ErrorCode, Timestamp};

/// The most bans the list holds.
pub(crate) const MAX_BANS: usize = 1024;

/// The widest IPv4 range an operator may ban (a /16: 65,536 addresses).
const WIDEST_V4: u8 = 16;

/// The widest IPv6 range an operator may ban (a /48: one site).
const WIDEST_V6: u8 = 48;

/// One ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ban {
    pub(crate) net: IpNet,
    /// When it was made.
    pub(crate) ts: Timestamp,
    /// Who made it; `None`: the host's console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) by: Option<String>,
    /// When it ends; `None`: until lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

impl Ban {
    fn is_over(&self, now: Timestamp) -> bool {
        self.until.is_some_and(|until| until <= now)
    }

    /// As the `bans` event lists it.
    pub(crate) fn entry(&self) -> BanEntry {
        BanEntry {
            target: net_text(&self.net),
            ts: self.ts,
            by: self.by.clone(),
            until: self.until,
            reason: self.reason.clone(),
        }
    }

    /// What a banned newcomer is told before it is let go.
    pub(crate) fn refusal(&self) -> Refusal {
        let until = match self.until {
            Some(until) => format!("until {}", until.0.format("%Y-%m-%d %H:%M UTC")),
            None => "until an operator lifts the ban".to_string(),
        };
        let why = self
            .reason
            .as_ref()
            .map(|reason| format!(" ({reason})"))
            .unwrap_or_default();
        Refusal::new(
            ErrorCode::Banned,
            format!("your address is banned from this room {until}{why}"),
        )
    }
}

/// The ban list.
#[derive(Debug, Default)]
pub(crate) struct Bans {
    list: Vec<Ban>,
}

impl Bans {
    /// The list as loaded from the state file, without the bans that have ended (and without
    /// any beyond [`MAX_BANS`], should the file hold more).
    pub(crate) fn from_saved(mut saved: Vec<Ban>, now: Timestamp) -> Self {
        saved.retain(|ban| !ban.is_over(now));
        saved.truncate(MAX_BANS);
        Bans { list: saved }
    }

    /// The ban covering `ip`, if one does.
    pub(crate) fn covering(&mut self, ip: IpAddr, now: Timestamp) -> Option<&Ban> {
        self.sweep(now);
        let ip = canonical(ip);
        self.list.iter().find(|ban| ban.net.contains(&ip))
    }

    /// Adds `ban`, or replaces the ban on the same range (a new duration or reason).
    pub(crate) fn add(&mut self, ban: Ban, now: Timestamp) -> Result<(), Refusal> {
        self.would_take(&ban.net, now)?;
        match self.list.iter_mut().find(|old| old.net == ban.net) {
            Some(old) => *old = ban,
            None => self.list.push(ban),
        }
        Ok(())
    }

    /// Whether a ban on `net` would be taken now (a new one, unless the list is full, or one
    /// replacing the ban on the same range), without taking it.
    pub(crate) fn would_take(&mut self, net: &IpNet, now: Timestamp) -> Result<(), Refusal> {
        self.sweep(now);
        if self.list.len() >= MAX_BANS && !self.list.iter().any(|old| old.net == *net) {
            return Err(Refusal::new(
                ErrorCode::TooManyBans,
                format!("the ban list is full ({MAX_BANS} bans); lift some with /unban first"),
            ));
        }
        Ok(())
    }

    /// The ban on exactly `net`, if there is one.
    pub(crate) fn on(&mut self, net: &IpNet, now: Timestamp) -> Option<&Ban> {
        self.sweep(now);
        self.list.iter().find(|ban| ban.net == *net)
    }

    /// Lifts the ban on exactly `net`.
    pub(crate) fn remove(&mut self, net: &IpNet, now: Timestamp) -> Option<Ban> {
        self.sweep(now);
        let at = self.list.iter().position(|ban| ban.net == *net)?;
        Some(self.list.remove(at))
    }

    /// The bans in force, oldest first.
    pub(crate) fn current(&mut self, now: Timestamp) -> &[Ban] {
        self.sweep(now);
        &self.list
    }

    fn sweep(&mut self, now: Timestamp) {
        self.list.retain(|ban| !ban.is_over(now));
    }
}

/// What banning a member bans: its IPv4 address, or the IPv6 /64 network it is in (one machine
/// usually has a whole /64 to pick addresses from, as the per-address limits count it).
pub(crate) fn member_net(ip: IpAddr) -> IpNet {
    match canonical(ip) {
        IpAddr::V4(v4) => IpNet::from(IpAddr::V4(v4)),
        IpAddr::V6(v6) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| IpNet::V6(net.trunc()))
            .unwrap_or(IpNet::from(IpAddr::V6(v6))),
    }
}

/// Whether an operator at `own` may ban `net`: not a range wider than a /16 (IPv4) or a /48
/// (IPv6), and not one that covers the operator's own address. (The console may.)
pub(crate) fn check_scope(net: &IpNet, own: IpAddr) -> Result<(), Refusal> {
    let widest = match net {
        IpNet::V4(_) => WIDEST_V4,
        IpNet::V6(_) => WIDEST_V6,
    };
    if net.prefix_len() < widest {
        return Err(Refusal::new(
            ErrorCode::NotAllowed,
            format!(
                "{} is too wide a range for an operator to ban (/{WIDEST_V4} for IPv4, \
                 /{WIDEST_V6} for IPv6 at most); the host's console can",
                net_text(net)
            ),
        ));
    }
    if net.contains(&canonical(own)) {
        return Err(Refusal::new(
            ErrorCode::NotAllowed,
            format!("{} covers your own address", net_text(net)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse().unwrap())
    }

    fn ban(net: &str, until: Option<&str>) -> Ban {
        Ban {
            net: net.parse().unwrap(),
            ts: at("2026-12-07T10:00:00Z"),
            by: Some("ana".into()),
            until: until.map(at),
            reason: Some("spam".into()),
        }
    }

    #[test]
    fn a_ban_covers_its_range_until_it_ends() {
        let now = at("2026-12-07T12:00:00Z");
        let mut bans = Bans::default();
        bans.add(ban("10.0.0.0/24", Some("2026-12-07T13:00:00Z")), now)
            .unwrap();
        bans.add(ban("2001:db8::/64", None), now).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(bans.covering(ip("10.0.0.7"), now).is_some());
        assert!(bans.covering(ip("::ffff:10.0.0.7"), now).is_some());
        assert!(bans.covering(ip("10.0.1.7"), now).is_none());
        assert!(bans.covering(ip("2001:db8::42"), now).is_some());
        let later = at("2026-12-07T13:00:00Z");
        assert!(bans.covering(ip("10.0.0.7"), later).is_none(), "expired");
        assert_eq!(bans.current(later).len(), 1);
    }

    #[test]
    fn the_list_is_bounded_and_a_range_is_banned_once() {
        let now = at("2026-12-07T12:00:00Z");
        let mut bans = Bans::default();
        for i in 0..MAX_BANS as u32 {
            let net = format!("{}/32", std::net::Ipv4Addr::from(0x0a00_0000 + i));
            bans.add(ban(&net, None), now).unwrap();
        }
        let refused = bans.add(ban("192.0.2.1/32", None), now).unwrap_err();
        assert_eq!(refused.code, ErrorCode::TooManyBans);
        // Asking first (a shared room takes a ban when it comes back) says the same, and
        // takes nothing.
        let new: IpNet = "192.0.2.1/32".parse().unwrap();
        let banned: IpNet = "10.0.0.0/32".parse().unwrap();
        assert_eq!(
            bans.would_take(&new, now).unwrap_err().code,
            ErrorCode::TooManyBans
        );
        assert!(bans.would_take(&banned, now).is_ok());
        assert!(bans.on(&banned, now).is_some());
        assert!(
            bans.on(&"10.0.0.0/31".parse().unwrap(), now).is_none(),
            "exact"
        );
        // Banning a banned range again replaces it, full or not.
        let mut again = ban("10.0.0.0/32", None);
        again.reason = Some("again".into());
        bans.add(again, now).unwrap();
        assert_eq!(bans.current(now).len(), MAX_BANS);
        assert_eq!(bans.current(now)[0].reason.as_deref(), Some("again"));
        // Lifting one makes room.
        assert!(bans.remove(&"10.0.0.0/32".parse().unwrap(), now).is_some());
        assert!(bans.remove(&"10.0.0.0/32".parse().unwrap(), now).is_none());
        bans.add(ban("192.0.2.1/32", None), now).unwrap();
    }

    #[test]
    fn expired_bans_are_dropped_on_load() {
        let now = at("2026-12-07T12:00:00Z");
        let saved = vec![
            ban("10.0.0.1/32", Some("2026-12-07T11:00:00Z")),
            ban("10.0.0.2/32", Some("2026-12-07T13:00:00Z")),
            ban("10.0.0.3/32", None),
        ];
        let mut bans = Bans::from_saved(saved, now);
        let left: Vec<String> = bans.current(now).iter().map(|b| b.entry().target).collect();
        assert_eq!(left, ["10.0.0.2", "10.0.0.3"]);
    }

    #[test]
    fn a_member_is_banned_by_address_or_ipv6_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(member_net(ip("10.0.0.7")).to_string(), "10.0.0.7/32");
        assert_eq!(member_net(ip("::ffff:10.0.0.7")).to_string(), "10.0.0.7/32");
        assert_eq!(
            member_net(ip("2001:db8::1:2:3:4")).to_string(),
            "2001:db8::/64"
        );
    }

    #[test]
    fn operators_ban_neither_too_wide_nor_themselves() {
        let own: IpAddr = "10.0.0.1".parse().unwrap();
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        assert!(check_scope(&net("10.0.0.7/32"), own).is_ok());
        assert!(check_scope(&net("10.1.0.0/16"), own).is_ok());
        assert!(check_scope(&net("2001:db8::/48"), own).is_ok());
        for (wide, why) in [
            ("10.0.0.0/8", "too wide"),
            ("2001:db8::/32", "too wide"),
            ("10.0.0.0/24", "your own address"),
            ("10.0.0.1/32", "your own address"),
        ] {
            let refusal = check_scope(&net(wide), own).unwrap_err();
            assert_eq!(refusal.code, ErrorCode::NotAllowed);
            assert!(refusal.message.contains(why), "{}", refusal.message);
        }
    }

    #[test]
    fn the_banned_are_told_until_when_and_why() {
        let refusal = ban("10.0.0.7/32", Some("2026-12-07T15:00:00Z")).refusal();
        assert_eq!(refusal.code, ErrorCode::Banned);
        assert_eq!(
            refusal.message,
            "your address is banned from this room until 2026-12-07 15:00 UTC (spam)"
        );
        let mut for_good = ban("10.0.0.7/32", None);
        for_good.reason = None;
        assert_eq!(
            for_good.refusal().message,
            "your address is banned from this room until an operator lifts the ban"
        );
    }
}
