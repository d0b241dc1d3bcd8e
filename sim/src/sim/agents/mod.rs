//! Market agents: small, documented behaviour models that only emit commands.
//!
//! An agent never touches the exchange's state. It is woken by the kernel (its own timer, or a
//! follow-up it asked for), looks at a [`View`] — what a client could know: public market data,
//! its own account balances, plus the fair value as named ground truth (see `view`), with no way
//! to reach the exchange — and pushes commands, which
//! the simulator sends over the network under fresh idempotency keys. It learns outcomes only from
//! the answers that reach it ([`Agent::answered`]); lost answers are retried by its client.
//!
//! Invariant: an agent's decisions depend only on its own stream, its view and the answers it got,
//! so adding an agent never changes what another draws.

mod depositor;
mod market_maker;
mod momentum;
mod noise;
mod rfq;
mod view;

use crate::exchange::Command;
use crate::scenario::{AgentGroup, Behaviour, Scenario};
use crate::units::AssetId;

use super::gateway::Outcome;
use super::rng::Stream;

pub use view::{AccountState, GroundTruth, MarketData, View};

/// Why an agent is woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Its regular timer; it answers with the next one.
    Tick,
    /// A follow-up it asked for from [`Agent::answered`]; no new timer.
    Followup,
}

/// One agent.
#[derive(Clone, Debug)]
pub enum Agent {
    MarketMaker(market_maker::MarketMaker),
    Noise(noise::NoiseTrader),
    Momentum(momentum::MomentumTrader),
    Rfq(rfq::RfqTaker),
    Depositor(depositor::Depositor),
}

impl Agent {
    /// A fresh agent of `group`.
    pub fn new(group: &AgentGroup, scenario: &Scenario) -> Agent {
        let funded = |asset: AssetId| group.funding.iter().filter(|(a, _)| *a == asset).map(|(_, m)| *m).sum();
        match group.behaviour {
            Behaviour::MarketMaker { market, .. } => {
                let base = scenario.markets[usize::from(market.0)].spec.base;
                Agent::MarketMaker(market_maker::MarketMaker::new(&group.behaviour, funded(base)))
            }
            Behaviour::NoiseTrader { .. } => Agent::Noise(noise::NoiseTrader::new(&group.behaviour)),
            Behaviour::MomentumTrader { .. } => Agent::Momentum(momentum::MomentumTrader::new(&group.behaviour)),
            Behaviour::RfqTaker { .. } => Agent::Rfq(rfq::RfqTaker::new(&group.behaviour)),
            Behaviour::Depositor { .. } => Agent::Depositor(depositor::Depositor::new(&group.behaviour)),
        }
    }

    /// Acts: pushes commands to `out`; on a [`Wake::Tick`] returns the delay to its next tick.
    pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Command>) -> Option<u64> {
        match self {
            Agent::MarketMaker(a) => a.wake(why, view, rng, out),
            Agent::Noise(a) => a.wake(why, view, rng, out),
            Agent::Momentum(a) => a.wake(why, view, rng, out),
            Agent::Rfq(a) => a.wake(why, view, rng, out),
            Agent::Depositor(a) => a.wake(why, view, rng, out),
        }
    }

    /// Learns the outcome of one of its commands; may ask for a follow-up wake after a delay.
    pub fn answered(&mut self, command: &Command, outcome: &Outcome, rng: &mut Stream) -> Option<u64> {
        match self {
            Agent::Noise(a) => {
                a.answered(command, outcome);
                None
            }
            Agent::Rfq(a) => a.answered(outcome, rng),
            Agent::MarketMaker(_) | Agent::Momentum(_) | Agent::Depositor(_) => None,
        }
    }
}
