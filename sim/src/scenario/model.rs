//! The validated scenario: what the simulator runs, in integer units only.
//!
//! A [`Scenario`] can only be built by the parser ([`super::parse`]), which checks every
//! reference (markets name assets that exist, agents name markets that exist), every unit (prices
//! are whole ticks, sizes whole lots, amounts whole minor units) and every range, so the simulator
//! never re-validates and never meets a decimal. Durations are nanoseconds, probabilities parts
//! per million, prices ticks, sizes lots, amounts minor units.

use std::sync::Arc;

pub use crate::agents::Behaviour;
use crate::audit::Invariant;
use crate::exchange::{CustodyPolicy, IdentityPolicy, Role, Scopes, TradingPolicy};
use crate::fault::FaultSet;
use crate::units::{Asset, AssetId, MarketSpec, Minor, Price};

/// Probability in parts per million (0..=1_000_000).
pub type Ppm = u32;

/// One run: the base of a scenario file or one of its variants, fully resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The scenario's name (`name` in the file).
    pub name: String,
    /// `base`, or the variant's name.
    pub variant: String,
    /// One paragraph: what it models (shared by the runs of a file, not copied).
    pub description: Arc<str>,
    /// Where the facts come from (URLs, INCIDENTS.md sections); at most [`super::limits::MAX_SOURCES`].
    pub sources: Vec<Arc<str>>,
    /// The seed used when the command line gives none.
    pub seed: u64,
    /// Simulated time the run lasts.
    pub duration_ns: u64,
    /// Assets, indexed by [`AssetId`].
    pub assets: Vec<Asset>,
    /// Markets, indexed by [`MarketId`](crate::units::MarketId).
    pub markets: Vec<MarketSetup>,
    /// The exchange's own settings.
    pub exchange: ExchangeSettings,
    /// The network between clients and the exchange.
    pub network: NetworkSettings,
    /// Custody: the policy the exchange enforces, each asset's chain, and the simulator's timings
    /// (workers, operators, the reserves monitor, the healing phase).
    pub custody: CustodySettings,
    /// Identity: the policy the exchange enforces and the population's habits.
    pub identity: IdentitySettings,
    /// Faults switched on (SPEC §5).
    pub faults: FaultSet,
    /// Agent groups, in file order.
    pub agents: Vec<AgentGroup>,
    /// What must happen.
    pub expect: Expectations,
}

/// A market and the fair-value process agents quote around.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketSetup {
    /// The name used in the file, e.g. `BTC-USD`.
    pub name: String,
    /// Assets, tick, lot, fees.
    pub spec: MarketSpec,
    /// Fair value at time zero, in ticks.
    pub initial_price: Price,
    /// The market's highest price ([`crate::units::Market::max_price`]): the fair value and every
    /// agent's prices stay at or below it.
    pub max_price: Price,
    /// Largest fair-value move per step, in ticks (each step moves uniformly in ±this).
    pub volatility_ticks: u64,
    /// Time between fair-value steps.
    pub step_ns: u64,
}

/// The exchange's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeSettings {
    /// How long an RFQ quote stays acceptable.
    pub quote_ttl_ns: u64,
    /// The house's spread over the book when quoting, in basis points.
    pub quote_spread_bps: u32,
    /// Group commit: the journal is made durable every this often; acknowledgements wait for it.
    pub flush_interval_ns: u64,
    /// Crashes at these times.
    pub crash_at_ns: Vec<u64>,
    /// Random crashes with this mean interval (exponential); 0 means none.
    pub crash_mean_interval_ns: u64,
    /// Time from a crash until the exchange serves again.
    pub recovery_ns: u64,
    /// Deposited into the house account (user 0) at time zero: the inventory it honors RFQ
    /// quotes from.
    pub house_funding: Vec<(AssetId, Minor)>,
}

/// Custody as a scenario sets it (SPEC §2.5, §6): `[assets.SYMBOL]` custody fields, `[policy]`
/// and `[custody]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodySettings {
    /// What the exchange enforces, ready for `ExchangeConfig::custody`: one entry per asset, by
    /// [`AssetId`].
    pub policy: CustodyPolicy,
    /// What the exchange enforces on trading, ready for `ExchangeConfig::trading`: the `[policy]`
    /// table's circuit breaker and freeze on alert.
    pub trading: TradingPolicy,
    /// Each asset's simulated chain, by [`AssetId`].
    pub chains: Vec<ChainSettings>,
    /// Time from a withdrawal request to the worker's `ProcessWithdrawal` (and from a transfer
    /// request to its `ProcessTransfer`).
    pub withdrawal_delay_ns: u64,
    /// Time an operator takes to review a withdrawal held for manual review.
    pub review_delay_ns: u64,
    /// What the operator decides at review: approve (send it) or refuse (refund it).
    pub review_approves: bool,
    /// Time a cold-to-hot sweep takes once the hot wallet is below its target share.
    pub sweep_delay_ns: u64,
    /// How often the monitor compares on-chain reserves with what customers are owed; 0: never.
    pub reserves_check_ns: u64,
    /// Time from a failed reserves check to the alarm.
    pub alarm_delay_ns: u64,
    /// The healing phase after `duration`: faults and attackers stop, and the run goes on until
    /// every withdrawal settles or this long has passed; 0: no healing phase.
    pub healing_ns: u64,
}

