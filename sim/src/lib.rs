//! exsim: a deterministic exchange simulator and fuzzing harness.
//!
//! The crate is layered; each layer only calls the ones above it in this list:
//! - [`catalog`]: the SPEC §4 invariants and §5 faults as ids (a leaf: it uses nothing in the crate);
//! - [`units`]: integer prices, quantities and amounts, and the exact decimal edge;
//! - [`fault`]: fault names as users type them, parsed into the catalogue (typos via [`suggest`]);
//! - [`engine`]: the matching engine contract and the reference [`engine::Book`];
//! - [`ledger`]: the double-entry journal, the only way to change a balance;
//! - [`exchange`]: the pure state machine `apply(now, command) -> outcome` over all of the above;
//! - [`chain`]: the simulated chains of the world (wallets, mempool, blocks, malleability);
//! - [`audit`]: independent checks of every invariant, from a shadow model;
//! - [`rng`]: named `rand_chacha` streams derived from the seed;
//! - [`input`]: located values, bounds and errors that scenario files are parsed with;
//! - [`agents`]: behaviour models that see only what a client sees (a `View`) and emit commands;
//! - [`scenario`]: scenario files into validated runs;
//! - [`sim`]: the seeded discrete-event kernel, gateway, network, records, reports and sweeps;
//! - [`report`]: self-contained HTML reports (inline SVG charts) of runs and sweeps;
//! - [`cli`]: the `exsim` commands;
//! - [`shown`]: user text escaped and cut before it reaches a message;
//! - [`bookfile`]: the `exsim book` order-flow format (SPEC §8.1);
//! - [`diff`]: `exsim diff`, an outside engine process against the reference over swarm flows;
//! - [`testkit`]: the simple reference model and structured flows shared by tests, fuzz and benches;
//! - [`workload`]: seeded order flows for benches.
//!
//! See ARCHITECTURE.md for the bird's-eye view.

#![forbid(unsafe_code)]

pub mod agents;
pub mod audit;
pub mod bookfile;
pub mod catalog;
pub mod chain;
pub mod cli;
pub mod ddmin;
pub mod diff;
pub mod engine;
pub mod exchange;
pub mod fault;
pub mod input;
pub mod ledger;
pub mod lookup;
pub mod regress;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod script;
pub mod shown;
pub mod sim;
pub mod suggest;
pub mod testkit;
pub mod units;
pub mod workload;
