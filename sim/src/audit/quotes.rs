//! The quotes checker: `quote_honored`.
//!
//! Its shadow is every quote it saw issued (the terms in the `Ack::Quote` answer) that can still be
//! accepted; a quote is forgotten once its expiry has passed, so it holds live quotes only. When
//! an accept is acknowledged, the checker requires the quote to be one it saw issued and still
//! open, filled on exactly the issued terms, and the customer's available balances to have moved
//! by exactly those terms in the journal entries the accept appended — computed in `Decimal` from
//! the market's decimals, not from the exchange's integer factors. O(1) per command, plus
//! O(expired quotes) to forget.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::checker::{Checker, Found};
use super::observation::Observation;
use crate::catalog::Invariant;
use crate::exchange::{Ack, Command, Quote, QuoteId, TradingCommand};
use crate::ledger::Account;
use crate::units::decimal::minor_unit;
use crate::units::{AssetId, Side};

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(super) struct Quotes {
    /// Issued quotes not yet accepted nor expired.
    open: BTreeMap<QuoteId, Quote>,
    /// The highest id of a quote forgotten because it expired (0: none).
    expired_to: u64,
}

impl Checker for Quotes {
    fn invariants(&self) -> &'static [Invariant] {
        &[Invariant::QuoteHonored]
    }

    fn observe(&mut self, obs: &Observation<'_>, found: &mut Found) {
        if matches!(obs.command, Command::Trading(TradingCommand::AcceptQuote { .. })) {
            found.exercise(Invariant::QuoteHonored);
        }
        // Forget the quotes that can no longer be accepted: expired at the command's time.
        while let Some(entry) = self.open.first_entry() {
            if entry.get().expires_at_ns > obs.now_ns {
                break;
            }
            self.expired_to = self.expired_to.max(entry.key().0);
            entry.remove();
        }
        match (obs.command, obs.result) {
            (_, Ok(Ack::Quote(q))) => {
                self.open.insert(q.id, *q);
            }
            (Command::Trading(TradingCommand::AcceptQuote { user, quote }), Ok(Ack::QuoteFilled(filled))) => {
                let Some(issued) = self.open.remove(quote) else {
                    let why = if quote.0 <= self.expired_to {
                        "but was no longer open (expired, or already filled)"
                    } else {
                        "but was never issued (or was already filled)"
                    };
                    return found.push((Invariant::QuoteHonored, format!("quote {} filled {why}", quote.0)));
                };
                if issued != *filled {
                    return found
                        .push((Invariant::QuoteHonored, format!("quote issued as {issued:?}, filled as {filled:?}")));
                }
                let market = obs.state.market(issued.market);
                let assets = obs.state.assets();
                let minor = |a: AssetId| minor_unit(&assets[usize::from(a.0)]);
                // An accepted quote was paid for, so both legs are at most an asset's total and
                // fit; `None` marks a leg that does not (only money minted by a fault).
                let lots = Decimal::from(issued.qty.0).checked_mul(market.lot_size());
                let base = lots.and_then(|l| l.checked_div(minor(market.base())));
                let paid = Decimal::from(issued.price.0)
                    .checked_mul(market.tick_size())
                    .and_then(|p| lots?.checked_mul(p))
                    .and_then(|n| n.checked_div(minor(market.quote())));
                let (want_base, want_quote) = match issued.side {
                    Side::Buy => (base, paid.map(|p| -p)),
                    Side::Sell => (base.map(|b| -b), paid),
                };
                let delta = |asset| -> Option<Decimal> {
                    obs.entries()
                        .flat_map(|e| e.postings())
                        .filter(|p| p.account == Account::Available(*user) && p.asset == asset)
                        .try_fold(Decimal::ZERO, |sum, p| {
                            sum.checked_add(Decimal::try_from_i128_with_scale(p.delta, 0).ok()?)
                        })
                };
                let (got_base, got_quote) = (delta(market.base()), delta(market.quote()));
                let representable = [want_base, want_quote, got_base, got_quote].iter().all(Option::is_some);
                if !representable || (got_base, got_quote) != (want_base, want_quote) {
                    let show =
                        |d: Option<Decimal>| d.map_or_else(|| "(beyond a decimal)".to_owned(), |d| d.to_string());
                    found.push((
                        Invariant::QuoteHonored,
                        format!(
                            "quote {} promised base {} quote {}, delivered base {} quote {}",
                            quote.0,
                            show(want_base),
                            show(want_quote),
                            show(got_base),
                            show(got_quote)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    fn retained(&self) -> usize {
        self.open.len()
    }

    fn boxed_clone(&self) -> Box<dyn Checker> {
        Box::new(self.clone())
    }
}
