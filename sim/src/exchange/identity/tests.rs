//! Table tests for identity: authentication over every credential kind × IP × second factor ×
//! policy, signing in, API keys, resets, exports and announcements (with `bulk_mail_to_field`).
//! Every refusal is checked to change nothing (no entry, no intent, same balances).

use super::*;
use crate::exchange::{Code, Command, ExchangeConfig, Origin, CODE_WINDOW_NS};
use crate::fault::{Fault, FaultSet};
use crate::ledger::Account;
use crate::units::{Asset, AssetId};

const BTC: AssetId = AssetId(0);
const HOME: Ip = Ip(10);
const AWAY: Ip = Ip(66);
const T: u64 = 1_000_000_000_000; // some time well past zero

fn exchange(policy: IdentityPolicy, faults: FaultSet) -> Exchange {
    let config = ExchangeConfig {
        assets: vec![Asset::new("BTC", 8).unwrap()],
        markets: vec![],
        quote_ttl_ns: 1_000,
        quote_spread_bps: 50,
        faults,
        custody: Default::default(),
        identity: policy,
        trading: Default::default(),
    };
    Exchange::new(&config).unwrap()
}

/// Registers user `n` (email `n`, password `100 + n`, device `n` if `device`), funded with 1000.
fn register(x: &mut Exchange, n: u32, device: bool) -> UserId {
    let c = IdentityCommand::Register {
        email: Email(n),
        password: Password(100 + u64::from(n)),
        device: device.then_some(Device(n)),
    };
    let Ok(Ack::Account(u)) = x.apply(0, &c.into()).result else { panic!("registered") };
    x.apply(0, &Command::deposit(u, BTC, 1000)).result.unwrap();
    u
}

fn client(credential: Credential, ip: Ip, code: Option<Code>) -> Origin {
    Origin::Client(Access { credential, ip, code })
}

fn login(x: &mut Exchange, n: u32, ip: Ip, code: Option<Code>) -> Result<SessionId, Reject> {
    let c = IdentityCommand::Login { email: Email(n), password: Password(100 + u64::from(n)) };
    match x.apply_from(T, &c.into(), client(Credential::Anonymous, ip, code)).result {
        Ok(Ack::Session { session, .. }) => Ok(session),
        Ok(other) => panic!("login answered {other:?}"),
        Err(e) => Err(e),
    }
}

/// Applies `command` from `origin` and checks that a refusal changed nothing.
fn apply(x: &mut Exchange, origin: Origin, command: Command) -> Result<Ack, Reject> {
    let (journal, balance) = (x.ledger().journal().len(), x.ledger().balance(Account::Available(UserId(1)), BTC));
    let applied = x.apply_from(T, &command, origin);
    let result = applied.result;
    if result.is_err() {
        assert!(applied.entries.is_empty() && applied.intents.is_empty(), "{command:?}: a refusal has no effects");
        assert_eq!(x.ledger().journal().len(), journal);
        assert_eq!(x.ledger().balance(Account::Available(UserId(1)), BTC), balance);
    }
    result
}

