//! Time series of one run, for the HTML report (`--report`): a fixed number of time buckets, each
//! holding what happened in it (trades: lowest, highest and last price, volume; crashes and
//! recoveries) and a snapshot of the state at its end (best bid and ask, fair value, each asset's
//! hot and cold reserves on chain, customer liabilities, withdrawals queued, value stolen, accounts
//! taken over, records exposed).
//!
//! Invariants:
//! - **bounded**: at most [`BUCKETS`] buckets whatever the run's length. The buckets start
//!   `duration / (BUCKETS / 2)` wide (the active phase fills half of them, the healing phase the
//!   rest); when time passes the last bucket, neighbours are merged pairwise and the width doubles,
//!   so memory is fixed when the run starts (`BUCKETS` × (markets + assets + 1) small records);
//! - **an observer only**: the kernel feeds it from what it already has (applied results, its own
//!   state between events); it records nothing into the event stream, reads no clock and draws no
//!   number, so a run's digest is the same with or without it, and the series is as deterministic
//!   as the digest;
//! - merging keeps meaning: lowest of lows, highest of highs, the later last, sums of volumes and
//!   counts, the later snapshot.

use crate::units::{Minor, Price};

/// Most buckets a series holds.
pub const BUCKETS: usize = 512;

/// One market in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketBucket {
    /// Trades in the bucket: lowest, highest and last price.
    pub low: Option<Price>,
    pub high: Option<Price>,
    pub last: Option<Price>,
    /// Trades in the bucket: how many, and their volume in lots.
    pub fills: u64,
    pub volume_lots: u128,
    /// At the bucket's end (valid when the bucket was sampled): the book's best bid and ask, and
    /// the fair value.
    pub bid: Option<Price>,
    pub ask: Option<Price>,
    pub fair: Option<Price>,
}

/// One asset in one bucket, at its end (valid when the bucket was sampled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssetBucket {
    /// The exchange's wallets on chain.
    pub hot: Minor,
    pub cold: Minor,
    /// What the exchange's own books owe customers (available, held, pending withdrawal).
    pub liabilities: Minor,
    /// Withdrawals requested and not yet settled or refunded.
    pub queued: u32,
    /// The attackers' net take so far (the breach metric).
    pub stolen: Minor,
}

/// What the whole world did in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorldBucket {
    /// Whether a snapshot was taken at the bucket's end (a bucket no event fell in has none).
    pub sampled: bool,
    /// Crashes and recoveries in the bucket.
    pub crashes: u32,
    pub recoveries: u32,
    /// At the bucket's end: accounts taken over and personal records exposed so far.
    pub taken_over: u64,
    pub exposed: u64,
}

/// A snapshot of the state between two events, taken by the kernel.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Per market: (best bid, best ask, fair value).
    pub markets: Vec<(Option<Price>, Option<Price>, Price)>,
    pub assets: Vec<AssetBucket>,
    pub taken_over: u64,
    pub exposed: u64,
}

/// A run's time series (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    width_ns: u64,
    markets: usize,
    assets: usize,
    /// The bucket of the last event seen, if any.
    current: Option<usize>,
    market: Vec<MarketBucket>,
    asset: Vec<AssetBucket>,
    world: Vec<WorldBucket>,
}

impl Series {
    /// An empty series for a run of `duration_ns` with `markets` markets and `assets` assets.
    pub fn new(duration_ns: u64, markets: usize, assets: usize) -> Series {
        let width_ns = duration_ns.div_ceil(BUCKETS as u64 / 2).max(1);
        Series {
            width_ns,
            markets,
            assets,
            current: None,
            market: vec![MarketBucket::default(); BUCKETS * markets],
            asset: vec![AssetBucket::default(); BUCKETS * assets],
            world: vec![WorldBucket::default(); BUCKETS],
        }
    }

