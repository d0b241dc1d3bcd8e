//! Two concurrent outflows of ONE account, every interleaving of their steps enumerated
//! exhaustively (not sampled), with amounts such that both cannot be paid (6 BTC twice from 10).
//!
//! The races (each a list of per-request step sequences; a step names only its own request, and
//! a step whose request was refused or not sent has nothing to act on and is skipped, as a worker
//! would):
//! - two withdrawals: request → process → confirm, twice (C(6,3) = 20 interleavings);
//! - a withdrawal and a transfer: request → process → confirm, and request → process
//!   (C(5,2) = 10);
//! - two withdrawals above the review threshold, one refused at review and one approved:
//!   request → refuse → process, and request → approve → process → confirm (C(7,3) = 35);
//! - two withdrawals under a daily limit only one of them fits: request → process → confirm,
//!   twice (C(6,3) = 20).
//!
//! Custody is driven as the kernel drives it: the auditor has the exchange's custody policy; the
//! asset's chain starts from a genesis holding the set-up deposit; each `Intent::Pay` is submitted
//! to the chain; a confirm step mines a block and the watcher sends `PaymentConfirmed` from the
//! chain's `Confirmed` fact of that request's payment (the chain's txid); every chain fact goes to
//! the auditor. After the last step every request still open is finished (processed, a block
//! mined, confirmed), then the auditor's settlement check and end-of-run scans run.
//!
//! The correct exchange holds every invariant in every interleaving: the auditor is quiet (also
//! at its settlement check and end-of-run scans) with `solvency` and `eventual_settlement`
//! exercised, `withdrawal_paid_once` exercised whenever a withdrawal was paid (and
//! `withdrawal_limits` under the daily limit), no balance is negative, the total paid on chain is
//! at most what was deposited, each withdrawal is paid at most once, and the ledger's journal
//! replays to every balance. With `withdraw_check_race` on, exactly the interleavings where a
//! second request is checked before the first one's debit (the worker's step) overdraw, and the
//! auditor reports each with `no_negative_balance` and `solvency`; the review race and the
//! daily-limit race never do (a refused withdrawal is never sent; the limit refuses the second
//! request). Elsewhere under the fault the auditor reports only `holds_match_open_orders`: a race
//! request holds nothing at request, by design of the fault.

use std::collections::BTreeSet;

use exsim::audit::{Auditor, Invariant, Stamp};
use exsim::chain::{Chain, ChainFact, Purpose};
use exsim::exchange::{
    Ack, AssetPolicy, Command, CustodyPolicy, Exchange, ExchangeConfig, FundsCommand, Intent, Payment, TransferId,
    TransferState, TxId, WithdrawalId, WithdrawalState,
};
use exsim::fault::{Fault, FaultSet};
use exsim::ledger::{Account, UserId};
use exsim::testkit::commands::config;
use exsim::units::{AssetId, Minor};

const BTC: AssetId = AssetId(0);
const A: UserId = UserId(1);
const B: UserId = UserId(2);
const DEPOSIT: Minor = 1_000_000_000;
const AMOUNT: Minor = 600_000_000;

/// One step of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Withdraw,
    Review { approve: bool },
    Process,
    Confirm,
    Transfer,
    ProcessTransfer,
}

/// What one request has been given so far.
#[derive(Clone, Copy, Debug, Default)]
struct Request {
    withdrawal: Option<WithdrawalId>,
    transfer: Option<TransferId>,
    /// Its payment as the chain confirmed it (the chain's txid), from a `Confirmed` fact.
    confirmed: Option<(TxId, Payment)>,
    /// Whether the watcher has told the exchange (`PaymentConfirmed`).
    told: bool,
}

/// Every interleaving of two sequences of `m` and `n` steps, as the sequence each step is taken
/// from (0 or 1), in lexicographic order.
fn interleavings(m: usize, n: usize) -> Vec<Vec<u8>> {
    if m == 0 || n == 0 {
        return vec![std::iter::repeat_n(0, m).chain(std::iter::repeat_n(1, n)).collect()];
    }
    let mut all = Vec::new();
    for mut rest in interleavings(m - 1, n) {
        rest.insert(0, 0);
        all.push(rest);
    }
    for mut rest in interleavings(m, n - 1) {
        rest.insert(0, 1);
        all.push(rest);
    }
    all
}

