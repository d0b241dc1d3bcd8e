//! The auditor: an independent check of every invariant after every command.
//!
//! It keeps its own **shadow model** — a book rebuilt from the engine's events, balances rebuilt
//! from the journal's entries, reservations rebuilt from the shadow book, deposits and withdrawals
//! counted from acknowledged commands, the quotes it saw issued — and compares the exchange against
//! it. It never trusts the field it is checking: holds are recomputed from the shadow's resting
//! orders with conversion factors derived independently from the market's decimals, priority from
//! the shadow queue, conservation from the commands.
//!
//! Cost: each check after a command is proportional to what the command changed (the accounts its
//! journal entry touched, the orders its events touched). [`Auditor::finish`] adds full scans at
//! the end of a run, each O(live state), never a replay from genesis: every balance against the
//! shadow balances (built incrementally from every entry since genesis) and against the journal's
//! own replay (its last checkpoint's balances plus the entries since), every hold against every
//! resting order, every book against its shadow.
//!
//! Memory: the shadow holds live state only — balances, reservations, resting orders, and the
//! quotes issued that can still be accepted (a quote is forgotten once its expiry has passed; one
//! filled after that is reported under `quote_honored`).
//!
//! Its decimal arithmetic is checked (`checked_mul`/`checked_div`/`checked_add`): every amount is
//! within ±`AMOUNT_MAX` and every price within its market's highest, so for a sound exchange each
//! product fits a `Decimal` exactly; a value that does not (possible only after a fault minted
//! money) is reported as a violation of the invariant being checked, never a panic.
//!
//! Violations are counted per invariant with the first one kept in full ([`Findings`]); a run's
//! findings survive a crash, while the shadow is rebuilt from the recovered exchange's replay.

mod invariant;
mod shadow_book;

pub use invariant::Invariant;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::engine::{Event, MatchingEngine, Tif};
use crate::exchange::{
    Ack, Applied, Command, Exchange, FundsCommand, OrderKind, Quote, QuoteId, Reject, TradingCommand,
};
use crate::ledger::{Account, UserId};
use crate::lookup::LookupMap;
use crate::units::decimal::minor_unit;
use crate::units::{AssetId, MarketId, Minor, Side};
use shadow_book::{Reserve, ShadowBook, TakerRules};

/// When something happened: the simulator's event sequence number and time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub seq: u64,
    pub time_ns: u64,
}

/// A broken invariant, at the event that broke it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    /// The event's sequence number (the exchange's command number when used without a simulator).
    pub seq: u64,
    pub time_ns: u64,
    pub detail: String,
}

/// What the auditor found over a run: a count per invariant, the first violation of each, and
/// which invariants something in the run could have broken.
#[derive(Clone, Debug, Default)]
pub struct Findings {
    counts: [u64; Invariant::ALL.len()],
    first: [Option<Violation>; Invariant::ALL.len()],
    kept: Vec<Violation>,
    exercised: u32,
}

/// At most this many violations are kept in full; the rest are only counted.
pub const KEPT_MAX: usize = 1_000;

impl Findings {
    fn add(&mut self, v: Violation) {
        let i = v.invariant as usize;
        self.counts[i] += 1;
        if self.first[i].is_none() {
            self.first[i] = Some(v.clone());
        }
        if self.kept.len() < KEPT_MAX {
            self.kept.push(v);
        }
    }

    /// How many times `invariant` broke.
    pub fn count(&self, invariant: Invariant) -> u64 {
        self.counts[invariant as usize]
    }

    /// Its first violation.
    pub fn first(&self, invariant: Invariant) -> Option<&Violation> {
        self.first[invariant as usize].as_ref()
    }

    /// Whether anything in the run could have broken it.
    pub fn exercised(&self, invariant: Invariant) -> bool {
        self.exercised & (1 << invariant as u32) != 0
    }

    fn exercise(&mut self, invariant: Invariant) {
        self.exercised |= 1 << invariant as u32;
    }

    /// The first [`KEPT_MAX`] violations, in order.
    pub fn violations(&self) -> &[Violation] {
        &self.kept
    }

