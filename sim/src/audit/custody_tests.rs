//! Custody's checkers, each fed hand-built histories (observations with hand-written journal
//! entries and intents, and the facts of a real [`Chain`]): quiet on a good history, violated by
//! the bad one each fault of SPEC §5 makes.

use super::*;
use crate::chain::{Chain, ChainFact};
use crate::engine::MatchingEngine;
use crate::exchange::{
    Ack, Address, AssetPolicy, FundsCommand, Intent, Payment, Reject, TransferId, TxId, WithdrawalId, DAY_NS,
};
use crate::ledger::{Account, Cause, CauseKind, Ledger, Posting, UserId};
use crate::units::{Asset, AssetId, Market, MarketId, Minor};

const A: AssetId = AssetId(0);
const U1: UserId = UserId(1);
const U2: UserId = UserId(2);

/// The exchange's state as the checkers read it: a ledger and one asset, no market.
struct World {
    ledger: Ledger,
    assets: Vec<Asset>,
}

impl Inspect for World {
    fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    fn assets(&self) -> &[Asset] {
        &self.assets
    }
    fn market_count(&self) -> usize {
        0
    }
    fn market(&self, _: MarketId) -> &Market {
        unreachable!("no market")
    }
    fn engine(&self, _: MarketId) -> &dyn MatchingEngine {
        unreachable!("no market")
    }
}

/// A hand-driven history: commands with the entries and intents written by hand, chain facts.
struct History {
    world: World,
    auditor: Auditor,
    seq: u64,
    now: u64,
}

impl History {
    /// An auditor with every checker (`only` = None) or only those checking `only`.
    fn new(policy: &CustodyPolicy, only: Option<Invariant>) -> History {
        let mut ledger = Ledger::new(1);
        ledger.open_user(); // the house
        ledger.open_user();
        ledger.open_user();
        let world = World { ledger, assets: vec![Asset::new("BTC", 8).expect("valid asset")] };
        let all = checkers(&world, policy, &crate::exchange::IdentityPolicy::default());
        let mine = all.into_iter().filter(|c| only.is_none_or(|i| c.invariants().contains(&i))).collect();
        History { world, auditor: Auditor::of_checkers(mine), seq: 0, now: 0 }
    }

    /// Applies `command` at `now` with `result`, one entry of `postings` (none if empty) and
    /// `intents`; returns the violations found.
    fn at(
        &mut self,
        now: u64,
        command: FundsCommand,
        result: Result<Ack, Reject>,
        postings: &[(Account, Minor)],
        intents: &[Intent],
    ) -> usize {
        self.seq += 1;
        self.now = now;
        let start = self.world.ledger.journal().len();
        if !postings.is_empty() {
            let postings: Vec<Posting> =
                postings.iter().map(|&(account, delta)| Posting { account, asset: A, delta }).collect();
            let cause = Cause { seq: self.seq, kind: CauseKind::Withdrawal };
            self.world.ledger.commit_unchecked(cause, &postings).expect("a known account");
        }
        let command = Command::Funds(command);
        let obs = Observation {
            seq: self.seq,
            now_ns: now,
            command: &command,
            result: &result,
            events: &[],
            entries: start..self.world.ledger.journal().len(),
            intents,
            origin: crate::exchange::Origin::System,
            state: &self.world,
        };
        self.auditor.check(&obs, Stamp { seq: self.seq, time_ns: now })
    }

    fn run(
        &mut self,
        command: FundsCommand,
        result: Result<Ack, Reject>,
        postings: &[(Account, Minor)],
        intents: &[Intent],
    ) -> usize {
        self.at(self.now + 1, command, result, postings, intents)
    }

    fn facts(&mut self, facts: &[ChainFact]) -> usize {
        facts.iter().map(|f| self.auditor.observe_chain(f, Stamp { seq: self.seq, time_ns: self.now })).sum()
    }

    fn count(&self, i: Invariant) -> u64 {
        self.auditor.findings().count(i)
    }

    fn exercised(&self, i: Invariant) -> bool {
        self.auditor.findings().exercised(i)
    }

    fn deposit(&mut self, user: UserId, amount: Minor) {
        let n = self.run(
            FundsCommand::Deposit { user, asset: A, amount },
            Ok(Ack::Posted),
            &[(Account::World, -amount), (Account::Available(user), amount)],
            &[],
        );
        assert_eq!(n, 0);
    }

