//! RFQ taker: asks the house for a firm price, thinks for a human delay, then accepts.
//!
//! Model: after an exponential wait (mean `interval`) it requests a quote for a uniform size in
//! 1..=`max_size` lots on a random side. When the quote arrives it waits uniformly between
//! `think_min` and `think_max` and accepts it — sometimes after expiry, which the exchange must
//! reject with nothing changed.

use crate::exchange::{Ack, Command, QuoteId};
use crate::scenario::Behaviour;
use crate::units::{MarketId, Qty, Side};

use super::super::gateway::Outcome;
use super::{Stream, View, Wake};

#[derive(Clone, Debug)]
pub struct RfqTaker {
    market: MarketId,
    mean_interval_ns: u64,
    size_lots_max: u64,
    think_min_ns: u64,
    think_max_ns: u64,
    /// Quotes received, oldest first, to accept at their follow-up wakes.
    to_accept: Vec<QuoteId>,
}

impl RfqTaker {
    pub fn new(b: &Behaviour) -> RfqTaker {
        let Behaviour::RfqTaker { market, mean_interval_ns, size_lots_max, think_min_ns, think_max_ns } = *b else {
            unreachable!("built from an rfq_taker group")
        };
        RfqTaker { market, mean_interval_ns, size_lots_max, think_min_ns, think_max_ns, to_accept: Vec::new() }
    }

    pub fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Command>) -> Option<u64> {
        match why {
            Wake::Followup => {
                if !self.to_accept.is_empty() {
                    let quote = self.to_accept.remove(0);
                    out.push(Command::accept_quote(view.user, quote));
                }
                None
            }
            Wake::Tick => {
                let side = if rng.percent(50) { Side::Buy } else { Side::Sell };
                let qty = Qty(rng.uniform(1, self.size_lots_max.max(1)));
                out.push(Command::request_quote(view.user, self.market, side, qty));
                Some(rng.exponential_ns(self.mean_interval_ns))
            }
        }
    }

    pub fn answered(&mut self, outcome: &Outcome, rng: &mut Stream) -> Option<u64> {
        match outcome {
            Ok(Ack::Quote(q)) => {
                self.to_accept.push(q.id);
                Some(rng.uniform(self.think_min_ns, self.think_max_ns))
            }
            _ => None,
        }
    }
}