    /// Total violations.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// A market as the auditor derives it from decimals, independently of [`crate::units::Market`].
#[derive(Clone, Copy, Debug)]
struct MarketFactors {
    base: AssetId,
    quote: AssetId,
    base_minor_per_lot: i128,
    quote_minor_per_tick_lot: i128,
}

/// The auditor. Feed it every command and outcome in order with [`Auditor::observe`].
#[derive(Clone, Debug)]
pub struct Auditor {
    books: Vec<ShadowBook>,
    factors: Vec<MarketFactors>,
    balances: LookupMap<Minor>,
    /// What each (user, asset) resting order reserves, from the shadow books.
    reserved: LookupMap<i128>,
    /// Per asset: what was deposited less what was withdrawn, from acknowledged commands.
    net_deposits: Vec<i128>,
    /// Per asset: the sum of every non-world balance in the shadow.
    internal: Vec<i128>,
    /// Issued quotes not yet accepted nor expired.
    quotes: BTreeMap<QuoteId, Quote>,
    /// The highest id of a quote forgotten because it expired (0: none).
    quotes_expired_to: u64,
    journal_seen: usize,
    findings: Findings,
    muted: bool,
    // Scratch, reused between commands.
    sums: Vec<(AssetId, i128)>,
    touched: Vec<(Account, AssetId)>,
    holds_touched: Vec<(UserId, AssetId)>,
    reserves: Vec<Reserve>,
    found: Vec<(Invariant, String)>,
}

/// The shadow's key of a balance: the account's index from the ledger's account-kind table.
fn account_key(account: Account, asset: AssetId) -> u64 {
    ((account.index() as u64) << 16) | u64::from(asset.0)
}

fn hold_key(user: UserId, asset: AssetId) -> u64 {
    (u64::from(user.0) << 16) | u64::from(asset.0)
}

impl Auditor {
    /// An auditor for a fresh exchange.
    pub fn new<E: MatchingEngine>(exchange: &Exchange<E>) -> Auditor {
        assert_eq!(exchange.ledger().journal().len(), 0, "audit from genesis");
        let assets = exchange.assets();
        let factors = (0..exchange.market_count())
            .map(|m| {
                let market = exchange.market(MarketId(u16::try_from(m).expect("market ids fit u16")));
                let minor = |a: AssetId| minor_unit(&assets[usize::from(a.0)]);
                // Both factors are whole numbers of minor units, at most AMOUNT_MAX (< 2^96), so
                // these products and quotients are exact in Decimal (a `Market` invariant).
                let whole = |d: Option<Decimal>| -> i128 {
                    let d = d.expect("a market's unit factors fit a decimal");
                    assert!(d.fract().is_zero() && d > Decimal::ZERO, "a market exists only with whole positive units");
                    i128::try_from(d).expect("unit factor fits i128")
                };
                let tick_lot = market.tick_size().checked_mul(market.lot_size());
                MarketFactors {
                    base: market.base(),
                    quote: market.quote(),
                    base_minor_per_lot: whole(market.lot_size().checked_div(minor(market.base()))),
                    quote_minor_per_tick_lot: whole(tick_lot.and_then(|p| p.checked_div(minor(market.quote())))),
                }
            })
            .collect();
        Auditor {
            books: (0..exchange.market_count()).map(|_| ShadowBook::default()).collect(),
            factors,
            balances: LookupMap::default(),
            reserved: LookupMap::default(),
            net_deposits: vec![0; assets.len()],
            internal: vec![0; assets.len()],
            quotes: BTreeMap::new(),
            quotes_expired_to: 0,
            journal_seen: 0,
            findings: Findings::default(),
            muted: false,
            sums: Vec::new(),
            touched: Vec::new(),
            holds_touched: Vec::new(),
            reserves: Vec::new(),
            found: Vec::new(),
        }
    }

    /// A copy of this (checkpointed) shadow that carries `findings`, the run's findings so far,
    /// muted until [`Auditor::unmute`]: recovery replays the commands after the checkpoint into it.
    pub fn resume_with(&self, findings: &Findings) -> Auditor {
        let mut a = self.clone();
        a.findings = findings.clone();
        a.muted = true;
        a
    }

