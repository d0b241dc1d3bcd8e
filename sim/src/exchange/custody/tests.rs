//! Table tests for custody: each step, each rejection and each policy check of the correct
//! exchange, then each fault path's one difference. Every rejection is checked to change nothing
//! (no entry, no intent, same balances).

use super::*;
use crate::exchange::{AssetPolicy, Command, ExchangeConfig, Intent, DAY_NS};
use crate::fault::{Fault, FaultSet};
use crate::ledger::{Account, UserId};
use crate::units::{Asset, AssetId, Minor};

const BTC: AssetId = AssetId(0);
const A: UserId = UserId(1);
const B: UserId = UserId(2);

fn config(faults: FaultSet, custody: CustodyPolicy) -> ExchangeConfig {
    ExchangeConfig {
        assets: vec![Asset::new("BTC", 8).unwrap()],
        markets: vec![],
        quote_ttl_ns: 1_000,
        quote_spread_bps: 50,
        faults,
        custody,
        identity: Default::default(),
        trading: Default::default(),
    }
}

/// An exchange with A and B open, A holding 100.
fn exchange_with(faults: FaultSet, custody: CustodyPolicy) -> Exchange {
    let mut x = Exchange::new(&config(faults, custody)).unwrap();
    for _ in 0..2 {
        x.apply(0, &Command::open_account()).result.unwrap();
    }
    x.apply(0, &Command::deposit(A, BTC, 100)).result.unwrap();
    x
}

fn exchange() -> Exchange {
    exchange_with(FaultSet::NONE, CustodyPolicy::default())
}

fn bal(x: &Exchange, account: Account) -> Minor {
    x.ledger().balance(account, BTC)
}

fn funds(c: FundsCommand) -> Command {
    Command::Funds(c)
}

/// Applies at `dt` after the last command; a rejection must change nothing.
fn step(x: &mut Exchange, dt: u64, c: FundsCommand) -> (Result<Ack, Reject>, Vec<Intent>) {
    let balances: Vec<_> = x.ledger().balances().collect();
    let entries = x.ledger().journal().len();
    let applied = x.apply(x.now_ns() + dt, &funds(c));
    let (result, intents) = (applied.result, applied.intents.to_vec());
    if result.is_err() {
        assert_eq!(x.ledger().journal().len(), entries, "{c:?} rejected but posted");
        assert!(x.ledger().balances().eq(balances), "{c:?} rejected but changed a balance");
    }
    (result, intents)
}

