//! [`IdMap`]: the ids a regression's entries name, read through what the exchange handed out when
//! they were recorded versus now. The exchange numbers accounts, sessions, API keys, orders,
//! quotes, withdrawals, transfers and its payments itself, in order; remove one entry that got an
//! id, and every later id of that kind shifts. The map learns, entry by entry, "recorded id →
//! id now" from the answer the file recorded and the answer the replay got, and rewrites each
//! later entry before it is applied. An id it never learned — its entry was removed, or the
//! exchange now refused it — is read as a fresh id the exchange never hands out (counted down
//! from the top of the range), so it names nothing rather than whatever another entry's id now
//! happens to be. The house (account 0), and the ids the chains give (inbound payments,
//! malleated transaction ids), are not the exchange's to hand out and stay as they are.
//!
//! Invariants: the rewrite is total (every command, origin and chain fact, by exhaustive match:
//! a new command does not compile until its ids are classified here); with nothing removed and the
//! same exchange, every learned pair is the identity, so a normalized file replays unchanged.

use std::collections::BTreeMap;

use crate::chain::{ChainFact, Dest, Purpose, Source, Tx};
use crate::engine::OrderId;
use crate::exchange::{
    Access, Ack, Address, ApiKeyId, Command, Credential, FundsCommand, IdentityCommand, Intent, Origin, Outcome,
    Payment, QuoteId, SessionId, TradingCommand, TransferId, TxId, WithdrawalId,
};
use crate::ledger::UserId;

/// Recorded id → id now, per kind.
#[derive(Clone, Debug, Default)]
pub struct IdMap {
    users: BTreeMap<u32, u32>,
    sessions: BTreeMap<u32, u32>,
    keys: BTreeMap<u32, u32>,
    orders: BTreeMap<u64, u64>,
    quotes: BTreeMap<u64, u64>,
    withdrawals: BTreeMap<u64, u64>,
    transfers: BTreeMap<u64, u64>,
    /// The exchange's payments; each gets the transaction id of the same number.
    payments: BTreeMap<u64, u64>,
}

/// The id now of recorded `id`: learned, or else a fresh one no counter reaches.
fn get32(map: &BTreeMap<u32, u32>, id: u32) -> u32 {
    map.get(&id).copied().unwrap_or(u32::MAX - id)
}

/// [`get32`] for 64-bit ids.
fn get64(map: &BTreeMap<u64, u64>, id: u64) -> u64 {
    map.get(&id).copied().unwrap_or(u64::MAX - id)
}

impl IdMap {
    fn user(&self, u: UserId) -> UserId {
        if u == UserId::HOUSE {
            u
        } else {
            UserId(get32(&self.users, u.0))
        }
    }
    fn order(&self, o: OrderId) -> OrderId {
        OrderId(get64(&self.orders, o.0))
    }
    fn withdrawal(&self, w: WithdrawalId) -> WithdrawalId {
        WithdrawalId(get64(&self.withdrawals, w.0))
    }
    fn transfer(&self, t: TransferId) -> TransferId {
        TransferId(get64(&self.transfers, t.0))
    }
    /// A customer's own address follows its account; an outside address stays.
    fn address(&self, a: Address) -> Address {
        if a.0 < Address::OUTSIDE {
            Address(u64::from(self.user(UserId(a.0 as u32)).0))
        } else {
            a
        }
    }
    fn payment(&self, p: Payment) -> Payment {
        if p.0 < Payment::INBOUND {
            Payment(get64(&self.payments, p.0))
        } else {
            p
        }
    }
    /// The exchange's own transaction ids follow their payment; a malleated copy's stays.
    fn txid(&self, t: TxId) -> TxId {
        if t.0 < TxId::MALLEATED {
            TxId(get64(&self.payments, t.0))
        } else {
            t
        }
    }

    /// `origin` with its credential read through the map.
    pub fn origin(&self, origin: Origin) -> Origin {
        match origin {
            Origin::System => Origin::System,
            Origin::Client(access) => {
                let credential = match access.credential {
                    Credential::Anonymous => Credential::Anonymous,
                    Credential::Session(s) => Credential::Session(SessionId(get32(&self.sessions, s.0))),
                    Credential::ApiKey(k) => Credential::ApiKey(ApiKeyId(get32(&self.keys, k.0))),
                };
                Origin::Client(Access { credential, ..access })
            }
        }
    }