    /// Ends a recovery replay: from now on violations count again.
    pub fn unmute(&mut self) {
        self.muted = false;
    }

    /// Every violation kept so far (the first [`KEPT_MAX`]).
    pub fn violations(&self) -> &[Violation] {
        self.findings.violations()
    }

    /// Counts, first violations and coverage so far.
    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    /// How many records it holds: issued quotes still open and resting orders in the shadow books.
    /// Live state, not history; O(markets). For tests and measurements.
    pub fn retained(&self) -> usize {
        self.quotes.len() + self.books.iter().map(ShadowBook::len).sum::<usize>()
    }

    /// Records a violation found outside the per-command checks (crash recovery).
    pub fn report(&mut self, invariant: Invariant, at: Stamp, detail: String) {
        if !self.muted {
            self.findings.add(Violation { invariant, seq: at.seq, time_ns: at.time_ns, detail });
        }
    }

    /// Marks an invariant as exercised by something outside the per-command checks.
    pub fn exercise(&mut self, invariant: Invariant) {
        self.findings.exercise(invariant);
    }

    /// Checks `command` as the exchange applied it (its result and effects, [`Applied`]), stamped
    /// with the exchange's own command number and time. Returns how many new violations were found.
    pub fn observe<E: MatchingEngine>(&mut self, command: &Command, applied: &Applied<'_, E>) -> usize {
        self.observe_at(command, applied, Stamp { seq: applied.seq(), time_ns: applied.now_ns() })
    }

    /// [`Auditor::observe`] with the simulator's stamp.
    pub fn observe_at<E: MatchingEngine>(&mut self, command: &Command, applied: &Applied<'_, E>, at: Stamp) -> usize {
        let before = self.findings.total();
        let x = applied.exchange();
        let outcome = &applied.result;
        let seq = x.seq();
        // The entries the command says it appended must be exactly the ones the journal gained
        // since the auditor last looked: none appended outside a command, none claimed twice.
        let journal_len = x.ledger().journal().len();
        if applied.entries.start != self.journal_seen || applied.entries.end != journal_len {
            self.found.push((
                Invariant::JournalComplete,
                format!(
                    "command {command:?} reports journal entries {:?}, but the journal went from {} to {journal_len}",
                    applied.entries, self.journal_seen
                ),
            ));
        }
        if outcome.is_err() && (journal_len != self.journal_seen || !applied.events.is_empty()) {
            self.found.push((Invariant::JournalComplete, format!("rejected command {command:?} changed the state")));
        }
        let first_entry = self.journal_seen;
        self.check_entries(x, seq);
        self.count_flows(command, outcome);
        self.check_conservation();
        self.check_book(x, command, outcome, applied.events);
        self.check_holds(x);
        self.check_quote(x, command, outcome, first_entry);
        let mut found = std::mem::take(&mut self.found);
        for (invariant, detail) in found.drain(..) {
            self.report(invariant, at, detail);
        }
        self.found = found;
        (self.findings.total() - before) as usize
    }

