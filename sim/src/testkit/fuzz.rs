//! Entry points of the `fuzz/` targets, kept in the library so the committed corpora and
//! regressions replay as ordinary stable tests (`sim/tests/fuzz_corpus.rs`).
//!
//! Guarantee: each entry point returns normally on every input that exercises no bug, and panics
//! with a readable reproducer otherwise. Inputs larger than [`MAX_INPUT_BYTES`] or holding more
//! than [`MAX_OPS`] messages are ignored, so the fuzzer spends its time on small cases.

use std::io::Write;

use arbitrary::{Arbitrary, Unstructured};

use super::flow::{differential, Flow, Id, Lots, Op, Px, Who, MAX_OPS};
use super::model::Model;
use super::script::{run_script, Script};
use crate::bookfile::{self, parse_line, write_events, Message};
use crate::engine::{MatchingEngine, Stp};
use crate::fault::FaultSet;

/// The largest input the entry points look at.
pub const MAX_INPUT_BYTES: usize = 16 * 1024;

/// The `book` target. The first byte picks the mode:
/// - even: the rest is an `exsim book` order-flow file (SPEC §8.1). It runs through
///   [`bookfile::run`] (malformed input is fine, a panic is not), and its output must equal the
///   output the [`Model`] produces for the same messages; the messages also run through
///   [`differential`].
/// - odd: the rest is decoded by `arbitrary` into a [`Flow`] and run through [`differential`].
///
/// Panics with the diverging op, both engines' events and the flow up to it.
pub fn book(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    if mode % 2 == 0 {
        book_text(rest);
    } else {
        let Ok(flow) = Flow::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        check_flow(&flow.0);
    }
}

fn check_flow(ops: &[Op]) {
    match std::panic::catch_unwind(|| differential(ops)) {
        Ok(Ok(())) => {}
        Ok(Err(divergence)) => {
            let flow = Flow(ops[..=divergence.index].to_vec());
            panic!("{divergence}\nflow up to the divergence:\n{flow:?}");
        }
        // Under libFuzzer the panic hook aborts first; in tests, say which flow it was.
        Err(panic) => {
            eprintln!("an engine panicked on this flow:\n{:?}", Flow(ops.to_vec()));
            std::panic::resume_unwind(panic);
        }
    }
}

fn book_text(text: &[u8]) {
    if text.iter().filter(|&&b| b == b'\n').count() >= MAX_OPS {
        return;
    }
    let mut actual = Vec::new();
    let ran = bookfile::run(text, "fuzz", &mut actual, false);

    // The same messages, as far as they parse, through the model, written the same way.
    let mut expected = Vec::new();
    let mut model = Model::new();
    let mut events = Vec::new();
    let mut ops = Vec::new();
    let mut malformed = false;
    // The format's framing, restated: a byte-order mark at the start is skipped; a line that is
    // not blank or a comment may be at most `MAX_LINE_BYTES` long.
    let framed = text.strip_prefix(bookfile::BOM).unwrap_or(text);
    for line in framed.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let start = body.trim_ascii_start();
        let skipped = start.is_empty() || start[0] == b'#';
        if !skipped && body.len() > bookfile::MAX_LINE_BYTES {
            malformed = true;
            break;
        }
        let message = match parse_line(body) {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(_) => {
                malformed = true;
                break;
            }
        };
        let op = to_op(message);
        ops.push(op);
        events.clear();
        match super::flow::apply(&mut model, op, &mut events) {
            Ok(()) => {
                write_events(&events, &mut expected).expect("writing to a Vec");
            }
            Err(reject) => {
                let id = match message {
                    Message::New { id, .. }
                    | Message::Market { id, .. }
                    | Message::Cancel { id }
                    | Message::Replace { id, .. } => id,
                };
                writeln!(expected, "J,{},{}", id.0, reject.code()).expect("writing to a Vec");
            }
        }
    }
    if !malformed {
        let side = |p: Option<crate::units::Price>| p.map_or_else(|| "-".to_owned(), |p| p.0.to_string());
        writeln!(expected, "B,{},{}", side(model.best_bid()), side(model.best_ask())).expect("writing to a Vec");
    }
    assert_eq!(ran.is_err(), malformed, "bookfile::run and parse_line disagree on whether the input is well formed");
    check_flow(&ops);
    if actual != expected {
        panic!(
            "`exsim book` output differs from the model's\ninput:\n{}\nbook:\n{}\nmodel:\n{}",
            String::from_utf8_lossy(text),
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected)
        );
    }
}