/// The whole authentication table for a withdrawal (the command a thief wants): every credential
/// kind (none, a valid session, a stale session, a key with or without the withdraw scope, an
/// unknown key) × from its own IP or another × with a valid, stale, foreign or no code × every
/// policy, against the rule written out again.
#[test]
fn a_withdrawal_under_every_credential_ip_code_and_policy() {
    let mut cases = 0;
    for policy in IdentityPolicy::every_combination() {
        let mut x = exchange(policy, FaultSet::NONE);
        let me = register(&mut x, 1, true);
        let session = login(&mut x, 1, HOME, Some(Code::at(Device(1), T))).expect("signed in");
        let session_origin = client(Credential::Session(session), HOME, None);
        let trade_key = apply(
            &mut x,
            session_origin,
            IdentityCommand::CreateApiKey { scopes: Scopes::TRADE, allow_ip: Some(HOME) }.into(),
        );
        let all_key = apply(
            &mut x,
            session_origin,
            IdentityCommand::CreateApiKey { scopes: Scopes::ALL, allow_ip: Some(HOME) }.into(),
        );
        assert!(matches!(trade_key, Ok(Ack::ApiKey(_))));
        assert_eq!(all_key.is_ok(), policy.api_key_withdraw_scope, "{policy:?}: the withdraw scope on a key");
        let mut credentials = vec![
            (Credential::Anonymous, "anonymous"),
            (Credential::Session(session), "session"),
            (Credential::Session(SessionId(999)), "unknown session"),
            (Credential::ApiKey(ApiKeyId(999)), "unknown key"),
        ];
        if let Ok(Ack::ApiKey(k)) = trade_key {
            credentials.push((Credential::ApiKey(k), "trade key"));
        }
        if let Ok(Ack::ApiKey(k)) = all_key {
            credentials.push((Credential::ApiKey(k), "withdraw key"));
        }
        let codes = [
            (None, "no code"),
            (Some(Code::at(Device(1), T)), "valid code"),
            (Some(Code::at(Device(1), T - 3 * CODE_WINDOW_NS)), "stale code"),
            (Some(Code::at(Device(2), T)), "another device's code"),
        ];
        for &(credential, what) in &credentials {
            for ip in [HOME, AWAY] {
                for (code, code_what) in codes {
                    let got = apply(&mut x, client(credential, ip, code), Command::withdraw(me, BTC, 1));
                    let valid_code = code_what == "valid code";
                    let want = match what {
                        "anonymous" => Err(Reject::Unauthenticated),
                        "unknown session" | "unknown key" => Err(Reject::Unauthenticated),
                        "session" if ip != HOME => Err(Reject::IpNotAllowed),
                        "trade key" | "withdraw key" if policy.api_key_ip_allowlist && ip != HOME => {
                            Err(Reject::IpNotAllowed)
                        }
                        "trade key" => Err(Reject::NotPermitted),
                        _ if policy.withdrawal_2fa && !valid_code => Err(Reject::SecondFactor),
                        _ => Ok(()),
                    };
                    assert_eq!(got.map(|_| ()), want, "{policy:?} {what} from {ip:?} with {code_what}");
                    cases += 1;
                }
            }
        }
    }
    // 5 credentials (anonymous, session, two unknown, trade key) × 2 IPs × 4 codes under 64
    // policies, and the withdraw key under the 32 that allow its scope.
    assert_eq!(cases, 64 * 5 * 2 * 4 + 32 * 2 * 4);
}

#[test]
fn login_needs_the_password_and_the_second_factor_the_policy_asks() {
    for policy in IdentityPolicy::every_combination() {
        let mut x = exchange(policy, FaultSet::NONE);
        register(&mut x, 1, true);
        register(&mut x, 2, false);
        let wrong = IdentityCommand::Login { email: Email(1), password: Password(5) };
        assert_eq!(apply(&mut x, client(Credential::Anonymous, HOME, None), wrong.into()), Err(Reject::BadCredentials));
        let nobody = IdentityCommand::Login { email: Email(77), password: Password(177) };
        assert_eq!(
            apply(&mut x, client(Credential::Anonymous, HOME, None), nobody.into()),
            Err(Reject::BadCredentials)
        );
        // A user with a device is always asked for it; one without only when the policy
        // enforces a second factor, which they then cannot give.
        assert_eq!(login(&mut x, 1, HOME, None), Err(Reject::SecondFactor), "{policy:?}");
        assert!(login(&mut x, 1, HOME, Some(Code::at(Device(1), T))).is_ok());
        assert_eq!(login(&mut x, 2, HOME, None).is_ok(), !policy.login_2fa, "{policy:?}");
        // The exchange's own systems never sign in.
        let c = IdentityCommand::Login { email: Email(2), password: Password(102) };
        assert_eq!(x.apply(T, &c.into()).result, Err(Reject::NotPermitted));
    }
}

#[test]
fn a_user_keeps_at_most_four_sessions_and_a_session_is_bound_to_its_ip() {
    let mut x = exchange(IdentityPolicy { login_2fa: false, ..IdentityPolicy::default() }, FaultSet::NONE);
    let me = register(&mut x, 1, false);
    let sessions: Vec<SessionId> = (0..5).map(|_| login(&mut x, 1, HOME, None).unwrap()).collect();
    assert_eq!(x.session_user(sessions[0]), None, "the oldest ended");
    assert_eq!(x.session_user(sessions[4]), Some(me));
    let cancel = Command::mass_cancel(me, None);
    assert!(apply(&mut x, client(Credential::Session(sessions[4]), HOME, None), cancel).is_ok());
    assert_eq!(apply(&mut x, client(Credential::Session(sessions[4]), AWAY, None), cancel), Err(Reject::IpNotAllowed));
    assert_eq!(
        apply(&mut x, client(Credential::Session(sessions[0]), HOME, None), cancel),
        Err(Reject::Unauthenticated)
    );
}

