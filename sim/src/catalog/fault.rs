//! The fault catalogue of SPEC §5: historic bugs as named switches, and the bitset that carries them.
//!
//! Each fault reintroduces one real failure into the reference exchange or the simulator around
//! it. With a fault off, the invariants in its `caught_by` column hold on every seed; with it on, a
//! sweep finds a violation of one of them. That pairing is the harness's own test: a fault no check
//! catches is a hole in the auditor.
//!
//! A [`FaultSet`] is a small bitset, so carrying it through the hot path costs one test of a bit.
//! Every fault of SPEC §5 is [`Fault::modelled`] (switchable) today; a fault catalogued before its
//! machinery exists would not be, and asking for it would be a usage error, never a silent no-op
//! (parsing a user's name for a fault, with its errors, is `crate::fault`).
//!
//! A leaf: like everything in `catalog`, it uses nothing else in the crate, so the engine and the
//! exchange can carry a [`FaultSet`] without depending on the auditor that names the invariants.

use std::fmt;

use super::Invariant;

/// Which part of exsim a fault breaks: where its switch lives, and so which checks must tolerate
/// it (only a ledger fault may commit an entry unchecked; only an engine fault may leave a book
/// that fails its own structural check as a finding instead of a bug).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultArea {
    /// The matching engine (`engine/book.rs`).
    Engine,
    /// The ledger's commit path: the exchange's settlement and fee postings, custody's debits
    /// without a funds check, and balance edits past the journal.
    Ledger,
    /// The exchange's own logic (quotes; custody's reconciliation and limits; identity's mailer).
    Exchange,
    /// The simulator around the exchange (gateway durability).
    Simulator,
}

/// One fault switch, by its stable SPEC §5 name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    QuoteReprice,
    WithdrawCheckRace,
    TransferCheckRace,
    TxidReconcile,
    BulkMailToField,
    InsiderBalanceEdit,
    AllowNegative,
    LimitsInHotPath,
    HoldDoubleRelease,
    FeeRoundingMints,
    IocRests,
    TakerPrice,
    PriorityLostOnPartial,
    AckBeforeDurable,
}

impl Fault {
    /// Every fault of SPEC §5, in SPEC order.
    pub const ALL: [Fault; 14] = [
        Fault::QuoteReprice,
        Fault::WithdrawCheckRace,
        Fault::TransferCheckRace,
        Fault::TxidReconcile,
        Fault::BulkMailToField,
        Fault::InsiderBalanceEdit,
        Fault::AllowNegative,
        Fault::LimitsInHotPath,
        Fault::HoldDoubleRelease,
        Fault::FeeRoundingMints,
        Fault::IocRests,
        Fault::TakerPrice,
        Fault::PriorityLostOnPartial,
        Fault::AckBeforeDurable,
    ];

