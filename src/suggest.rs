//! "Did you mean …?" suggestions for misspelt names (fields, instance types, zones), so a typo in
//! a scenario file costs the user seconds, not a search through the docs.

/// Largest edit distance at which a suggestion is still offered.
pub const MAX_DISTANCE: usize = 3;

/// The candidate closest to `word` by case-insensitive edit distance, if any is within
/// [`MAX_DISTANCE`]. Ties go to the first candidate in iteration order, so give candidates in a
/// stable order.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(&wanted, &c.to_ascii_lowercase());
        if d <= MAX_DISTANCE && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing, ready to append to a message.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["horizon", "seed", "workload"];
        assert_eq!(closest("horizn", names), Some("horizon"));
        assert_eq!(closest("Seed", names), Some("seed"));
        assert_eq!(closest("completelydifferent", names), None);
        assert_eq!(did_you_mead_helper(), " (did you mean `m5.large`?)");
    }

    fn did_you_mead_helper() -> String {
        did_you_mean("m5.lareg", ["m5.large", "m5.xlarge"])
    }
}