#[test]
fn nobody_acts_on_another_account_nor_sends_a_system_input() {
    let mut x = exchange(IdentityPolicy { withdrawal_2fa: false, ..IdentityPolicy::default() }, FaultSet::NONE);
    register(&mut x, 1, true);
    let other = register(&mut x, 2, true);
    let s = login(&mut x, 1, HOME, Some(Code::at(Device(1), T))).unwrap();
    let me = client(Credential::Session(s), HOME, None);
    assert_eq!(apply(&mut x, me, Command::withdraw(other, BTC, 1)), Err(Reject::NotPermitted));
    assert_eq!(apply(&mut x, me, Command::mass_cancel(other, None)), Err(Reject::NotPermitted));
    assert_eq!(apply(&mut x, me, Command::mass_cancel(UserId::HOUSE, None)), Err(Reject::NotPermitted), "house");
    assert_eq!(apply(&mut x, me, Command::deposit(UserId(1), BTC, 5)), Err(Reject::NotPermitted));
    let grant = IdentityCommand::GrantRole { user: UserId(1), role: Role::Admin };
    assert_eq!(apply(&mut x, me, grant.into()), Err(Reject::NotPermitted));
    assert_eq!(
        apply(&mut x, me, IdentityCommand::Export.into()),
        Err(Reject::NotPermitted),
        "a customer exports nothing"
    );
}

#[test]
fn a_reset_link_goes_to_the_mailbox_and_completing_it_needs_the_policys_second_factor() {
    for reset_2fa in [false, true] {
        let policy = IdentityPolicy { reset_2fa, login_2fa: false, ..IdentityPolicy::default() };
        let mut x = exchange(policy, FaultSet::NONE);
        let me = register(&mut x, 1, true);
        let s = login(&mut x, 1, HOME, Some(Code::at(Device(1), T))).unwrap();
        let anyone = client(Credential::Anonymous, AWAY, None);
        let applied = x.apply_from(T, &IdentityCommand::RequestReset { email: Email(1) }.into(), anyone);
        assert_eq!(applied.result, Ok(Ack::Posted));
        let [Intent::Mail(mail)] = applied.intents else { panic!("one mail: {:?}", applied.intents) };
        assert_eq!((mail.to, mail.bcc, mail.records), (Recipients::One(Email(1)), Recipients::Nobody, Records::None));
        let MailKind::ResetLink(token) = mail.kind else { panic!("a reset link") };
        // An unknown address gets the same answer and no mail.
        let unknown = x.apply_from(T, &IdentityCommand::RequestReset { email: Email(9) }.into(), anyone);
        assert_eq!((unknown.result, unknown.intents.len()), (Ok(Ack::Posted), 0));
        let complete = IdentityCommand::CompleteReset { token, password: Password(5) };
        let got = apply(&mut x, anyone, complete.into());
        if reset_2fa {
            assert_eq!(got, Err(Reject::SecondFactor), "the thief has the mailbox, not the device");
            let with_code = client(Credential::Anonymous, AWAY, Some(Code::at(Device(1), T)));
            assert_eq!(apply(&mut x, with_code, complete.into()), Ok(Ack::Posted));
        } else {
            assert_eq!(got, Ok(Ack::Posted));
        }
        assert_eq!(x.session_user(s), None, "a reset ends every session");
        assert_eq!(apply(&mut x, anyone, complete.into()), Err(Reject::BadCredentials), "a token works once");
        let new = IdentityCommand::Login { email: Email(1), password: Password(5) };
        let sign_in = client(Credential::Anonymous, AWAY, Some(Code::at(Device(1), T)));
        assert!(matches!(apply(&mut x, sign_in, new.into()), Ok(Ack::Session { .. })));
        let _ = me;
    }
}