fn ok(x: &mut Exchange, c: FundsCommand) -> Ack {
    step(x, 1, c).0.unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

fn err(x: &mut Exchange, c: FundsCommand) -> Reject {
    step(x, 1, c).0.expect_err("expected a rejection")
}

fn withdraw(user: UserId, amount: Minor) -> FundsCommand {
    FundsCommand::Withdraw { user, asset: BTC, amount, to: Address::of(user) }
}

fn pay(id: u64) -> FundsCommand {
    FundsCommand::PaymentConfirmed { asset: BTC, txid: TxId(id), payment: Payment(id) }
}

const W1: WithdrawalId = WithdrawalId(1);

#[test]
fn a_withdrawal_holds_then_sends_once_then_settles_by_payment() {
    let mut x = exchange();
    assert_eq!(ok(&mut x, withdraw(A, 60)), Ack::Withdrawal(W1));
    assert_eq!((bal(&x, Account::Available(A)), bal(&x, Account::PendingWithdrawal(A))), (40, 60));
    assert_eq!(x.withdrawal(W1).unwrap().state, WithdrawalState::Requested);
    // The hold is real: the rest cannot be withdrawn twice.
    assert_eq!(err(&mut x, withdraw(A, 41)), Reject::InsufficientFunds);

    let (result, intents) = step(&mut x, 1, FundsCommand::ProcessWithdrawal { id: W1 });
    assert_eq!(result, Ok(Ack::Posted));
    let expected =
        Intent::Pay { withdrawal: W1, asset: BTC, to: Address::of(A), amount: 60, txid: TxId(1), payment: Payment(1) };
    assert_eq!(intents, vec![expected]);
    assert_eq!(x.withdrawal(W1).unwrap().state, WithdrawalState::Sent { txid: TxId(1), payment: Payment(1) });
    assert_eq!(err(&mut x, FundsCommand::ProcessWithdrawal { id: W1 }), Reject::AlreadyDone);
    assert_eq!(err(&mut x, FundsCommand::ClaimNotReceived { user: A, id: W1 }), Reject::AlreadyDone);
    assert_eq!(err(&mut x, FundsCommand::ClaimNotReceived { user: B, id: W1 }), Reject::NotOwner);

    // A malleated id confirms the same payment: it settles, found by the payment.
    let malleated = FundsCommand::PaymentConfirmed { asset: BTC, txid: TxId(TxId::MALLEATED + 5), payment: Payment(1) };
    assert_eq!(err(&mut x, pay(9)), Reject::UnknownPayment);
    assert_eq!(ok(&mut x, malleated), Ack::Posted);
    assert_eq!((bal(&x, Account::PendingWithdrawal(A)), bal(&x, Account::World)), (0, -40));
    assert!(matches!(x.withdrawal(W1).unwrap().state, WithdrawalState::Settled { payment: Payment(1), .. }));
    assert_eq!(err(&mut x, pay(1)), Reject::AlreadyDone);
    assert_eq!(x.withdrawal_paid_by(Payment(1)).map(|w| w.id), Some(W1));
    assert_eq!(x.withdrawals().count(), 1);
}

#[test]
fn withdraw_rejections_in_order() {
    let mut x = exchange();
    assert_eq!(err(&mut x, withdraw(UserId(9), 1)), Reject::UnknownUser);
    let bad_asset = FundsCommand::Withdraw { user: A, asset: AssetId(3), amount: 1, to: Address::of(A) };
    assert_eq!(err(&mut x, bad_asset), Reject::UnknownAsset);
    assert_eq!(err(&mut x, withdraw(A, 0)), Reject::InvalidAmount);
    assert_eq!(err(&mut x, withdraw(A, -5)), Reject::InvalidAmount);
    assert_eq!(err(&mut x, withdraw(A, Minor::MAX)), Reject::InvalidAmount);
    assert_eq!(err(&mut x, withdraw(A, 101)), Reject::InsufficientFunds);
    assert_eq!(err(&mut x, FundsCommand::ProcessWithdrawal { id: W1 }), Reject::UnknownWithdrawal);
    assert_eq!(err(&mut x, FundsCommand::ProcessWithdrawal { id: WithdrawalId(0) }), Reject::UnknownWithdrawal);
    assert_eq!(err(&mut x, FundsCommand::ReviewWithdrawal { id: W1, approve: true }), Reject::UnknownWithdrawal);
    assert_eq!(err(&mut x, FundsCommand::ClaimNotReceived { user: A, id: W1 }), Reject::UnknownWithdrawal);
    assert_eq!(err(&mut x, FundsCommand::AdminAdjust { user: A, asset: BTC, delta: 5 }), Reject::NotPermitted);
}

#[test]
fn whitelist_with_its_delay() {
    let policy = CustodyPolicy { whitelist: true, whitelist_delay_ns: 100, ..CustodyPolicy::default() };
    let mut x = exchange_with(FaultSet::NONE, policy);
    let to = Address::outside(7);
    let out = FundsCommand::Withdraw { user: A, asset: BTC, amount: 1, to };
    assert_eq!(err(&mut x, out), Reject::NotWhitelisted);
    assert_eq!(ok(&mut x, FundsCommand::WhitelistAddress { user: A, address: to }), Ack::Posted);
    let added = x.now_ns();
    assert_eq!(x.whitelisted_at(A, to), Some(added));
    assert_eq!(step(&mut x, 99, out).0, Err(Reject::NotWhitelisted));
    // Whitelisting again does not restart the delay, nor does B's whitelist count for A.
    ok(&mut x, FundsCommand::WhitelistAddress { user: B, address: to });
    assert_eq!(x.whitelisted_at(A, to), Some(added));
    assert_eq!(step(&mut x, 0, out).0, Ok(Ack::Withdrawal(W1)));
    // The user's own address never needs the whitelist.
    assert_eq!(ok(&mut x, withdraw(A, 1)), Ack::Withdrawal(WithdrawalId(2)));
}

fn limited(daily: Option<Minor>, cap: Option<Minor>, review: Option<Minor>) -> CustodyPolicy {
    let asset = AssetPolicy {
        daily_limit: daily,
        outflow_cap: cap,
        outflow_window_ns: 1_000,
        review_above: review,
        ..AssetPolicy::default()
    };
    CustodyPolicy { assets: vec![asset], ..CustodyPolicy::default() }
}

#[test]
fn daily_limit_counts_requests_not_refunded_over_a_sliding_day() {
    let mut x = exchange_with(FaultSet::NONE, limited(Some(50), None, Some(20)));
    ok(&mut x, FundsCommand::Deposit { user: B, asset: BTC, amount: 100 });
    ok(&mut x, withdraw(A, 30)); // W1, above review: awaits it
    assert_eq!(err(&mut x, withdraw(A, 21)), Reject::DailyLimit);
    ok(&mut x, withdraw(B, 50)); // another account has its own limit
                                 // Refused at review: refunded, and it leaves the window.
    assert_eq!(ok(&mut x, FundsCommand::ReviewWithdrawal { id: W1, approve: false }), Ack::Posted);
    assert_eq!(x.withdrawal(W1).unwrap().state, WithdrawalState::Refunded);
    assert_eq!((bal(&x, Account::Available(A)), bal(&x, Account::PendingWithdrawal(A))), (100, 0));
    ok(&mut x, withdraw(A, 20));
    ok(&mut x, withdraw(A, 20));
    assert_eq!(err(&mut x, withdraw(A, 11)), Reject::DailyLimit);
    // A day after the first of them, it no longer counts.
    let first = x.withdrawal(WithdrawalId(3)).unwrap().requested_ns;
    let wait = first + DAY_NS - x.now_ns();
    assert_eq!(step(&mut x, wait, withdraw(A, 30)).0, Ok(Ack::Withdrawal(WithdrawalId(5))));
}

#[test]
fn outflow_cap_counts_every_account() {
    let mut x = exchange_with(FaultSet::NONE, limited(None, Some(80), None));
    ok(&mut x, FundsCommand::Deposit { user: B, asset: BTC, amount: 100 });
    ok(&mut x, withdraw(A, 50));
    assert_eq!(err(&mut x, withdraw(B, 31)), Reject::OutflowCap);
    ok(&mut x, withdraw(B, 30));
    // After the window, the cap is free again.
    assert_eq!(step(&mut x, 1_000, withdraw(B, 70)).0, Ok(Ack::Withdrawal(WithdrawalId(3))));
    assert!(x.limit_window_len() <= 3);
}

#[test]
fn review_gates_the_send() {
    let mut x = exchange_with(FaultSet::NONE, limited(None, None, Some(50)));
    ok(&mut x, withdraw(A, 51));
    assert_eq!(x.withdrawal(W1).unwrap().state, WithdrawalState::AwaitingReview);
    assert_eq!(err(&mut x, FundsCommand::ProcessWithdrawal { id: W1 }), Reject::PendingReview);
    assert_eq!(err(&mut x, FundsCommand::ClaimNotReceived { user: A, id: W1 }), Reject::PendingReview);
    ok(&mut x, FundsCommand::ReviewWithdrawal { id: W1, approve: true });
    assert_eq!(err(&mut x, FundsCommand::ReviewWithdrawal { id: W1, approve: false }), Reject::AlreadyDone);
    assert_eq!(x.withdrawal(W1).unwrap().state, WithdrawalState::Approved);
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: W1 });
    // Exactly at the threshold: no review.
    ok(&mut x, withdraw(A, 49));
    assert_eq!(x.withdrawal(WithdrawalId(2)).unwrap().state, WithdrawalState::Requested);
}