/// One asset's simulated chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainSettings {
    /// Time between blocks.
    pub block_interval_ns: u64,
}

/// The client–exchange network: each message independently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Smallest one-way latency.
    pub latency_min_ns: u64,
    /// Mean of the exponential extra latency on top of the minimum.
    pub latency_jitter_mean_ns: u64,
    /// Chance a message is lost.
    pub loss_ppm: Ppm,
    /// Chance a message is delivered twice.
    pub duplicate_ppm: Ppm,
    /// Chance a message is held back by `reorder_delay_ns`, so later ones overtake it.
    pub reorder_ppm: Ppm,
    /// How long a reordered message is held back.
    pub reorder_delay_ns: u64,
    /// A client re-sends a request (same idempotency key) when no answer came within this.
    pub retry_timeout_ns: u64,
    /// A client gives up on a request after this many re-sends.
    pub max_retries: u32,
}

/// A group of identical agents.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentGroup {
    /// The group's key in the file (`[agents.NAME]`).
    pub name: String,
    /// How many agents.
    pub count: u32,
    /// When they start acting.
    pub start_ns: u64,
    /// When they stop acting (`u64::MAX`: until the end).
    pub stop_ns: u64,
    /// Deposited into each agent's account at time zero.
    pub funding: Vec<(AssetId, Minor)>,
    /// The behaviour and its parameters (each kind's `Params`, in its file under `sim/agents/`).
    pub behaviour: Behaviour,
    /// The exchange marks these accounts privileged at set-up (`GrantPrivilege`): an affiliated
    /// market maker (FTX). The correct exchange exempts them from nothing.
    pub privileged: bool,
    /// The role its accounts are given at set-up (`role`; customers by default).
    pub role: Role,
    /// The API key each account creates at set-up (`api_key`), whose scopes these are; its
    /// agent's requests then present the key instead of the session. `None`: no key.
    pub api_key: Option<Scopes>,
    /// Ground truth: the group's kind is an attacker's (its catalogue entry says), for breach
    /// metrics. The exchange never sees it.
    pub attacker: bool,
}

/// What a run must show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Invariants that must be violated; every other invariant must hold (or not be exercised).
    pub violated: Vec<Invariant>,
    /// Breach bounds (SPEC §9 `breach`), per asset in minor units: the value stolen and the
    /// end-of-run shortfall must be at least / at most these.
    pub stolen_at_least: Vec<(AssetId, Minor)>,
    pub stolen_at_most: Vec<(AssetId, Minor)>,
    pub shortfall_at_least: Vec<(AssetId, Minor)>,
    pub shortfall_at_most: Vec<(AssetId, Minor)>,
    /// The exchange's monitor must detect the breach within this long of the first attack.
    pub detected_within_ns: Option<u64>,
    /// Accounts taken over: bounds, if any.
    pub taken_over_at_least: Option<u64>,
    pub taken_over_at_most: Option<u64>,
    /// Personal records exposed: bounds, if any.
    pub exposed_at_least: Option<u64>,
    pub exposed_at_most: Option<u64>,
}

/// Identity as a scenario sets it (`[policy]`'s identity fields and `[identity]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentitySettings {
    /// The identity policy the exchange enforces.
    pub policy: IdentityPolicy,
    /// Share of customers who enabled a second factor (everyone is enrolled when the policy's
    /// `login_2fa` is on).
    pub twofa_ppm: Ppm,
    /// Share of customers whose exchange password is on a list leaked from another site.
    pub password_reuse_ppm: Ppm,
    /// Customers registered at set-up besides the agents' accounts (they never act; they receive
    /// mail and can be attacked).
    pub population: u32,
    /// The first operator's password is on a list leaked from another site and is the one of
    /// their company mailbox too (Coinigy: a developer's source-hosting password).
    pub operator_password_reused: bool,
    /// Source hosting refuses connections from outside the company's IPs.
    pub source_ip_restriction: bool,
    /// The server-side API keys can be read with what the source holds.
    pub keys_in_source: bool,
    /// After this many password resets at outside services reach the operator's inbox, the
    /// back office raises the alert (`RaiseAlert`); 0: nobody reacts to them.
    pub reset_alert: u32,
}

impl Default for IdentitySettings {
    /// What a file without identity fields gets: the safe policy, nobody reusing a password.
    fn default() -> IdentitySettings {
        super::identity::default_identity()
    }
}
