//! What an agent asks for when it acts: a command to the exchange, or an action on an asset's
//! simulated chain, which only the world (the kernel's chains) can carry out.
//!
//! An agent never touches a chain either: it pushes an [`Action`], and the kernel sends an
//! [`Action::Command`] to the exchange over the network (under a fresh idempotency key) and hands
//! an [`Action::Chain`] to the chain of its asset. What happens on chain reaches the exchange only
//! through the chain's watchers (`DepositSeen`, `PaymentConfirmed`), never from the agent.
//!
//! A world action names an outside [`Service`] by kind only (what happens there is the world's,
//! `sim/services.rs`).
//!
//! Invariant: a chain action names only what its agent could know or hold — its own deposit
//! address (implied: the agent's user), a withdrawal id an answer gave it, or, for a thief, a
//! stolen key (the hot wallet's, as ground truth) — never another customer's state.

use crate::exchange::{Address, Code, Command, Credential, Email, Password, WithdrawalId};
use crate::units::{AssetId, Minor};

/// One thing an agent asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A request to the exchange, sent over the network with the agent's own access (the session
    /// set-up signed it in with, and its device's code if it has one).
    Command(Command),
    /// A request to the exchange presenting another credential (and code): an attacker using a
    /// session, key or code it obtained. It comes from the agent's own IP.
    As { credential: Credential, code: Option<Code>, command: Command },
    /// An action on a chain, carried out by the world.
    Chain(ChainAction),
    /// An action on the world outside the exchange (mailboxes, phishing, outside services).
    World(WorldAction),
}

/// An action on the world outside the exchange (SPEC §2.6: mailboxes and outside services are
/// entities; the simulator decides what succeeds, from ground truth and the policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorldAction {
    /// Sends a phishing mail to `email`: its owner falls for it with probability `fall_ppm`
    /// (parts per million), typing their password and, when `realtime`, their current code
    /// ([`Intel::phished`](super::Intel)).
    Phish { email: Email, fall_ppm: u32, realtime: bool },
    /// Tries to sign in to the mailbox `email` with `password`: it works if the owner reused that
    /// password for their mail and the mailbox asks no second factor (an operator's does under
    /// `operator_mailbox_2fa`). From then on the attacker reads its mail (reset links, exports).
    TakeMailbox { email: Email, password: Password },
    /// Asks an outside service for a password reset of the operator's account there, the link
    /// going to the operator's mailbox: the attacker controls the account if it reads that
    /// mailbox and the account asks no second factor (`operator_mailbox_2fa`); source hosting
    /// only while its IP restriction is lifted.
    ResetService { service: Service },
    /// Exports the customer data of an outside service whose operator account it controls:
    /// every customer's record is exposed.
    ExportService { service: Service },
    /// Clones the source from source hosting (if it controls the account there): the
    /// server-side API keys, when they are reachable from the source, become known
    /// ([`Intel::stolen_keys`](super::Intel)).
    CloneSource,
    /// Malware on customers' machines: each customer holding an API key is reached with
    /// probability `share_ppm`; their key and their authenticator's codes become the attacker's
    /// ([`Intel::stolen_keys`](super::Intel), [`Intel::devices`](super::Intel)).
    HarvestKeys { share_ppm: u32 },
}

/// An outside service where the operator has an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Card payments (Stripe: email, name, billing address, last card digits).
    Payments,
    /// Invoicing (Bitpay: invoices).
    Invoicing,
    /// The company's social-media account (Twitter): no customer data.
    Social,
    /// The helpdesk (Freshdesk: email, ticket history).
    Helpdesk,
    /// The mailing list (Mailchimp: newsletter addresses).
    MailingList,
    /// Source hosting (a private GitLab): the code, no customer records.
    SourceHosting,
}

impl Service {
    /// Every service, in the order an attacker of the Coinigy cascade went through them.
    pub const ALL: [Service; 6] = [
        Service::Payments,
        Service::Invoicing,
        Service::Social,
        Service::Helpdesk,
        Service::MailingList,
        Service::SourceHosting,
    ];

    /// Whether its account holds every customer's record (so an export exposes them).
    pub const fn holds_customer_data(self) -> bool {
        matches!(self, Service::Payments | Service::Invoicing | Service::Helpdesk | Service::MailingList)
    }
}

impl From<Command> for Action {
    fn from(c: Command) -> Action {
        Action::Command(c)
    }
}

impl From<ChainAction> for Action {
    fn from(c: ChainAction) -> Action {
        Action::Chain(c)
    }
}

/// An action on the chain of an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainAction {
    /// Pays `amount` from the agent's outside wallet to its deposit address at the exchange; the
    /// chain confirms it block by block and its watcher tells the exchange (`DepositSeen`).
    Deposit { asset: AssetId, amount: Minor },
    /// Re-publishes the mempool transaction of `withdrawal` (one of the agent's own, learned from
    /// an [`Ack::Withdrawal`](crate::exchange::Ack::Withdrawal)) under a new transaction id: the
    /// same payment may then confirm under either id. Nothing happens once it has confirmed.
    Malleate { withdrawal: WithdrawalId },
    /// A thief holding the hot wallet's key signs away `share_bps` (of 10,000) of the hot
    /// wallet's balance of `asset` to `to`. With a multisig hot wallet one key cannot sign.
    StealHot { asset: AssetId, share_bps: u32, to: Address },
}

impl Action {
    /// The exchange command, if it is one.
    pub fn command(&self) -> Option<&Command> {
        match self {
            Action::Command(c) | Action::As { command: c, .. } => Some(c),
            Action::Chain(_) | Action::World(_) => None,
        }
    }
}