fn binomial(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// The outcome of one interleaving.
#[derive(Debug)]
struct Outcome {
    /// The invariants the auditor reported (every invariant it checks, chain facts, the
    /// settlement check and end-of-run scans included).
    reported: BTreeSet<Invariant>,
    /// The custody invariants the auditor exercised.
    exercised: BTreeSet<Invariant>,
    /// Whether any non-world balance ended below zero.
    negative: bool,
    /// What the exchange asked the chain to pay.
    paid: Minor,
    /// What left the exchange's wallets on chain.
    paid_on_chain: Minor,
    /// Payments per withdrawal id.
    payments: Vec<(WithdrawalId, u32)>,
}

impl Outcome {
    fn overdrew(&self) -> bool {
        self.negative || self.paid > DEPOSIT
    }
}

/// The custody invariants whose coverage [`Outcome::exercised`] records.
const CUSTODY: [Invariant; 4] =
    [Invariant::WithdrawalPaidOnce, Invariant::WithdrawalLimits, Invariant::Solvency, Invariant::EventualSettlement];

/// The exchange, its auditor and the asset's chain, driven as the kernel's custody does.
struct World {
    x: Exchange,
    auditor: Auditor,
    chain: Chain,
    facts: Vec<ChainFact>,
    now: u64,
    requests: [Request; 2],
    paid: Minor,
}

impl World {
    fn stamp(&self) -> Stamp {
        Stamp { seq: self.x.seq(), time_ns: self.now }
    }

    /// Applies `c` for request `s` (if any): the auditor sees it, each payment it emits goes to
    /// the chain (and its fact to the auditor).
    fn apply(&mut self, s: Option<usize>, c: Command) -> Result<Ack, exsim::exchange::Reject> {
        self.now += 1;
        let applied = self.x.apply(self.now, &c);
        self.auditor.observe(&c, &applied);
        let (result, intents) = (applied.result, applied.intents.to_vec());
        if let (Some(s), Ok(Ack::Withdrawal(id))) = (s, result) {
            self.requests[s].withdrawal = Some(id);
        }
        if let (Some(s), Ok(Ack::Transfer(id))) = (s, result) {
            self.requests[s].transfer = Some(id);
        }
        for intent in intents {
            let Intent::Pay { withdrawal, amount, .. } = intent else { continue };
            assert!(self.requests.iter().any(|r| r.withdrawal == Some(withdrawal)), "a payment for a request");
            self.paid += amount;
            let owner = self.x.withdrawal(withdrawal).expect("its record").user;
            let fact = self.chain.pay(&intent, owner).expect("the chain takes a fresh payment");
            let at = self.stamp();
            self.auditor.observe_chain(&fact, at);
        }
        result
    }

    /// A worker's or customer's command for request `s`: a refusal is the exchange's answer (the
    /// auditor judged it), and leaves the request as it was.
    fn send(&mut self, s: usize, c: Command) {
        let _ = self.apply(Some(s), c);
    }

    /// Mines a block: every fact to the auditor; each confirmed withdrawal's payment is kept for
    /// its request's watcher.
    fn mine(&mut self) {
        self.facts.clear();
        self.chain.mine(&mut self.facts);
        let at = self.stamp();
        for fact in &self.facts {
            self.auditor.observe_chain(fact, at);
            if let ChainFact::Confirmed { tx, .. } = *fact {
                if let Purpose::Withdrawal { id, .. } = tx.purpose {
                    let r = self.requests.iter_mut().find(|r| r.withdrawal == Some(id)).expect("a request's payment");
                    assert!(r.confirmed.is_none(), "{id:?} confirmed twice on chain");
                    r.confirmed = Some((tx.txid, tx.payment));
                }
            }
        }
    }

    /// The watcher tells the exchange of request `s`'s confirmed payment, once.
    fn tell(&mut self, s: usize) {
        let r = self.requests[s];
        if let (Some((txid, payment)), false) = (r.confirmed, r.told) {
            self.requests[s].told = true;
            let c = FundsCommand::PaymentConfirmed { asset: BTC, txid, payment }.into();
            self.apply(Some(s), c).expect("a confirmed payment settles its withdrawal");
        }
    }
}

fn run(faults: FaultSet, policy: &CustodyPolicy, sequences: [&[Step]; 2], order: &[u8]) -> Outcome {
    let config = ExchangeConfig { custody: policy.clone(), ..config(faults) };
    let x = Exchange::new(&config).unwrap();
    let auditor = Auditor::with_config(&x, &config);
    let chain = Chain::new(BTC, &policy.asset(usize::from(BTC.0)), policy.hot_multisig);
    let mut w = World { x, auditor, chain, facts: Vec::new(), now: 0, requests: [Request::default(); 2], paid: 0 };
    for c in [Command::open_account(), Command::open_account(), Command::deposit(A, BTC, DEPOSIT)] {
        w.apply(None, c).unwrap();
    }
    // Set-up funding is mirrored on chain: the genesis holds the deposit.
    let genesis = w.chain.genesis(DEPOSIT);
    w.auditor.observe_chain(&genesis, Stamp::default());
    let mut next = [0usize; 2];
    for &s in order {
        let s = usize::from(s);
        let step = sequences[s][next[s]];
        next[s] += 1;
        let r = w.requests[s];
        match step {
            Step::Withdraw => w.send(s, Command::withdraw(A, BTC, AMOUNT)),
            Step::Transfer => w.send(s, Command::transfer(A, B, BTC, AMOUNT)),
            Step::Review { approve } => {
                if let Some(id) = r.withdrawal {
                    w.send(s, FundsCommand::ReviewWithdrawal { id, approve }.into());
                }
            }
            Step::Process => {
                if let Some(id) = r.withdrawal {
                    w.send(s, FundsCommand::ProcessWithdrawal { id }.into());
                }
            }
            Step::Confirm => {
                if r.withdrawal.is_some() {
                    w.mine();
                    w.tell(s);
                }
            }
            Step::ProcessTransfer => {
                if let Some(id) = r.transfer {
                    w.send(s, FundsCommand::ProcessTransfer { id }.into());
                }
            }
        }
    }
    // The healing phase: each request still open is finished (processed, mined, confirmed).
    for s in 0..2 {
        let Some(id) = w.requests[s].withdrawal else { continue };
        let state = w.x.withdrawal(id).expect("its record").state;
        if matches!(state, WithdrawalState::Requested | WithdrawalState::Approved) {
            w.send(s, FundsCommand::ProcessWithdrawal { id }.into());
        }
    }
    w.mine();
    for s in 0..2 {
        w.tell(s);
    }
    for s in 0..2 {
        let Some(id) = w.requests[s].transfer else { continue };
        if w.x.transfer(id).expect("its record").state == TransferState::Requested {
            w.send(s, FundsCommand::ProcessTransfer { id }.into());
        }
    }
    let end = w.stamp();
    w.auditor.check_settled(end);
    w.auditor.finish(&w.x, end);
    let x = &w.x;
    let replayed = x.ledger().journal().replay();
    for (account, asset, balance) in x.ledger().balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "journal_complete");
    }
    let negative = x.ledger().balances().any(|(a, _, b)| a != Account::World && b < 0);
    let payments = x.withdrawals().map(|w| (w.id, w.payments)).collect();
    let findings = w.auditor.findings();
    let reported = Invariant::ALL.into_iter().filter(|&i| findings.count(i) > 0).collect();
    let exercised = CUSTODY.into_iter().filter(|&i| findings.exercised(i)).collect();
    Outcome { reported, exercised, negative, paid: w.paid, paid_on_chain: w.chain.paid_out(), payments }
}