    /// Width of a bucket now.
    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    /// Buckets up to the last one any event fell in.
    pub fn len(&self) -> usize {
        self.current.map_or(0, |c| c + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.current.is_none()
    }

    pub fn markets(&self) -> usize {
        self.markets
    }

    pub fn assets(&self) -> usize {
        self.assets
    }

    /// The world's bucket `b`.
    pub fn world(&self, b: usize) -> &WorldBucket {
        &self.world[b]
    }

    /// Market `m` in bucket `b`.
    pub fn market(&self, b: usize, m: usize) -> &MarketBucket {
        &self.market[b * self.markets + m]
    }

    /// Asset `a` in bucket `b`.
    pub fn asset(&self, b: usize, a: usize) -> &AssetBucket {
        &self.asset[b * self.assets + a]
    }

    /// The bucket `time_ns` falls in, merging buckets until it fits.
    fn bucket(&mut self, time_ns: u64) -> usize {
        while time_ns / self.width_ns >= BUCKETS as u64 {
            self.merge();
        }
        usize::try_from(time_ns / self.width_ns).expect("below BUCKETS")
    }

    /// Halves the resolution: bucket i becomes buckets 2i and 2i+1 merged.
    fn merge(&mut self) {
        for i in 0..BUCKETS / 2 {
            let (a, b) = (2 * i, 2 * i + 1);
            for m in 0..self.markets {
                let (x, y) = (self.market[a * self.markets + m], self.market[b * self.markets + m]);
                let sampled_y = self.world[b].sampled;
                self.market[i * self.markets + m] = MarketBucket {
                    low: min_opt(x.low, y.low),
                    high: x.high.max(y.high),
                    last: y.last.or(x.last),
                    fills: x.fills + y.fills,
                    volume_lots: x.volume_lots.saturating_add(y.volume_lots),
                    bid: if sampled_y { y.bid } else { x.bid },
                    ask: if sampled_y { y.ask } else { x.ask },
                    fair: if sampled_y { y.fair } else { x.fair },
                };
            }
            for s in 0..self.assets {
                let y = if self.world[b].sampled {
                    self.asset[b * self.assets + s]
                } else {
                    self.asset[a * self.assets + s]
                };
                self.asset[i * self.assets + s] = y;
            }
            let (x, y) = (self.world[a], self.world[b]);
            self.world[i] = WorldBucket {
                sampled: x.sampled || y.sampled,
                crashes: x.crashes + y.crashes,
                recoveries: x.recoveries + y.recoveries,
                taken_over: if y.sampled { y.taken_over } else { x.taken_over },
                exposed: if y.sampled { y.exposed } else { x.exposed },
            };
        }
        self.market[BUCKETS / 2 * self.markets..].fill(MarketBucket::default());
        self.asset[BUCKETS / 2 * self.assets..].fill(AssetBucket::default());
        self.world[BUCKETS / 2..].fill(WorldBucket::default());
        self.current = self.current.map(|c| c / 2);
        self.width_ns = self.width_ns.checked_mul(2).expect("a bucket width past 2^64 ns");
    }

    /// An event at `time_ns` is about to be handled: if it starts a new bucket, returns the bucket
    /// that just ended, whose end-of-bucket snapshot the kernel then takes ([`Series::record`]).
    pub fn advance(&mut self, time_ns: u64) -> Option<usize> {
        let b = self.bucket(time_ns);
        let ended = self.current.filter(|&c| c != b);
        if ended.is_some() || self.current.is_none() {
            self.current = Some(b);
        }
        // After a merge the ended bucket's index halves with the others: `current` is kept exact by
        // `merge`, so this is the index of the bucket the previous event fell in.
        ended
    }

    /// The bucket of the last event (where the final snapshot goes).
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// Stores `snapshot` as the state at the end of bucket `b`.
    pub fn record(&mut self, b: usize, snapshot: &Snapshot) {
        assert_eq!(snapshot.markets.len(), self.markets, "one snapshot entry per market");
        assert_eq!(snapshot.assets.len(), self.assets, "one snapshot entry per asset");
        for (m, &(bid, ask, fair)) in snapshot.markets.iter().enumerate() {
            let mb = &mut self.market[b * self.markets + m];
            (mb.bid, mb.ask, mb.fair) = (bid, ask, Some(fair));
        }
        self.asset[b * self.assets..(b + 1) * self.assets].copy_from_slice(&snapshot.assets);
        let w = &mut self.world[b];
        w.sampled = true;
        (w.taken_over, w.exposed) = (snapshot.taken_over, snapshot.exposed);
    }

    /// A trade of `qty` lots at `price` in market `m` at `time_ns`.
    pub fn fill(&mut self, time_ns: u64, m: usize, price: Price, qty: u64) {
        let b = self.bucket(time_ns);
        let mb = &mut self.market[b * self.markets + m];
        mb.low = min_opt(mb.low, Some(price));
        mb.high = mb.high.max(Some(price));
        mb.last = Some(price);
        mb.fills += 1;
        mb.volume_lots = mb.volume_lots.saturating_add(u128::from(qty));
    }

    /// The exchange crashed at `time_ns`.
    pub fn crash(&mut self, time_ns: u64) {
        let b = self.bucket(time_ns);
        self.world[b].crashes += 1;
    }

    /// The exchange recovered at `time_ns`.
    pub fn recover(&mut self, time_ns: u64) {
        let b = self.bucket(time_ns);
        self.world[b].recoveries += 1;
    }
}

fn min_opt(a: Option<Price>, b: Option<Price>) -> Option<Price> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(v: i128) -> Snapshot {
        Snapshot {
            markets: vec![(Some(Price(1)), Some(Price(2)), Price(v as u64))],
            assets: vec![AssetBucket { hot: v, ..AssetBucket::default() }],
            taken_over: v as u64,
            exposed: 0,
        }
    }

