//! The auditor: an independent check of every invariant after every command.
//!
//! It keeps its own **shadow model** — a book rebuilt from the engine's events, balances rebuilt
//! from the journal's entries, deposits and withdrawals counted from acknowledged commands, the
//! quotes it saw issued — and compares the exchange against it. It never trusts the field it is
//! checking: holds are recomputed from the resting orders with decimal arithmetic, priority from
//! the shadow queue, conservation from the commands.
//!
//! Each check is proportional to what the command changed, except `holds_match_open_orders`,
//! which rescans the books (cheap at test sizes; made incremental when the simulator needs it).

mod invariant;
mod shadow_book;

pub use invariant::Invariant;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::engine::{MatchingEngine, Tif};
use crate::exchange::{Ack, Command, Exchange, OrderKind, Quote, QuoteId, Reject};
use crate::ledger::{Account, UserId};
use crate::units::decimal::minor_unit;
use crate::units::{AssetId, MarketId, Minor, Side};
use shadow_book::{ShadowBook, TakerRules};

/// A broken invariant, at the command that broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    /// The exchange's command sequence number.
    pub seq: u64,
    pub detail: String,
}

/// The auditor. Feed it every command and outcome in order with [`Auditor::observe`].
#[derive(Clone, Debug)]
pub struct Auditor {
    books: Vec<ShadowBook>,
    balances: BTreeMap<(Account, AssetId), Minor>,
    /// Per asset: what was deposited less what was withdrawn, from acknowledged commands.
    net_deposits: BTreeMap<AssetId, i128>,
    /// Per asset: the sum of every non-world balance in the shadow.
    internal: BTreeMap<AssetId, i128>,
    quotes: BTreeMap<QuoteId, Quote>,
    journal_seen: usize,
    violations: Vec<Violation>,
}

impl Auditor {
    /// An auditor for a fresh exchange.
    pub fn new<E: MatchingEngine>(exchange: &Exchange<E>) -> Auditor {
        assert_eq!(exchange.ledger().journal().len(), 0, "audit from genesis");
        Auditor {
            books: (0..exchange.market_count()).map(|_| ShadowBook::default()).collect(),
            balances: BTreeMap::new(),
            net_deposits: BTreeMap::new(),
            internal: BTreeMap::new(),
            quotes: BTreeMap::new(),
            journal_seen: 0,
            violations: Vec::new(),
        }
    }