    /// `ledger_balanced`, `no_negative_balance` and `journal_complete` over the new entries.
    fn check_entries<E: MatchingEngine>(&mut self, x: &Exchange<E>, seq: u64) {
        let journal = x.ledger().journal();
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for entry in journal.entries_from(self.journal_seen) {
            self.findings.exercise(Invariant::LedgerBalanced);
            self.findings.exercise(Invariant::Conservation);
            self.findings.exercise(Invariant::NoNegativeBalance);
            self.findings.exercise(Invariant::JournalComplete);
            self.sums.clear();
            for p in entry.postings() {
                match self.sums.iter_mut().find(|(a, _)| *a == p.asset) {
                    Some((_, sum)) => *sum += p.delta,
                    None => self.sums.push((p.asset, p.delta)),
                }
                let key = account_key(p.account, p.asset);
                match self.balances.get_mut(key) {
                    Some(b) => *b = b.wrapping_add(p.delta),
                    None => {
                        self.balances.insert_new(key, p.delta);
                    }
                }
                if !p.account.is_world() {
                    self.internal[usize::from(p.asset.0)] += p.delta;
                }
                touched.push((p.account, p.asset));
                if let Account::Held(user) = p.account {
                    self.holds_touched.push((user, p.asset));
                }
            }
            if entry.cause.seq != seq {
                self.found.push((
                    Invariant::JournalComplete,
                    format!("entry names command {} but command {seq} ran", entry.cause.seq),
                ));
            }
            if let Some(&(asset, sum)) = self.sums.iter().find(|(_, s)| *s != 0) {
                self.found.push((
                    Invariant::LedgerBalanced,
                    format!("entry for command {seq} sums to {sum} in asset {}", asset.0),
                ));
            }
        }
        self.journal_seen = journal.len();
        for &(account, asset) in &touched {
            let shadow = self.balances.get(account_key(account, asset)).copied().unwrap_or(0);
            if !account.may_go_negative() && shadow < 0 {
                self.found
                    .push((Invariant::NoNegativeBalance, format!("{account:?} is {shadow} in asset {}", asset.0)));
            }
            let actual = x.ledger().balance(account, asset);
            if actual != shadow {
                self.found.push((
                    Invariant::JournalComplete,
                    format!("{account:?} asset {} is {actual}, journal says {shadow}", asset.0),
                ));
            }
        }
        self.touched = touched;
    }

    fn count_flows(&mut self, command: &Command, outcome: &Result<Ack, Reject>) {
        if outcome.is_err() {
            return;
        }
        match *command {
            Command::Funds(FundsCommand::Deposit { asset, amount, .. }) => {
                if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
                    *n += amount;
                }
            }
            Command::Funds(FundsCommand::Withdraw { asset, amount, .. }) => {
                if let Some(n) = self.net_deposits.get_mut(usize::from(asset.0)) {
                    *n -= amount;
                }
            }
            _ => {}
        }
    }

    fn check_conservation(&mut self) {
        for (asset, (held, net)) in self.internal.iter().zip(&self.net_deposits).enumerate() {
            if held != net {
                self.found.push((
                    Invariant::Conservation,
                    format!("asset {asset}: accounts hold {held} but deposits less withdrawals are {net}"),
                ));
            }
        }
    }

