//! Who is in the room, and who we are, as the event stream tells it.
//!
//! The event thread applies every join, leave, rename and `users` list here; the line editor's
//! Tab completion, the prompt and mention detection read it. Keeping it in one place (behind one
//! mutex, held only for a lookup or an update) is what makes Tab offer exactly the nicknames
//! that are in the room now.

use crate::protocol::Event;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// Our own nickname; `/nick` changes it.
    pub me: String,
    /// Everyone here, ourselves included, in the order the host listed them.
    pub users: Vec<String>,
}

impl Roster {
    pub fn new(me: &str, users: &[String]) -> Self {
        Roster {
            me: me.to_string(),
            users: users.to_vec(),
        }
    }

    /// Updates the roster from an event; other events leave it alone.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Join { nick, .. } if !self.contains(nick) => self.users.push(nick.clone()),
            Event::Leave { nick, .. } => self.users.retain(|u| !u.eq_ignore_ascii_case(nick)),
            Event::Nick { old, new, .. } => {
                for user in &mut self.users {
                    if user.eq_ignore_ascii_case(old) {
                        *user = new.clone();
                    }
                }
                if self.me.eq_ignore_ascii_case(old) {
                    self.me = new.clone();
                }
            }
            Event::Users { users, .. } => self.users = users.clone(),
            _ => {}
        }
    }

    fn contains(&self, nick: &str) -> bool {
        self.users.iter().any(|u| u.eq_ignore_ascii_case(nick))
    }

    /// `nick` as the room spells it (`BOB` -> `bob`), or as given when nobody here has it.
    pub fn spelled(&self, nick: &str) -> String {
        self.users
            .iter()
            .find(|u| u.eq_ignore_ascii_case(nick))
            .map_or(nick, String::as_str)
            .to_string()
    }

    /// Everyone but us: the nicknames worth completing.
    pub fn others(&self) -> impl Iterator<Item = &str> {
        self.users
            .iter()
            .map(String::as_str)
            .filter(|u| !u.eq_ignore_ascii_case(&self.me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Timestamp;
    use crate::protocol::wire::LeaveReason;

    #[test]
    fn follows_joins_leaves_and_renames() {
        let mut roster = Roster::new("ana", &["ana".into(), "bob".into()]);
        let ts = Timestamp::now();
        roster.apply(&Event::Join {
            seq: 1,
            ts,
            nick: "carol".into(),
            count: 3,
        });
        roster.apply(&Event::Nick {
            seq: 2,
            ts,
            old: "bob".into(),
            new: "rob".into(),
        });
        roster.apply(&Event::Leave {
            seq: 3,
            ts,
            nick: "CAROL".into(),
            reason: LeaveReason::Quit,
        });
        assert_eq!(roster.users, ["ana", "rob"]);
        assert_eq!(roster.others().collect::<Vec<_>>(), ["rob"]);
        roster.apply(&Event::Nick {
            seq: 4,
            ts,
            old: "ana".into(),
            new: "anna".into(),
        });
        assert_eq!(roster.me, "anna");
        roster.apply(&Event::Users {
            users: vec!["anna".into(), "rob".into(), "dan".into()],
            id: None,
            operators: Vec::new(),
            away: Vec::new(),
        });
        assert_eq!(roster.others().collect::<Vec<_>>(), ["rob", "dan"]);
        assert_eq!(roster.spelled("ROB"), "rob");
        assert_eq!(roster.spelled("eve"), "eve");
    }
}
