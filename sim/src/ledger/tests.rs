//! Table tests for the ledger: each case commits entries and states the balances after.

use super::*;

const BTC: AssetId = AssetId(0);
const USD: AssetId = AssetId(1);

fn cause(seq: u64) -> Cause {
    Cause { seq, kind: CauseKind::Deposit }
}

fn p(account: Account, asset: AssetId, delta: Minor) -> Posting {
    Posting { account, asset, delta }
}

fn ledger_with_users(n: usize) -> Ledger {
    let mut ledger = Ledger::new(2);
    for _ in 0..n {
        ledger.open_user();
    }
    ledger
}

#[test]
fn deposits_trade_and_replay() {
    let (a, b) = (UserId(0), UserId(1));
    let mut l = ledger_with_users(2);
    l.commit(cause(1), &[p(Account::World, USD, -10_000), p(Account::Available(a), USD, 10_000)]).unwrap();
    l.commit(cause(2), &[p(Account::World, BTC, -5), p(Account::Available(b), BTC, 5)]).unwrap();
    // a reserves 3000 USD, then buys 2 BTC for 3000 with a 1 BTC-minor fee.
    l.commit(cause(3), &[p(Account::Available(a), USD, -3000), p(Account::Held(a), USD, 3000)]).unwrap();
    l.commit(
        cause(4),
        &[
            p(Account::Held(a), USD, -3000),
            p(Account::Available(b), USD, 3000),
            p(Account::Available(b), BTC, -2),
            p(Account::Available(a), BTC, 1),
            p(Account::Fees, BTC, 1),
        ],
    )
    .unwrap();
    assert_eq!(l.balance(Account::Available(a), USD), 7000);
    assert_eq!(l.balance(Account::Held(a), USD), 0);
    assert_eq!(l.balance(Account::Available(a), BTC), 1);
    assert_eq!(l.balance(Account::Available(b), USD), 3000);
    assert_eq!(l.balance(Account::Fees, BTC), 1);
    assert_eq!(l.journal().len(), 4);
    assert_eq!(l.journal().entry(3).cause, cause(4));
    let replayed = l.journal().replay();
    for (account, asset, balance) in l.balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "{account:?} {asset:?}");
    }
}

#[test]
fn refused_entries_change_nothing() {
    let a = UserId(0);
    let mut l = ledger_with_users(1);
    l.commit(cause(1), &[p(Account::World, USD, -100), p(Account::Available(a), USD, 100)]).unwrap();
    let cases: [(&[Posting], LedgerError); 4] = [
        (&[p(Account::Available(a), USD, -1)], LedgerError::Unbalanced(USD)),
        (
            &[p(Account::Available(a), USD, -101), p(Account::Held(a), USD, 101)],
            LedgerError::Negative { account: Account::Available(a), asset: USD },
        ),
        (
            &[p(Account::Available(a), USD, AMOUNT_MAX), p(Account::World, USD, -AMOUNT_MAX)],
            LedgerError::Overflow { account: Account::Available(a), asset: USD },
        ),
        (
            &[p(Account::Available(UserId(9)), USD, 1), p(Account::World, USD, -1)],
            LedgerError::Unknown { account: Account::Available(UserId(9)), asset: USD },
        ),
    ];
    for (postings, expected) in cases {
        assert_eq!(l.commit(cause(2), postings), Err(expected));
        assert_eq!(l.balance(Account::Available(a), USD), 100);
        assert_eq!(l.balance(Account::Held(a), USD), 0);
        assert_eq!(l.balance(Account::World, USD), -100);
        assert_eq!(l.journal().len(), 1);
    }
}

