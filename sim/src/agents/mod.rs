//! Agents: small, documented behaviour models that only emit actions — exchange commands, or
//! chain actions the world carries out ([`Action`]) — and the registry of their kinds.
//!
//! An agent never touches the exchange's state. It is woken by the kernel (its own timer, or a
//! follow-up it asked for), looks at a [`View`] — what a client could know: public market data,
//! its own account balances, plus the fair value as named ground truth (see `view`), with no way
//! to reach the exchange — and pushes commands, which the simulator sends over the network under
//! fresh idempotency keys. It learns outcomes only from the answers that reach it
//! ([`Agent::answered`]); lost answers are retried by its client.
//!
//! Each kind is defined once, in its own file: its `Params` (what a scenario sets; the agent holds
//! it), its `parse` (the scenario's `[agents.NAME]` fields of that kind, through
//! [`KindFields`]), its catalogue entry `KIND` (name, `exsim list agents` line, fields) and its
//! behaviour ([`Behave`]). The one `kinds!` line per kind below makes [`KINDS`] (which the parser
//! and `exsim list agents` read), [`Behaviour`] (a group's parameters) and [`Agent`] (what the
//! kernel wakes): adding a kind is one new file and one line there.
//!
//! Invariant: an agent's decisions depend only on its own stream, its view and the answers it got,
//! so adding an agent never changes what another draws.

mod action;
pub mod admin_takeover;
pub mod api_key_thief;
pub mod bank_run;
pub mod credential_stuffer;
pub mod depositor;
pub mod hot_wallet_thief;
pub mod insider;
mod intel;
pub mod malleability_claimant;
pub mod market_maker;
pub mod mass_mailer;
pub mod momentum;
pub mod noise;
pub mod operator_mailbox_takeover;
pub mod phisher;
pub mod rfq;
#[cfg(test)]
mod testing;
mod view;
pub mod wash_bot;
pub mod withdrawal_racer;
pub mod withdrawer;

use crate::exchange::Command;
use crate::exchange::Outcome;
use crate::input::{KindFields, ScenarioError};
use crate::rng::Stream;
use crate::units::{AssetId, Minor};

pub use action::{Action, ChainAction, Service, WorldAction};
pub use intel::{Intel, Phished};
pub use view::{AccountState, GroundTruth, MarketData, View};

/// Why an agent is woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Its regular timer; it answers with the next one.
    Tick,
    /// A follow-up it asked for from [`Agent::answered`]; no new timer.
    Followup,
}

/// What a kind's file says about it: its `kind` string, its `exsim list agents` line, its own
/// fields in documentation order (besides the fields every group has), and whether it is an
/// attacker (ground truth, never shown to the exchange).
#[derive(Clone, Copy, Debug)]
pub struct Catalogue {
    pub name: &'static str,
    pub about: &'static str,
    pub fields: &'static [&'static str],
    /// Ground truth: the kind is an attacker's (breach metrics count what its agents take).
    pub attacker: bool,
}

/// One entry of the registry: a kind's catalogue entry and its parser.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub about: Catalogue,
    pub parse: fn(&KindFields<'_>) -> Result<Behaviour, ScenarioError>,
}

/// An agent kind's behaviour, over its own `Params`.
pub trait Behave: Sized {
    /// What a scenario sets for the kind.
    type Params;
    /// A fresh agent with `params`, given its funding at start and the markets' public data.
    fn new(params: Self::Params, funding: &[(AssetId, Minor)], markets: &[MarketData]) -> Self;
    /// Acts: pushes actions (exchange commands, chain actions) to `out`; on a [`Wake::Tick`] returns the delay to its next tick.
    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64>;
    /// Learns the outcome of one of its commands; may ask for a follow-up wake after a delay.
    fn answered(&mut self, _command: &Command, _outcome: &Outcome, _rng: &mut Stream) -> Option<u64> {
        None
    }
}

/// Builds, from one line per kind (`Variant(module::AgentType)`), the registry and the two enums.
macro_rules! kinds {
    ($($variant:ident($module:ident::$agent:ident)),* $(,)?) => {
        /// What an agent group does: its kind and that kind's parameters (each documented in the
        /// kind's file).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Behaviour {
            $($variant($module::Params),)*
        }

        impl Behaviour {
            /// The `kind` string used in scenario files.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Behaviour::$variant(_) => $module::KIND.name,)*
                }
            }
        }

        /// Every agent kind, in documentation order: the scenario parser and `exsim list agents`
        /// read this.
        pub const KINDS: &[Kind] = &[
            $(Kind { about: $module::KIND, parse: |f| $module::parse(f).map(Behaviour::$variant) },)*
        ];

        /// One agent.
        #[derive(Clone, Debug)]
        pub enum Agent {
            $($variant($module::$agent),)*
        }

        impl Agent {
            /// A fresh agent of a group that does `behaviour`, with its funding at start.
            pub fn new(behaviour: &Behaviour, funding: &[(AssetId, Minor)], markets: &[MarketData]) -> Agent {
                match behaviour {
                    $(Behaviour::$variant(p) => Agent::$variant($module::$agent::new(p.clone(), funding, markets)),)*
                }
            }

            /// Acts: pushes actions (exchange commands, chain actions) to `out`; on a [`Wake::Tick`] returns the delay to its next
            /// tick.
            pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
                match self {
                    $(Agent::$variant(a) => a.wake(why, view, rng, out),)*
                }
            }

            /// Learns the outcome of one of its commands; may ask for a follow-up wake after a
            /// delay.
            pub fn answered(&mut self, command: &Command, outcome: &Outcome, rng: &mut Stream) -> Option<u64> {
                match self {
                    $(Agent::$variant(a) => a.answered(command, outcome, rng),)*
                }
            }
        }
    };
}

kinds! {
    MarketMaker(market_maker::MarketMaker),
    NoiseTrader(noise::NoiseTrader),
    MomentumTrader(momentum::MomentumTrader),
    RfqTaker(rfq::RfqTaker),
    Depositor(depositor::Depositor),
    Withdrawer(withdrawer::Withdrawer),
    BankRun(bank_run::BankRun),
    MalleabilityClaimant(malleability_claimant::MalleabilityClaimant),
    WithdrawalRacer(withdrawal_racer::WithdrawalRacer),
    HotWalletThief(hot_wallet_thief::HotWalletThief),
    Insider(insider::Insider),
    MassMailer(mass_mailer::MassMailer),
    OperatorMailboxTakeover(operator_mailbox_takeover::OperatorMailboxTakeover),
    ApiKeyThief(api_key_thief::ApiKeyThief),
    CredentialStuffer(credential_stuffer::CredentialStuffer),
    Phisher(phisher::Phisher),
    AdminTakeover(admin_takeover::AdminTakeover),
    WashBot(wash_bot::WashBot),
}