#[test]
fn transfers_hold_then_credit_once() {
    let mut x = exchange();
    let t = |from, to, amount| FundsCommand::Transfer { from, to, asset: BTC, amount };
    assert_eq!(err(&mut x, t(A, A, 5)), Reject::InvalidAmount);
    assert_eq!(err(&mut x, t(A, UserId(7), 5)), Reject::UnknownUser);
    assert_eq!(err(&mut x, t(A, B, 0)), Reject::InvalidAmount);
    assert_eq!(err(&mut x, t(A, B, 101)), Reject::InsufficientFunds);
    assert_eq!(ok(&mut x, t(A, B, 70)), Ack::Transfer(TransferId(1)));
    assert_eq!(err(&mut x, t(A, B, 31)), Reject::InsufficientFunds);
    assert_eq!(bal(&x, Account::PendingWithdrawal(A)), 70);
    let id = TransferId(1);
    ok(&mut x, FundsCommand::ProcessTransfer { id });
    assert_eq!(err(&mut x, FundsCommand::ProcessTransfer { id }), Reject::AlreadyDone);
    assert_eq!(err(&mut x, FundsCommand::ProcessTransfer { id: TransferId(2) }), Reject::UnknownWithdrawal);
    assert_eq!((bal(&x, Account::Available(A)), bal(&x, Account::Available(B))), (30, 70));
    assert_eq!(bal(&x, Account::PendingWithdrawal(A)), 0);
    assert_eq!(x.transfer(id).unwrap().state, TransferState::Credited);
    assert_eq!(x.transfers().count(), 1);
}