/// Staff: an announcement in batches, Bcc with the fault off, To: with `bulk_mail_to_field`; an
/// export to the operator's own address; roles gate both.
#[test]
fn announcements_go_in_batches_in_bcc_unless_the_fault_puts_them_in_to() {
    for fault in [false, true] {
        let faults = if fault { FaultSet::NONE.with(Fault::BulkMailToField) } else { FaultSet::NONE };
        let mut x = exchange(IdentityPolicy { login_2fa: false, ..IdentityPolicy::default() }, faults);
        for n in 1..=7 {
            register(&mut x, n, false);
        }
        x.apply(0, &IdentityCommand::GrantRole { user: UserId(7), role: Role::Admin }.into()).result.unwrap();
        let admin = client(Credential::Session(login(&mut x, 7, HOME, None).unwrap()), HOME, None);
        for (batch, batches) in [(0, IdentityCommand::ALL_BATCHES), (3, 0)] {
            let none = IdentityCommand::Announce { batch, batches }.into();
            assert_eq!(apply(&mut x, admin, none), Err(Reject::InvalidQuantity));
        }
        // A sender stopped after two batches: the third never goes.
        let capped = x.apply_from(T, &IdentityCommand::Announce { batch: 3, batches: 2 }.into(), admin);
        assert_eq!(capped.intents.len(), 2);
        let all = IdentityCommand::Announce { batch: 3, batches: IdentityCommand::ALL_BATCHES };
        let applied = x.apply_from(T, &all.into(), admin);
        assert_eq!(applied.result, Ok(Ack::Posted));
        let batches: Vec<Mail> =
            applied.intents.iter().map(|i| if let Intent::Mail(m) = i { *m } else { panic!("mail") }).collect();
        let accounts = |first, count| Recipients::Accounts { first: UserId(first), count };
        let ranges = [accounts(1, 3), accounts(4, 3), accounts(7, 1)];
        assert_eq!(batches.len(), 3);
        for (m, r) in batches.iter().zip(ranges) {
            assert_eq!(m.kind, MailKind::Announcement);
            if fault {
                assert_eq!((m.to, m.bcc), (r, Recipients::Nobody));
            } else {
                assert_eq!((m.to, m.bcc), (Recipients::One(NOREPLY), r));
            }
        }
        let applied = x.apply_from(T, &IdentityCommand::Export.into(), admin);
        let [Intent::Mail(export)] = applied.intents else { panic!("one export") };
        assert_eq!((export.to, export.records), (Recipients::One(Email(7)), Records::Everyone));
    }
}

