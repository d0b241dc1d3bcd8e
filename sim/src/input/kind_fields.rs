//! A group's own fields as an agent kind's parser reads them: [`KindFields`], over what the
//! fields are checked against ([`Env`]: the assets and markets defined so far).
//!
//! Invariants: every reader checks its value's bounds and reports a [`ScenarioError`] at the
//! field's place (`file:line:column: agents.NAME.field: message`); sizes are whole lots of their
//! market, amounts whole positive minor units within a bound. This file depends only on the
//! scenario's value toolkit (`tree`, `values`, `context`, `error`, `limits`), never on the model
//! or the agents' registry, so the kinds (`sim::agents::<kind>::parse`) can read through it
//! without a cycle.

use super::context::Ctx;
use super::error::ScenarioError;
use super::limits::MAX_LOTS;
use super::tree::hint;
use super::tree::Node;
use super::values::{
    asset_id, boolean, decimal, duration, last_key, lookup, market_id, ppm, share_bps, string, uint, uint32, Fields,
};
use crate::shown::shown;
use crate::units::decimal::{amount_to_minor, whole_steps};
use crate::units::{Asset, AssetId, Market, MarketId, Minor};

type Result<T> = std::result::Result<T, ScenarioError>;

/// What a group's fields are checked against.
pub(crate) struct Env<'a> {
    pub ctx: &'a Ctx<'a>,
    pub assets: &'a [Asset],
    /// Market names, by id.
    pub market_names: &'a [&'a str],
    pub markets: &'a [Market],
}

impl Env<'_> {
    pub fn market(&self, f: &Fields<'_>) -> Result<usize> {
        let names = self.market_names;
        lookup(self.ctx, f.require(self.ctx, "market", "market = \"BTC-USD\"")?, &f.path("market"), names, "market")
    }

    pub fn asset(&self, node: &Node, path: &str) -> Result<usize> {
        let symbols: Vec<&str> = self.assets.iter().map(Asset::symbol).collect();
        lookup(self.ctx, node, path, &symbols, "asset")
    }

    /// A size in base units, as whole lots of market `m`: at least one, at most [`MAX_LOTS`].
    pub fn lots(&self, node: &Node, path: &str, m: usize) -> Result<u64> {
        let ctx = self.ctx;
        let market = &self.markets[m];
        let base = &self.assets[usize::from(market.base().0)];
        let value = decimal(ctx, node, path)?;
        let lots = whole_steps(value, market.lot_size(), last_key(path), base.symbol())
            .map_err(|e| ctx.error(node.origin, path, e.to_string()))?;
        if lots == 0 {
            let lot = market.lot_size().normalize();
            return Err(ctx.error(node.origin, path, format!("must be at least one lot ({lot} {})", base.symbol())));
        }
        if lots > MAX_LOTS {
            return Err(ctx.error(
                node.origin,
                path,
                format!("{value} {} is {lots} lots, more than the maximum of {MAX_LOTS} lots", base.symbol()),
            ));
        }
        Ok(lots)
    }

    pub fn required_lots(&self, f: &Fields<'_>, key: &str, example: &str, m: usize) -> Result<u64> {
        self.lots(f.require(self.ctx, key, example)?, &f.path(key), m)
    }

    /// A positive amount of asset `a`, in minor units, at most `max`.
    pub fn amount(&self, node: &Node, path: &str, a: usize, max: Minor) -> Result<Minor> {
        let ctx = self.ctx;
        let asset = &self.assets[a];
        let value = decimal(ctx, node, path)?;
        let minor = amount_to_minor(asset, value).map_err(|e| ctx.error(node.origin, path, e.to_string()))?;
        if minor == 0 {
            return Err(ctx.error(
                node.origin,
                path,
                format!("amount must be positive, e.g. \"1\" {}", asset.symbol()),
            ));
        }
        if minor > max {
            return Err(ctx.error(
                node.origin,
                path,
                format!("{value} {} is more than the maximum of {max} minor units", asset.symbol()),
            ));
        }
        Ok(minor)
    }
}

/// A group's own fields, as its kind's parser (`sim::agents::<kind>::parse`) reads them. Every
/// reader checks its bounds and reports a [`ScenarioError`] at the field's place.
pub struct KindFields<'a> {
    env: &'a Env<'a>,
    f: &'a Fields<'a>,
}