#[test]
fn deposits_seen_credit_once_after_confirmations() {
    let policy = CustodyPolicy {
        assets: vec![AssetPolicy { confirmations: 3, ..AssetPolicy::default() }],
        ..Default::default()
    };
    let mut x = exchange_with(FaultSet::NONE, policy);
    let seen = |confirmations| FundsCommand::DepositSeen {
        user: B,
        asset: BTC,
        amount: 40,
        payment: Payment(Payment::INBOUND + 1),
        confirmations,
    };
    assert_eq!(err(&mut x, seen(2)), Reject::PendingConfirmations);
    assert_eq!(ok(&mut x, seen(3)), Ack::Posted);
    assert_eq!(err(&mut x, seen(4)), Reject::AlreadyDone);
    assert_eq!(bal(&x, Account::Available(B)), 40);
    let huge =
        FundsCommand::DepositSeen { user: B, asset: BTC, amount: Minor::MAX, payment: Payment(7), confirmations: 9 };
    assert_eq!(err(&mut x, huge), Reject::Overflow);
}

#[test]
fn a_privilege_exempts_from_nothing_without_the_fault() {
    let mut x = exchange();
    ok(&mut x, FundsCommand::GrantPrivilege { user: A });
    assert!(x.is_privileged(A));
    assert_eq!(err(&mut x, withdraw(A, 101)), Reject::InsufficientFunds);
    let t = FundsCommand::Transfer { from: A, to: B, asset: BTC, amount: 101 };
    assert_eq!(err(&mut x, t), Reject::InsufficientFunds);
}

