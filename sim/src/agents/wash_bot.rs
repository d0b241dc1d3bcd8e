//! Wash bot (Mt. Gox 2013, "Willy"; SPEC §3 attackers): an insider's bot that buys with money
//! that was never deposited — fixed-size market buys from fresh accounts funded by a direct
//! balance edit.
//!
//! Model: each member of the group is one fresh account (the group's `count` is how many; the
//! group needs `role = "admin"`, whose `edit_balances` permission the edit uses). At its first wake
//! a member credits its own account with `amount` of `market`'s quote asset by `AdminAdjust`;
//! then at that wake and every `interval`, `buys` times in all, it buys `size` at market. The
//! correct exchange refuses the edit (`not_permitted`), so the buys fail for want of funds (unless
//! the group was funded); under `insider_balance_edit` the edit lands without a journal entry
//! and the buys spend money nobody deposited (`journal_complete`, `conservation`).
//!
//! "While the exchange is down" (Willy traded while Mt. Gox was offline) means here only what a
//! client can do: the bot keeps its schedule whether or not the exchange answers (it never looks).
//! A request that reaches the exchange while it is down after a crash is lost (`lost_down`); the
//! bot's client re-sends it after its timeout and it applies after recovery, or is abandoned after
//! the retries. Nothing trades while the exchange is down: exsim has no path by which an insider's
//! trades enter the books of a stopped exchange.

use crate::engine::Stp;
use crate::exchange::{Command, FundsCommand, NewOrder, OrderKind};
use crate::input::limits::{MAX_ACTION_AMOUNT, MAX_DURATION_NS, MAX_THEFTS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, MarketId, Minor, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "wash_bot",
    about: "fresh accounts credited by a direct balance edit make fixed-size market buys (Mt. Gox \"Willy\")",
    fields: &["market", "amount", "size", "buys", "interval"],
    attacker: true,
};

/// A wash bot's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// The quote asset (the market's), credited by the edit.
    pub quote: AssetId,
    /// Credited by the edit, in the quote's minor units.
    pub amount: Minor,
    /// Lots per buy.
    pub size_lots: u64,
    /// How many buys.
    pub buys: u32,
    /// Time between buys.
    pub interval_ns: u64,
}

/// Reads a `wash_bot` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    let quote = f.instrument(market).quote();
    Ok(Params {
        market,
        quote,
        amount: f.required_amount("amount", "amount = \"100000\"", quote, MAX_ACTION_AMOUNT)?,
        size_lots: f.lots("size", "size = \"10\"", market)?,
        buys: f.uint32("buys", 1, 1, MAX_THEFTS)?,
        interval_ns: f.duration("interval", 60_000_000_000, 1, MAX_DURATION_NS)?,
    })
}

#[derive(Clone, Debug)]
pub struct WashBot {
    params: Params,
    edited: bool,
    bought: u32,
}

impl Behave for WashBot {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> WashBot {
        WashBot { params, edited: false, bought: 0 }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        let user = view.user;
        if !self.edited {
            self.edited = true;
            let edit = FundsCommand::AdminAdjust { user, asset: self.params.quote, delta: self.params.amount };
            out.push(Action::Command(edit.into()));
        }
        if self.bought >= self.params.buys {
            return None;
        }
        self.bought += 1;
        out.push(Action::Command(Command::place(NewOrder {
            user,
            market: self.params.market,
            side: Side::Buy,
            qty: Qty(self.params.size_lots),
            kind: OrderKind::Market,
            stp: Stp::CancelNewest,
        })));
        (self.bought < self.params.buys).then_some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::exchange::TradingCommand;

    #[test]
    fn it_credits_itself_once_then_buys_a_fixed_size_each_interval() {
        let params =
            Params { market: MarketId(0), quote: AssetId(1), amount: 5_000_000, size_lots: 7, buys: 3, interval_ns: 4 };
        let mut bench = Bench::new(&[0, 0], btc_usd(Some(30_000)));
        let mut bot = WashBot::new(params, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| bot.wake(w, v, r, o));
        let edit = FundsCommand::AdminAdjust { user: bench.user, asset: AssetId(1), delta: 5_000_000 };
        assert_eq!((out[0], next), (Action::Command(edit.into()), Some(4)));
        let buy = |out: &[Action]| match out {
            [Action::Command(Command::Trading(TradingCommand::Place(o)))] => (o.user, o.side, o.qty, o.kind),
            other => panic!("one buy: {other:?}"),
        };
        assert_eq!(out.len(), 2);
        let (out, next) = bench.wake(4, Wake::Tick, |w, v, r, o| bot.wake(w, v, r, o));
        assert_eq!((buy(&out), next), ((bench.user, Side::Buy, Qty(7), OrderKind::Market), Some(4)), "no second edit");
        let (out, next) = bench.wake(8, Wake::Tick, |w, v, r, o| bot.wake(w, v, r, o));
        assert_eq!((out.len(), next), (1, None), "the third buy is the last");
    }
}
