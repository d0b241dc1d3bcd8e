//! The chain's behaviour: genesis split, payments spent once, malleability, a short hot wallet,
//! deposit confirmations, thefts and multisig, sweeps, bounded memory.

use super::*;
use crate::exchange::{Address, AssetPolicy, Intent, Payment, TxId, WithdrawalId};
use crate::ledger::UserId;
use crate::units::AssetId;

const A: AssetId = AssetId(0);

fn chain(confirmations: u32, hot_share_bps: u32) -> Chain {
    Chain::new(A, &AssetPolicy { confirmations, hot_share_bps, ..AssetPolicy::default() }, false)
}

fn pay(id: u64, payment: u64, txid: u64, amount: i128) -> Intent {
    Intent::Pay {
        withdrawal: WithdrawalId(id),
        asset: A,
        to: Address::of(UserId(1)),
        amount,
        txid: TxId(txid),
        payment: Payment(payment),
    }
}

fn mine(c: &mut Chain) -> Vec<ChainFact> {
    let mut facts = Vec::new();
    c.mine(&mut facts);
    facts
}

fn confirmed(facts: &[ChainFact]) -> Vec<(TxId, Payment)> {
    facts
        .iter()
        .filter_map(|f| match f {
            ChainFact::Confirmed { tx, .. } => Some((tx.txid, tx.payment)),
            _ => None,
        })
        .collect()
}

#[test]
fn genesis_splits_by_the_hot_share() {
    let mut c = chain(1, 2_500);
    assert_eq!(c.genesis(1_000), ChainFact::Reserves { asset: A, height: 0, hot: 250, cold: 750 });
    assert_eq!(c.genesis(3), ChainFact::Reserves { asset: A, height: 0, hot: 250, cold: 753 });
    let mut all_hot = chain(1, 10_000);
    all_hot.genesis(7);
    assert_eq!((all_hot.hot(), all_hot.cold()), (7, 0));
}

#[test]
fn a_payment_is_spent_once() {
    let mut c = chain(1, 10_000);
    c.genesis(1_000);
    c.pay(&pay(1, 1, 1, 100), UserId(1)).unwrap();
    // A second transaction spending the same payment waits, then is dropped.
    c.pay(&pay(1, 1, 2, 100), UserId(1)).unwrap();
    let facts = mine(&mut c);
    assert_eq!(confirmed(&facts), [(TxId(1), Payment(1))]);
    assert!(facts
        .iter()
        .any(|f| matches!(f, ChainFact::Dropped { tx, reason: DropReason::PaymentSpent } if tx.txid == TxId(2))));
    assert_eq!(c.hot(), 900);
    // Once spent, it is refused at once.
    assert_eq!(c.pay(&pay(1, 1, 3, 100), UserId(1)), Err(Refused::PaymentSpent));
    assert!(c.is_spent(Payment(1)));
    assert!(!c.is_spent(Payment(2)));
    assert_eq!(c.pay(&pay(1, 0, 3, 100), UserId(1)), Err(Refused::Invalid), "payments are numbered from 1");
}

#[test]
fn a_malleated_transaction_confirms_once_under_its_new_id() {
    let mut c = chain(1, 10_000);
    c.genesis(1_000);
    c.pay(&pay(1, 1, 1, 100), UserId(1)).unwrap();
    let Some(ChainFact::Malleated { original, txid, payment, .. }) = c.malleate(TxId(1)) else { panic!("in mempool") };
    assert_eq!((original, payment), (TxId(1), Payment(1)));
    assert!(txid.0 >= TxId::MALLEATED);
    assert_eq!(c.malleate(TxId(1)), None, "the original id is gone");
    // The exchange re-broadcasts its original: the same payment, so it cannot confirm too.
    c.pay(&pay(1, 1, 1, 100), UserId(1)).unwrap();
    let facts = mine(&mut c);
    assert_eq!(confirmed(&facts), [(txid, Payment(1))]);
    assert_eq!(c.hot(), 900);
    // A re-send spending a new payment is a second, valid payment: paid twice on chain.
    c.pay(&pay(1, 2, 2, 100), UserId(1)).unwrap();
    let facts = mine(&mut c);
    assert_eq!(confirmed(&facts), [(TxId(2), Payment(2))]);
    assert_eq!((c.hot(), c.paid_out()), (800, 200));
    for _ in 0..3 {
        assert!(confirmed(&mine(&mut c)).is_empty(), "the original id never confirms");
    }
}