#[test]
fn balances_reach_the_cap_but_never_pass_it() {
    let a = UserId(0);
    let mut l = ledger_with_users(1);
    l.commit(cause(1), &[p(Account::World, USD, -AMOUNT_MAX), p(Account::Available(a), USD, AMOUNT_MAX)]).unwrap();
    assert_eq!(l.balance(Account::Available(a), USD), AMOUNT_MAX);
    assert_eq!(
        l.commit(cause(2), &[p(Account::World, USD, -1), p(Account::Held(a), USD, 1)]),
        Err(LedgerError::Overflow { account: Account::World, asset: USD })
    );
    // Even the fault path cannot take a balance past the cap.
    assert_eq!(
        l.commit_unchecked(cause(2), &[p(Account::Fees, USD, AMOUNT_MAX), p(Account::Fees, USD, 1)]),
        Err(LedgerError::Overflow { account: Account::Fees, asset: USD })
    );
    assert_eq!(l.balance(Account::Fees, USD), 0);
    assert_eq!(l.journal().len(), 1);
    // Deltas no balance could absorb are refused before they are summed (these would wrap).
    let huge = [p(Account::Fees, USD, i128::MAX), p(Account::Fees, USD, i128::MAX), p(Account::World, USD, 2)];
    assert_eq!(l.commit(cause(2), &huge), Err(LedgerError::Overflow { account: Account::Fees, asset: USD }));
    assert_eq!(l.commit_unchecked(cause(2), &huge), Err(LedgerError::Overflow { account: Account::Fees, asset: USD }));
    assert_eq!(l.journal().len(), 1);
    // Deltas of every width survive the journal's compact storage.
    for delta in [1, (1 << 64) + 3, AMOUNT_MAX / 7] {
        l.commit(cause(3), &[p(Account::Available(a), USD, -delta), p(Account::Held(a), USD, delta)]).unwrap();
    }
    let replayed = l.journal().replay();
    for (account, asset, balance) in l.balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "{account:?} {asset:?}");
    }
    assert_eq!(replayed[&(Account::World, USD)], -AMOUNT_MAX);
}

#[test]
fn a_transiently_negative_posting_within_one_entry_is_fine() {
    let a = UserId(0);
    let mut l = ledger_with_users(1);
    l.commit(
        cause(1),
        &[p(Account::Available(a), USD, -5), p(Account::World, USD, -5), p(Account::Available(a), USD, 10)],
    )
    .unwrap();
    assert_eq!(l.balance(Account::Available(a), USD), 5);
}

#[test]
fn account_indices_round_trip() {
    for account in [Account::World, Account::Fees, Account::Available(UserId(0)), Account::Held(UserId(7))] {
        assert_eq!(Account::from_index(account.index()), account);
    }
    let mut l = Ledger::new(3);
    assert_eq!(l.users(), 0);
    assert_eq!(l.open_user(), UserId(0));
    assert_eq!(l.open_user(), UserId(1));
    assert_eq!(l.users(), 2);
}

/// The fault-injection bypass: unbalanced and overdrawing entries go through and are journaled
/// (replay still matches), but unknown accounts and overflows are refused with nothing applied.
#[test]
fn commit_unchecked_skips_only_the_balance_checks() {
    let a = UserId(0);
    let mut l = ledger_with_users(1);
    l.commit(cause(1), &[p(Account::World, USD, -100), p(Account::Available(a), USD, 100)]).unwrap();
    // Unbalanced: one minor unit minted into Fees.
    l.commit_unchecked(cause(2), &[p(Account::Fees, USD, 1)]).unwrap();
    // Overdrawing: a held balance driven below zero.
    l.commit_unchecked(cause(3), &[p(Account::Held(a), USD, -30), p(Account::Available(a), USD, 30)]).unwrap();
    assert_eq!(l.balance(Account::Fees, USD), 1);
    assert_eq!(l.balance(Account::Held(a), USD), -30);
    assert_eq!(l.balance(Account::Available(a), USD), 130);
    assert_eq!(l.journal().len(), 3);
    let refused: [(&[Posting], LedgerError); 2] = [
        (
            &[p(Account::Held(a), USD, -1), p(Account::Available(a), USD, AMOUNT_MAX)],
            LedgerError::Overflow { account: Account::Available(a), asset: USD },
        ),
        (
            &[p(Account::Held(UserId(9)), USD, 1)],
            LedgerError::Unknown { account: Account::Held(UserId(9)), asset: USD },
        ),
    ];
    for (postings, expected) in refused {
        assert_eq!(l.commit_unchecked(cause(4), postings), Err(expected));
        assert_eq!(l.balance(Account::Held(a), USD), -30);
        assert_eq!(l.balance(Account::Available(a), USD), 130);
        assert_eq!(l.journal().len(), 3);
    }
    assert_eq!(l.commit_unchecked(cause(5), &[]), Ok(()));
    assert_eq!(l.journal().len(), 3);
    let replayed = l.journal().replay();
    for (account, asset, balance) in l.balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "{account:?} {asset:?}");
    }
}

