//! Noise trader: Poisson arrivals of every order type near the fair value, plus cancels and
//! replaces of its own resting orders.
//!
//! Model: after an exponential wait (mean `interval`) it picks one action: a GTC limit (35%),
//! IOC (10%), FOK (6%), post-only (10%), market by quantity (9%), market buy by quote amount (4%),
//! cancel (14%), replace (10%) or mass cancel (2%). Side is a coin flip; limit prices are uniform
//! within `price_band_ticks` of fair value (and between one tick and the market's highest price); sizes uniform in 1..=`max_size` lots; self-trade
//! prevention mode uniform over the four. It remembers up to 32 of its resting orders from the
//! answers it gets (it does not see maker fills, so some cancels hit finished orders and are
//! rejected with `unknown_order`, as at a real venue); with 32 remembered it cancels the oldest
//! before anything else, so its footprint on the book stays bounded.

use crate::engine::{OrderId, Stp, Tif};
use crate::exchange::{Ack, Command, NewOrder, OrderKind, Reject, TradingCommand};
use crate::input::limits::{MAX_DURATION_NS, MAX_OFFSET_TICKS};
use crate::input::{KindFields, ScenarioError};
use crate::units::{AssetId, MarketId, Minor, Price, Qty, Side};

use super::{Action, Behave, Catalogue, MarketData, Stream, View, Wake};
use crate::exchange::Outcome;

pub const KIND: Catalogue = Catalogue {
    name: "noise_trader",
    about: "Poisson arrivals of every order type, with cancels and replaces, near fair value",
    fields: &["market", "interval", "max_size", "price_band_ticks"],
    attacker: false,
};

/// A noise trader's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub market: MarketId,
    /// Mean time between actions (exponential).
    pub mean_interval_ns: u64,
    /// Sizes are uniform in 1..=this.
    pub size_lots_max: u64,
    /// Limit prices are uniform within this distance of fair value.
    pub price_band_ticks: u64,
}

/// Reads a `noise_trader` group's fields.
pub fn parse(f: &KindFields<'_>) -> Result<Params, ScenarioError> {
    let market = f.market()?;
    Ok(Params {
        market,
        mean_interval_ns: f.duration("interval", 20_000_000, 1, MAX_DURATION_NS)?,
        size_lots_max: f.lots("max_size", "max_size = \"0.05\"", market)?,
        price_band_ticks: f.uint("price_band_ticks", 20, 0, MAX_OFFSET_TICKS)?,
    })
}

const REMEMBER: usize = 32;

#[derive(Clone, Debug)]
pub struct NoiseTrader {
    params: Params,
    open: Vec<OrderId>,
}

impl Behave for NoiseTrader {
    type Params = Params;

    fn new(params: Params, _funding: &[(AssetId, Minor)], _markets: &[MarketData]) -> NoiseTrader {
        NoiseTrader { params, open: Vec::new() }
    }

    fn wake(&mut self, why: Wake, view: &View<'_>, rng: &mut Stream, out: &mut Vec<Action>) -> Option<u64> {
        let user = view.user;
        if self.open.len() >= REMEMBER {
            out.push(Action::Command(Command::cancel(user, self.open.remove(0))));
            return (why == Wake::Tick).then(|| rng.exponential_ns(self.params.mean_interval_ns));
        }
        let side = if rng.percent(50) { Side::Buy } else { Side::Sell };
        let qty = Qty(rng.uniform(1, self.params.size_lots_max.max(1)));
        let fair = view.ground_truth.fair_value(self.params.market).0;
        let highest = view.market(self.params.market).instrument.max_price().0;
        let price = Price(fair.saturating_add_signed(rng.symmetric(self.params.price_band_ticks)).clamp(1, highest));
        let stp = [Stp::CancelNewest, Stp::CancelOldest, Stp::CancelBoth, Stp::Decrement][rng.index(4)];
        let place = |kind| Command::place(NewOrder { user, market: self.params.market, side, qty, kind, stp });
        let roll = rng.uniform(0, 99);
        let command = match roll {
            0..=34 => place(OrderKind::Limit { price, tif: Tif::Gtc }),
            35..=44 => place(OrderKind::Limit { price, tif: Tif::Ioc }),
            45..=50 => place(OrderKind::Limit { price, tif: Tif::Fok }),
            51..=60 => place(OrderKind::Limit { price, tif: Tif::PostOnly }),
            61..=69 => place(OrderKind::Market),
            70..=73 => {
                let market = &view.market(self.params.market).instrument;
                let amount = market.notional(price, qty).unwrap_or(1).max(1);
                Command::place(NewOrder {
                    user,
                    market: self.params.market,
                    side: Side::Buy,
                    qty,
                    kind: OrderKind::MarketQuote { amount },
                    stp,
                })
            }
            74..=87 if !self.open.is_empty() => {
                let order = self.open[rng.index(self.open.len())];
                Command::cancel(user, order)
            }
            88..=97 if !self.open.is_empty() => {
                let order = self.open[rng.index(self.open.len())];
                Command::replace(user, order, price, qty)
            }
            98..=99 => Command::mass_cancel(user, Some(self.params.market)),
            _ => place(OrderKind::Limit { price, tif: Tif::Gtc }),
        };
        out.push(Action::Command(command));
        (why == Wake::Tick).then(|| rng.exponential_ns(self.params.mean_interval_ns))
    }

    fn answered(&mut self, command: &Command, outcome: &Outcome, _rng: &mut Stream) -> Option<u64> {
        match (command, outcome) {
            (Command::Trading(TradingCommand::Place(_)), Ok(Ack::Order { id, open, .. })) if open.0 > 0 => {
                self.open.push(*id);
            }
            (Command::Trading(TradingCommand::Replace { order, .. }), Ok(Ack::Replaced { open, .. }))
                if open.0 == 0 =>
            {
                self.open.retain(|o| o != order);
            }
            (Command::Trading(TradingCommand::Cancel { order, .. }), Ok(_))
            | (
                Command::Trading(TradingCommand::Cancel { order, .. } | TradingCommand::Replace { order, .. }),
                Err(Reject::UnknownOrder),
            ) => {
                self.open.retain(|o| o != order);
            }
            (Command::Trading(TradingCommand::MassCancel { .. }), Ok(_)) => self.open.clear(),
            _ => {}
        }
        None
    }
}