    /// A correct withdrawal request: the amount moves to the user's pending withdrawal.
    fn request(&mut self, id: u64, user: UserId, amount: Minor) -> usize {
        self.run(
            FundsCommand::Withdraw { user, asset: A, amount, to: Address::of(user) },
            Ok(Ack::Withdrawal(WithdrawalId(id))),
            &[(Account::Available(user), -amount), (Account::PendingWithdrawal(user), amount)],
            &[],
        )
    }

    /// The worker sends withdrawal `id` (by `trigger`): one payment `payment`, txid `payment`.
    fn send(&mut self, trigger: FundsCommand, id: u64, user: UserId, amount: Minor, payment: u64) -> Intent {
        let intent = Intent::Pay {
            withdrawal: WithdrawalId(id),
            asset: A,
            to: Address::of(user),
            amount,
            txid: TxId(payment),
            payment: Payment(payment),
        };
        assert_eq!(self.run(trigger, Ok(Ack::Posted), &[], &[intent]), 0);
        intent
    }

    /// The exchange settles a confirmed payment of `user`'s withdrawal of `amount`.
    fn settle(&mut self, user: UserId, amount: Minor, txid: TxId, payment: u64) -> usize {
        self.run(
            FundsCommand::PaymentConfirmed { asset: A, txid, payment: Payment(payment) },
            Ok(Ack::Posted),
            &[(Account::PendingWithdrawal(user), -amount), (Account::World, amount)],
            &[],
        )
    }
}

fn mine(chain: &mut Chain) -> Vec<ChainFact> {
    let mut facts = Vec::new();
    chain.mine(&mut facts);
    facts
}

fn confirmed_txid(facts: &[ChainFact]) -> TxId {
    facts
        .iter()
        .find_map(|f| match f {
            ChainFact::Confirmed { tx, .. } => Some(tx.txid),
            _ => None,
        })
        .expect("a confirmation")
}

/// Mt. Gox 2014 (`txid_reconcile`), and the correct exchange facing the same malleability.
/// `reconcile_by_txid`: the exchange refuses the malleated confirmation and re-sends on a claim.
fn malleability(reconcile_by_txid: bool, only: Option<Invariant>) -> History {
    let mut h = History::new(&CustodyPolicy::default(), only);
    let mut chain = Chain::new(A, &AssetPolicy::default(), false);
    h.facts(&[chain.genesis(1_000)]);
    h.deposit(U1, 600);
    h.deposit(U2, 400);
    assert_eq!(h.request(1, U1, 100), 0);
    let pay = h.send(FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) }, 1, U1, 100, 1);
    h.facts(&[chain.pay(&pay, U1).unwrap()]);
    h.facts(&[chain.malleate(TxId(1)).unwrap()]);
    let facts = mine(&mut chain);
    h.facts(&facts);
    let malleated = confirmed_txid(&facts);
    if !reconcile_by_txid {
        assert_eq!(h.settle(U1, 100, malleated, 1), 0);
        return h;
    }
    let refused = FundsCommand::PaymentConfirmed { asset: A, txid: malleated, payment: Payment(1) };
    h.run(refused, Err(Reject::UnknownPayment), &[], &[]);
    let claim = FundsCommand::ClaimNotReceived { user: U1, id: WithdrawalId(1) };
    let resend = h.send(claim, 1, U1, 100, 2);
    h.facts(&[chain.pay(&resend, U1).unwrap()]);
    let facts = mine(&mut chain);
    h.facts(&facts);
    h.settle(U1, 100, TxId(2), 2);
    h
}

#[test]
fn paid_once_holds_when_a_malleated_payment_is_reconciled_by_payment() {
    let h = malleability(false, Some(Invariant::WithdrawalPaidOnce));
    assert_eq!(h.count(Invariant::WithdrawalPaidOnce), 0);
    assert!(h.exercised(Invariant::WithdrawalPaidOnce));
}

#[test]
fn paid_once_catches_a_resend_after_a_malleated_confirmation() {
    let h = malleability(true, Some(Invariant::WithdrawalPaidOnce));
    assert_eq!(h.count(Invariant::WithdrawalPaidOnce), 1);
    let v = h.auditor.findings().first(Invariant::WithdrawalPaidOnce).unwrap();
    assert!(v.detail.contains("withdrawal 1 paid 2 times"), "{}", v.detail);
}

#[test]
fn solvency_holds_through_a_withdrawal_and_catches_the_double_payment() {
    let good = malleability(false, Some(Invariant::Solvency));
    assert_eq!(good.count(Invariant::Solvency), 0);
    assert!(good.exercised(Invariant::Solvency));
    let bad = malleability(true, Some(Invariant::Solvency));
    assert!(bad.count(Invariant::Solvency) >= 1);
    let v = bad.auditor.findings().first(Invariant::Solvency).unwrap();
    assert!(v.detail.contains("short 100"), "{}", v.detail);
}