/// Every command the exchange knows, one of each variant, acting for account 1 where it names an
/// account, with what each kind of client may do with it, written out by hand: (command, an
/// anonymous client, a customer's own session, a customer's trade-scoped key, an admin's session).
/// `Pass` means authorization let it through (whatever the command itself then answers).
#[test]
fn every_command_under_every_credential_and_role() {
    use crate::engine::{OrderId, Stp, Tif};
    use crate::exchange::{
        Address, FundsCommand, NewOrder, OrderKind, Payment, QuoteId, TransferId, TxId, WithdrawalId,
    };
    use crate::units::{MarketId, Price, Qty, Side};
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Gate {
        Pass,
        Unauthenticated,
        NotPermitted,
    }
    use Gate::*;
    let me = UserId(1);
    let order = NewOrder {
        user: me,
        market: MarketId(0),
        side: Side::Buy,
        qty: Qty(1),
        kind: OrderKind::Limit { price: Price(1), tif: Tif::Gtc },
        stp: Stp::CancelNewest,
    };
    let table: Vec<(Command, [Gate; 4])> = vec![
        (IdentityCommand::OpenAccount.into(), [NotPermitted; 4]),
        (IdentityCommand::Register { email: Email(9), password: Password(9), device: None }.into(), [NotPermitted; 4]),
        (IdentityCommand::GrantRole { user: me, role: Role::Admin }.into(), [NotPermitted; 4]),
        (IdentityCommand::Login { email: Email(1), password: Password(101) }.into(), [Pass; 4]),
        (
            IdentityCommand::CreateApiKey { scopes: Scopes::TRADE, allow_ip: Some(HOME) }.into(),
            [Unauthenticated, Pass, NotPermitted, Pass],
        ),
        (IdentityCommand::RequestReset { email: Email(1) }.into(), [Pass; 4]),
        (IdentityCommand::CompleteReset { token: ResetToken(99), password: Password(5) }.into(), [Pass; 4]),
        (IdentityCommand::Export.into(), [Unauthenticated, NotPermitted, NotPermitted, Pass]),
        (
            IdentityCommand::Announce { batch: 5, batches: IdentityCommand::ALL_BATCHES }.into(),
            [Unauthenticated, NotPermitted, NotPermitted, Pass],
        ),
        (Command::deposit(me, BTC, 1), [NotPermitted; 4]),
        (Command::withdraw(me, BTC, 1), [Unauthenticated, Pass, NotPermitted, NotPermitted]),
        (Command::transfer(me, UserId(2), BTC, 1), [Unauthenticated, Pass, NotPermitted, NotPermitted]),
        (
            FundsCommand::WhitelistAddress { user: me, address: Address::outside(1) }.into(),
            [Unauthenticated, Pass, NotPermitted, NotPermitted],
        ),
        (
            FundsCommand::DepositSeen {
                user: me,
                asset: BTC,
                amount: 1,
                payment: Payment(Payment::INBOUND),
                confirmations: 1,
            }
            .into(),
            [NotPermitted; 4],
        ),
        (FundsCommand::ProcessWithdrawal { id: WithdrawalId(1) }.into(), [NotPermitted; 4]),
        (FundsCommand::ReviewWithdrawal { id: WithdrawalId(1), approve: true }.into(), [NotPermitted; 4]),
        (FundsCommand::PaymentConfirmed { asset: BTC, txid: TxId(1), payment: Payment(1) }.into(), [NotPermitted; 4]),
        (
            FundsCommand::ClaimNotReceived { user: me, id: WithdrawalId(1) }.into(),
            [Unauthenticated, Pass, NotPermitted, NotPermitted],
        ),
        (FundsCommand::ProcessTransfer { id: TransferId(1) }.into(), [NotPermitted; 4]),
        // An admin may ask (`edit_balances`), and the correct exchange then refuses the edit
        // itself (`custody/admin.rs`): the same code, one step later.
        (
            FundsCommand::AdminAdjust { user: me, asset: BTC, delta: 1 }.into(),
            [Unauthenticated, NotPermitted, NotPermitted, NotPermitted],
        ),
        (FundsCommand::GrantPrivilege { user: me }.into(), [NotPermitted; 4]),
        (FundsCommand::RaiseAlert.into(), [NotPermitted; 4]),
        (Command::place(order), [Unauthenticated, Pass, Pass, NotPermitted]),
        (
            Command::place(NewOrder { user: UserId::HOUSE, ..order }),
            [Unauthenticated, NotPermitted, NotPermitted, Pass],
        ),
        (Command::cancel(me, OrderId(1)), [Unauthenticated, Pass, Pass, NotPermitted]),
        (Command::replace(me, OrderId(1), Price(2), Qty(1)), [Unauthenticated, Pass, Pass, NotPermitted]),
        (Command::mass_cancel(me, None), [Unauthenticated, Pass, Pass, NotPermitted]),
        (Command::request_quote(me, MarketId(0), Side::Buy, Qty(1)), [Unauthenticated, Pass, Pass, NotPermitted]),
        (Command::accept_quote(me, QuoteId(1)), [Unauthenticated, Pass, Pass, NotPermitted]),
    ];
    let policy = IdentityPolicy { login_2fa: false, withdrawal_2fa: false, ..IdentityPolicy::default() };
    let mut x = exchange(policy, FaultSet::NONE);
    register(&mut x, 1, false);
    register(&mut x, 2, false);
    x.apply(0, &IdentityCommand::GrantRole { user: UserId(2), role: Role::Admin }.into()).result.unwrap();
    let customer = Credential::Session(login(&mut x, 1, HOME, None).unwrap());
    let admin = Credential::Session(login(&mut x, 2, HOME, None).unwrap());
    let key = apply(
        &mut x,
        client(customer, HOME, None),
        IdentityCommand::CreateApiKey { scopes: Scopes::TRADE, allow_ip: Some(HOME) }.into(),
    );
    let Ok(Ack::ApiKey(key)) = key else { panic!("a trade key: {key:?}") };
    let credentials = [Credential::Anonymous, customer, Credential::ApiKey(key), admin];
    for (command, gates) in &table {
        for (credential, want) in credentials.into_iter().zip(gates) {
            // Judge authorization alone, on a copy: the command's own effects do not matter here.
            let got = match x.clone().apply_from(T, command, client(credential, HOME, None)).result {
                Err(Reject::Unauthenticated) => Unauthenticated,
                Err(Reject::NotPermitted) => NotPermitted,
                _ => Pass,
            };
            assert_eq!(got, *want, "{command:?} by {credential:?}");
        }
    }
    // The table names every variant: a new command must be added here (and compiles into
    // `access::need` only once classified).
    assert_eq!(table.len(), 9 + 13 + 7);
}