    /// `command` with every id read through the map.
    pub fn command(&self, command: Command) -> Command {
        match command {
            Command::Identity(c) => Command::Identity(match c {
                IdentityCommand::GrantRole { user, role } => IdentityCommand::GrantRole { user: self.user(user), role },
                IdentityCommand::OpenAccount
                | IdentityCommand::Register { .. }
                | IdentityCommand::Login { .. }
                | IdentityCommand::CreateApiKey { .. }
                | IdentityCommand::RequestReset { .. }
                | IdentityCommand::CompleteReset { .. }
                | IdentityCommand::Export
                | IdentityCommand::Announce { .. } => c,
            }),
            Command::Funds(c) => Command::Funds(match c {
                FundsCommand::Deposit { user, asset, amount } => {
                    FundsCommand::Deposit { user: self.user(user), asset, amount }
                }
                FundsCommand::Withdraw { user, asset, amount, to } => {
                    FundsCommand::Withdraw { user: self.user(user), asset, amount, to: self.address(to) }
                }
                FundsCommand::Transfer { from, to, asset, amount } => {
                    FundsCommand::Transfer { from: self.user(from), to: self.user(to), asset, amount }
                }
                FundsCommand::WhitelistAddress { user, address } => {
                    FundsCommand::WhitelistAddress { user: self.user(user), address: self.address(address) }
                }
                FundsCommand::DepositSeen { user, asset, amount, payment, confirmations } => {
                    FundsCommand::DepositSeen { user: self.user(user), asset, amount, payment, confirmations }
                }
                FundsCommand::ProcessWithdrawal { id } => FundsCommand::ProcessWithdrawal { id: self.withdrawal(id) },
                FundsCommand::ReviewWithdrawal { id, approve } => {
                    FundsCommand::ReviewWithdrawal { id: self.withdrawal(id), approve }
                }
                FundsCommand::PaymentConfirmed { asset, txid, payment } => {
                    FundsCommand::PaymentConfirmed { asset, txid: self.txid(txid), payment: self.payment(payment) }
                }
                FundsCommand::ClaimNotReceived { user, id } => {
                    FundsCommand::ClaimNotReceived { user: self.user(user), id: self.withdrawal(id) }
                }
                FundsCommand::ProcessTransfer { id } => FundsCommand::ProcessTransfer { id: self.transfer(id) },
                FundsCommand::AdminAdjust { user, asset, delta } => {
                    FundsCommand::AdminAdjust { user: self.user(user), asset, delta }
                }
                FundsCommand::GrantPrivilege { user } => FundsCommand::GrantPrivilege { user: self.user(user) },
                FundsCommand::RaiseAlert => FundsCommand::RaiseAlert,
            }),
            Command::Trading(c) => Command::Trading(match c {
                TradingCommand::Place(mut order) => {
                    order.user = self.user(order.user);
                    TradingCommand::Place(order)
                }
                TradingCommand::Cancel { user, order } => {
                    TradingCommand::Cancel { user: self.user(user), order: self.order(order) }
                }
                TradingCommand::Replace { user, order, price, qty } => {
                    TradingCommand::Replace { user: self.user(user), order: self.order(order), price, qty }
                }
                TradingCommand::MassCancel { user, market } => {
                    TradingCommand::MassCancel { user: self.user(user), market }
                }
                TradingCommand::RequestQuote { user, market, side, qty } => {
                    TradingCommand::RequestQuote { user: self.user(user), market, side, qty }
                }
                TradingCommand::AcceptQuote { user, quote } => {
                    TradingCommand::AcceptQuote { user: self.user(user), quote: QuoteId(get64(&self.quotes, quote.0)) }
                }
            }),
        }
    }

    fn tx(&self, tx: Tx) -> Tx {
        Tx {
            txid: self.txid(tx.txid),
            payment: self.payment(tx.payment),
            from: match tx.from {
                Source::Wallet(w) => Source::Wallet(w),
                Source::Outside(a) => Source::Outside(self.address(a)),
            },
            to: match tx.to {
                Dest::Wallet(w) => Dest::Wallet(w),
                Dest::Address(a) => Dest::Address(self.address(a)),
                Dest::Deposit(u) => Dest::Deposit(self.user(u)),
            },
            purpose: match tx.purpose {
                Purpose::Withdrawal { id, owner } => {
                    Purpose::Withdrawal { id: self.withdrawal(id), owner: self.user(owner) }
                }
                Purpose::Transfer(t) => Purpose::Transfer(self.transfer(t)),
                p @ (Purpose::Deposit | Purpose::Sweep | Purpose::Theft) => p,
            },
            ..tx
        }
    }