#[test]
fn the_whole_auditor_is_quiet_on_the_correct_history() {
    let h = malleability(false, None);
    assert_eq!(h.auditor.findings().total(), 0, "{:?}", h.auditor.violations());
    let h = malleability(true, None);
    let reported: Vec<Invariant> = h.auditor.violations().iter().map(|v| v.invariant).collect();
    assert!(reported.iter().all(|i| [Invariant::WithdrawalPaidOnce, Invariant::Solvency].contains(i)), "{reported:?}");
}

#[test]
fn solvency_waits_for_the_chain_and_ignores_the_house() {
    let mut h = History::new(&CustodyPolicy::default(), Some(Invariant::Solvency));
    // No chain yet: nothing to compare with.
    h.deposit(U1, 500);
    h.deposit(UserId::HOUSE, 1_000_000);
    assert!(!h.exercised(Invariant::Solvency));
    assert_eq!(h.facts(&[ChainFact::Reserves { asset: A, height: 0, hot: 200, cold: 300 }]), 0);
    assert!(h.exercised(Invariant::Solvency));
    // A theft (or an unfunded credit): custody below what customers are owed.
    assert_eq!(h.facts(&[ChainFact::Reserves { asset: A, height: 1, hot: 100, cold: 300 }]), 1);
}

/// Poloniex 2014 (`withdraw_check_race`): requests not held, debited unchecked when processed.
#[test]
fn solvency_and_holds_catch_an_unheld_withdrawal_race() {
    for invariant in [Invariant::Solvency, Invariant::HoldsMatchOpenOrders] {
        let mut h = History::new(&CustodyPolicy::default(), Some(invariant));
        let mut chain = Chain::new(A, &AssetPolicy::default(), false);
        h.facts(&[chain.genesis(100)]);
        h.deposit(U1, 100);
        for id in 1..=2 {
            // The request answers but holds nothing.
            h.run(
                FundsCommand::Withdraw { user: U1, asset: A, amount: 100, to: Address::of(U1) },
                Ok(Ack::Withdrawal(WithdrawalId(id))),
                &[],
                &[],
            );
        }
        for id in 1..=2u64 {
            // The worker debits without a check and pays.
            let pay = Intent::Pay {
                withdrawal: WithdrawalId(id),
                asset: A,
                to: Address::of(U1),
                amount: 100,
                txid: TxId(id),
                payment: Payment(id),
            };
            h.run(
                FundsCommand::ProcessWithdrawal { id: WithdrawalId(id) },
                Ok(Ack::Posted),
                &[(Account::Available(U1), -100), (Account::PendingWithdrawal(U1), 100)],
                &[pay],
            );
            h.facts(&[chain.pay(&pay, U1).unwrap()]);
        }
        h.facts(&mine(&mut chain));
        for id in 1..=2 {
            h.settle(U1, 100, TxId(id), id);
        }
        assert!(h.count(invariant) >= 1, "{invariant:?} missed the race");
    }
}

#[test]
fn holds_follow_pending_withdrawals_and_transfers() {
    let mut h = History::new(&CustodyPolicy::default(), Some(Invariant::HoldsMatchOpenOrders));
    h.deposit(U1, 500);
    assert_eq!(h.request(1, U1, 100), 0);
    let refund = FundsCommand::ReviewWithdrawal { id: WithdrawalId(1), approve: false };
    assert_eq!(
        h.run(refund, Ok(Ack::Posted), &[(Account::PendingWithdrawal(U1), -100), (Account::Available(U1), 100)], &[]),
        0
    );
    let transfer = FundsCommand::Transfer { from: U1, to: U2, asset: A, amount: 50 };
    let held = [(Account::Available(U1), -50), (Account::PendingWithdrawal(U1), 50)];
    assert_eq!(h.run(transfer, Ok(Ack::Transfer(TransferId(1))), &held, &[]), 0);
    let credit = [(Account::PendingWithdrawal(U1), -50), (Account::Available(U2), 50)];
    assert_eq!(h.run(FundsCommand::ProcessTransfer { id: TransferId(1) }, Ok(Ack::Posted), &credit, &[]), 0);
    assert!(h.exercised(Invariant::HoldsMatchOpenOrders));
    // Flexcoin 2014 (`transfer_check_race`): a transfer debited straight from available, no hold.
    let transfer = FundsCommand::Transfer { from: U1, to: U2, asset: A, amount: 50 };
    let debit = [(Account::Available(U1), -50), (Account::Available(U2), 50)];
    assert_eq!(h.run(transfer, Ok(Ack::Transfer(TransferId(2))), &debit, &[]), 1);
}