#[test]
fn a_short_hot_wallet_leaves_the_payment_waiting() {
    let mut c = chain(1, 5_000);
    c.genesis(100); // hot 50, cold 50
    c.pay(&pay(1, 1, 1, 70), UserId(1)).unwrap();
    c.pay(&pay(2, 2, 2, 30), UserId(1)).unwrap();
    let facts = mine(&mut c);
    assert_eq!(confirmed(&facts), [(TxId(2), Payment(2))], "the one behind it is not blocked");
    assert_eq!(c.mempool().len(), 1);
    assert!(facts.contains(&ChainFact::Reserves { asset: A, height: 1, hot: 20, cold: 50 }));
    // A sweep cold → hot funds it.
    assert_eq!(c.plan_sweep(0), Some(SweepPlan { from: Wallet::Cold, amount: 15 }));
    c.sweep(Wallet::Cold, 50).unwrap();
    assert_eq!(c.plan_sweep(0), None, "a sweep waits in the mempool");
    let facts = mine(&mut c);
    assert!(!confirmed(&facts).contains(&(TxId(1), Payment(1))), "the payment was before the sweep in the mempool");
    assert_eq!((c.hot(), c.cold()), (70, 0));
    let facts = mine(&mut c);
    assert_eq!(confirmed(&facts), [(TxId(1), Payment(1))]);
    assert_eq!((c.hot(), c.cold()), (0, 0));
}

#[test]
fn deposits_report_their_confirmations_until_credited() {
    let mut c = chain(3, 10_000);
    let Ok(ChainFact::Submitted { tx }) = c.deposit(UserId(2), Address::of(UserId(2)), 40) else { panic!() };
    assert!(tx.payment.0 >= Payment::INBOUND && tx.txid.0 >= TxId::MALLEATED);
    let counts = |facts: &[ChainFact]| -> Vec<u32> {
        facts
            .iter()
            .filter_map(|f| match f {
                ChainFact::DepositConfirmations { confirmations, tx: t } if t.txid == tx.txid => Some(*confirmations),
                _ => None,
            })
            .collect()
    };
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.extend(counts(&mine(&mut c)));
    }
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(c.hot(), 40);
    assert_eq!(c.retained(), 0);
}

#[test]
fn a_theft_needs_the_hot_keys() {
    let mut multisig = Chain::new(A, &AssetPolicy::default(), true);
    multisig.genesis(100);
    let thief = Address::outside(7);
    assert_eq!(multisig.steal(1, thief, 60), Err(Refused::NotEnoughKeys));
    multisig.steal(2, thief, 60).unwrap();
    mine(&mut multisig);
    assert_eq!((multisig.hot(), multisig.stolen()), (40, 60));
    let mut single = chain(1, 10_000);
    single.genesis(100);
    assert_eq!(single.steal(0, thief, 1), Err(Refused::NotEnoughKeys));
    single.steal(1, thief, 100).unwrap();
    mine(&mut single);
    assert_eq!(single.stolen(), 100);
}

#[test]
fn a_withdrawal_to_someone_else_s_address_counts_as_stolen() {
    let mut c = chain(1, 10_000);
    c.genesis(100);
    let mut to_attacker = pay(1, 1, 1, 30);
    let Intent::Pay { to, .. } = &mut to_attacker else { unreachable!("a payment") };
    *to = Address::outside(1);
    c.pay(&to_attacker, UserId(1)).unwrap();
    c.pay(&pay(2, 2, 2, 20), UserId(1)).unwrap();
    mine(&mut c);
    assert_eq!((c.stolen(), c.paid_out()), (30, 50));
}

#[test]
fn sweeps_keep_custody_and_follow_the_band() {
    assert_eq!(plan_sweep(100, 0, 2_000, 500), Some(SweepPlan { from: Wallet::Hot, amount: 80 }));
    assert_eq!(plan_sweep(24, 76, 2_000, 500), None, "within the band");
    assert_eq!(plan_sweep(10, 90, 2_000, 500), Some(SweepPlan { from: Wallet::Cold, amount: 10 }));
    let mut c = chain(1, 2_000);
    c.genesis(1_000);
    c.deposit(UserId(1), Address::of(UserId(1)), 1_000).unwrap();
    mine(&mut c);
    let plan = c.plan_sweep(500).unwrap();
    assert_eq!(plan, SweepPlan { from: Wallet::Hot, amount: 800 });
    c.sweep(plan.from, plan.amount).unwrap();
    mine(&mut c);
    assert_eq!((c.hot(), c.cold()), (400, 1_600));
    assert_eq!(c.sweep(Wallet::Hot, 0), Err(Refused::Invalid));
}

/// Memory stays bounded by live state over many blocks: confirmed transactions are forgotten.
#[test]
fn memory_is_bounded_by_live_state() {
    let mut c = chain(2, 10_000);
    c.genesis(1_000_000);
    let mut facts = Vec::new();
    let mut most = 0;
    for n in 1..=5_000u64 {
        c.pay(&pay(n, n, n, 1), UserId(1)).unwrap();
        c.deposit(UserId(1), Address::of(UserId(1)), 1).unwrap();
        if n % 3 == 0 {
            let id = c.mempool()[0].txid;
            c.malleate(id).unwrap();
        }
        if n % 2 == 0 {
            facts.clear();
            c.mine(&mut facts);
        }
        most = most.max(c.retained());
    }
    assert!(most <= 12, "retained up to {most} records");
    assert!(c.is_spent(Payment(4_000)));
    assert_eq!(c.hot() + c.cold(), 1_000_000, "as much deposited as paid");
}