use Invariant::{EventualSettlement, HoldsMatchOpenOrders, NoNegativeBalance, Solvency};

/// Under the fault, what the auditor reports where nothing overdrew: a race request holds nothing
/// at request, which `holds_match_open_orders` flags by design, and nothing else.
fn unheld() -> BTreeSet<Invariant> {
    BTreeSet::from([HoldsMatchOpenOrders])
}

/// Asserts that every overdrawn interleaving reported exactly `expected`.
fn assert_overdrafts_report(race: &Race, expected: &[Invariant]) {
    let expected: BTreeSet<Invariant> = expected.iter().copied().collect();
    assert_eq!(race.overdrawn_always, expected);
    assert_eq!(race.overdrawn_reported, expected);
}

const WITHDRAW: &[Step] = &[Step::Withdraw, Step::Process, Step::Confirm];
const TRANSFER: &[Step] = &[Step::Transfer, Step::ProcessTransfer];
const REFUSED: &[Step] = &[Step::Withdraw, Step::Review { approve: false }, Step::Process];
const APPROVED: &[Step] = &[Step::Withdraw, Step::Review { approve: true }, Step::Process, Step::Confirm];

/// The positions, in `order`, of each sequence's steps.
fn positions(order: &[u8], s: u8) -> Vec<usize> {
    order.iter().enumerate().filter(|(_, &x)| x == s).map(|(i, _)| i).collect()
}

/// What one race showed: its interleavings, those that overdrew under the fault, and what the
/// auditor reported under the fault in the others.
struct Race {
    all: Vec<Vec<u8>>,
    overdrawn: Vec<Vec<u8>>,
    /// The interleavings where the correct exchange paid a withdrawal on chain.
    paid: usize,
    /// The interleavings where `withdrawal_limits` was exercised, correct and under the fault.
    limits: [usize; 2],
    /// The invariants reported under the fault in every interleaving that overdrew.
    overdrawn_always: BTreeSet<Invariant>,
    /// The invariants reported under the fault in any interleaving that overdrew.
    overdrawn_reported: BTreeSet<Invariant>,
    /// The invariants reported under the fault in interleavings that did not overdraw (union).
    otherwise: BTreeSet<Invariant>,
}

