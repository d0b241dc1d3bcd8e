//! "Did you mean …?" for misspelt names: the closest candidate by edit distance (the `strsim`
//! crate), offered only when it is close enough to be a plausible typo.

/// The candidate closest to `input`, if it is within a third of the input's length (at least 1
/// edit, at most 3), or the input is a prefix of it.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let budget = (input.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = strsim::damerau_levenshtein(input, c);
        let ok = d <= budget || (input.len() >= 3 && c.starts_with(input));
        if ok && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["market_maker", "noise_trader", "momentum_trader"];
        assert_eq!(did_you_mean("market_makr", names), Some("market_maker"));
        assert_eq!(did_you_mean("noise", names), Some("noise_trader"));
        assert_eq!(did_you_mean("banana", names), None);
    }
}
