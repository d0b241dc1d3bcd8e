//! The simulator (SPEC §3): a seeded discrete-event kernel around the pure exchange.
//!
//! - [`queue`]: the event queue ordered by (time in ns, sequence);
//! - [`network`]: latency, loss, duplication and reordering as pure verdicts;
//! - [`breach`]: breach metrics from ground truth (stolen, shortfall, detection);
//! - [`gateway`]: the exchange node — idempotency, durable journal, group commit, crash, recovery;
//! - [`record`]: the canonical event stream, its digest and its JSON Lines trace;
//! - [`run`](mod@run): the kernel loop of one run;
//! - [`series`]: a run's time series in a bounded number of buckets, for the HTML report;
//! - [`report`]: a run's summary, expectations, and its table and JSON renderings;
//! - [`sweep`](mod@sweep): many seeds in parallel.
//!
//! **Architecture invariant:** nothing here reads a clock or draws unseeded randomness, and no
//! unordered collection is iterated; a run is a pure function of (scenario, seed, exsim version).

pub mod breach;
pub mod gateway;
pub mod network;
pub mod people;
pub mod queue;
pub mod record;
pub mod replay;
pub mod report;
pub mod run;
pub mod series;
pub mod services;
pub mod swarm;
pub mod sweep;
pub mod tape;

pub use run::{run, RunResult};