/// Runs every interleaving of `sequences` correct and with `withdraw_check_race`; checks the
/// correct exchange in each (quiet auditor, custody checkers exercised) and that the auditor
/// catches each overdraft under the fault with one of the fault's invariants, and reports none
/// of them otherwise.
fn race(policy: &CustodyPolicy, sequences: [&[Step]; 2]) -> Race {
    let caught_by = Fault::WithdrawCheckRace.caught_by();
    let all = interleavings(sequences[0].len(), sequences[1].len());
    let mut overdrawn = Vec::new();
    let mut otherwise = BTreeSet::new();
    let mut overdrawn_reported = BTreeSet::new();
    let mut paid = 0;
    let mut limits = [0; 2];
    let mut overdrawn_always: Option<BTreeSet<Invariant>> = None;
    for order in &all {
        let ok = run(FaultSet::NONE, policy, sequences, order);
        assert!(ok.reported.is_empty(), "{order:?}: {ok:?}");
        for i in [Invariant::Solvency, Invariant::EventualSettlement] {
            assert!(ok.exercised.contains(&i), "{order:?}: {i:?} not exercised: {ok:?}");
        }
        // `withdrawal_paid_once` is judged at each confirmed payment: exercised exactly when one
        // was paid (not when the one request accepted was refused at review).
        let paid_once = ok.exercised.contains(&Invariant::WithdrawalPaidOnce);
        assert_eq!(paid_once, ok.paid_on_chain > 0, "{order:?}: {ok:?}");
        if paid_once {
            paid += 1;
        }
        assert!(!ok.negative, "{order:?}: {ok:?}");
        assert!(ok.paid <= DEPOSIT, "{order:?}: {ok:?}");
        assert!(ok.paid <= AMOUNT, "{order:?}: both cannot be paid: {ok:?}");
        assert_eq!(ok.paid_on_chain, ok.paid, "{order:?}: every payment confirmed: {ok:?}");
        assert!(ok.payments.iter().all(|&(_, n)| n <= 1), "{order:?}: paid twice: {ok:?}");

        let faulty = run(FaultSet::NONE.with(Fault::WithdrawCheckRace), policy, sequences, order);
        for (n, o) in limits.iter_mut().zip([&ok, &faulty]) {
            *n += usize::from(o.exercised.contains(&Invariant::WithdrawalLimits));
        }
        assert!(faulty.payments.iter().all(|&(_, n)| n <= 1), "{order:?}: {faulty:?}");
        assert!(faulty.paid_on_chain <= DEPOSIT, "{order:?}: the chain pays only what it holds: {faulty:?}");
        if faulty.overdrew() {
            assert!(
                caught_by.iter().any(|i| faulty.reported.contains(i)),
                "{order:?}: an overdraft the auditor missed: {faulty:?}"
            );
            overdrawn.push(order.clone());
            let always = overdrawn_always.get_or_insert_with(|| faulty.reported.clone());
            always.retain(|i| faulty.reported.contains(i));
            overdrawn_reported.extend(faulty.reported);
        } else {
            assert!(!caught_by.iter().any(|i| faulty.reported.contains(i)), "{order:?}: {faulty:?}");
            otherwise.extend(faulty.reported);
        }
    }
    let overdrawn_always = overdrawn_always.unwrap_or_default();
    Race { all, overdrawn, paid, limits, overdrawn_always, overdrawn_reported, otherwise }
}

#[test]
fn two_withdrawals_of_one_account() {
    let r = race(&CustodyPolicy::default(), [WITHDRAW, WITHDRAW]);
    let (all, overdrawn) = (&r.all, &r.overdrawn);
    assert_eq!(all.len() as u64, binomial(6, 3));
    assert_eq!(all.len(), 20);
    // Exactly those where both requests are checked before either is debited (processed): the
    // first two steps are the two requests, in either order, then any of the C(4,2) = 6 orders of
    // the rest.
    let expected: Vec<Vec<u8>> = all.iter().filter(|o| o[0] != o[1]).cloned().collect();
    assert_eq!(expected.len(), 12);
    assert_eq!(*overdrawn, expected);
    // The correct exchange pays one of them on chain in every interleaving.
    assert_eq!(r.paid, 20);
    // Each overdraft: a negative balance, custody short of what the books owe, and the second
    // payment waiting on chain for a hot wallet that cannot cover it (never settled).
    assert_overdrafts_report(&r, &[NoNegativeBalance, HoldsMatchOpenOrders, Solvency, EventualSettlement]);
    assert_eq!(r.otherwise, unheld());
}

