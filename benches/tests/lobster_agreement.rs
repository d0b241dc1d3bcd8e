//! "Agrees with independent engines": every bench flow, several seeds, exsim's bare `Book` and
//! lobster 0.7 produce exactly the same fills — price, quantity, maker, taker — in the same order.
//!
//! The flows keep to what both engines mean identically (GTC limits, markets by quantity, cancels;
//! ids never reused; see `exsim::workload`). A disagreement is a finding: check it against SPEC
//! §2.2 (price-time priority, fill at the maker's price, never beyond the taker's limit).

use exsim::bookfile::Message;
use exsim::workload::FLOWS;
use exsim_benches::{exsim_fills, exsim_outcome, lobster_fills, lobster_orders, lobster_outcome, Fill};

/// Long enough for books to build up, levels to empty and refill, and the mids to wander.
const N: usize = 20_000;
const SEEDS: std::ops::RangeInclusive<u64> = 1..=4;

fn assert_same_fills(name: &str, seed: u64, flow: &[Message]) {
    let ours = exsim_fills(flow);
    let theirs = lobster_fills(&lobster_orders(flow));
    if ours != theirs {
        let first = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
        let show = |fills: &[Fill]| -> String {
            fills[first.saturating_sub(2)..(first + 3).min(fills.len())]
                .iter()
                .map(|f| format!("\n    {f:?}"))
                .collect()
        };
        panic!(
            "{name} seed {seed}: exsim {} fills, lobster {}; first difference at fill {first}\n  exsim:{}\n  lobster:{}",
            ours.len(),
            theirs.len(),
            show(&ours),
            show(&theirs)
        );
    }
    assert!(!ours.is_empty(), "{name} seed {seed}: a flow that never trades checks nothing");
}

#[test]
fn every_flow_fills_exactly_as_lobster_does() {
    for (name, flow) in FLOWS {
        for seed in SEEDS {
            assert_same_fills(name, seed, &flow(seed, N));
        }
    }
}

/// The outcome (count and digest) the benches assert before timing is the same summary for both.
#[test]
fn outcomes_agree_and_are_deterministic() {
    for (name, flow) in FLOWS {
        let messages = flow(11, N);
        let ours = exsim_outcome(&messages);
        assert_eq!(ours, lobster_outcome(&lobster_orders(&messages)), "{name}");
        assert_eq!(ours, exsim_outcome(&flow(11, N)), "{name}: run twice");
        assert_eq!(ours.fills, exsim_fills(&messages).len() as u64, "{name}");
    }
}

/// Tiny flows start from an empty book, where cancels, markets and crossing limits meet empty
/// sides and fresh levels: many seeds of those too.
#[test]
fn short_flows_agree_for_many_seeds() {
    for (name, flow) in FLOWS {
        for seed in 100..300 {
            let messages = flow(seed, 300);
            assert_eq!(exsim_fills(&messages), lobster_fills(&lobster_orders(&messages)), "{name} seed {seed}");
        }
    }
}
