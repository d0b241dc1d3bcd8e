//! The canonical event stream: every processed kernel event, encoded once in a fixed binary form
//! that feeds the run's digest, and rendered as JSON Lines when a trace is asked for.
//!
//! Invariants:
//! - the digest is BLAKE3 over the canonical bytes only: no wall time, no addresses, no map
//!   iteration order, explicit little-endian integers, so it is the same on every machine;
//! - tracing changes nothing but the output: the trace is a rendering of the same records, and
//!   the digest is computed identically with or without it.

use std::io::{self, Write};

use crate::exchange::{
    Access, Ack, Command, Credential, FundsCommand, IdentityCommand, OrderKind, Reject, TradingCommand,
};
use crate::units::Side;

use super::gateway::Outcome;

/// Buffer size before the bytes are hashed.
const CHUNK: usize = 1 << 16;

/// Encodes records into the digest and, optionally, a trace.
pub struct Recorder<'w> {
    hasher: blake3::Hasher,
    buf: Vec<u8>,
    trace: Option<&'w mut dyn Write>,
    trace_error: Option<io::Error>,
    events: u64,
}

impl<'w> Recorder<'w> {
    /// A recorder; `trace` receives one JSON object per event and line.
    pub fn new(trace: Option<&'w mut dyn Write>) -> Recorder<'w> {
        Recorder {
            hasher: blake3::Hasher::new(),
            buf: Vec::with_capacity(CHUNK + 256),
            trace,
            trace_error: None,
            events: 0,
        }
    }

    /// Starts the record of event `seq` at `time_ns` of `kind` (a small stable code).
    #[inline]
    pub fn begin(&mut self, seq: u64, time_ns: u64, kind: u8) {
        self.events += 1;
        self.u64(seq);
        self.u64(time_ns);
        self.buf.push(kind);
    }

    /// Appends an integer to the current record.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends a command (the same bytes whatever the area nesting: one tag per command kind).
    /// Appends an amount (`Minor`, 16 bytes).
    #[inline]
    pub fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn command(&mut self, c: &Command) {
        let b = &mut self.buf;
        match *c {
            Command::Identity(IdentityCommand::OpenAccount) => b.push(0),
            // Amounts are `Minor` (i128): 16 bytes each.
            Command::Funds(FundsCommand::Deposit { user, asset, amount }) => {
                b.push(1);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&amount.to_le_bytes());
            }
            Command::Funds(FundsCommand::Withdraw { user, asset, amount, to }) => {
                b.push(2);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&amount.to_le_bytes());
                b.extend_from_slice(&to.0.to_le_bytes());
            }
            // Custody's commands: tags 9.. (appended; existing tags never change).
            Command::Funds(FundsCommand::Transfer { from, to, asset, amount }) => {
                b.push(9);
                b.extend_from_slice(&from.0.to_le_bytes());
                b.extend_from_slice(&to.0.to_le_bytes());
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&amount.to_le_bytes());
            }
            Command::Funds(FundsCommand::WhitelistAddress { user, address }) => {
                b.push(10);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&address.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::DepositSeen { user, asset, amount, payment, confirmations }) => {
                b.push(11);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&amount.to_le_bytes());
                b.extend_from_slice(&payment.0.to_le_bytes());
                b.extend_from_slice(&confirmations.to_le_bytes());
            }
            Command::Funds(FundsCommand::ProcessWithdrawal { id }) => {
                b.push(12);
                b.extend_from_slice(&id.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::ReviewWithdrawal { id, approve }) => {
                b.push(13);
                b.extend_from_slice(&id.0.to_le_bytes());
                b.push(u8::from(approve));
            }
            Command::Funds(FundsCommand::PaymentConfirmed { asset, txid, payment }) => {
                b.push(14);
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&txid.0.to_le_bytes());
                b.extend_from_slice(&payment.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::ClaimNotReceived { user, id }) => {
                b.push(15);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&id.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::ProcessTransfer { id }) => {
                b.push(16);
                b.extend_from_slice(&id.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::AdminAdjust { user, asset, delta }) => {
                b.push(17);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&asset.0.to_le_bytes());
                b.extend_from_slice(&delta.to_le_bytes());
            }
            Command::Funds(FundsCommand::GrantPrivilege { user }) => {
                b.push(18);
                b.extend_from_slice(&user.0.to_le_bytes());
            }
            Command::Funds(FundsCommand::RaiseAlert) => b.push(19),
            // Identity's commands: tags 20.. (appended).
            Command::Identity(IdentityCommand::Register { email, password, device }) => {
                b.push(20);
                b.extend_from_slice(&email.0.to_le_bytes());
                b.extend_from_slice(&password.0.to_le_bytes());
                b.extend_from_slice(&device.map_or(u64::MAX, |d| u64::from(d.0)).to_le_bytes());
            }
            Command::Identity(IdentityCommand::GrantRole { user, role }) => {
                b.push(21);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.push(role as u8);
            }
            Command::Identity(IdentityCommand::Login { email, password }) => {
                b.push(22);
                b.extend_from_slice(&email.0.to_le_bytes());
                b.extend_from_slice(&password.0.to_le_bytes());
            }
            Command::Identity(IdentityCommand::CreateApiKey { scopes, allow_ip }) => {
                b.push(23);
                b.push(u8::from(scopes.trade) | u8::from(scopes.withdraw) << 1);
                b.extend_from_slice(&allow_ip.map_or(u64::MAX, |ip| u64::from(ip.0)).to_le_bytes());
            }
            Command::Identity(IdentityCommand::RequestReset { email }) => {
                b.push(24);
                b.extend_from_slice(&email.0.to_le_bytes());
            }
            Command::Identity(IdentityCommand::CompleteReset { token, password }) => {
                b.push(25);
                b.extend_from_slice(&token.0.to_le_bytes());
                b.extend_from_slice(&password.0.to_le_bytes());
            }
            Command::Identity(IdentityCommand::Export) => b.push(26),
            Command::Identity(IdentityCommand::Announce { batch, batches }) => {
                b.push(27);
                b.extend_from_slice(&batch.to_le_bytes());
                // Uncapped, as before the cap existed: recorded streams (and digests) unchanged.
                if batches != IdentityCommand::ALL_BATCHES {
                    b.extend_from_slice(&batches.to_le_bytes());
                }
            }
            Command::Trading(TradingCommand::Place(o)) => {
                b.push(3);
                b.extend_from_slice(&o.user.0.to_le_bytes());
                b.extend_from_slice(&o.market.0.to_le_bytes());
                b.push(side(o.side));
                b.extend_from_slice(&o.qty.0.to_le_bytes());
                match o.kind {
                    OrderKind::Limit { price, tif } => {
                        b.push(0);
                        b.extend_from_slice(&price.0.to_le_bytes());
                        b.push(tif as u8);
                    }
                    OrderKind::Market => b.push(1),
                    OrderKind::MarketQuote { amount } => {
                        b.push(2);
                        b.extend_from_slice(&amount.to_le_bytes());
                    }
                }
                b.push(o.stp as u8);
            }
            Command::Trading(TradingCommand::Cancel { user, order }) => {
                b.push(4);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&order.0.to_le_bytes());
            }
            Command::Trading(TradingCommand::Replace { user, order, price, qty }) => {
                b.push(5);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&order.0.to_le_bytes());
                b.extend_from_slice(&price.0.to_le_bytes());
                b.extend_from_slice(&qty.0.to_le_bytes());
            }
            Command::Trading(TradingCommand::MassCancel { user, market }) => {
                b.push(6);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&market.map_or(u32::MAX, |m| u32::from(m.0)).to_le_bytes());
            }
            Command::Trading(TradingCommand::RequestQuote { user, market, side: s, qty }) => {
                b.push(7);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&market.0.to_le_bytes());
                b.push(side(s));
                b.extend_from_slice(&qty.0.to_le_bytes());
            }
            Command::Trading(TradingCommand::AcceptQuote { user, quote }) => {
                b.push(8);
                b.extend_from_slice(&user.0.to_le_bytes());
                b.extend_from_slice(&quote.0.to_le_bytes());
            }
        }
    }

    /// Appends an outcome.
    pub fn outcome(&mut self, o: &Outcome) {
        let b = &mut self.buf;
        match *o {
            Err(r) => {
                b.push(0);
                b.push(reject_index(r));
            }
            Ok(Ack::Account(u)) => {
                b.push(1);
                b.extend_from_slice(&u.0.to_le_bytes());
            }
            Ok(Ack::Posted) => b.push(2),
            Ok(Ack::Order { id, filled, open }) => {
                b.push(3);
                b.extend_from_slice(&id.0.to_le_bytes());
                b.extend_from_slice(&filled.0.to_le_bytes());
                b.extend_from_slice(&open.0.to_le_bytes());
            }
            Ok(Ack::Cancelled { orders }) => {
                b.push(4);
                b.extend_from_slice(&orders.to_le_bytes());
            }
            Ok(Ack::Replaced { id, filled, open }) => {
                b.push(5);
                b.extend_from_slice(&id.0.to_le_bytes());
                b.extend_from_slice(&filled.0.to_le_bytes());
                b.extend_from_slice(&open.0.to_le_bytes());
            }
            Ok(Ack::Quote(q) | Ack::QuoteFilled(q)) => {
                b.push(if matches!(o, Ok(Ack::Quote(_))) { 6 } else { 7 });
                b.extend_from_slice(&q.id.0.to_le_bytes());
                b.extend_from_slice(&q.user.0.to_le_bytes());
                b.extend_from_slice(&q.market.0.to_le_bytes());
                b.push(side(q.side));
                b.extend_from_slice(&q.qty.0.to_le_bytes());
                b.extend_from_slice(&q.price.0.to_le_bytes());
                b.extend_from_slice(&q.expires_at_ns.to_le_bytes());
            }
            Ok(Ack::Withdrawal(id)) => {
                b.push(8);
                b.extend_from_slice(&id.0.to_le_bytes());
            }
            Ok(Ack::Transfer(id)) => {
                b.push(9);
                b.extend_from_slice(&id.0.to_le_bytes());
            }
            Ok(Ack::Session { session, user }) => {
                b.push(10);
                b.extend_from_slice(&session.0.to_le_bytes());
                b.extend_from_slice(&user.0.to_le_bytes());
            }
            Ok(Ack::ApiKey(id)) => {
                b.push(11);
                b.extend_from_slice(&id.0.to_le_bytes());
            }
        }
    }

    /// Appends what a client presented with a request: its credential, IP and code.
    pub fn access(&mut self, a: &Access) {
        let b = &mut self.buf;
        match a.credential {
            Credential::Anonymous => b.push(0),
            Credential::Session(s) => {
                b.push(1);
                b.extend_from_slice(&s.0.to_le_bytes());
            }
            Credential::ApiKey(k) => {
                b.push(2);
                b.extend_from_slice(&k.0.to_le_bytes());
            }
        }
        b.extend_from_slice(&a.ip.0.to_le_bytes());
        match a.code {
            None => b.push(0),
            Some(c) => {
                b.push(1);
                b.extend_from_slice(&c.device.0.to_le_bytes());
                b.extend_from_slice(&c.window.to_le_bytes());
            }
        }
    }

    /// Ends the current record; `line` renders it for the trace (called only when tracing).
    #[inline]
    pub fn end(&mut self, line: impl FnOnce() -> serde_json::Value) {
        if self.buf.len() >= CHUNK {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
        if let Some(w) = self.trace.as_mut() {
            if self.trace_error.is_none() {
                let mut text = line().to_string();
                text.push('\n');
                if let Err(e) = w.write_all(text.as_bytes()) {
                    self.trace_error = Some(e);
                }
            }
        }
    }

    /// Events recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The digest (hex) and the first trace write error, if any.
    pub fn finish(mut self) -> (String, Option<io::Error>) {
        self.hasher.update(&self.buf);
        if let (Some(w), None) = (self.trace.as_mut(), self.trace_error.as_ref()) {
            if let Err(e) = w.flush() {
                self.trace_error = Some(e);
            }
        }
        (self.hasher.finalize().to_hex().to_string(), self.trace_error)
    }
}

fn side(s: Side) -> u8 {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn reject_index(r: Reject) -> u8 {
    Reject::ALL.iter().position(|x| *x == r).map_or(u8::MAX, |i| i as u8)
}
