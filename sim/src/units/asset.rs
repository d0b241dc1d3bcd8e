//! Assets: a symbol and a number of decimals; amounts are integers of the asset's minor unit.
//!
//! Invariant: an [`Asset`] is valid once built: a non-empty upper-case symbol of at most 12
//! characters and at most 18 decimals, so `10^decimals` always fits in an `i64`.

use std::fmt;

use super::decimal::UnitError;

/// Index of an asset in an exchange's asset table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct AssetId(pub u16);

/// A validated asset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "AssetFields")]
pub struct Asset {
    symbol: String,
    decimals: u8,
}

/// An asset as a file writes it, validated by [`Asset::new`] on the way in.
#[derive(serde::Deserialize)]
struct AssetFields {
    symbol: String,
    decimals: u8,
}

impl TryFrom<AssetFields> for Asset {
    type Error = UnitError;
    fn try_from(a: AssetFields) -> Result<Asset, UnitError> {
        Asset::new(&a.symbol, a.decimals)
    }
}

/// The most decimals an asset may have.
pub const DECIMALS_MAX: u8 = 18;

impl Asset {
    /// Builds an asset, rejecting an empty or odd symbol and more than [`DECIMALS_MAX`] decimals.
    pub fn new(symbol: &str, decimals: u8) -> Result<Asset, UnitError> {
        let valid_symbol = !symbol.is_empty()
            && symbol.len() <= 12
            && symbol.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid_symbol {
            return Err(UnitError::new(format!("asset symbol {symbol:?} must be 1 to 12 characters of A-Z and 0-9")));
        }
        if decimals > DECIMALS_MAX {
            return Err(UnitError::new(format!(
                "asset {symbol} has {decimals} decimals; at most {DECIMALS_MAX} are supported"
            )));
        }
        Ok(Asset { symbol: symbol.to_owned(), decimals })
    }

    /// The ticker, e.g. `BTC`.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// How many decimal places one whole unit has in minor units (BTC 8, USD 2).
    pub fn decimals(&self) -> u8 {
        self.decimals
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.symbol)
    }
}
