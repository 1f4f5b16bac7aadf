//! Who is in the room, and who we are, as the event stream tells it.
//!
//! The event thread applies every join, leave, rename and `users` list here; the line editor's
//! Tab completion, the prompt and mention detection read it. Keeping it in one place (behind one
//! mutex, held only for a lookup or an update) is what makes Tab offer exactly the nicknames
//! that are in the room now.
//!
//! It also knows who is an operator and who is away (the `operators` and `away` of `welcome`
//! and `users`, then the `op`, `deop`, `away` and `back` events), for `/list` to mark them.

use super::connection::Welcome;
use crate::protocol::Event;
use crate::protocol::wire::Change;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// Our own nickname; `/nick` changes it.
    pub me: String,
    /// Everyone here, ourselves included, in the order the host listed them.
    pub users: Vec<String>,
    /// Who is an operator, as far as we have been told.
    operators: Vec<String>,
    /// Who is away, as far as we have been told.
    away: Vec<String>,
}

/// Removes `nick` from `list`, ignoring case.
fn drop_nick(list: &mut Vec<String>, nick: &str) {
    list.retain(|n| !n.eq_ignore_ascii_case(nick));
}

/// Adds `nick` to `list` unless it is there, ignoring case.
fn add_nick(list: &mut Vec<String>, nick: &str) {
    if !list.iter().any(|n| n.eq_ignore_ascii_case(nick)) {
        list.push(nick.to_string());
    }
}

impl Roster {
    pub fn new(me: &str, users: &[String]) -> Self {
        Roster {
            me: me.to_string(),
            users: users.to_vec(),
            ..Roster::default()
        }
    }

    /// The roster a welcome describes, operators and the away included.
    pub fn of_welcome(welcome: &Welcome) -> Self {
        Roster {
            operators: welcome.operators.clone(),
            away: welcome.away.clone(),
            ..Roster::new(&welcome.nick, &welcome.users)
        }
    }

    /// `nick` left the room: out of the list, and of the marks.
    fn gone(&mut self, nick: &str) {
        drop_nick(&mut self.users, nick);
        drop_nick(&mut self.operators, nick);
        drop_nick(&mut self.away, nick);
    }

    /// Whether `nick` is an operator.
    pub fn is_operator(&self, nick: &str) -> bool {
        self.operators.iter().any(|n| n.eq_ignore_ascii_case(nick))
    }

    /// Whether `nick` is away.
    pub fn is_away(&self, nick: &str) -> bool {
        self.away.iter().any(|n| n.eq_ignore_ascii_case(nick))
    }

    /// Whether `nick` is in the room (ignoring case), ourselves included.
    pub fn is_member(&self, nick: &str) -> bool {
        self.contains(nick)
    }

    /// Updates the roster from an event; other events leave it alone.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Join { nick, .. } if !self.contains(nick) => self.users.push(nick.clone()),
            Event::Leave { nick, .. } => self.gone(nick),
            Event::Nick { old, new, .. } => {
                for user in [&mut self.users, &mut self.operators, &mut self.away]
                    .into_iter()
                    .flatten()
                {
                    if user.eq_ignore_ascii_case(old) {
                        *user = new.clone();
                    }
                }
                if self.me.eq_ignore_ascii_case(old) {
                    self.me = new.clone();
                }
            }
            // The answer to `/list` lists everyone's marks.
            Event::Users {
                users,
                operators,
                away,
                ..
            } => {
                self.users = users.clone();
                self.operators = operators.clone();
                self.away = away.clone();
            }
            Event::Op(Change { nick, .. }) => add_nick(&mut self.operators, nick),
            Event::Deop(Change { nick, .. }) => drop_nick(&mut self.operators, nick),
            Event::Away { nick, .. } => add_nick(&mut self.away, nick),
            Event::Back { nick } => drop_nick(&mut self.away, nick),
            // The host closes them; no `leave` follows, and no one stays.
            Event::Kick {
                change: Change { nick, .. },
                ..
            } => self.gone(nick),
            Event::Ban { nicks, .. } => {
                for nick in nicks {
                    self.gone(nick);
                }
            }
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

    #[test]
    fn follows_operators_and_away_members() {
        let users = ["ana".into(), "bob".into(), "eve".into()];
        let mut roster = Roster::new("ana", &users);
        let event = |line: &str| serde_json::from_str::<Event>(line).unwrap();
        let ts = r#""ts":"2026-12-07T14:00:00.000Z""#;
        roster.apply(&event(
            r#"{"type":"users","users":["ana","bob","eve"],"operators":["ana"],"away":["bob"]}"#,
        ));
        assert!(roster.is_operator("ANA") && roster.is_away("bob"));
        roster.apply(&event(&format!(
            r#"{{"type":"op","nick":"eve","seq":1,{ts}}}"#
        )));
        roster.apply(&event(&format!(
            r#"{{"type":"deop","nick":"ana","seq":2,{ts}}}"#
        )));
        roster.apply(&event(r#"{"type":"back","nick":"bob"}"#));
        assert!(roster.is_operator("eve") && !roster.is_operator("ana"));
        assert!(!roster.is_away("bob"));
        roster.apply(&Event::Nick {
            seq: 3,
            ts: Timestamp::now(),
            old: "eve".into(),
            new: "eva".into(),
        });
        assert!(roster.is_operator("eva") && !roster.is_operator("eve"));
        roster.apply(&event(&format!(
            r#"{{"type":"kick","nick":"eva","seq":4,{ts}}}"#
        )));
        assert!(!roster.is_member("eva") && !roster.is_operator("eva"));
        roster.apply(&event(&format!(
            r#"{{"type":"ban","target":"10.0.0.1","nicks":["BOB"],"seq":5,{ts}}}"#
        )));
        assert_eq!(roster.users, ["ana"]);
    }
}