impl<'a> KindFields<'a> {
    pub(crate) fn new(env: &'a Env<'a>, f: &'a Fields<'a>) -> KindFields<'a> {
        KindFields { env, f }
    }

    /// The required `market`, by name.
    pub fn market(&self) -> Result<MarketId> {
        self.env.market(self.f).map(market_id)
    }

    /// The required asset `key`, by symbol; `example` shows how to write it when missing.
    pub fn asset(&self, key: &str, example: &str) -> Result<AssetId> {
        let node = self.require(key, example)?;
        self.env.asset(node, &self.f.path(key)).map(asset_id)
    }

    /// The required size `key` in base units, as whole lots of `market`: at least one, at most
    /// [`MAX_LOTS`].
    pub fn lots(&self, key: &str, example: &str, market: MarketId) -> Result<u64> {
        self.env.required_lots(self.f, key, example, usize::from(market.0))
    }

    /// The optional duration `key`, in `min..=max` nanoseconds.
    pub fn duration(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| duration(ctx, n, p, min, max))
    }

    /// The optional integer `key`, in `min..=max`.
    pub fn uint(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| uint(ctx, n, p, min, max))
    }

    /// The optional integer `key`, in `min..=max`.
    pub fn uint32(&self, key: &str, default: u32, min: u32, max: u32) -> Result<u32> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| uint32(ctx, n, p, min, max))
    }

    /// The instrument of `market` (one the group named): its base, quote, tick and lot.
    pub fn instrument(&self, market: MarketId) -> &Market {
        &self.env.markets[usize::from(market.0)]
    }

    /// The optional `market`, by name (`None` when the group does not name one).
    pub fn optional_market(&self) -> Result<Option<MarketId>> {
        match self.f.get("market") {
            Some(_) => self.market().map(Some),
            None => Ok(None),
        }
    }

    /// Whether the group sets `key`.
    pub fn has(&self, key: &str) -> bool {
        self.f.get(key).is_some()
    }

    /// The optional share `key`, a percentage string such as `"10%"`, in basis points in
    /// `min..=max`.
    pub fn share_bps(&self, key: &str, default: u32, min: u32, max: u32) -> Result<u32> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| share_bps(ctx, n, p, min, max))
    }

    /// The optional probability `key` (a decimal in [0, 1]), in parts per million.
    pub fn probability(&self, key: &str, default: u32) -> Result<u32> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| ppm(ctx, n, p))
    }

    /// The optional boolean `key`.
    pub fn boolean(&self, key: &str, default: bool) -> Result<bool> {
        let ctx = self.env.ctx;
        self.f.opt(key, default, |n, p| boolean(ctx, n, p))
    }

    /// The optional string `key`, one of `options` (with a "did you mean"), as its index;
    /// `options[0]` when absent.
    pub fn choice(&self, key: &str, options: &[&str]) -> Result<usize> {
        let ctx = self.env.ctx;
        self.f.opt(key, 0, |n, p| {
            let text = string(ctx, n, p)?;
            options.iter().position(|o| *o == text).ok_or_else(|| {
                let hint = hint(text, options.iter().copied());
                ctx.error(n.origin, p, format!("unknown {key} `{}`{hint}; one of: {}", shown(text), options.join(", ")))
            })
        })
    }

    /// The required positive amount `key` of `asset`, in minor units, at most `max`.
    pub fn required_amount(&self, key: &str, example: &str, asset: AssetId, max: Minor) -> Result<Minor> {
        let node = self.require(key, example)?;
        self.amount(node, key, asset, max)
    }

    /// The required field `key`, read later (so its presence is checked where the caller says).
    pub(crate) fn require(&self, key: &str, example: &str) -> Result<&Node> {
        self.f.require(self.env.ctx, key, example)
    }

    /// A positive amount of `asset` at `node` (the field `key`), in minor units, at most `max`.
    pub(crate) fn amount(&self, node: &Node, key: &str, asset: AssetId, max: Minor) -> Result<Minor> {
        self.env.amount(node, &self.f.path(key), usize::from(asset.0), max)
    }

    /// An error about field `key`, placed at the first of `at` the group has (or at the group).
    pub fn error(&self, at: &[&str], key: &str, message: String) -> ScenarioError {
        let origin = at.iter().find_map(|k| self.f.get(k)).map_or(self.f.origin, |n| n.origin);
        self.env.ctx.error(origin, &self.f.path(key), message)
    }
}