/// The op for one line of the order-flow format: anonymous owner, default self-trade mode.
fn to_op(message: Message) -> Op {
    let (owner, stp) = (Who::ANON, Stp::default());
    match message {
        Message::New { id, side, price, qty, tif } => {
            Op::Limit { id: Id(id), owner, side, price: Px(price), qty: Lots(qty), tif, stp }
        }
        Message::Market { id, side, qty } => Op::Market { id: Id(id), owner, side, qty: Lots(qty), budget: None, stp },
        Message::Cancel { id } => Op::Cancel { id: Id(id) },
        Message::Replace { id, price, qty } => Op::Replace { id: Id(id), price: Px(price), qty: Lots(qty) },
    }
}

/// The `exchange` target: the bytes are decoded by `arbitrary` into a [`Script`] (cut to
/// [`MAX_STEPS`](super::script::MAX_STEPS) steps) and run through the whole exchange with no
/// fault on, the auditor checking every invariant after every command and at the end
/// ([`run_script`]). With no fault, nothing may be found: panics with the script and the first
/// violation otherwise.
pub fn exchange(data: &[u8]) {
    exchange_with(data, FaultSet::NONE);
}

/// [`exchange`] with `faults` on: what the target's tests use to show that a finding panics with
/// a readable reproducer.
pub fn exchange_with(data: &[u8], faults: FaultSet) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Some(script) = Script::decode(data) else {
        return;
    };
    let run = run_script(&script, faults);
    if let Some(v) = run.first_violation() {
        let at = run.first_step.map_or_else(|| "the end-of-run scans".to_owned(), |i| format!("step {i}"));
        panic!("{} violated at {at}: {}\nscript:\n{script:?}", v.invariant.id(), v.detail);
    }
}

/// Decodes a structured fuzz input (odd first byte) into its flow, for printing a reproducer.
pub fn decode_flow(data: &[u8]) -> Option<Flow> {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 => Flow::arbitrary_take_rest(Unstructured::new(rest)).ok(),
        _ => None,
    }
}

/// Encodes a flow as a structured fuzz input (odd first byte), for writing seeds: the inverse of
/// [`decode_flow`] for flows within the generated ranges.
pub fn encode_flow(flow: &Flow) -> Vec<u8> {
    let mut data = vec![1u8];
    for op in &flow.0 {
        encode_op(op, &mut data);
    }
    data
}

