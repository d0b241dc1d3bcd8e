//! Authorization as data (SPEC §2.6): what each command needs ([`Need`]), what each role may do
//! ([`Role::permits`]), and the one decision [`authorize`] — given who the exchange found behind a
//! request (a [`Principal`], or none), their role and the policy in force — with no other input.
//!
//! Everything is an exhaustive `match` over closed enums: adding a command, a role, a permission
//! or a credential kind does not compile until its row is written, so no command can slip through
//! unclassified. The table tests below run every credential × permission × role × policy.
//!
//! Invariants:
//! - a client's command runs only if its principal holds the permission it needs, through a
//!   credential that may carry it (an API key carries only its scopes, never account management
//!   nor an operator's power), for the user it names (their own, or the house for `trade_house`);
//! - system inputs are never authorized for a client, whatever its role (`Need::System`);
//! - the exchange never knows who is an attacker: nothing here reads ground truth.

use super::credential::{Principal, Via};
use crate::exchange::command::{Command, FundsCommand, IdentityCommand, TradingCommand};
use crate::exchange::Reject;
use crate::ledger::UserId;

/// A role (SPEC §2.6), each with explicit permissions ([`Role::permits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A customer: trades, withdraws and manages its own account.
    Customer,
    /// Support staff: a customer of its own account that also exports customer data.
    Support,
    /// An administrator: also trades for the house, sends announcements, edits balances (a path
    /// the correct exchange refuses anyway: see `custody/admin.rs`).
    Admin,
}

impl Role {
    /// Every role, in order.
    pub const ALL: [Role; 3] = [Role::Customer, Role::Support, Role::Admin];

    /// Its name in scenario files.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Support => "support",
            Role::Admin => "admin",
        }
    }

    /// Whether the role holds `permission`.
    pub const fn permits(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Customer => matches!(permission, Trade | Withdraw | Manage),
            Role::Support => matches!(permission, Trade | Withdraw | Manage | Export),
            Role::Admin => {
                matches!(permission, Trade | Withdraw | Manage | TradeHouse | Export | Announce | EditBalances)
            }
        }
    }
}

/// What acting needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// Place, cancel, replace orders; request and accept quotes, for one's own account.
    Trade,
    /// Move funds out of one's own account: withdraw, transfer, claim a withdrawal not received.
    Withdraw,
    /// Manage one's own account's security: whitelist an address, create an API key.
    Manage,
    /// Trade for the house account.
    TradeHouse,
    /// Export customer records.
    Export,
    /// Send an announcement to every customer.
    Announce,
    /// Edit a balance directly.
    EditBalances,
}

impl Permission {
    /// Every permission, in order.
    pub const ALL: [Permission; 7] = [
        Permission::Trade,
        Permission::Withdraw,
        Permission::Manage,
        Permission::TradeHouse,
        Permission::Export,
        Permission::Announce,
        Permission::EditBalances,
    ];

    /// Whether a principal authenticated `via` may use it at all: an API key carries only its
    /// scopes (trade, withdraw), a session carries anything its role permits.
    pub const fn carried_by(self, via: Via) -> bool {
        match via {
            Via::Session => true,
            Via::ApiKey(scopes) => match self {
                Permission::Trade => scopes.trade,
                Permission::Withdraw => scopes.withdraw,
                Permission::Manage
                | Permission::TradeHouse
                | Permission::Export
                | Permission::Announce
                | Permission::EditBalances => false,
            },
        }
    }
}

/// What a command needs before it may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing: signing in and password resets (the command itself carries the secret).
    Anyone,
    /// A principal holding `permission`, acting for `user` (`None`: for no account in particular).
    Act { permission: Permission, user: Option<UserId> },
    /// Only the exchange's own systems (set-up, workers, chain watchers, operators' tools).
    System,
}

/// What `command` needs. Exhaustive: a new command does not compile until it is classified.
pub fn need(command: &Command) -> Need {
    use Permission::*;
    let act = |permission: Permission, user: UserId| {
        let permission = if permission == Trade && user == UserId::HOUSE { TradeHouse } else { permission };
        Need::Act { permission, user: Some(user) }
    };
    match *command {
        Command::Identity(c) => match c {
            IdentityCommand::OpenAccount | IdentityCommand::Register { .. } | IdentityCommand::GrantRole { .. } => {
                Need::System
            }
            IdentityCommand::Login { .. }
            | IdentityCommand::RequestReset { .. }
            | IdentityCommand::CompleteReset { .. } => Need::Anyone,
            IdentityCommand::CreateApiKey { .. } => Need::Act { permission: Manage, user: None },
            IdentityCommand::Export => Need::Act { permission: Export, user: None },
            IdentityCommand::Announce { .. } => Need::Act { permission: Announce, user: None },
        },
        Command::Funds(c) => match c {
            FundsCommand::Deposit { .. }
            | FundsCommand::DepositSeen { .. }
            | FundsCommand::ProcessWithdrawal { .. }
            | FundsCommand::ReviewWithdrawal { .. }
            | FundsCommand::PaymentConfirmed { .. }
            | FundsCommand::ProcessTransfer { .. }
            | FundsCommand::GrantPrivilege { .. }
            | FundsCommand::RaiseAlert => Need::System,
            FundsCommand::Withdraw { user, .. } | FundsCommand::ClaimNotReceived { user, .. } => act(Withdraw, user),
            FundsCommand::Transfer { from, .. } => act(Withdraw, from),
            FundsCommand::WhitelistAddress { user, .. } => act(Manage, user),
            FundsCommand::AdminAdjust { .. } => Need::Act { permission: EditBalances, user: None },
        },
        Command::Trading(c) => match c {
            TradingCommand::Place(order) => act(Trade, order.user),
            TradingCommand::Cancel { user, .. }
            | TradingCommand::Replace { user, .. }
            | TradingCommand::MassCancel { user, .. }
            | TradingCommand::RequestQuote { user, .. }
            | TradingCommand::AcceptQuote { user, .. } => act(Trade, user),
        },
    }
}