fn limited() -> CustodyPolicy {
    CustodyPolicy {
        assets: vec![AssetPolicy {
            daily_limit: Some(100),
            outflow_cap: Some(150),
            outflow_window_ns: 1_000,
            ..AssetPolicy::default()
        }],
        ..CustodyPolicy::default()
    }
}

#[test]
fn limits_hold_over_windows_with_refunds() {
    let mut h = History::new(&limited(), Some(Invariant::WithdrawalLimits));
    h.deposit(U1, 10_000);
    h.deposit(U2, 10_000);
    assert_eq!(h.request(1, U1, 60), 0);
    let refund = FundsCommand::ReviewWithdrawal { id: WithdrawalId(1), approve: false };
    h.run(refund, Ok(Ack::Posted), &[(Account::PendingWithdrawal(U1), -60), (Account::Available(U1), 60)], &[]);
    assert_eq!(h.request(2, U1, 100), 0, "the refunded one does not count");
    h.now += 1_000;
    assert_eq!(h.request(3, U2, 100), 0, "the outflow window moved on");
    h.now = DAY_NS + 10;
    assert_eq!(h.request(4, U1, 50), 0, "a day later");
    assert!(h.exercised(Invariant::WithdrawalLimits));
}

/// Bitfinex 2016 (`limits_in_hot_path`): a burst of requests passes limits checked elsewhere.
#[test]
fn limits_catch_a_burst() {
    let mut h = History::new(&limited(), Some(Invariant::WithdrawalLimits));
    h.deposit(U1, 10_000);
    h.deposit(U2, 10_000);
    assert_eq!(h.request(1, U1, 60), 0);
    assert_eq!(h.request(2, U1, 60), 1, "120 in a day, over 100");
    assert_eq!(h.request(3, U2, 40), 1, "160 in the window, over 150");
    let v = h.auditor.findings().first(Invariant::WithdrawalLimits).unwrap();
    assert!(v.detail.contains("daily limit"), "{}", v.detail);
    // No limits configured: nothing to hold, nothing exercised.
    let mut free = History::new(&CustodyPolicy::default(), Some(Invariant::WithdrawalLimits));
    free.deposit(U1, 10_000);
    assert_eq!(free.request(1, U1, 5_000), 0);
    assert!(!free.exercised(Invariant::WithdrawalLimits));
}

#[test]
fn settlement_reports_the_first_open_request_after_healing() {
    let mut h = History::new(&CustodyPolicy::default(), Some(Invariant::EventualSettlement));
    assert_eq!(h.auditor.check_settled(Stamp::default()), 0);
    assert!(!h.exercised(Invariant::EventualSettlement), "nothing requested");
    h.deposit(U1, 500);
    h.request(1, U1, 100);
    h.request(2, U1, 100);
    h.send(FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) }, 1, U1, 100, 1);
    h.settle(U1, 100, TxId(1), 1);
    let transfer = FundsCommand::Transfer { from: U1, to: U2, asset: A, amount: 5 };
    h.run(transfer, Ok(Ack::Transfer(TransferId(1))), &[], &[]);
    assert_eq!(h.auditor.check_settled(Stamp::default()), 1);
    let v = h.auditor.findings().first(Invariant::EventualSettlement).unwrap();
    assert!(v.detail.starts_with("withdrawal 2 "), "{}", v.detail);
    let refund = FundsCommand::ReviewWithdrawal { id: WithdrawalId(2), approve: false };
    h.run(refund, Ok(Ack::Posted), &[], &[]);
    assert_eq!(h.auditor.check_settled(Stamp::default()), 1, "the transfer is still open");
    h.run(FundsCommand::ProcessTransfer { id: TransferId(1) }, Ok(Ack::Posted), &[], &[]);
    assert_eq!(h.auditor.check_settled(Stamp::default()), 0);
    assert_eq!(h.auditor.retained(), 0, "nothing open is kept");
}

