//! RFQ taker: asks the house for a firm price, thinks for a human delay, then accepts.
//!
//! Model: after an exponential wait (mean `interval`) it requests a quote for a uniform size in
//! 1..=`max_size` lots on a random side. When the quote arrives it waits uniformly between
//! `think_min` and `think_max` and accepts it — sometimes after expiry, which the exchange must
//! reject with nothing changed.

use crate::exchange::{Ack, Command, QuoteId};
use crate::input::limits::MAX_DURATION_NS;
use crate::input::{format_ns, KindFields, ScenarioError};
use crate::units::{AssetId, MarketId, Minor, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};
use crate::exchange::Outcome;

pub const KIND: Catalogue = Catalogue {
    name: "rfq_taker",
    about: "requests a quote, waits a human delay, then accepts it",
    fields: &["market", "interval", "max_size", "think_min", "think_max"],
    attacker: false,
};

/// An RFQ taker's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// Mean time between requests (exponential).
    pub mean_interval_ns: u64,
    /// Sizes are uniform in 1..=this.
    pub size_lots_max: u64,
    /// Human delay before accepting: uniform in min..=max.
    pub think_min_ns: u64,
    pub think_max_ns: u64,
}

/// Reads an `rfq_taker` group's fields; `think_min <= think_max`.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    let think_min_ns = f.duration("think_min", 300_000_000, 0, MAX_DURATION_NS)?;
    let think_max_ns = f.duration("think_max", 2_000_000_000, 0, MAX_DURATION_NS)?;
    if think_min_ns > think_max_ns {
        return Err(f.error(
            &["think_max", "think_min"],
            "think_max",
            format!("think_max ({}) is below think_min ({})", format_ns(think_max_ns), format_ns(think_min_ns)),
        ));
    }
    Ok(Params {
        market,
        mean_interval_ns: f.duration("interval", 200_000_000, 1, MAX_DURATION_NS)?,
        size_lots_max: f.lots("max_size", "max_size = \"0.02\"", market)?,
        think_min_ns,
        think_max_ns,
    })
}

#[derive(Clone, Debug)]
pub struct RfqTaker {
    params: Params,
    /// Quotes received, oldest first, to accept at their follow-up wakes.
    to_accept: Vec<QuoteId>,
}

impl Behave for RfqTaker {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> RfqTaker {
        RfqTaker { params, to_accept: Vec::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        match why {
            Wake::Followup => {
                if !self.to_accept.is_empty() {
                    let quote = self.to_accept.remove(0);
                    out.push(Action::Command(Command::accept_quote(view.user, quote)));
                }
                None
            }
            Wake::Tick => {
                let side = if rng.percent(50) { Side::Buy } else { Side::Sell };
                let qty = Qty(rng.uniform(1, self.params.size_lots_max.max(1)));
                out.push(Action::Command(Command::request_quote(view.user, self.params.market, side, qty)));
                Some(rng.exponential_ns(self.params.mean_interval_ns))
            }
        }
    }

    fn answered(&mut self, _command: &Command, outcome: &Outcome, rng: &mut Stream) -> Option<u64> {
        match outcome {
            Ok(Ack::Quote(q)) => {
                self.to_accept.push(q.id);
                Some(rng.uniform(self.params.think_min_ns, self.params.think_max_ns))
            }
            _ => None,
        }
    }
}
