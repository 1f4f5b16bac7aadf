//! The room-wide member list asked for at most one call at a time (`--redis`): every `/list`,
//! JSON `list`, console `/list` and presence summary that comes while a read is in flight
//! waits for the next one, which answers them all. However many members ask, and however
//! often, a host has at most one roster read waiting for Redis, and what waits here is bounded.

use super::asked::Listing;

/// Listings that may wait for the next read; past this, a listing is refused as busy.
pub(crate) const MAX_WAITING: usize = 4_096;

/// The listings asked for and waiting.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    /// Whether a read is in flight.
    asked: bool,
    /// Those that came since it was asked.
    waiting: Vec<Listing>,
}

impl Lists {
    /// Takes `listing`: `Ok(Some(batch))` to be asked for now (no read in flight), `Ok(None)`
    /// when it waits for the next read, `Err(listing)` when too many wait already.
    pub(crate) fn add(&mut self, listing: Listing) -> Result<Option<Vec<Listing>>, Listing> {
        if self.waiting.len() >= MAX_WAITING {
            return Err(listing);
        }
        self.waiting.push(listing);
        Ok(self.next())
    }

    /// The read in flight was answered: the batch to ask for next, if any waited.
    pub(crate) fn answered(&mut self) -> Option<Vec<Listing>> {
        self.asked = false;
        self.next()
    }

    /// The batch last taken could not be asked for: no read is in flight.
    pub(crate) fn not_asked(&mut self) {
        self.asked = false;
    }

    fn next(&mut self) -> Option<Vec<Listing>> {
        if self.asked || self.waiting.is_empty() {
            return None;
        }
        self.asked = true;
        Some(std::mem::take(&mut self.waiting))
    }
}

/// The most members for which the read of `batch` reads the names too: none when only
/// presence summaries wait (they need the headcount), everyone otherwise.
pub(crate) fn names_up_to(batch: &[Listing]) -> u64 {
    match batch
        .iter()
        .all(|listing| matches!(listing, Listing::Presence { .. }))
    {
        true => 0,
        false => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence() -> Listing {
        Listing::Presence { joined: 1, left: 0 }
    }

    #[test]
    fn one_read_at_a_time_and_those_who_wait_go_together() {
        let mut lists = Lists::default();
        let first = lists.add(Listing::Console).unwrap().expect("asked at once");
        assert_eq!(first.len(), 1);
        assert!(lists.add(presence()).unwrap().is_none());
        assert!(lists.add(Listing::Console).unwrap().is_none());
        let next = lists.answered().expect("the two that waited");
        assert_eq!(next.len(), 2);
        assert!(lists.answered().is_none(), "nobody waits");
        assert!(lists.add(presence()).unwrap().is_some());
    }

    #[test]
    fn a_batch_not_asked_leaves_nothing_in_flight() {
        let mut lists = Lists::default();
        assert!(lists.add(Listing::Console).unwrap().is_some());
        lists.not_asked();
        assert!(lists.add(Listing::Console).unwrap().is_some());
    }

    #[test]
    fn what_waits_is_bounded() {
        let mut lists = Lists::default();
        lists.add(Listing::Console).unwrap();
        for _ in 0..MAX_WAITING {
            assert!(lists.add(presence()).unwrap().is_none());
        }
        assert!(lists.add(presence()).is_err());
        assert_eq!(lists.answered().map(|batch| batch.len()), Some(MAX_WAITING));
    }

    #[test]
    fn names_are_read_unless_only_summaries_wait() {
        assert_eq!(names_up_to(&[presence(), presence()]), 0);
        assert_eq!(names_up_to(&[presence(), Listing::Console]), u64::MAX);
    }
}