#[test]
fn conservation_counts_deposits_seen_and_settled_withdrawals() {
    let mut h = History::new(&CustodyPolicy::default(), Some(Invariant::Conservation));
    let seen = FundsCommand::DepositSeen {
        user: U1,
        asset: A,
        amount: 300,
        payment: Payment(Payment::INBOUND),
        confirmations: 1,
    };
    assert_eq!(h.run(seen, Ok(Ack::Posted), &[(Account::World, -300), (Account::Available(U1), 300)], &[]), 0);
    // Not yet confirmed enough: refused, nothing counted.
    let early = FundsCommand::DepositSeen {
        user: U1,
        asset: A,
        amount: 9,
        payment: Payment(Payment::INBOUND + 1),
        confirmations: 0,
    };
    assert_eq!(h.run(early, Err(Reject::PendingConfirmations), &[], &[]), 0);
    assert_eq!(h.request(1, U1, 100), 0);
    h.send(FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) }, 1, U1, 100, 1);
    assert_eq!(h.settle(U1, 100, TxId(1), 1), 0);
    // The plain debit of an exchange without custody still counts as before.
    let plain = FundsCommand::Withdraw { user: U1, asset: A, amount: 50, to: Address::of(U1) };
    assert_eq!(h.run(plain, Ok(Ack::Posted), &[(Account::Available(U1), -50), (Account::World, 50)], &[]), 0);
    // A settlement that pays out more than the withdrawal: money leaves that nobody withdrew.
    assert_eq!(h.request(2, U1, 100), 0);
    h.send(FundsCommand::ProcessWithdrawal { id: WithdrawalId(2) }, 2, U1, 100, 2);
    let more = [(Account::PendingWithdrawal(U1), -100), (Account::Available(U1), -50), (Account::World, 150)];
    assert_eq!(
        h.run(
            FundsCommand::PaymentConfirmed { asset: A, txid: TxId(2), payment: Payment(2) },
            Ok(Ack::Posted),
            &more,
            &[]
        ),
        1
    );
}

/// Mt. Gox bots, QuadrigaCX (`insider_balance_edit`): a balance edited with no journal entry.
#[test]
fn a_balance_edit_without_an_entry_is_caught_at_once_and_at_the_end() {
    for invariant in [Invariant::JournalComplete, Invariant::Conservation] {
        let mut h = History::new(&CustodyPolicy::default(), Some(invariant));
        h.deposit(U1, 100);
        // The edit reaches the balances; the journal entry it makes is hidden from the auditor
        // (what an edit that bypasses the journal looks like to it).
        let edit = [(Account::Available(U1), 1_000), (Account::World, -1_000)];
        let cause = Cause { seq: h.seq + 1, kind: CauseKind::Deposit };
        let postings: Vec<Posting> =
            edit.iter().map(|&(account, delta)| Posting { account, asset: A, delta }).collect();
        h.world.ledger.commit_unchecked(cause, &postings).unwrap();
        h.auditor.journal_seen += 1;
        let adjust = FundsCommand::AdminAdjust { user: U1, asset: A, delta: 1_000 };
        assert_eq!(h.run(adjust, Ok(Ack::Posted), &[], &[]), 1, "{invariant:?} after the edit");
        let end = h.auditor.finish_state(&h.world, Stamp::default());
        assert!(end >= 1, "{invariant:?} at the end of the run");
        // The correct exchange refuses the edit: nothing to report.
        let mut good = History::new(&CustodyPolicy::default(), Some(invariant));
        good.deposit(U1, 100);
        let adjust = FundsCommand::AdminAdjust { user: U1, asset: A, delta: 1_000 };
        assert_eq!(good.run(adjust, Err(Reject::NotPermitted), &[], &[]), 0);
        assert_eq!(good.auditor.finish_state(&good.world, Stamp::default()), 0);
    }
}

/// The custody checkers keep live state only.
#[test]
fn custody_records_are_forgotten_when_finished() {
    let mut h = History::new(&limited(), None);
    let mut chain = Chain::new(A, &AssetPolicy::default(), false);
    h.facts(&[chain.genesis(1_000_000)]);
    h.deposit(U1, 1_000_000);
    for id in 1..=500u64 {
        h.now += 2 * DAY_NS;
        assert_eq!(h.request(id, U1, 1), 0);
        let pay = h.send(FundsCommand::ProcessWithdrawal { id: WithdrawalId(id) }, id, U1, 1, id);
        h.facts(&[chain.pay(&pay, U1).unwrap()]);
        let facts = mine(&mut chain);
        h.facts(&facts);
        assert_eq!(h.settle(U1, 1, TxId(id), id), 0);
    }
    assert_eq!(h.auditor.findings().total(), 0, "{:?}", h.auditor.violations());
    assert!(h.auditor.retained() <= 4, "retained {}", h.auditor.retained());
}