/// The one authorization decision: may `principal` (none for an anonymous request), whose role is
/// `role`, do what `need` asks? Authentication (is the credential valid, from this IP, with the
/// second factor the policy asks: `authenticate.rs`) happened before; this is the table, and no
/// policy changes it (the policies decide what a credential may be created with and what
/// authenticating takes).
pub fn authorize(need: Need, principal: Option<Principal>, role: Role) -> Result<(), Reject> {
    match need {
        Need::Anyone => Ok(()),
        Need::System => Err(Reject::NotPermitted),
        Need::Act { permission, user } => {
            let Some(principal) = principal else {
                return Err(Reject::Unauthenticated);
            };
            if !role.permits(permission) || !permission.carried_by(principal.via) {
                return Err(Reject::NotPermitted);
            }
            match (permission, user) {
                // Acting for the house: the permission is the whole check.
                (Permission::TradeHouse, _) => Ok(()),
                // Everything else acts for the principal's own account only.
                (_, Some(user)) if user != principal.user => Err(Reject::NotPermitted),
                _ => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::identity::credential::Scopes;

    fn vias() -> Vec<Via> {
        let mut v = vec![Via::Session];
        for trade in [false, true] {
            for withdraw in [false, true] {
                v.push(Via::ApiKey(Scopes { trade, withdraw }));
            }
        }
        v
    }

    /// The whole table: every permission × role × credential × (own account, someone else's,
    /// none), against the rule written out once more in words.
    #[test]
    fn every_credential_permission_and_role() {
        let me = UserId(5);
        let other = UserId(6);
        let mut cases = 0;
        {
            for permission in Permission::ALL {
                for role in Role::ALL {
                    for via in vias() {
                        for user in [Some(me), Some(other), None] {
                            let need = Need::Act { permission, user };
                            let got = authorize(need, Some(Principal { user: me, via }), role);
                            let role_ok = match role {
                                Role::Customer => {
                                    [Permission::Trade, Permission::Withdraw, Permission::Manage].contains(&permission)
                                }
                                Role::Support => {
                                    [Permission::Trade, Permission::Withdraw, Permission::Manage, Permission::Export]
                                        .contains(&permission)
                                }
                                Role::Admin => true,
                            };
                            let via_ok = match via {
                                Via::Session => true,
                                Via::ApiKey(s) => {
                                    (permission == Permission::Trade && s.trade)
                                        || (permission == Permission::Withdraw && s.withdraw)
                                }
                            };
                            let owner_ok = permission == Permission::TradeHouse || user != Some(other);
                            let want = if role_ok && via_ok && owner_ok { Ok(()) } else { Err(Reject::NotPermitted) };
                            assert_eq!(got, want, "{permission:?} {role:?} {via:?} {user:?}");
                            // Nobody is authorized without a principal, nor for a system input.
                            assert_eq!(authorize(need, None, role), Err(Reject::Unauthenticated));
                            let p = Some(Principal { user: me, via });
                            assert_eq!(authorize(Need::System, p, role), Err(Reject::NotPermitted));
                            assert_eq!(authorize(Need::Anyone, None, role), Ok(()));
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 7 * 3 * 5 * 3);
    }

    #[test]
    fn trading_for_the_house_needs_the_house_permission() {
        use crate::engine::OrderId;
        let cancel = Command::cancel(UserId::HOUSE, OrderId(1));
        assert_eq!(need(&cancel), Need::Act { permission: Permission::TradeHouse, user: Some(UserId::HOUSE) });
        let mine = Command::cancel(UserId(3), OrderId(1));
        assert_eq!(need(&mine), Need::Act { permission: Permission::Trade, user: Some(UserId(3)) });
    }

    #[test]
    fn every_system_input_needs_the_system() {
        use crate::units::AssetId;
        for c in [
            Command::deposit(UserId(1), AssetId(0), 5),
            Command::open_account(),
            Command::Funds(FundsCommand::GrantPrivilege { user: UserId(1) }),
        ] {
            assert!(c.is_system());
            assert_eq!(need(&c), Need::System, "{c:?}");
        }
    }
}