    /// `fact` with every id read through the map.
    pub fn fact(&self, fact: ChainFact) -> ChainFact {
        match fact {
            ChainFact::Submitted { tx } => ChainFact::Submitted { tx: self.tx(tx) },
            ChainFact::Malleated { asset, original, txid, payment } => ChainFact::Malleated {
                asset,
                original: self.txid(original),
                txid: self.txid(txid),
                payment: self.payment(payment),
            },
            ChainFact::Confirmed { tx, height } => ChainFact::Confirmed { tx: self.tx(tx), height },
            ChainFact::Dropped { tx, reason } => ChainFact::Dropped { tx: self.tx(tx), reason },
            ChainFact::DepositConfirmations { tx, confirmations } => {
                ChainFact::DepositConfirmations { tx: self.tx(tx), confirmations }
            }
            ChainFact::Reserves { .. } => fact,
        }
    }

    /// Learns from one command: what it was answered when recorded (`recorded`, `recorded_paid`)
    /// against what it got now (`now`, `intents`). Returns the payment it emitted now.
    pub fn learn(
        &mut self,
        recorded: Option<Ack>,
        now: Outcome,
        recorded_paid: Option<(TxId, Payment)>,
        intents: &[Intent],
    ) -> Option<(TxId, Payment)> {
        if let (Some(then), Ok(now)) = (recorded, now) {
            match (then, now) {
                (Ack::Account(a), Ack::Account(b)) => {
                    self.users.insert(a.0, b.0);
                }
                (Ack::Session { session: a, user: ua }, Ack::Session { session: b, user: ub }) => {
                    self.sessions.insert(a.0, b.0);
                    self.users.entry(ua.0).or_insert(ub.0);
                }
                (Ack::ApiKey(a), Ack::ApiKey(b)) => {
                    self.keys.insert(a.0, b.0);
                }
                (Ack::Order { id: a, .. }, Ack::Order { id: b, .. })
                | (Ack::Replaced { id: a, .. }, Ack::Replaced { id: b, .. }) => {
                    self.orders.insert(a.0, b.0);
                }
                (Ack::Quote(a), Ack::Quote(b)) => {
                    self.quotes.insert(a.id.0, b.id.0);
                }
                (Ack::Withdrawal(a), Ack::Withdrawal(b)) => {
                    self.withdrawals.insert(a.0, b.0);
                }
                (Ack::Transfer(a), Ack::Transfer(b)) => {
                    self.transfers.insert(a.0, b.0);
                }
                _ => {}
            }
        }
        let paid = intents.iter().find_map(Intent::payment);
        if let (Some((_, then)), Some((_, now))) = (recorded_paid, paid) {
            self.payments.insert(then.0, now.0);
        }
        paid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Code, Device, Ip};

    #[test]
    fn ids_learned_from_answers_rewrite_later_commands() {
        let mut ids = IdMap::default();
        ids.learn(Some(Ack::Account(UserId(7))), Ok(Ack::Account(UserId(3))), None, &[]);
        ids.learn(
            Some(Ack::Session { session: SessionId(9), user: UserId(7) }),
            Ok(Ack::Session { session: SessionId(2), user: UserId(3) }),
            None,
            &[],
        );
        ids.learn(
            Some(Ack::Order { id: OrderId(40), filled: crate::units::Qty(0), open: crate::units::Qty(1) }),
            Ok(Ack::Order { id: OrderId(5), filled: crate::units::Qty(0), open: crate::units::Qty(1) }),
            None,
            &[],
        );
        let cancel = ids.command(Command::cancel(UserId(7), OrderId(40)));
        assert_eq!(cancel, Command::cancel(UserId(3), OrderId(5)));
        let withdraw = ids.command(Command::withdraw(UserId(7), crate::units::AssetId(0), 10));
        assert_eq!(withdraw, Command::withdraw(UserId(3), crate::units::AssetId(0), 10), "own address follows");
        let access =
            Access { credential: Credential::Session(SessionId(9)), ip: Ip(1), code: Some(Code::at(Device(1), 0)) };
        let Origin::Client(a) = ids.origin(Origin::Client(access)) else { panic!("a client stays a client") };
        assert_eq!(a.credential, Credential::Session(SessionId(2)));
        assert_eq!((a.ip, a.code), (access.ip, access.code));
        // Never learned: a fresh id that names nothing; a refusal now teaches nothing; the house
        // is the house.
        let fresh = Command::cancel(UserId(u32::MAX - 8), OrderId(u64::MAX - 41));
        assert_eq!(ids.command(Command::cancel(UserId(8), OrderId(41))), fresh);
        ids.learn(Some(Ack::Account(UserId(8))), Err(crate::exchange::Reject::TooMany), None, &[]);
        assert_eq!(ids.user(UserId(8)), UserId(u32::MAX - 8));
        assert_eq!(ids.user(UserId::HOUSE), UserId::HOUSE);
    }
}