fn assert_replays(l: &Ledger) {
    let replayed = l.journal().replay();
    for (account, asset, balance) in l.balances() {
        assert_eq!(replayed.get(&(account, asset)).copied().unwrap_or(0), balance, "{account:?} {asset:?}");
    }
}

/// A checkpoint folds the entries into the balances: the journal then holds only what follows,
/// still numbered from genesis, and its replay (checkpoint plus entries since) matches.
#[test]
fn a_checkpoint_folds_the_journal_and_replay_starts_from_it() {
    let (a, b) = (UserId(0), UserId(1));
    let mut l = ledger_with_users(2);
    l.commit(cause(1), &[p(Account::World, USD, -100), p(Account::Available(a), USD, 100)]).unwrap();
    l.commit(cause(2), &[p(Account::World, BTC, -7), p(Account::Available(b), BTC, 7)]).unwrap();
    l.checkpoint();
    assert_eq!((l.journal().len(), l.journal().start(), l.journal().retained()), (2, 2, 0));
    assert_replays(&l);
    l.commit(cause(3), &[p(Account::Available(a), USD, -40), p(Account::Held(a), USD, 40)]).unwrap();
    assert_eq!((l.journal().len(), l.journal().retained()), (3, 1));
    assert_eq!(l.journal().entry(2).cause, cause(3));
    assert_eq!(l.journal().entries_from(2).count(), 1);
    assert_replays(&l);
    // A second checkpoint folds on top of the first; an account back at zero is not kept.
    l.commit(cause(4), &[p(Account::Available(b), BTC, -7), p(Account::World, BTC, 7)]).unwrap();
    l.checkpoint();
    assert_eq!((l.journal().len(), l.journal().retained()), (4, 0));
    assert_replays(&l);
    assert_eq!(l.journal().replay().len(), 3, "world, available and held USD: {:?}", l.journal().replay());
    assert_eq!(l.balance(Account::Held(a), USD), 40);
}

#[test]
#[should_panic(expected = "entry 0 was folded")]
fn entries_before_the_checkpoint_are_gone() {
    let mut l = ledger_with_users(1);
    l.commit(cause(1), &[p(Account::World, USD, -1), p(Account::Available(UserId(0)), USD, 1)]).unwrap();
    l.checkpoint();
    let _ = l.journal().entry(0);
}

/// The producer-side half of `journal_complete`: a balance that moved without a journal entry
/// stops the checkpoint before it could fold the difference away.
#[test]
#[should_panic(expected = "journal_complete: Available(UserId(0)) asset 1 is 101 but the journal replays to 100")]
fn a_checkpoint_refuses_a_balance_the_journal_does_not_explain() {
    let mut l = ledger_with_users(1);
    l.commit(cause(1), &[p(Account::World, USD, -100), p(Account::Available(UserId(0)), USD, 100)]).unwrap();
    let slot = l.slot(Account::Available(UserId(0)), USD).unwrap();
    l.balances[slot] += 1;
    l.checkpoint();
}