/// Each fault path's one difference from the correct exchange.
#[test]
fn fault_paths() {
    // withdraw_check_race: no hold at request; the worker debits unchecked: two overdraw.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::WithdrawCheckRace), CustodyPolicy::default());
    ok(&mut x, withdraw(A, 60));
    ok(&mut x, withdraw(A, 60));
    assert_eq!(bal(&x, Account::Available(A)), 100);
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: W1 });
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: WithdrawalId(2) });
    assert_eq!((bal(&x, Account::Available(A)), bal(&x, Account::PendingWithdrawal(A))), (-20, 120));

    // transfer_check_race: two transfers of 60 from 100 both credit.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::TransferCheckRace), CustodyPolicy::default());
    for _ in 0..2 {
        ok(&mut x, FundsCommand::Transfer { from: A, to: B, asset: BTC, amount: 60 });
    }
    for id in [1, 2] {
        ok(&mut x, FundsCommand::ProcessTransfer { id: TransferId(id) });
    }
    assert_eq!((bal(&x, Account::Available(A)), bal(&x, Account::Available(B))), (-20, 120));

    // txid_reconcile: a malleated confirmation is unknown; the claim re-sends; both pay.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::TxidReconcile), CustodyPolicy::default());
    ok(&mut x, withdraw(A, 60));
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: W1 });
    let malleated = FundsCommand::PaymentConfirmed { asset: BTC, txid: TxId(TxId::MALLEATED), payment: Payment(1) };
    assert_eq!(err(&mut x, malleated), Reject::UnknownPayment);
    let (result, intents) = step(&mut x, 1, FundsCommand::ClaimNotReceived { user: A, id: W1 });
    assert_eq!(result, Ok(Ack::Posted));
    assert!(matches!(
        intents[..],
        [Intent::Pay { withdrawal: W1, payment: Payment(2), txid: TxId(2), amount: 60, .. }]
    ));
    assert_eq!(x.withdrawal(W1).unwrap().payments, 2);
    ok(&mut x, pay(2));
    assert_eq!(err(&mut x, pay(2)), Reject::AlreadyDone);
    assert_eq!(bal(&x, Account::World), -40, "settled once in the ledger, paid twice on chain");

    // insider_balance_edit: a balance changes with no entry.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::InsiderBalanceEdit), CustodyPolicy::default());
    let entries = x.ledger().journal().len();
    ok(&mut x, FundsCommand::AdminAdjust { user: A, asset: BTC, delta: 1_000 });
    assert_eq!((bal(&x, Account::Available(A)), x.ledger().journal().len()), (1_100, entries));
    assert!(x.ledger().edited_unjournaled());
    x.checkpoint();
    assert_eq!(x.ledger().journal().replay().get(&(Account::Available(A), BTC)), Some(&100));

    // allow_negative: only a privileged account overdraws.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::AllowNegative), CustodyPolicy::default());
    assert_eq!(err(&mut x, withdraw(A, 150)), Reject::InsufficientFunds);
    ok(&mut x, FundsCommand::GrantPrivilege { user: A });
    ok(&mut x, withdraw(A, 150));
    ok(&mut x, FundsCommand::Transfer { from: A, to: B, asset: BTC, amount: 10 });
    assert_eq!(bal(&x, Account::Available(A)), -60);

    // limits_in_hot_path: the requests pass; the signer counts settled outflows only.
    let mut x = exchange_with(FaultSet::NONE.with(Fault::LimitsInHotPath), limited(Some(50), None, None));
    for _ in 0..3 {
        ok(&mut x, withdraw(A, 30));
    }
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: W1 });
    ok(&mut x, FundsCommand::ProcessWithdrawal { id: WithdrawalId(2) });
    ok(&mut x, pay(1));
    assert_eq!(err(&mut x, FundsCommand::ProcessWithdrawal { id: WithdrawalId(3) }), Reject::DailyLimit);
    assert_eq!(bal(&x, Account::PendingWithdrawal(A)), 60, "60 over the limit of 50 already sent");
}

/// The limit windows hold what a window can still count, not the run's history: a withdrawal an
/// hour for thirty days keeps about a day's worth.
#[test]
fn limit_windows_stay_bounded() {
    let mut x = exchange_with(FaultSet::NONE, limited(Some(1_000), Some(1_000), None));
    ok(&mut x, FundsCommand::Deposit { user: A, asset: BTC, amount: 10_000 });
    const HOUR: u64 = DAY_NS / 24;
    let mut peak = 0;
    for _ in 0..30 * 24 {
        assert!(matches!(step(&mut x, HOUR, withdraw(A, 1)).0, Ok(Ack::Withdrawal(_))));
        peak = peak.max(x.limit_window_len());
    }
    assert_eq!(peak, 24, "a day of hourly outflows: the one a day old is dropped at the next push");
    assert_eq!(x.withdrawals().count(), 720, "the records themselves are kept");
}