    /// The stable name, as used by `--fault NAME` and in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Fault::QuoteReprice => "quote_reprice",
            Fault::WithdrawCheckRace => "withdraw_check_race",
            Fault::TransferCheckRace => "transfer_check_race",
            Fault::TxidReconcile => "txid_reconcile",
            Fault::BulkMailToField => "bulk_mail_to_field",
            Fault::InsiderBalanceEdit => "insider_balance_edit",
            Fault::AllowNegative => "allow_negative",
            Fault::LimitsInHotPath => "limits_in_hot_path",
            Fault::HoldDoubleRelease => "hold_double_release",
            Fault::FeeRoundingMints => "fee_rounding_mints",
            Fault::IocRests => "ioc_rests",
            Fault::TakerPrice => "taker_price",
            Fault::PriorityLostOnPartial => "priority_lost_on_partial",
            Fault::AckBeforeDurable => "ack_before_durable",
        }
    }

    /// What it does, in one line.
    pub fn does(self) -> &'static str {
        match self {
            Fault::QuoteReprice => "an accepted quote executes as a market order walking the book",
            Fault::WithdrawCheckRace => "balance checked at request, debited later by concurrent workers",
            Fault::TransferCheckRace => "user-to-user transfer checks and debits in separate steps",
            Fault::TxidReconcile => "withdrawals reconciled by txid; \"not received\" claims re-sent",
            Fault::BulkMailToField => "a batch's recipients rendered into To:",
            Fault::InsiderBalanceEdit => "direct balance edits that bypass the journal",
            Fault::AllowNegative => "a privileged account exempt from balance checks",
            Fault::LimitsInHotPath => "withdrawal limits enforced by a component the attacker controls",
            Fault::HoldDoubleRelease => "a cancel racing a fill releases the hold twice",
            Fault::FeeRoundingMints => "fee rounding credits more than it debits",
            Fault::IocRests => "an IOC remainder rests on the book",
            Fault::TakerPrice => "fills at the taker's price",
            Fault::PriorityLostOnPartial => "a partially filled maker loses queue position",
            Fault::AckBeforeDurable => "commands acknowledged before the journal is durable",
        }
    }

    /// The incident or bug class it recreates.
    pub fn after(self) -> &'static str {
        match self {
            Fault::QuoteReprice => "Mt. Gox quote delivered 56 BTC short",
            Fault::WithdrawCheckRace => "Poloniex 2014",
            Fault::TransferCheckRace => "Flexcoin 2014",
            Fault::TxidReconcile => "Mt. Gox 2014",
            Fault::BulkMailToField => "BitMEX 2019",
            Fault::InsiderBalanceEdit => "Mt. Gox bots, QuadrigaCX",
            Fault::AllowNegative => "FTX",
            Fault::LimitsInHotPath => "Bitfinex 2016",
            Fault::HoldDoubleRelease => "common engine bug",
            Fault::FeeRoundingMints => "common ledger bug",
            Fault::IocRests | Fault::TakerPrice | Fault::PriorityLostOnPartial => "matching-engine bug catalogues",
            Fault::AckBeforeDurable => "crash-recovery bugs",
        }
    }

    /// The invariants that catch it: with the fault on, a sweep breaks at least one of these.
    pub fn caught_by(self) -> &'static [Invariant] {
        use Invariant::*;
        match self {
            Fault::QuoteReprice => &[QuoteHonored],
            Fault::WithdrawCheckRace => &[NoNegativeBalance, Solvency],
            Fault::TransferCheckRace => &[NoNegativeBalance],
            Fault::TxidReconcile => &[WithdrawalPaidOnce, Solvency],
            Fault::BulkMailToField => &[NoPiiDisclosure],
            Fault::InsiderBalanceEdit => &[JournalComplete, Conservation],
            Fault::AllowNegative => &[NoNegativeBalance, Solvency],
            Fault::LimitsInHotPath => &[WithdrawalLimits],
            Fault::HoldDoubleRelease => &[HoldsMatchOpenOrders, Conservation],
            Fault::FeeRoundingMints => &[LedgerBalanced, Conservation],
            Fault::IocRests => &[TifRespected],
            Fault::TakerPrice => &[LimitRespected],
            Fault::PriorityLostOnPartial => &[PriceTimePriority],
            Fault::AckBeforeDurable => &[JournalComplete, Conservation],
        }
    }

    /// The part of exsim it breaks.
    pub const fn area(self) -> FaultArea {
        match self {
            Fault::IocRests | Fault::TakerPrice | Fault::PriorityLostOnPartial => FaultArea::Engine,
            // Each of these commits entries unchecked (or edits a balance past the journal), after
            // which an honest entry may be refused: the exchange must then tolerate a refusal.
            Fault::HoldDoubleRelease
            | Fault::FeeRoundingMints
            | Fault::WithdrawCheckRace
            | Fault::TransferCheckRace
            | Fault::InsiderBalanceEdit
            | Fault::AllowNegative => FaultArea::Ledger,
            Fault::QuoteReprice | Fault::TxidReconcile | Fault::LimitsInHotPath | Fault::BulkMailToField => {
                FaultArea::Exchange
            }
            Fault::AckBeforeDurable => FaultArea::Simulator,
        }
    }

    /// Whether exsim can switch it on: every fault of SPEC §5 can now. The match is exhaustive so
    /// a fault catalogued before its switch exists must say so here, and asking for it is then a
    /// usage error (`crate::fault`), never a silent no-op.
    pub fn modelled(self) -> bool {
        match self {
            Fault::QuoteReprice
            | Fault::WithdrawCheckRace
            | Fault::TransferCheckRace
            | Fault::TxidReconcile
            | Fault::BulkMailToField
            | Fault::InsiderBalanceEdit
            | Fault::AllowNegative
            | Fault::LimitsInHotPath
            | Fault::HoldDoubleRelease
            | Fault::FeeRoundingMints
            | Fault::IocRests
            | Fault::TakerPrice
            | Fault::PriorityLostOnPartial
            | Fault::AckBeforeDurable => true,
        }
    }

    /// The fault with this stable name, modelled or not.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of faults switched on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultSet(u32);

impl FaultSet {
    /// No fault: the correct exchange.
    pub const NONE: FaultSet = FaultSet(0);

    /// Whether `fault` is on.
    #[inline]
    pub fn has(self, fault: Fault) -> bool {
        self.0 & fault.bit() != 0
    }

    /// Switches `fault` on.
    pub fn insert(&mut self, fault: Fault) {
        self.0 |= fault.bit();
    }

    /// The set with `fault` on too.
    #[must_use]
    pub fn with(mut self, fault: Fault) -> FaultSet {
        self.insert(fault);
        self
    }

    /// Whether no fault is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The first fault on (in SPEC order) that breaks `area`.
    pub fn first_in(self, area: FaultArea) -> Option<Fault> {
        self.iter().find(|f| f.area() == area)
    }

    /// The faults on, in SPEC order.
    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

/// Written as the list of its faults' names, in SPEC order.
impl serde::Serialize for FaultSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Fault::name))
    }
}

/// Read from a list of fault names; an unknown name is an error listing the valid ones.
impl<'de> serde::Deserialize<'de> for FaultSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FaultSet, D::Error> {
        let names = <Vec<String> as serde::Deserialize>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                Fault::from_name(n).ok_or_else(|| {
                    let valid: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                    serde::de::Error::custom(format!("unknown fault {n:?}: valid are {}", valid.join(", ")))
                })
            })
            .collect()
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> FaultSet {
        let mut set = FaultSet::NONE;
        for f in iter {
            set.insert(f);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(f));
        }
        assert_eq!(Fault::from_name("ioc_rest"), None);
    }

    #[test]
    fn set_membership() {
        let set: FaultSet = [Fault::IocRests, Fault::TakerPrice].into_iter().collect();
        assert!(set.has(Fault::IocRests) && set.has(Fault::TakerPrice) && !set.has(Fault::QuoteReprice));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Fault::IocRests, Fault::TakerPrice]);
        assert!(FaultSet::NONE.is_empty());
    }
}