#[test]
fn a_withdrawal_and_a_transfer_of_one_account() {
    let r = race(&CustodyPolicy::default(), [WITHDRAW, TRANSFER]);
    let (all, overdrawn) = (&r.all, &r.overdrawn);
    assert_eq!(all.len() as u64, binomial(5, 2));
    assert_eq!(all.len(), 10);
    // The transfer holds at request (its own race is `transfer_check_race`, off here); the
    // withdrawal does not: an overdraft exactly when the transfer is requested after the
    // withdrawal's check and before its debit.
    let expected: Vec<Vec<u8>> = all
        .iter()
        .filter(|o| {
            let (w, t) = (positions(o, 0), positions(o, 1));
            w[0] < t[0] && t[0] < w[1]
        })
        .cloned()
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(*overdrawn, expected);
    // The correct exchange pays the withdrawal unless the transfer was requested first: C(4,1) =
    // 4 of the 10 orders start with the transfer.
    assert_eq!(r.paid, 6);
    // Each overdraft: the sender's negative balance and custody short of the books (the
    // withdrawal itself is paid and settles).
    assert_overdrafts_report(&r, &[NoNegativeBalance, HoldsMatchOpenOrders, Solvency]);
    assert_eq!(r.otherwise, unheld());
}

#[test]
fn a_refused_and_an_approved_withdrawal_of_one_account() {
    let policy = CustodyPolicy {
        assets: vec![AssetPolicy { review_above: Some(AMOUNT - 1), ..AssetPolicy::default() }],
        ..CustodyPolicy::default()
    };
    let r = race(&policy, [REFUSED, APPROVED]);
    let (all, overdrawn) = (&r.all, &r.overdrawn);
    assert_eq!(all.len() as u64, binomial(7, 3));
    assert_eq!(all.len(), 35);
    // A refused withdrawal is never sent, so only one is ever debited: no overdraft even with
    // the fault on.
    assert!(overdrawn.is_empty(), "{overdrawn:?}");
    assert_eq!(r.otherwise, unheld());
    // The correct exchange pays the approved one unless it is requested while the refused one
    // holds the funds (after its request, before its refusal): the orders starting 0, 1, C(5,2) =
    // 10 of them (see the pinned cases below).
    assert_eq!(r.paid, 25);
}

/// The refund returns the funds: when the refusal comes before the approved request, that request
/// is accepted and paid in full; the race test above counts on it.
#[test]
fn a_refusal_before_the_second_request_lets_it_through() {
    let policy = CustodyPolicy {
        assets: vec![AssetPolicy { review_above: Some(AMOUNT - 1), ..AssetPolicy::default() }],
        ..CustodyPolicy::default()
    };
    let order = [0, 0, 0, 1, 1, 1, 1];
    let ok = run(FaultSet::NONE, &policy, [REFUSED, APPROVED], &order);
    assert_eq!((ok.paid, ok.reported.len()), (AMOUNT, 0));
    let order = [0, 1, 1, 1, 1, 0, 0];
    let ok = run(FaultSet::NONE, &policy, [REFUSED, APPROVED], &order);
    assert_eq!((ok.paid, ok.reported.len()), (0, 0), "held by the first request: the second is refused");
}

/// Two withdrawals under a daily limit only one of them fits (9 BTC a day, 6 BTC each): the
/// limit refuses the second request whatever the order, so even with `withdraw_check_race` on
/// (no hold at request) nothing overdraws.
#[test]
fn two_withdrawals_under_a_daily_limit_one_fits() {
    let policy = CustodyPolicy {
        assets: vec![AssetPolicy { daily_limit: Some(AMOUNT + AMOUNT / 2), ..AssetPolicy::default() }],
        ..CustodyPolicy::default()
    };
    let r = race(&policy, [WITHDRAW, WITHDRAW]);
    assert_eq!(r.all.len() as u64, binomial(6, 3));
    assert_eq!(r.all.len(), 20);
    assert!(r.overdrawn.is_empty(), "{:?}", r.overdrawn);
    // Held (no report, `race` asserts it for the correct exchange; `unheld` has no
    // `withdrawal_limits` under the fault) and exercised in every interleaving, both ways.
    assert_eq!(r.limits, [20, 20]);
    assert_eq!(r.otherwise, unheld());
    assert_eq!(r.paid, 20);
}
