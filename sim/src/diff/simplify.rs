//! Readable rewrites of a shrunk flow: ids renumbered `1, 2, …` in order of first use, and prices
//! mapped onto `100, 101, …` in their order. Both keep every relation the matching rules look at
//! (which ids are equal, which prices are higher), so the reference does the same thing on the
//! rewritten flow; an engine might not (a bug that needs an id or a price near 2^64), so the
//! caller keeps a rewrite only if the flow still diverges.
//!
//! Invariants: each rewrite is a bijection on the flow's ids (prices), order-preserving for
//! prices; it changes nothing else, and returns `None` when it would change nothing.

use std::collections::BTreeMap;

use crate::bookfile::Message;
use crate::engine::OrderId;
use crate::units::Price;

/// The lowest price of a rewritten flow.
const FIRST_PRICE: u64 = 100;

/// `flow` with its ids renumbered from 1 in order of first use, or `None` if they already are.
pub fn renumber_ids(flow: &[Message]) -> Option<Vec<Message>> {
    let mut ids: BTreeMap<u64, u64> = BTreeMap::new();
    let mut map = |id: OrderId| {
        let next = ids.len() as u64 + 1;
        OrderId(*ids.entry(id.0).or_insert(next))
    };
    let rewritten: Vec<Message> = flow
        .iter()
        .map(|&m| match m {
            Message::New { id, side, price, qty, tif } => Message::New { id: map(id), side, price, qty, tif },
            Message::Market { id, side, qty } => Message::Market { id: map(id), side, qty },
            Message::Cancel { id } => Message::Cancel { id: map(id) },
            Message::Replace { id, price, qty } => Message::Replace { id: map(id), price, qty },
        })
        .collect();
    (rewritten != flow).then_some(rewritten)
}

/// `flow` with its prices mapped onto `100, 101, …` in their order, or `None` if they already are.
pub fn compact_prices(flow: &[Message]) -> Option<Vec<Message>> {
    let mut prices: BTreeMap<u64, u64> = BTreeMap::new();
    for m in flow {
        if let Message::New { price, .. } | Message::Replace { price, .. } = m {
            prices.insert(price.0, 0);
        }
    }
    for (rank, to) in prices.values_mut().enumerate() {
        *to = FIRST_PRICE + rank as u64;
    }
    let map = |price: Price| Price(prices[&price.0]);
    let rewritten: Vec<Message> = flow
        .iter()
        .map(|&m| match m {
            Message::New { id, side, price, qty, tif } => Message::New { id, side, price: map(price), qty, tif },
            Message::Replace { id, price, qty } => Message::Replace { id, price: map(price), qty },
            other => other,
        })
        .collect();
    (rewritten != flow).then_some(rewritten)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookfile::parse_line;
    use crate::diff::reference_answers;

    fn flow(text: &str) -> Vec<Message> {
        text.lines().filter_map(|l| parse_line(l.as_bytes()).unwrap()).collect()
    }

    fn lines(flow: &[Message]) -> String {
        flow.iter().map(|m| format!("{m}\n")).collect()
    }

    #[test]
    fn ids_and_prices_become_small_and_the_reference_does_the_same() {
        let original = flow("N,27,B,1,2,POST\nN,36,B,1,3\nN,48,S,7,1\nC,99\nR,36,5,1\nN,27,S,1,3\nM,48,S,4\n");
        let ids = renumber_ids(&original).unwrap();
        assert_eq!(lines(&ids), "N,1,B,1,2,POST\nN,2,B,1,3\nN,3,S,7,1\nC,4\nR,2,5,1\nN,1,S,1,3\nM,3,S,4\n");
        let prices = compact_prices(&ids).unwrap();
        assert_eq!(
            lines(&prices),
            "N,1,B,100,2,POST\nN,2,B,100,3\nN,3,S,102,1\nC,4\nR,2,101,1\nN,1,S,100,3\nM,3,S,4\n"
        );
        assert_eq!(renumber_ids(&prices), None);
        assert_eq!(compact_prices(&prices), None);
        // The same fills, cancels and rejects, between the same orders (prices aside).
        let shape = |flow: &[Message]| {
            reference_answers(flow)
                .into_iter()
                .map(|a| a.iter().map(|l| l.split(',').next().unwrap().to_owned()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&original), shape(&prices));
    }
}
