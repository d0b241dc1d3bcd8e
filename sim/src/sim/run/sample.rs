//! The kernel's side of the time series ([`Series`]): between two events, when a new time bucket
//! starts, a snapshot of the state the previous bucket ended with; and each applied command's
//! fills.
//!
//! Invariants: it only reads (the exchange's books and ledger, the chains, the breach record,
//! who was taken over and what was exposed); it records nothing into the event stream and draws
//! nothing, so a run's digest is the same with or without a series. A snapshot costs
//! O(markets + assets × users) (customer liabilities are summed from the ledger like the reserves
//! monitor does) and is taken at most once per bucket change, so a run takes a few thousand at most
//! whatever its length.

use crate::engine::{Event, MatchingEngine};
use crate::exchange::{Applied, WithdrawalState};
use crate::units::{AssetId, MarketId};

use super::super::series::{AssetBucket, Series};
use super::custody::liabilities;
use super::World;

/// A command's fills into the series.
pub(super) fn fills<E: MatchingEngine>(series: &mut Series, time_ns: u64, applied: &Applied<'_, E>) {
    for &(market, event) in applied.events {
        if let Event::Fill { price, qty, .. } = event {
            series.fill(time_ns, usize::from(market.0), price, qty.0);
        }
    }
}

impl<E: MatchingEngine + Clone> World<'_, E> {
    /// Before the event at `time_ns`: if it opens a new bucket, the state the last one ended with.
    pub(super) fn sample_before(&mut self, time_ns: u64) {
        let Some(series) = self.series.as_mut() else { return };
        if let Some(ended) = series.advance(time_ns) {
            self.take_snapshot();
            let series = self.series.as_mut().expect("checked above");
            series.record(ended, &self.snapshot);
        }
    }

    /// After the last event: the state the run ended with.
    pub(super) fn sample_end(&mut self) {
        let Some(current) = self.series.as_ref().and_then(Series::current) else { return };
        self.take_snapshot();
        let series = self.series.as_mut().expect("checked above");
        series.record(current, &self.snapshot);
    }

    /// Reads the state into [`World::snapshot`] (its buffers are reused).
    fn take_snapshot(&mut self) {
        let x = self.gateway.exchange();
        let snap = &mut self.snapshot;
        snap.markets.clear();
        for (m, fair) in self.fair.iter().enumerate() {
            let book = x.engine(MarketId(u16::try_from(m).expect("market ids fit u16")));
            snap.markets.push((book.best_bid(), book.best_ask(), *fair));
        }
        snap.assets.clear();
        for (a, chain) in self.custody.chains.iter().enumerate() {
            let asset = AssetId(u16::try_from(a).expect("asset ids fit u16"));
            snap.assets.push(AssetBucket {
                hot: chain.hot(),
                cold: chain.cold(),
                liabilities: liabilities(x.ledger(), asset),
                queued: 0,
                stolen: self.custody.breach.stolen(asset),
            });
        }
        for w in x.withdrawals() {
            if !matches!(w.state, WithdrawalState::Settled { .. } | WithdrawalState::Refunded) {
                if let Some(a) = snap.assets.get_mut(usize::from(w.asset.0)) {
                    a.queued += 1;
                }
            }
        }
        snap.taken_over = self.people.taken_over();
        snap.exposed = self.people.exposed();
    }
}
