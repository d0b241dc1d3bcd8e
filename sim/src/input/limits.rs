//! The bounds a scenario must stay within, so the simulator can do its arithmetic in
//! `u64`/`i128` without ever overflowing on a value the parser accepted. Amounts are bounded by
//! [`AMOUNT_MAX`] (10^28 minor units of any asset), prices by each market's highest price
//! ([`crate::units::Market::max_price`]), both checked where the scenario is loaded.
//!
//! Invariant: every number in a [`super::Scenario`] is within these bounds; the parser rejects
//! anything beyond them with a located error naming the bound. The input bounds at the end
//! (file size, nesting depth, override path length) are checked before the text is parsed, so
//! no input can exhaust memory or the stack on its way to those checks.

use crate::units::{Minor, AMOUNT_MAX};

/// Longest run, and longest of any duration or time in a scenario: 30 days.
pub const MAX_DURATION_NS: u64 = 30 * 24 * 3600 * 1_000_000_000;

/// Most agents in one group.
pub const MAX_GROUP_COUNT: u32 = 10_000;

/// Most agents in one run, all groups together.
pub const MAX_AGENTS: u32 = 100_000;

/// Most agent groups in one scenario.
pub const MAX_GROUPS: usize = 1_000;

/// Most assets in one scenario.
pub const MAX_ASSETS: usize = 256;

/// Most markets in one scenario.
pub const MAX_MARKETS: usize = 256;

/// Most variants in one file.
pub const MAX_VARIANTS: usize = 100;

/// Most scheduled crashes (`exchange.crash_at`).
pub const MAX_CRASHES: usize = 10_000;

/// Largest initial price, in ticks.
pub const MAX_PRICE_TICKS: u64 = 1_000_000_000_000;

/// Largest distance in ticks (spreads, bands, thresholds, volatility, a maker's whole ladder).
pub const MAX_OFFSET_TICKS: u64 = 1_000_000_000;

/// Largest size in lots (order sizes, inventory limits, skew).
pub const MAX_LOTS: u64 = 1_000_000_000;

/// Most levels a side for a market maker.
pub const MAX_LEVELS: u32 = 100;

/// Longest momentum lookback, in looks.
pub const MAX_LOOKBACK: u32 = 10_000;

/// Most re-sends of one request.
pub const MAX_RETRIES: u32 = 100;

/// Largest single deposit or withdrawal of a depositor, in minor units: [`AMOUNT_MAX`] / 1024
/// (about 9.8 × 10^24: 9.8 million ETH in wei, or 9.8 × 10^22 USD in cents).
pub const MAX_ACTION_AMOUNT: Minor = AMOUNT_MAX / 1024;

/// Largest total funding of one asset over all agents (count × amount, summed), and separately of
/// the house's funding of it, in minor units: a quarter of [`AMOUNT_MAX`] (2.5 × 10^27: 2.5
/// billion ETH in wei), so both together leave half of it for deposits during the run. The exchange refuses (`overflow`) a deposit that would take an
/// asset's total past [`AMOUNT_MAX`].
pub const MAX_TOTAL_FUNDING: Minor = AMOUNT_MAX / 4;

/// Longest name (scenario, variant, market, agent group), in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// Largest scenario file, in bytes: 16 MiB. A file is read with at most one byte more than this
/// (so `/dev/zero` or an endless pipe is refused after 16 MiB, not read until memory runs out).
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Deepest a value may be nested: the names and array indices on its path, counted together
/// (a table header's names, each name of a dotted key, one level per array). The deepest field of
/// the format is 7 levels down (`variants[0].set.agents.NAME.funding.SYMBOL`); the bound keeps
/// every tree walk, the `toml` crate's included, far from the end of the stack.
pub const MAX_DEPTH: usize = 32;

/// Longest field path of an override (`--set FIELD=VALUE`, a key of a variant's `set`), in
/// bytes; it has at most [`MAX_DEPTH`] names. The longest valid path is under 100 bytes.
pub const MAX_PATH_BYTES: usize = 256;

/// Most entries in `sources`: each run carries the list.
pub const MAX_SOURCES: usize = 100;

/// Most tokens in a scenario file (keys, values, punctuation, runs of spaces, comments and line
/// breaks count one each). The `toml` crate holds every token and parser event in memory before
/// building its tree; this bounds that memory at some 100 MB whatever the file. A real scenario
/// has a few thousand; a long description is one.
pub const MAX_TOKENS: usize = 1_000_000;

/// Most scenarios one `exsim run` takes: each is loaded and checked before the first runs, so
/// this (with [`MAX_FILE_BYTES`]) bounds what is held at once.
pub const MAX_SCENARIOS_PER_RUN: usize = 64;

/// Most confirmations a deposit may be made to wait for.
pub const MAX_CONFIRMATIONS: u32 = 10_000;

/// Shortest block interval of a chain, and shortest interval of the reserves monitor: 1 ms.
pub const MIN_BLOCK_INTERVAL_NS: u64 = 1_000_000;

/// Most blocks one chain may make in a run (duration plus healing, over its block interval), and
/// most reserves checks: each costs the kernel an event, so this bounds a run's work. The default
/// block interval (1 s) stays within it for the longest run and the longest healing phase
/// together (60 days: 5.2 million blocks).
pub const MAX_BLOCKS: u64 = 10_000_000;

/// Most requests an agent sends at one instant (a withdrawal racer's burst).
pub const MAX_BURST: u32 = 1_000;

/// Most thefts one hot-wallet thief makes (a slow drain).
pub const MAX_THEFTS: u32 = 10_000;
