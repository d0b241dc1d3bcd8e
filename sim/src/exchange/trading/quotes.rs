//! RFQ: the house quotes a firm price for a quantity, and honors it exactly until it expires.
//!
//! Pricing: the average price of sweeping `qty` lots from the book's opposite side, widened by
//! the spread and rounded to a whole tick in the house's favour. The book is only a reference:
//! accepting a quote moves funds between the customer and the house at the quoted terms and
//! never touches the book, so the customer's result cannot depend on the book moving.
//!
//! Invariant (`quote_honored`): an accepted quote moves exactly `qty` lots of base and exactly
//! `notional(price, qty)` of quote, or is rejected (`quote_expired`, `insufficient_funds`,
//! `cannot_honor`, `unknown_quote`) with nothing changed. A quote is never issued above the market's
//! highest price (`price_too_high`). The house cannot quote itself
//! (`house_account`).
//!
//! Fault path `quote_reprice` (SPEC §5, after Mt. Gox's quote that delivered 56 BTC short): once
//! the quote is found unexpired and the customer can pay its terms, it executes as a **market
//! order** for its quantity on the customer's side, walking the book through the ordinary order
//! path (holds, fees, self-trade prevention), instead of the house's firm transfer (so the house's
//! inventory is not consulted) — yet the exchange still answers `QuoteFilled` with the quoted
//! terms. The customer gets whatever the book gave: another price,
//! less than the quoted quantity if the book is thin, or nothing at all if the market order is
//! refused.

use crate::engine::{MatchingEngine, Stp};
use crate::exchange::{Ack, Exchange, NewOrder, OrderKind, Quote, QuoteId, Reject};
use crate::fault::Fault;
use crate::ledger::{Account, CauseKind, Posting, UserId};
use crate::units::{MarketId, Price, Qty, Side};

impl<E: MatchingEngine> Exchange<E> {
    pub(in crate::exchange) fn request_quote(
        &mut self,
        user: UserId,
        market: MarketId,
        side: Side,
        qty: Qty,
    ) -> Result<Ack, Reject> {
        self.check_user(user)?;
        if user == UserId::HOUSE {
            return Err(Reject::HouseAccount);
        }
        let m = self.market_index(market)?;
        if qty.0 == 0 {
            return Err(Reject::InvalidQuantity);
        }
        // Cost of sweeping qty from the side the customer would trade against, in tick·lots.
        let (mut need, mut cost) = (u128::from(qty.0), 0u128);
        self.trading.markets[m].engine.resting(side.opposite(), &mut |o| {
            let take = need.min(u128::from(o.qty.0));
            need -= take;
            cost += take * u128::from(o.price.0);
        });
        if need > 0 {
            return Err(Reject::NoLiquidity);
        }
        let lots = u128::from(qty.0) * 10_000;
        let spread = u128::from(self.trading.quote_spread_bps);
        let ticks = match side {
            // The customer buys: round up, widen up.
            Side::Buy => cost.checked_mul(10_000 + spread).map(|c| c.div_ceil(lots)),
            // The customer sells: round down, widen down.
            Side::Sell => cost.checked_mul(10_000 - spread).map(|c| c / lots),
        }
        .ok_or(Reject::Overflow)?;
        let price = Price(u64::try_from(ticks).map_err(|_| Reject::Overflow)?);
        if price.0 == 0 {
            return Err(Reject::NoLiquidity);
        }
        let market_rules = &self.trading.markets[m].market;
        if price > market_rules.max_price() {
            return Err(Reject::PriceTooHigh);
        }
        market_rules.notional(price, qty).ok_or(Reject::Overflow)?;
        market_rules.base_amount(qty).ok_or(Reject::Overflow)?;
        // Forget quotes that can no longer be accepted (ids and expiries ascend together).
        while let Some(entry) = self.trading.quotes.first_entry() {
            if entry.get().expires_at_ns > self.now_ns {
                break;
            }
            entry.remove();
        }
        let quote = Quote {
            id: QuoteId(self.trading.next_quote),
            user,
            market,
            side,
            qty,
            price,
            expires_at_ns: self.now_ns.saturating_add(self.trading.quote_ttl_ns),
        };
        self.trading.next_quote += 1;
        self.trading.quotes.insert(quote.id, quote);
        Ok(Ack::Quote(quote))
    }

    pub(in crate::exchange) fn accept_quote(&mut self, user: UserId, id: QuoteId) -> Result<Ack, Reject> {
        self.check_user(user)?;
        let quote = *self.trading.quotes.get(&id).filter(|q| q.user == user).ok_or(Reject::UnknownQuote)?;
        if self.now_ns >= quote.expires_at_ns {
            self.trading.quotes.remove(&id);
            return Err(Reject::QuoteExpired);
        }
        let market = &self.trading.markets[usize::from(quote.market.0)].market;
        let notional = market.notional(quote.price, quote.qty).expect("checked when quoted");
        let base = market.base_amount(quote.qty).expect("checked when quoted");
        let (base_asset, quote_asset) = (market.base(), market.quote());
        let house = UserId::HOUSE;
        let (buyer, seller) = match quote.side {
            Side::Buy => (user, house),
            Side::Sell => (house, user),
        };
        let customer_short = |asset, amount| self.ledger.balance(Account::Available(user), asset) < amount;
        let house_short = |asset, amount| self.ledger.balance(Account::Available(house), asset) < amount;
        let (customer_pays, house_pays) = match quote.side {
            Side::Buy => ((quote_asset, notional), (base_asset, base)),
            Side::Sell => ((base_asset, base), (quote_asset, notional)),
        };
        if customer_short(customer_pays.0, customer_pays.1) {
            return Err(Reject::InsufficientFunds);
        }
        if self.faults.has(Fault::QuoteReprice) {
            // The book, not the house, is the counterparty: its inventory is never consulted.
            return Ok(self.reprice_at_market(quote));
        }
        if house_short(house_pays.0, house_pays.1) {
            return Err(Reject::CannotHonor);
        }
        let postings = [
            Posting { account: Account::Available(buyer), asset: quote_asset, delta: -notional },
            Posting { account: Account::Available(seller), asset: quote_asset, delta: notional },
            Posting { account: Account::Available(seller), asset: base_asset, delta: -base },
            Posting { account: Account::Available(buyer), asset: base_asset, delta: base },
        ];
        let cause = self.cause(CauseKind::QuoteAccept);
        self.commit_checked(cause, &postings)?;
        self.trading.quotes.remove(&id);
        Ok(Ack::QuoteFilled(quote))
    }

    /// Fault `quote_reprice`: executes `quote` as a market order for its quantity on the
    /// customer's side and claims it was honored. A refused market order changes nothing.
    #[cold]
    fn reprice_at_market(&mut self, quote: Quote) -> Ack {
        let order = NewOrder {
            user: quote.user,
            market: quote.market,
            side: quote.side,
            qty: quote.qty,
            kind: OrderKind::Market,
            stp: Stp::default(),
        };
        // Whatever the market order did (possibly nothing) is all the customer gets.
        let _ = self.place_as(&order, CauseKind::QuoteAccept);
        self.trading.quotes.remove(&quote.id);
        Ack::QuoteFilled(quote)
    }
}