    /// Replays the engine events into the shadow books: `book_uncrossed`, `price_time_priority`,
    /// `limit_respected`, `tif_respected`; collects reservation changes for the holds check.
    fn check_book<E: MatchingEngine>(
        &mut self,
        x: &Exchange<E>,
        command: &Command,
        outcome: &Result<Ack, Reject>,
        events: &[(MarketId, Event)],
    ) {
        let rules = match (*command, outcome) {
            (Command::Trading(TradingCommand::Place(order)), Ok(Ack::Order { id, .. })) => {
                self.findings.exercise(Invariant::BookUncrossed);
                let taker_tif = match order.kind {
                    OrderKind::Limit { tif, .. } => tif != Tif::Gtc,
                    _ => true,
                };
                if taker_tif {
                    self.findings.exercise(Invariant::TifRespected);
                }
                Some(TakerRules {
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
                })
            }
            _ => None,
        };
        let owner = command_user(command);
        let mut reserves = std::mem::take(&mut self.reserves);
        reserves.clear();
        let mut start = 0;
        while start < events.len() {
            let market = events[start].0;
            let end = events[start..].iter().position(|(m, _)| *m != market).map_or(events.len(), |n| start + n);
            let group = &events[start..end];
            start = end;
            if group.iter().any(|(_, e)| matches!(e, Event::Fill { .. })) {
                self.findings.exercise(Invariant::PriceTimePriority);
                self.findings.exercise(Invariant::LimitRespected);
            }
            let book = &mut self.books[usize::from(market.0)];
            book.replay(group, rules.as_ref(), command, owner, &mut self.found, &mut reserves);
            let engine = x.engine(market);
            let (bid, ask) = (book.best(Side::Buy), book.best(Side::Sell));
            if (bid, ask) != (engine.best_bid(), engine.best_ask()) {
                self.found.push((
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
                    self.found.push((
                        Invariant::BookUncrossed,
                        format!("market {}: best bid {} >= best ask {}", market.0, b.0, a.0),
                    ));
                }
            }
            let f = self.factors[usize::from(market.0)];
            for r in &reserves {
                let (asset, amount) = match r.side {
                    Side::Buy => (
                        f.quote,
                        r.lots
                            .checked_mul(i128::from(r.price.0))
                            .and_then(|n| n.checked_mul(f.quote_minor_per_tick_lot)),
                    ),
                    Side::Sell => (f.base, r.lots.checked_mul(f.base_minor_per_lot)),
                };
                self.findings.exercise(Invariant::HoldsMatchOpenOrders);
                // A resting order was paid for, so its reservation fits; one that does not can
                // only come from money minted by a fault.
                let Some(amount) = amount else {
                    self.found.push((
                        Invariant::HoldsMatchOpenOrders,
                        format!(
                            "user {} has an order of {} lots at {} whose reservation overflows",
                            r.owner.0, r.lots, r.price.0
                        ),
                    ));
                    continue;
                };
                let key = hold_key(r.owner, asset);
                match self.reserved.get_mut(key) {
                    Some(v) => *v = v.saturating_add(amount),
                    None => {
                        self.reserved.insert_new(key, amount);
                    }
                }
                self.holds_touched.push((r.owner, asset));
            }
            reserves.clear();
        }
        self.reserves = reserves;
    }

    /// `holds_match_open_orders` for every (user, asset) whose hold or reservations changed.
    fn check_holds<E: MatchingEngine>(&mut self, x: &Exchange<E>) {
        let mut touched = std::mem::take(&mut self.holds_touched);
        touched.sort_unstable();
        touched.dedup();
        for &(user, asset) in &touched {
            let want = self.reserved.get(hold_key(user, asset)).copied().unwrap_or(0);
            let held = x.ledger().balance(Account::Held(user), asset);
            if held != want {
                self.found.push((
                    Invariant::HoldsMatchOpenOrders,
                    format!("user {} holds {held} of asset {} but its open orders reserve {want}", user.0, asset.0),
                ));
            }
        }
        touched.clear();
        self.holds_touched = touched;
    }

    /// Full scans at the end of a run, each O(live state): every balance against the shadow
    /// balances and against the journal's replay from its last checkpoint, every hold against the
    /// engines' resting orders (decimal arithmetic), every engine against its shadow.
    /// Returns how many new violations were found.
    pub fn finish<E: MatchingEngine>(&mut self, x: &Exchange<E>, at: Stamp) -> usize {
        let before = self.findings.total();
        let replayed = x.ledger().journal().replay();
        for (account, asset, balance) in x.ledger().balances() {
            let want = replayed.get(&(account, asset)).copied().unwrap_or(0);
            if balance != want {
                self.found.push((
                    Invariant::JournalComplete,
                    format!("end of run: {account:?} asset {} is {balance}, the journal replays to {want}", asset.0),
                ));
            }
            let shadow = self.balances.get(account_key(account, asset)).copied().unwrap_or(0);
            if balance != shadow {
                self.found.push((
                    Invariant::JournalComplete,
                    format!(
                        "end of run: {account:?} asset {} is {balance}, the entries the auditor saw sum to {shadow}",
                        asset.0
                    ),
                ));
            }
        }
        let mut expected: BTreeMap<(UserId, AssetId), Option<Decimal>> = BTreeMap::new();
        for m in 0..x.market_count() {
            let market_id = MarketId(u16::try_from(m).expect("market ids fit u16"));
            let market = x.market(market_id);
            let assets = x.assets();
            let (base, quote) = (&assets[usize::from(market.base().0)], &assets[usize::from(market.quote().0)]);
            let (base_minor, quote_minor) = (minor_unit(base), minor_unit(quote));
            let mut engine_orders = Vec::new();
            for side in [Side::Buy, Side::Sell] {
                x.engine(market_id).resting(side, &mut |o| {
                    engine_orders.push((o.id, UserId(o.owner.0), side, o.price, o.qty));
                    let user = UserId(o.owner.0);
                    let lots = Decimal::from(o.qty.0).checked_mul(market.lot_size());
                    let (asset, amount) = match side {
                        Side::Buy => (
                            market.quote(),
                            Decimal::from(o.price.0)
                                .checked_mul(market.tick_size())
                                .and_then(|p| lots?.checked_mul(p))
                                .and_then(|n| n.checked_div(quote_minor)),
                        ),
                        Side::Sell => (market.base(), lots.and_then(|l| l.checked_div(base_minor))),
                    };
                    // A resting order was paid for, so its reservation is at most an asset's total
                    // and fits; `None` marks one that does not (only money minted by a fault).
                    let sum = expected.entry((user, asset)).or_insert(Some(Decimal::ZERO));
                    *sum = sum.and_then(|s| amount.and_then(|a| s.checked_add(a)));
                });
            }
            let mut shadow: Vec<_> = self.books[m].resting().collect();
            shadow.sort_unstable_by_key(|o| o.0);
            engine_orders.sort_unstable_by_key(|o| o.0);
            if shadow != engine_orders {
                self.found.push((
                    Invariant::BookUncrossed,
                    format!(
                        "end of run: market {m} rests {} orders, its shadow {} (or they differ)",
                        engine_orders.len(),
                        shadow.len()
                    ),
                ));
            }
        }
        for (account, asset, balance) in x.ledger().balances() {
            if let Account::Held(user) = account {
                let want = expected.get(&(user, asset)).copied().unwrap_or(Some(Decimal::ZERO));
                let held = Decimal::try_from_i128_with_scale(balance, 0).ok();
                if held.is_none() || held != want {
                    let want = want.map_or_else(|| "more than a decimal holds".to_owned(), |w| w.to_string());
                    self.found.push((
                        Invariant::HoldsMatchOpenOrders,
                        format!(
                            "end of run: user {} holds {balance} of asset {} but its open orders reserve {want}",
                            user.0, asset.0
                        ),
                    ));
                }
            }
        }
        let mut found = std::mem::take(&mut self.found);
        for (invariant, detail) in found.drain(..) {
            self.report(invariant, at, detail);
        }
        self.found = found;
        (self.findings.total() - before) as usize
    }

    /// `quote_honored`: an accepted quote delivered exactly its terms, as issued.
    fn check_quote<E: MatchingEngine>(
        &mut self,
        x: &Exchange<E>,
        command: &Command,
        outcome: &Result<Ack, Reject>,
        first_entry: usize,
    ) {
        if matches!(command, Command::Trading(TradingCommand::AcceptQuote { .. })) {
            self.findings.exercise(Invariant::QuoteHonored);
        }
        // Forget the quotes that can no longer be accepted: expired at the command's time.
        while let Some(entry) = self.quotes.first_entry() {
            if entry.get().expires_at_ns > x.now_ns() {
                break;
            }
            self.quotes_expired_to = self.quotes_expired_to.max(entry.key().0);
            entry.remove();
        }
        match (command, outcome) {
            (_, Ok(Ack::Quote(q))) => {
                self.quotes.insert(q.id, *q);
            }
            (Command::Trading(TradingCommand::AcceptQuote { user, quote }), Ok(Ack::QuoteFilled(filled))) => {
                let Some(issued) = self.quotes.remove(quote) else {
                    let why = if quote.0 <= self.quotes_expired_to {
                        "but was no longer open (expired, or already filled)"
                    } else {
                        "but was never issued (or was already filled)"
                    };
                    return self.found.push((Invariant::QuoteHonored, format!("quote {} filled {why}", quote.0)));
                };
                if issued != *filled {
                    return self
                        .found
                        .push((Invariant::QuoteHonored, format!("quote issued as {issued:?}, filled as {filled:?}")));
                }
                let market = x.market(issued.market);
                let assets = x.assets();
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
                let journal = x.ledger().journal();
                let delta = |asset| -> Option<Decimal> {
                    journal
                        .entries_from(first_entry)
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
                    self.found.push((
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
}

/// The user a command acts for (the house for commands without one).
fn command_user(command: &Command) -> UserId {
    command.user().unwrap_or(UserId::HOUSE)
}
