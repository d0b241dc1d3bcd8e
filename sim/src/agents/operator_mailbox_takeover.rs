//! Operator-mailbox takeover (Coinigy, October 16, 2016): one operator's reused password opens
//! their company mailbox, and the mailbox opens every outside service whose account it signs
//! into.
//!
//! Model: it knows the first operator's address and the password they used on another site
//! ([`Intel::operators`](super::Intel), filled when `identity.operator_password_reused` is on;
//! with nobody listed it does nothing). One step per wake, a wake every `interval`: it signs in
//! to the mailbox (`TakeMailbox`); then, service by service (payments, invoicing, social,
//! helpdesk, mailing list), it asks for a password reset of the operator's account through the
//! mailbox and exports what the account holds (a service without customer data is only reset);
//! last it resets source hosting and clones the source (`CloneSource`), which hands the
//! server-side API keys to the criminal market when they are reachable from it. Then it stops:
//! using the keys is another attacker's (`api_key_thief`). It never hears whether a step worked —
//! the world decides from ground truth and the policy (`operator_mailbox_2fa`, source hosting's
//! IP restriction) — so it goes through every step regardless.

use crate::input::limits::MAX_DURATION_NS;
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, Minor};

use super::{Action, Behave, Catalogue, MarketData, Service, Stream, View, Wake, WorldAction};

pub const KIND: Catalogue = Catalogue {
    name: "operator_mailbox_takeover",
    about: "takes an operator's mailbox with a reused password, resets and exports every outside service, clones the source (Coinigy)",
    fields: &["interval"],
    attacker: true,
};

/// An operator-mailbox takeover's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Time between its steps.
    pub interval_ns: u64,
}

/// Reads an `operator_mailbox_takeover` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    Ok(Params { interval_ns: f.duration("interval", 300_000_000_000, 1, MAX_DURATION_NS)? })
}

/// The cascade, in order, after taking the mailbox.
fn cascade() -> Vec<WorldAction> {
    let mut steps = Vec::new();
    for service in Service::ALL {
        steps.push(WorldAction::ResetService { service });
        if service.holds_customer_data() {
            steps.push(WorldAction::ExportService { service });
        }
    }
    steps.push(WorldAction::CloneSource);
    steps
}

#[derive(Clone, Debug)]
pub struct OperatorMailboxTakeover {
    params: Params,
    /// Steps taken so far (0: the mailbox is next).
    step: usize,
    steps: Vec<WorldAction>,
}

impl Behave for OperatorMailboxTakeover {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> OperatorMailboxTakeover {
        OperatorMailboxTakeover { params, step: 0, steps: cascade() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        let &[(email, password), ..] = view.intel.operators.as_slice() else { return None };
        let action = match self.step {
            0 => WorldAction::TakeMailbox { email, password },
            n => *self.steps.get(n - 1)?,
        };
        self.step += 1;
        out.push(Action::World(action));
        (self.step <= self.steps.len()).then_some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::exchange::{Email, Password};

    #[test]
    fn without_a_leaked_operator_it_does_nothing() {
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        let mut a = OperatorMailboxTakeover::new(Params { interval_ns: 5 }, &[], &bench.markets);
        assert_eq!(bench.wake(0, Wake::Tick, |w, v, r, o| a.wake(w, v, r, o)), (vec![], None));
    }

    #[test]
    fn mailbox_then_each_service_reset_and_exported_then_the_source() {
        let mut bench = Bench::new(&[0, 0], btc_usd(None));
        bench.intel.operators.push((Email(2), Password(9)));
        let mut a = OperatorMailboxTakeover::new(Params { interval_ns: 5 }, &[], &bench.markets);
        let mut all = Vec::new();
        loop {
            let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| a.wake(w, v, r, o));
            assert_eq!(out.len(), 1, "one step a wake");
            all.extend(out);
            match next {
                Some(d) => assert_eq!(d, 5),
                None => break,
            }
        }
        use Service::*;
        let reset = |service| Action::World(WorldAction::ResetService { service });
        let export = |service| Action::World(WorldAction::ExportService { service });
        let want = vec![
            Action::World(WorldAction::TakeMailbox { email: Email(2), password: Password(9) }),
            reset(Payments),
            export(Payments),
            reset(Invoicing),
            export(Invoicing),
            reset(Social),
            reset(Helpdesk),
            export(Helpdesk),
            reset(MailingList),
            export(MailingList),
            reset(SourceHosting),
            Action::World(WorldAction::CloneSource),
        ];
        assert_eq!(all, want);
        let (out, _) = bench.wake(0, Wake::Followup, |w, v, r, o| a.wake(w, v, r, o));
        assert!(out.is_empty());
    }
}
