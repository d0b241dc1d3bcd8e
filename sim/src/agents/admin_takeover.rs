//! Admin takeover (Mt. Gox, June 19–20, 2011: an auditor's computer compromised; SPEC §3
//! attackers): someone acting through an operator's account exports every customer's record and
//! dumps the house's inventory on the market.
//!
//! Modelling choice: the attacker *is* given the operator's account — the group needs
//! `role = "admin"` — rather than winning it by stuffing or phishing. The exchange cannot tell
//! an operator from whoever sits at their compromised machine, which is the whole point; and
//! operators' accounts are not on the leaked list the world hands attackers (`People::leak`
//! lists customers only), so taking one over by password would need a model of the auditor's
//! machine that this kind does not pretend to have. Ground truth marks the account an
//! attacker's, so what its export shows counts as exposed (`breach.records_exposed`): the
//! exchange did what its roles say, so it is a breach, not a violation of `no_pii_disclosure`.
//!
//! Model: at its first wake it sends `Export` (every customer's record, mailed to the account's
//! own address) unless `export = false`; then at that wake and every `interval`, `sales` times in
//! all, it sells `size` of the house's base in `market` at market (`Place` for
//! [`UserId::HOUSE`]: the admin's `trade_house` permission). The house's proceeds stay the
//! house's: the damage is the crash of the price and the records, not a theft on chain.

use crate::engine::Stp;
use crate::exchange::{Command, IdentityCommand, NewOrder, OrderKind};
use crate::input::limits::{MAX_DURATION_NS, MAX_THEFTS};
use crate::input::{KindFields, ScenarioError};
use crate::ledger::UserId;
use crate::units::{AssetId, MarketId, Minor, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};

pub const KIND: Catalogue = Catalogue {
    name: "admin_takeover",
    about: "through an operator's account (role admin): exports every customer record, dumps the house's inventory",
    fields: &["market", "size", "sales", "interval", "export"],
    attacker: true,
};

/// An admin takeover's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// Lots of the house's base per sale.
    pub size_lots: u64,
    /// How many sales.
    pub sales: u32,
    /// Time between sales.
    pub interval_ns: u64,
    /// Whether it exports the customer records first.
    pub export: bool,
}

/// Reads an `admin_takeover` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    Ok(Params {
        market,
        size_lots: f.lots("size", "size = \"100\"", market)?,
        sales: f.uint32("sales", 1, 1, MAX_THEFTS)?,
        interval_ns: f.duration("interval", 1_000_000_000, 1, MAX_DURATION_NS)?,
        export: f.boolean("export", true)?,
    })
}

#[derive(Clone, Debug)]
pub struct AdminTakeover {
    params: Params,
    sold: u32,
    exported: bool,
}

impl Behave for AdminTakeover {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> AdminTakeover {
        AdminTakeover { params, sold: 0, exported: false }
    }

    fn wake(&mut self, why: Wake, _view: &View<'_>, _rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        if why != Wake::Tick {
            return None;
        }
        if self.params.export && !self.exported {
            self.exported = true;
            out.push(Action::Command(IdentityCommand::Export.into()));
        }
        if self.sold >= self.params.sales {
            return None;
        }
        self.sold += 1;
        out.push(Action::Command(Command::place(NewOrder {
            user: UserId::HOUSE,
            market: self.params.market,
            side: Side::Sell,
            qty: Qty(self.params.size_lots),
            kind: OrderKind::Market,
            stp: Stp::CancelNewest,
        })));
        (self.sold < self.params.sales).then_some(self.params.interval_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::testing::{btc_usd, Bench};
    use crate::exchange::TradingCommand;

    #[test]
    fn it_exports_once_then_sells_the_houses_base_each_interval() {
        let params = Params { market: MarketId(0), size_lots: 40, sales: 2, interval_ns: 9, export: true };
        let mut bench = Bench::new(&[0, 0], btc_usd(Some(30_000)));
        let mut a = AdminTakeover::new(params, &[], &bench.markets);
        let (out, next) = bench.wake(0, Wake::Tick, |w, v, r, o| a.wake(w, v, r, o));
        assert_eq!(next, Some(9));
        assert_eq!(out[0], Action::Command(IdentityCommand::Export.into()));
        let Action::Command(Command::Trading(TradingCommand::Place(order))) = out[1] else { panic!("{out:?}") };
        assert_eq!(
            (order.user, order.side, order.qty, order.kind),
            (UserId::HOUSE, Side::Sell, Qty(40), OrderKind::Market)
        );
        let (out, next) = bench.wake(9, Wake::Tick, |w, v, r, o| a.wake(w, v, r, o));
        assert_eq!((out.len(), next), (1, None), "the second and last sale, no second export");
        let (out, _) = bench.wake(18, Wake::Tick, |w, v, r, o| a.wake(w, v, r, o));
        assert!(out.is_empty());
    }
}
