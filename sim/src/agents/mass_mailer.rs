//! Mass mailer: an operator who sends a bulk announcement to every account (BitMEX, November 1,
//! 2019: one general email to all users).
//!
//! Model: a staff member (the group needs `role = "admin"`, whose permission `announce` it uses)
//! sends `Announce { batch, batches }` at its start and then after every `interval`: the exchange mails
//! every registered address in batches of `batch` accounts — at most `batches` of them, the first
//! accounts' (BitMEX: sending stopped when someone noticed). What each batch shows to whom is the
//! exchange's business (`Bcc:`, or with `bulk_mail_to_field` the `To:` field); the mailer only
//! asks.

use crate::exchange::{Command, IdentityCommand};
use crate::input::limits::MAX_DURATION_NS;
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "mass_mailer",
    about: "an operator (role admin) who sends an announcement to every account, in batches",
    fields: &["batch", "batches", "interval"],
    attacker: false,
};

/// Most addresses one batch may carry.
pub const MAX_BATCH: u32 = 100_000;

/// A mass mailer's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Accounts per mail.
    pub batch: u32,
    /// Most batches per announcement ([`IdentityCommand::ALL_BATCHES`]: every account).
    pub batches: u32,
    /// Time between announcements.
    pub interval_ns: u64,
}

/// Reads a `mass_mailer` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    Ok(Params {
        batch: f.uint32("batch", 1_000, 1, MAX_BATCH)?,
        batches: f.uint32("batches", IdentityCommand::ALL_BATCHES, 1, IdentityCommand::ALL_BATCHES)?,
        interval_ns: f.duration("interval", MAX_DURATION_NS, 1, MAX_DURATION_NS)?,
    })
}

#[derive(Clone, Debug)]
pub struct MassMailer {
    params: Params,
}

impl Behave for MassMailer {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> MassMailer {
        MassMailer { params }
    }

    fn wake(&mut self, why: Wake, _view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        out.push(Action::Command(Command::Identity(IdentityCommand::Announce {
            batch: self.params.batch,
            batches: self.params.batches,
        })));
        (why == Wake::Tick).then_some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};

    #[test]
    fn it_announces_in_its_batches_at_every_interval() {
        let mut m = MassMailer::new(Params { batch: 250, batches: 3, interval_ns: 7 }, &[], &btc_usd(None));
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| m.wake(w, v, r, o));
        assert_eq!(next, Some(7));
        assert_eq!(out, vec![Action::Command(Command::Identity(IdentityCommand::Announce { batch: 250, batches: 3 }))]);
    }
}