    /// Feeds events at `times`, snapshotting like the kernel (the value is the event's time).
    fn feed(s: &mut Series, times: impl IntoIterator<Item = u64>) {
        let mut last = 0;
        for t in times {
            if let Some(b) = s.advance(t) {
                s.record(b, &snapshot(i128::from(last)));
            }
            s.fill(t, 0, Price(t.max(1)), 1);
            last = t;
        }
        if let Some(b) = s.current() {
            s.record(b, &snapshot(i128::from(last)));
        }
    }

    #[test]
    fn buckets_stay_bounded_and_merge_keeps_totals() {
        let mut s = Series::new(1_000, 1, 1);
        feed(&mut s, (0..100_000).map(|i| i * 7));
        assert!(s.len() <= BUCKETS && s.len() > BUCKETS / 4, "{}", s.len());
        let fills: u64 = (0..s.len()).map(|b| s.market(b, 0).fills).sum();
        assert_eq!(fills, 100_000, "merging keeps every trade");
        let last = s.len() - 1;
        assert_eq!(s.market(last, 0).last, Some(Price(99_999 * 7)));
        assert_eq!(s.asset(last, 0).hot, 99_999 * 7, "the last snapshot is the end state");
        let lows: Vec<u64> = (0..s.len()).filter_map(|b| s.market(b, 0).low).map(|p| p.0).collect();
        assert!(lows.windows(2).all(|w| w[0] < w[1]), "buckets stay in time order");
    }

    #[test]
    fn the_active_phase_fills_half_the_buckets() {
        let mut s = Series::new(1_000_000, 1, 1);
        feed(&mut s, (0..1_000).map(|i| i * 1_000));
        assert_eq!(s.len(), BUCKETS / 2);
        assert!((0..s.len()).all(|b| s.world(b).sampled));
    }

    #[test]
    fn a_bucket_with_no_event_has_no_snapshot() {
        let mut s = Series::new(512, 1, 1);
        feed(&mut s, [0, 100]);
        assert_eq!(s.width_ns(), 2);
        assert!(s.world(0).sampled && !s.world(25).sampled && s.world(50).sampled);
    }
}