fn encode_op(op: &Op, out: &mut Vec<u8>) {
    use super::flow::{ID_SPACE, OWNER_NAMES, PRICE_HIGH, PRICE_LOW};
    use crate::engine::{OwnerId, Tif};
    use crate::units::Side;

    // `int_in_range` over a range of n values reads one byte b and yields start + b % n.
    let id = |id: &Id, out: &mut Vec<u8>| {
        assert!((1..=ID_SPACE).contains(&id.0 .0), "id {} outside the flow id space", id.0 .0);
        out.push((id.0 .0 - 1) as u8);
    };
    let who = |who: &Who, out: &mut Vec<u8>| {
        out.push(if who.0 == OwnerId::NONE { OWNER_NAMES.len() as u8 } else { who.0 .0 as u8 });
    };
    // A derived enum reads a little-endian u32 x and picks variant (x × count) >> 32.
    let variant = |v: u32, count: u32, out: &mut Vec<u8>| {
        let x = (u64::from(v) << 32).div_ceil(u64::from(count));
        out.extend_from_slice(&u32::try_from(x).expect("v < count").to_le_bytes());
    };
    let side = |side: Side, out: &mut Vec<u8>| variant(if side == Side::Buy { 0 } else { 1 }, 2, out);
    let px = |px: &Px, out: &mut Vec<u8>| {
        out.push(match px.0 .0 {
            0 => 0,
            1 => 1,
            u64::MAX => 2,
            p => {
                assert!((PRICE_LOW..=PRICE_HIGH).contains(&p), "price {p} outside the flow price range");
                let width = PRICE_HIGH - PRICE_LOW + 1;
                // The smallest byte >= 3 with byte % width == p - PRICE_LOW.
                (3..=255u8).find(|b| u64::from(*b) % width == p - PRICE_LOW).expect("a byte exists")
            }
        })
    };
    let lots = |lots: &Lots, out: &mut Vec<u8>| {
        out.push(match lots.0 .0 {
            0 => 0,
            u64::MAX => 1,
            n if n == u64::MAX - 1 => 2,
            n => {
                assert!((1..=10).contains(&n), "quantity {n} outside the flow quantity range");
                (3..=255u8).find(|b| 1 + u64::from(*b) % 10 == n).expect("a byte exists")
            }
        })
    };
    let tif = |tif: Tif, out: &mut Vec<u8>| {
        let v = match tif {
            Tif::Gtc => 0,
            Tif::Ioc => 1,
            Tif::Fok => 2,
            Tif::PostOnly => 3,
        };
        variant(v, 4, out);
    };
    let stp = |stp: Stp, out: &mut Vec<u8>| {
        let v = match stp {
            Stp::CancelNewest => 0,
            Stp::CancelOldest => 1,
            Stp::CancelBoth => 2,
            Stp::Decrement => 3,
        };
        variant(v, 4, out);
    };
    match op {
        Op::Limit { id: i, owner, side: s, price, qty, tif: t, stp: p } => {
            variant(0, 5, out);
            id(i, out);
            who(owner, out);
            side(*s, out);
            px(price, out);
            lots(qty, out);
            tif(*t, out);
            stp(*p, out);
        }
        Op::Market { id: i, owner, side: s, qty, budget, stp: p } => {
            variant(1, 5, out);
            id(i, out);
            who(owner, out);
            side(*s, out);
            lots(qty, out);
            match budget {
                None => out.push(0),
                Some(b) => {
                    out.push(1);
                    let n: u16 = match b.0 {
                        0 => 0,
                        u128::MAX => 1,
                        n => {
                            assert!((2..2500).contains(&n), "budget {n} outside the flow budget range");
                            n as u16
                        }
                    };
                    out.extend_from_slice(&n.to_le_bytes());
                }
            }
            stp(*p, out);
        }
        Op::Cancel { id: i } => {
            variant(2, 5, out);
            id(i, out);
        }
        Op::Replace { id: i, price, qty } => {
            variant(3, 5, out);
            id(i, out);
            px(price, out);
            lots(qty, out);
        }
        Op::MassCancel { owner } => {
            variant(4, 5, out);
            who(owner, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{OrderId, Tif};
    use crate::units::{Price, Qty, Side};

    #[test]
    fn encoding_round_trips() {
        let flow = Flow(vec![
            Op::gtc(1, Side::Sell, 101, 5),
            Op::Limit {
                id: Id(OrderId(8)),
                owner: Who::named(2),
                side: Side::Buy,
                price: Px(Price(u64::MAX)),
                qty: Lots(Qty(10)),
                tif: Tif::PostOnly,
                stp: Stp::Decrement,
            },
            Op::Market {
                id: Id(OrderId(2)),
                owner: Who::named(1),
                side: Side::Buy,
                qty: Lots(Qty(u64::MAX)),
                budget: Some(super::super::flow::Budget(2499)),
                stp: Stp::CancelBoth,
            },
            Op::Market {
                id: Id(OrderId(3)),
                owner: Who::ANON,
                side: Side::Sell,
                qty: Lots(Qty(1)),
                budget: None,
                stp: Stp::CancelOldest,
            },
            Op::Cancel { id: Id(OrderId(1)) },
            Op::Replace { id: Id(OrderId(1)), price: Px(Price(98)), qty: Lots(Qty(0)) },
            Op::MassCancel { owner: Who::named(0) },
        ]);
        assert_eq!(decode_flow(&encode_flow(&flow)), Some(flow));
    }
}