/// Finished requests are forgotten past the last `KEPT_FINISHED`, with their payments and
/// transaction ids; every later command about them answers as their terminal state did, and ids
/// never issued stay unknown. A long-lived request is kept however many finish after it.
#[test]
fn finished_requests_are_forgotten_and_answer_already_done() {
    for faults in [FaultSet::NONE, FaultSet::NONE.with(Fault::TxidReconcile)] {
        let mut x = exchange_with(faults, CustodyPolicy::default());
        ok(&mut x, FundsCommand::Deposit { user: A, asset: BTC, amount: 1_000_000 });
        // W1 stays live (requested, never processed); T1 too.
        assert_eq!(ok(&mut x, withdraw(A, 1)), Ack::Withdrawal(W1));
        let t1 = FundsCommand::Transfer { from: A, to: B, asset: BTC, amount: 1 };
        assert_eq!(ok(&mut x, t1), Ack::Transfer(TransferId(1)));
        let n = 3 * KEPT_FINISHED as u64;
        let mut most = 0;
        for i in 0..n {
            let id = WithdrawalId(i + 2);
            assert_eq!(ok(&mut x, withdraw(A, 1)), Ack::Withdrawal(id));
            ok(&mut x, FundsCommand::ProcessWithdrawal { id });
            if faults.has(Fault::TxidReconcile) && i % 2 == 0 {
                // Re-sent: two payments, then the second confirms.
                ok(&mut x, FundsCommand::ClaimNotReceived { user: A, id });
            }
            let last = x.withdrawal(id).map(|w| w.state);
            let Some(WithdrawalState::Sent { payment, .. }) = last else { panic!("{last:?}") };
            ok(&mut x, pay(payment.0));
            let t = FundsCommand::Transfer { from: A, to: B, asset: BTC, amount: 1 };
            let Ack::Transfer(tid) = ok(&mut x, t) else { panic!("a transfer") };
            ok(&mut x, FundsCommand::ProcessTransfer { id: tid });
            most = most.max(x.custody_records());
        }
        // Kept: the two live requests, the last finished, and the last withdrawals' payments.
        assert!(most <= 2 + 2 * KEPT_FINISHED + 2 * 2 * KEPT_FINISHED, "{most} records held");
        assert_eq!(x.withdrawals().count(), 1 + KEPT_FINISHED);
        assert_eq!(x.transfers().count(), 1 + KEPT_FINISHED);
        assert_eq!(x.withdrawal(W1).map(|w| w.state), Some(WithdrawalState::Requested));
        let old = WithdrawalId(2);
        assert_eq!(x.withdrawal(old), None, "forgotten");
        for c in [
            FundsCommand::ProcessWithdrawal { id: old },
            FundsCommand::ReviewWithdrawal { id: old, approve: false },
            FundsCommand::ClaimNotReceived { user: A, id: old },
            FundsCommand::ClaimNotReceived { user: B, id: old },
            pay(1),
            pay(2),
            FundsCommand::ProcessTransfer { id: TransferId(2) },
        ] {
            assert_eq!(err(&mut x, c), Reject::AlreadyDone, "{c:?}");
        }
        let issued = n + 1;
        for id in [0, issued + 1] {
            assert_eq!(
                err(&mut x, FundsCommand::ProcessWithdrawal { id: WithdrawalId(id) }),
                Reject::UnknownWithdrawal
            );
            assert_eq!(err(&mut x, FundsCommand::ProcessTransfer { id: TransferId(id) }), Reject::UnknownWithdrawal);
        }
        assert_eq!(err(&mut x, pay(999_999)), Reject::UnknownPayment, "never emitted");
        // The live ones still work.
        ok(&mut x, FundsCommand::ProcessWithdrawal { id: W1 });
        ok(&mut x, FundsCommand::ProcessTransfer { id: TransferId(1) });
        assert_eq!(x.transfer(TransferId(1)).map(|t| t.state), Some(TransferState::Credited));
    }
}