    /// Every violation so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    fn fail(&mut self, invariant: Invariant, seq: u64, detail: String) {
        self.violations.push(Violation { invariant, seq, detail });
    }

    /// Checks the exchange after it answered `outcome` to `command`. Returns how many new
    /// violations were found.
    pub fn observe<E: MatchingEngine>(
        &mut self,
        x: &Exchange<E>,
        command: &Command,
        outcome: &Result<Ack, Reject>,
    ) -> usize {
        let before = self.violations.len();
        let seq = x.seq();
        if outcome.is_err() && (x.ledger().journal().len() != self.journal_seen || !x.last_events().is_empty()) {
            self.fail(Invariant::JournalComplete, seq, format!("rejected command {command:?} changed the state"));
        }
        self.check_entries(x, seq);
        self.count_flows(command, outcome);
        self.check_conservation(seq);
        self.check_book(x, command, outcome, seq);
        self.check_holds(x, seq);
        self.check_quote(x, command, outcome, seq);
        self.violations.len() - before
    }

    /// `ledger_balanced`, `no_negative_balance` and `journal_complete` over the new entries.
    fn check_entries<E: MatchingEngine>(&mut self, x: &Exchange<E>, seq: u64) {
        let journal = x.ledger().journal();
        let mut touched = Vec::new();
        for entry in journal.entries_from(self.journal_seen) {
            let mut sums: BTreeMap<AssetId, i128> = BTreeMap::new();
            for p in entry.postings() {
                *sums.entry(p.asset).or_default() += i128::from(p.delta);
                *self.balances.entry((p.account, p.asset)).or_default() += p.delta;
                if p.account != Account::World {
                    *self.internal.entry(p.asset).or_default() += i128::from(p.delta);
                }
                touched.push((p.account, p.asset));
            }
            if entry.cause.seq != seq {
                self.fail(
                    Invariant::JournalComplete,
                    seq,
                    format!("entry names command {} but command {seq} ran", entry.cause.seq),
                );
            }
            if let Some((asset, sum)) = sums.iter().find(|(_, s)| **s != 0) {
                self.fail(
                    Invariant::LedgerBalanced,
                    seq,
                    format!("entry for command {seq} sums to {sum} in asset {}", asset.0),
                );
            }
        }
        self.journal_seen = journal.len();
        for (account, asset) in touched {
            let shadow = self.balances.get(&(account, asset)).copied().unwrap_or(0);
            if account != Account::World && shadow < 0 {
                self.fail(Invariant::NoNegativeBalance, seq, format!("{account:?} is {shadow} in asset {}", asset.0));
            }
            let actual = x.ledger().balance(account, asset);
            if actual != shadow {
                self.fail(
                    Invariant::JournalComplete,
                    seq,
                    format!("{account:?} asset {} is {actual}, journal says {shadow}", asset.0),
                );
            }
        }
    }

    fn count_flows(&mut self, command: &Command, outcome: &Result<Ack, Reject>) {
        if outcome.is_err() {
            return;
        }
        match *command {
            Command::Deposit { asset, amount, .. } => {
                *self.net_deposits.entry(asset).or_default() += i128::from(amount)
            }
            Command::Withdraw { asset, amount, .. } => {
                *self.net_deposits.entry(asset).or_default() -= i128::from(amount)
            }
            _ => {}
        }
    }

    fn check_conservation(&mut self, seq: u64) {
        let assets: Vec<AssetId> = self.internal.keys().chain(self.net_deposits.keys()).copied().collect();
        for asset in assets {
            let held = self.internal.get(&asset).copied().unwrap_or(0);
            let net = self.net_deposits.get(&asset).copied().unwrap_or(0);
            if held != net {
                self.fail(
                    Invariant::Conservation,
                    seq,
                    format!("asset {}: accounts hold {held} but deposits less withdrawals are {net}", asset.0),
                );
            }
        }
    }

    /// Replays the engine events into the shadow books: `book_uncrossed`, `price_time_priority`,
    /// `limit_respected`, `tif_respected`.
    fn check_book<E: MatchingEngine>(
        &mut self,
        x: &Exchange<E>,
        command: &Command,
        outcome: &Result<Ack, Reject>,
        seq: u64,
    ) {
        let rules = match (*command, outcome) {
            (Command::Place(order), Ok(Ack::Order { id, .. })) => Some(TakerRules {
                id: *id,
                side: order.side,
                limit: match order.kind {
                    OrderKind::Limit { price, .. } => Some(price),
                    _ => None,
                },
                tif: match order.kind {
                    OrderKind::Limit { tif, .. } => Some(tif),
                    _ => None,
                },
                qty: order.qty,
                fok: matches!(order.kind, OrderKind::Limit { tif: Tif::Fok, .. }),
            }),
            _ => None,
        };
        let mut found = Vec::new();
        for (market, events) in group_by_market(x.last_events()) {
            let book = &mut self.books[usize::from(market.0)];
            book.replay(events, rules.as_ref(), command, &mut found);
            let engine = x.engine(market);
            let (bid, ask) = (book.best(Side::Buy), book.best(Side::Sell));
            if (bid, ask) != (engine.best_bid(), engine.best_ask()) {
                found.push((
                    Invariant::BookUncrossed,
                    format!(
                        "market {}: engine top {:?}/{:?}, shadow {bid:?}/{ask:?}",
                        market.0,
                        engine.best_bid(),
                        engine.best_ask()
                    ),
                ));
            }
            if let (Some(b), Some(a)) = (bid, ask) {
                if b >= a {
                    found.push((
                        Invariant::BookUncrossed,
                        format!("market {}: best bid {} >= best ask {}", market.0, b.0, a.0),
                    ));
                }
            }
        }
        for (invariant, detail) in found {
            self.fail(invariant, seq, detail);
        }
    }

    /// `holds_match_open_orders`: every user's held balance equals, by decimal arithmetic, what
    /// the orders resting in the engines reserve.
    fn check_holds<E: MatchingEngine>(&mut self, x: &Exchange<E>, seq: u64) {
        let mut expected: BTreeMap<(UserId, AssetId), Decimal> = BTreeMap::new();
        for m in 0..x.market_count() {
            let market_id = MarketId(u16::try_from(m).expect("market ids fit u16"));
            let market = x.market(market_id);
            let assets = x.assets();
            let (base, quote) = (&assets[usize::from(market.base().0)], &assets[usize::from(market.quote().0)]);
            let (base_minor, quote_minor) = (minor_unit(base), minor_unit(quote));
            for side in [Side::Buy, Side::Sell] {
                x.engine(market_id).resting(side, &mut |o| {
                    let user = UserId(o.owner.0);
                    let lots = Decimal::from(o.qty.0) * market.lot_size();
                    let (asset, amount) = match side {
                        Side::Buy => {
                            (market.quote(), Decimal::from(o.price.0) * market.tick_size() * lots / quote_minor)
                        }
                        Side::Sell => (market.base(), lots / base_minor),
                    };
                    *expected.entry((user, asset)).or_default() += amount;
                });
            }
        }
        for (account, asset, balance) in x.ledger().balances() {
            if let Account::Held(user) = account {
                let want = expected.get(&(user, asset)).copied().unwrap_or_default();
                if Decimal::from(balance) != want {
                    self.fail(
                        Invariant::HoldsMatchOpenOrders,
                        seq,
                        format!(
                            "user {} holds {balance} of asset {} but its open orders reserve {want}",
                            user.0, asset.0
                        ),
                    );
                }
            }
        }
    }

    /// `quote_honored`: an accepted quote delivered exactly its terms, as issued.
    fn check_quote<E: MatchingEngine>(
        &mut self,
        x: &Exchange<E>,
        command: &Command,
        outcome: &Result<Ack, Reject>,
        seq: u64,
    ) {
        match (command, outcome) {
            (_, Ok(Ack::Quote(q))) => {
                self.quotes.insert(q.id, *q);
            }
            (Command::AcceptQuote { user, quote }, Ok(Ack::QuoteFilled(filled))) => {
                let Some(issued) = self.quotes.remove(quote) else {
                    return self.fail(
                        Invariant::QuoteHonored,
                        seq,
                        format!("quote {} filled but never issued", quote.0),
                    );
                };
                if issued != *filled {
                    return self.fail(
                        Invariant::QuoteHonored,
                        seq,
                        format!("quote issued as {issued:?}, filled as {filled:?}"),
                    );
                }
                let market = x.market(issued.market);
                let assets = x.assets();
                let minor = |a: AssetId| minor_unit(&assets[usize::from(a.0)]);
                let lots = Decimal::from(issued.qty.0) * market.lot_size();
                let base = lots / minor(market.base());
                let paid = Decimal::from(issued.price.0) * market.tick_size() * lots / minor(market.quote());
                let (want_base, want_quote) = match issued.side {
                    Side::Buy => (base, -paid),
                    Side::Sell => (-base, paid),
                };
                let journal = x.ledger().journal();
                let delta = |asset| -> Decimal {
                    journal
                        .entries_from(journal.len().saturating_sub(1))
                        .flat_map(|e| e.postings())
                        .filter(|p| p.account == Account::Available(*user) && p.asset == asset)
                        .map(|p| Decimal::from(p.delta))
                        .sum()
                };
                let (got_base, got_quote) = (delta(market.base()), delta(market.quote()));
                if (got_base, got_quote) != (want_base, want_quote) {
                    self.fail(
                        Invariant::QuoteHonored,
                        seq,
                        format!("quote {} promised base {want_base} quote {want_quote}, delivered base {got_base} quote {got_quote}", quote.0),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Consecutive runs of events of one market.
fn group_by_market(events: &[(MarketId, crate::engine::Event)]) -> Vec<(MarketId, Vec<crate::engine::Event>)> {
    let mut groups: Vec<(MarketId, Vec<crate::engine::Event>)> = Vec::new();
    for (market, event) in events {
        match groups.last_mut() {
            Some((m, list)) if m == market => list.push(*event),
            _ => groups.push((*market, vec![*event])),
        }
    }
    groups
}
