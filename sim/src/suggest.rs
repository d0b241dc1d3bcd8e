//! "Did you mean …?" for misspelt names: the closest candidate by edit distance (the `strsim`
//! crate), offered only when it is close enough to be a plausible typo.
//!
//! Invariants kept here:
//! - case slips are typos: names are compared in lower case, so `IOC_RESTS` suggests
//!   `ioc_rests` and `Market_Maker` suggests `market_maker`;
//! - bounded work whatever the input: edit distance is quadratic, so an input or a candidate
//!   longer than [`MAX_SUGGEST_CHARS`] is never measured (no name of the format is that long),
//!   a candidate whose length differs by more than the edit budget is only checked as a prefix
//!   (its distance could not be within the budget), and at most [`MAX_CANDIDATES`] candidates are
//!   looked at. Each call is O(candidates × MAX_SUGGEST_CHARS²) at worst;
//! - deterministic: ties go to the earliest candidate.

/// Longest input or candidate that is compared, in characters.
pub const MAX_SUGGEST_CHARS: usize = 64;

/// Most candidates looked at (the largest table of names, agent groups, has at most 1,000).
pub const MAX_CANDIDATES: usize = 1_000;

/// The candidate closest to `input`, if it is within a third of the input's length (at least 1
/// edit, at most 3), or the input is a prefix of it; letter case does not count as an edit.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = short_lowercase(input)?;
    let length = input.chars().count();
    let budget = (length / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates.into_iter().take(MAX_CANDIDATES) {
        let Some(lower) = short_lowercase(c) else { continue };
        let prefix = input.len() >= 3 && lower.starts_with(&input);
        let d = if lower.chars().count().abs_diff(length) > budget {
            usize::MAX
        } else {
            strsim::damerau_levenshtein(&input, &lower)
        };
        let ok = d <= budget || prefix;
        if ok && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `text` in lower case, if it is at most [`MAX_SUGGEST_CHARS`] characters long.
fn short_lowercase(text: &str) -> Option<String> {
    // A character is at most 4 bytes: longer texts are refused before they are counted.
    if text.len() > 4 * MAX_SUGGEST_CHARS || text.chars().count() > MAX_SUGGEST_CHARS {
        return None;
    }
    Some(text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["market_maker", "noise_trader", "momentum_trader"];
        assert_eq!(did_you_mean("market_makr", names), Some("market_maker"));
        assert_eq!(did_you_mean("noise", names), Some("noise_trader"));
        assert_eq!(did_you_mean("banana", names), None);
    }

    #[test]
    fn case_slips_are_suggested_in_the_right_case() {
        let names = ["market_maker", "noise_trader"];
        assert_eq!(did_you_mean("Market_Maker", names), Some("market_maker"));
        assert_eq!(did_you_mean("NOISE_TRADER", names), Some("noise_trader"));
        assert_eq!(did_you_mean("IOC_RESTS", ["ioc_rests", "taker_price"]), Some("ioc_rests"));
        assert_eq!(did_you_mean("MS", ["ns", "us", "ms", "s"]), Some("ms"));
        assert_eq!(did_you_mean("btc", ["BTC", "USD"]), Some("BTC"));
    }

    #[test]
    fn long_inputs_and_candidates_are_not_measured() {
        let long = "a".repeat(100_000);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
        assert_eq!(did_you_mean("aaaa", [long.as_str()]), None);
        let at_bound = "b".repeat(MAX_SUGGEST_CHARS);
        let typo = format!("{}c", &at_bound[1..]);
        assert_eq!(did_you_mean(&typo, [at_bound.as_str()]), Some(at_bound.as_str()));
    }

    #[test]
    fn only_the_first_candidates_are_looked_at() {
        let filler: Vec<String> = (0..MAX_CANDIDATES - 1).map(|i| format!("{i:x}")).collect();
        let names = |last: &'static str| filler.iter().map(String::as_str).chain([last, "market_maker"]);
        assert_eq!(did_you_mean("market_makr", names("noise_trader")), None);
        assert_eq!(did_you_mean("noise_tradr", names("noise_trader")), Some("noise_trader"));
    }
}
