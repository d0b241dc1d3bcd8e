//! The journal: every entry committed since the last checkpoint, in order, each naming its cause,
//! behind a snapshot of the balances at that checkpoint.
//!
//! Entries are numbered from genesis. A **checkpoint** ([`Journal::fold`], called by
//! [`super::Ledger::checkpoint`]) folds every entry so far into `base`, the non-zero balances they
//! produced, and forgets them; the journal then holds O(accounts + entries since the checkpoint),
//! never O(run). Without checkpoints it is the whole journal from genesis, with an empty base.
//!
//! Invariant: append-only between checkpoints; [`Journal::replay`] — the base plus every entry
//! since — reproduces the ledger's balances exactly (`journal_complete`; asserted by the ledger
//! before each fold, and checked independently by the auditor). Postings are stored flat and
//! compact (24 bytes each: the 128-bit delta is kept as two 64-bit
//! halves, so it needs no 16-byte alignment), entries as offsets into them.

use std::collections::BTreeMap;

use super::Account;
use crate::units::{AssetId, Minor};

/// One signed change to one account in one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub asset: AssetId,
    pub delta: Minor,
}

/// What kind of command caused an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CauseKind {
    Deposit,
    Withdrawal,
    Order,
    Cancel,
    Replace,
    MassCancel,
    QuoteAccept,
    /// A withdrawal's hold taken when it is sent (only under the `withdraw_check_race` fault,
    /// which takes no hold at request).
    WithdrawalSent,
    /// A withdrawal's payment confirmed: its hold leaves to the world.
    WithdrawalSettled,
    /// A withdrawal refused at review: its hold returns to available.
    WithdrawalRefunded,
    /// A transfer requested: its amount moves to the sender's pending outflow.
    Transfer,
    /// A transfer credited to its recipient.
    TransferCredited,
}

/// The command that caused an entry: its kind and the exchange's command sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cause {
    pub seq: u64,
    pub kind: CauseKind,
}

/// A posting as the journal stores it: 24 bytes (the delta as its low and high 64 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stored {
    account: u32,
    asset: u16,
    delta_low: u64,
    delta_high: i64,
}

const _: () = assert!(std::mem::size_of::<Stored>() == 24);

impl Stored {
    fn new(p: &Posting) -> Stored {
        let account = u32::try_from(p.account.index()).expect("account indices fit u32");
        // Splitting and rejoining is exact: low is the delta's bottom 64 bits, high its top 64.
        Stored { account, asset: p.asset.0, delta_low: p.delta as u64, delta_high: (p.delta >> 64) as i64 }
    }

    fn posting(self) -> Posting {
        let delta = (Minor::from(self.delta_high) << 64) | Minor::from(self.delta_low);
        Posting { account: Account::from_index(self.account as usize), asset: AssetId(self.asset), delta }
    }
}

/// One committed entry.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub cause: Cause,
    stored: &'a [Stored],
}

impl<'a> Entry<'a> {
    /// The entry's postings, in the order they were committed.
    pub fn postings(self) -> impl Iterator<Item = Posting> + 'a {
        self.stored.iter().map(|s| s.posting())
    }
}

/// The balances at the last checkpoint and the entries since, in commit order.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    /// Number of the first retained entry: the entries before it are folded into `base`.
    start: usize,
    /// Every non-zero balance after the first `start` entries, in (account, asset) order.
    base: Vec<Stored>,
    causes: Vec<Cause>,
    /// `ends[i]` is one past entry i's last posting.
    ends: Vec<u64>,
    postings: Vec<Stored>,
}

impl Journal {
    pub(super) fn append(&mut self, cause: Cause, postings: &[Posting]) {
        self.postings.extend(postings.iter().map(Stored::new));
        self.causes.push(cause);
        self.ends.push(self.postings.len() as u64);
    }

    /// Number of entries ever committed, folded ones included.
    pub fn len(&self) -> usize {
        self.start + self.causes.len()
    }

    /// Whether nothing was ever committed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of the first entry still held: entries before it were folded at a checkpoint.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Number of entries held (those since the last checkpoint).
    pub fn retained(&self) -> usize {
        self.causes.len()
    }

    /// Entry `i` (numbered from genesis). Panics if it was folded at a checkpoint.
    pub fn entry(&self, i: usize) -> Entry<'_> {
        assert!(i >= self.start, "entry {i} was folded into the checkpoint at entry {}", self.start);
        let i = i - self.start;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Entry { cause: self.causes[i], stored: &self.postings[start..self.ends[i] as usize] }
    }

    /// Entries from `from` on (numbered from genesis; not before [`Journal::start`]).
    pub fn entries_from(&self, from: usize) -> impl Iterator<Item = Entry<'_>> + '_ {
        (from..self.len()).map(move |i| self.entry(i))
    }

    /// The checkpoint's balances as postings from zero, then every retained entry's postings:
    /// summing them per (account, asset) gives the balances.
    pub fn replay_postings(&self) -> impl Iterator<Item = Posting> + '_ {
        self.base.iter().chain(&self.postings).map(|s| s.posting())
    }

    /// Balances obtained by applying every entry since the checkpoint to its balances (from
    /// genesis when there was none); zero balances omitted.
    pub fn replay(&self) -> BTreeMap<(Account, AssetId), Minor> {
        let mut balances = BTreeMap::new();
        for p in self.replay_postings() {
            *balances.entry((p.account, p.asset)).or_insert(0) += p.delta;
        }
        balances.retain(|_, b| *b != 0);
        balances
    }

    /// Checkpoint: `balances` (every balance, in (account, asset) order) become the base, and
    /// every entry so far is forgotten. The caller asserts they are what the journal replays to.
    pub(super) fn fold(&mut self, balances: impl Iterator<Item = (Account, AssetId, Minor)>) {
        self.start = self.len();
        self.base.clear();
        self.base.extend(
            balances
                .filter(|b| b.2 != 0)
                .map(|(account, asset, delta)| Stored::new(&Posting { account, asset, delta })),
        );
        self.causes.clear();
        self.ends.clear();
        self.postings.clear();
    }
}
