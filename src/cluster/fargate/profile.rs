//! Fargate profile matching: which Fargate profile (if any) takes a pod.
//!
//! Sources (EKS User Guide, "Define which Pods use AWS Fargate when launched",
//! docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html, and the
//! `FargateProfileSelector` API reference):
//! - up to five selectors per profile; each has a namespace and optional
//!   labels; a pod matches a selector when its namespace matches and it
//!   carries all of the selector's labels; matching any selector of a profile
//!   is enough;
//! - `*` and `?` wildcards are allowed in namespaces, label keys and label
//!   values (our facts file);
//! - "If a Pod matches multiple Fargate profiles, you can specify which
//!   profile a Pod uses by adding the following Kubernetes label to the Pod
//!   specification: `eks.amazonaws.com/fargate-profile: my-fargate-profile`.
//!   The Pod must match a selector in that profile to be scheduled onto
//!   Fargate." (user guide; the AWS CDK `FargateProfile` docs say the same:
//!   "However, the pod must still match a selector in that profile in order
//!   to be scheduled onto Fargate.").
//!
//! Without the label, the CDK docs say EKS "picks one of the matches at
//! random"; the simulator must be deterministic, so (per our facts file) the
//! alphanumerically first profile name wins, compared byte-wise.
//!
//! This module depends on nothing but `std`.

use std::fmt;

/// Label a pod carries to name the Fargate profile it wants.
pub const PROFILE_LABEL: &str = "eks.amazonaws.com/fargate-profile";

/// Most selectors EKS accepts in one Fargate profile.
pub const MAX_SELECTORS_PER_PROFILE: usize = 5;

/// One selector of a Fargate profile: which pods it claims.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    /// Namespace pattern (`*` and `?` allowed).
    pub namespace: String,
    /// Required labels as (key pattern, value pattern), sorted by key. Empty
    /// means every pod in the namespace.
    pub labels: Vec<(String, String)>,
}

/// A Fargate profile as far as scheduling cares: its name and selectors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Profile {
    /// Profile name; also the tie-breaker when several profiles match.
    pub name: String,
    /// One to five selectors; matching any one is enough.
    pub selectors: Vec<Selector>,
}

/// Why a profile definition would be refused by the EKS API.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProfileError {
    /// The profile has no selectors.
    NoSelectors,
    /// More than [`MAX_SELECTORS_PER_PROFILE`] selectors.
    TooManySelectors {
        /// How many selectors the profile has.
        count: usize,
    },
    /// A selector has an empty namespace (it is required).
    EmptyNamespace {
        /// Zero-based position of the selector in the profile.
        index: usize,
    },
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProfileError::NoSelectors => write!(f, "a Fargate profile needs at least one selector"),
            ProfileError::TooManySelectors { count } => write!(
                f,
                "a Fargate profile may have at most {MAX_SELECTORS_PER_PROFILE} selectors, got {count}"
            ),
            ProfileError::EmptyNamespace { index } => {
                write!(
                    f,
                    "selector {index} has no namespace; every selector needs one"
                )
            }
        }
    }
}

impl std::error::Error for ProfileError {}

/// Check a profile's shape (1..=5 selectors, each with a namespace) the way
/// the EKS API would on creation. Matching does not require validity.
pub fn validate_profile(p: &Profile) -> Result<(), ProfileError> {
    if p.selectors.is_empty() {
        return Err(ProfileError::NoSelectors);
    }
    if p.selectors.len() > MAX_SELECTORS_PER_PROFILE {
        return Err(ProfileError::TooManySelectors {
            count: p.selectors.len(),
        });
    }
    if let Some(index) = p.selectors.iter().position(|s| s.namespace.is_empty()) {
        return Err(ProfileError::EmptyNamespace { index });
    }
    Ok(())
}

/// Glob match with `*` (any run of characters, including none) and `?`
/// (exactly one character); every other character matches itself. Works on
/// `char`s, allocates nothing, and is iterative: on a mismatch it only
/// retries from the most recent `*`, which is enough because a later `*` can
/// absorb anything an earlier one could, so the worst case is
/// O(len(pattern) * len(text)) instead of exponential.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Byte index just after the last `*` seen, and the text index it is
    // currently assumed to stop absorbing at.
    let mut star: Option<(usize, usize)> = None;
    while let Some(tc) = text[t..].chars().next() {
        match pattern[p..].chars().next() {
            Some('*') => {
                p += 1;
                star = Some((p, t));
                continue;
            }
            Some(pc) if pc == '?' || pc == tc => {
                p += pc.len_utf8();
                t += tc.len_utf8();
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last `*` absorb one more character, or fail.
        match star {
            Some((sp, st)) => {
                let absorbed = text[st..].chars().next().map_or(1, char::len_utf8);
                p = sp;
                t = st + absorbed;
                star = Some((sp, t));
            }
            None => return false,
        }
    }
    pattern[p..].bytes().all(|b| b == b'*')
}

/// Whether a pod in `namespace` with `labels` matches one selector: the
/// namespace matches and every selector label is matched (key and value, both
/// as patterns) by some pod label. Extra pod labels do not matter; the pod's
/// labels need not be sorted.
pub fn selector_matches(sel: &Selector, namespace: &str, labels: &[(String, String)]) -> bool {
    glob_match(&sel.namespace, namespace)
        && sel.labels.iter().all(|(kp, vp)| {
            labels
                .iter()
                .any(|(k, v)| glob_match(kp, k) && glob_match(vp, v))
        })
}

/// Whether a pod matches any selector of `profile`.
pub fn profile_matches(profile: &Profile, namespace: &str, labels: &[(String, String)]) -> bool {
    profile
        .selectors
        .iter()
        .any(|s| selector_matches(s, namespace, labels))
}

/// Index into `profiles` of the profile that takes the pod, or `None` (the
/// pod goes to the default scheduler). `profiles` may be in any order.
///
/// - If the pod carries [`PROFILE_LABEL`], only the profile with exactly that
///   name is considered, and it takes the pod only if one of its selectors
///   matches (see the module docs for the source); otherwise `None`, even if
///   other profiles match.
/// - Otherwise the matching profile whose name is first in byte-wise string
///   order wins; equal names (invalid on EKS) fall back to the lower index.
pub fn match_profile(
    profiles: &[Profile],
    namespace: &str,
    labels: &[(String, String)],
) -> Option<usize> {
    let wanted = labels
        .iter()
        .find(|(k, _)| k == PROFILE_LABEL)
        .map(|(_, v)| v.as_str());
    profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| wanted.is_none_or(|w| p.name == w))
        .filter(|(_, p)| profile_matches(p, namespace, labels))
        .min_by(|(ia, a), (ib, b)| a.name.cmp(&b.name).then(ia.cmp(ib)))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        v.sort();
        v
    }

    fn sel(ns: &str, pairs: &[(&str, &str)]) -> Selector {
        Selector {
            namespace: ns.to_string(),
            labels: labels(pairs),
        }
    }

    fn prof(name: &str, selectors: Vec<Selector>) -> Profile {
        Profile {
            name: name.to_string(),
            selectors,
        }
    }

    // ---- glob ----

    #[test]
    fn glob_literals() {
        assert!(glob_match("", ""));
        assert!(!glob_match("", "a"));
        assert!(!glob_match("a", ""));
        assert!(glob_match("prod", "prod"));
        assert!(!glob_match("prod", "prod2"));
        assert!(!glob_match("prod2", "prod"));
        assert!(!glob_match("Prod", "prod"));
    }

    #[test]
    fn glob_star() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("**", ""));
        assert!(glob_match("prod-*", "prod-"));
        assert!(glob_match("prod-*", "prod-eu-west-1"));
        assert!(!glob_match("prod-*", "prod"));
        assert!(glob_match("*-system", "kube-system"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("*ab", "aab")); // star must backtrack
        assert!(glob_match("*a*a*a*b", "aaaaaaaaaaaaaab"));
        assert!(!glob_match("*a*a*a*b", "aaaaaaaaaaaaaaa"));
    }

    #[test]
    fn glob_question() {
        assert!(glob_match("team-?", "team-a"));
        assert!(!glob_match("team-?", "team-"));
        assert!(!glob_match("team-?", "team-ab"));
        assert!(glob_match("??", "ab"));
        assert!(glob_match("?*", "a"));
        assert!(!glob_match("?*", ""));
        assert!(glob_match("*?", "ab"));
    }

    #[test]
    fn glob_is_char_based() {
        assert!(glob_match("?", "é"));
        assert!(glob_match("caf?", "café"));
        assert!(glob_match("*é*", "aébc"));
        assert!(glob_match("*", "日本"));
        assert!(!glob_match("?", "日本"));
        assert!(glob_match("*本", "日本"));
    }

    #[test]
    fn glob_no_exponential_blowup() {
        // Classic pathological case for naive backtracking.
        let text = "a".repeat(5000);
        let pattern = format!("{}b", "a*".repeat(50));
        assert!(!glob_match(&pattern, &text));
        let pattern = format!("{}a", "*a".repeat(50));
        assert!(glob_match(&pattern, &text));
    }

    // ---- selectors ----

    #[test]
    fn exact_namespace() {
        let s = sel("prod", &[]);
        assert!(selector_matches(&s, "prod", &[]));
        assert!(selector_matches(&s, "prod", &labels(&[("app", "web")])));
        assert!(!selector_matches(&s, "production", &[]));
        assert!(!selector_matches(&s, "dev", &[]));
    }

    #[test]
    fn wildcard_namespace() {
        let s = sel("prod-*", &[]);
        assert!(selector_matches(&s, "prod-a", &[]));
        assert!(selector_matches(&s, "prod-", &[]));
        assert!(!selector_matches(&s, "prod", &[]));
        let s = sel("team-?", &[]);
        assert!(selector_matches(&s, "team-x", &[]));
        assert!(!selector_matches(&s, "team-xy", &[]));
        let s = sel("*", &[]);
        assert!(selector_matches(&s, "kube-system", &[]));
    }

    #[test]
    fn wildcard_labels() {
        let s = sel("default", &[("app", "web-*")]);
        assert!(selector_matches(
            &s,
            "default",
            &labels(&[("app", "web-1")])
        ));
        assert!(!selector_matches(
            &s,
            "default",
            &labels(&[("app", "api-1")])
        ));
        let s = sel("default", &[("tier-?", "front")]);
        assert!(selector_matches(
            &s,
            "default",
            &labels(&[("tier-1", "front")])
        ));
        assert!(!selector_matches(
            &s,
            "default",
            &labels(&[("tier-10", "front")])
        ));
        let s = sel("default", &[("*", "?")]);
        assert!(selector_matches(
            &s,
            "default",
            &labels(&[("anything", "x")])
        ));
        assert!(!selector_matches(
            &s,
            "default",
            &labels(&[("anything", "xy")])
        ));
        assert!(!selector_matches(&s, "default", &[]));
        // Key and value must match on the same pod label.
        let s = sel("default", &[("app", "web")]);
        assert!(!selector_matches(
            &s,
            "default",
            &labels(&[("app", "api"), ("other", "web")])
        ));
    }

    #[test]
    fn several_labels_all_needed_extra_fine() {
        let s = sel("prod", &[("app", "web"), ("tier", "front")]);
        assert!(selector_matches(
            &s,
            "prod",
            &labels(&[("app", "web"), ("tier", "front")])
        ));
        assert!(selector_matches(
            &s,
            "prod",
            &labels(&[("app", "web"), ("tier", "front"), ("version", "3")])
        ));
        assert!(!selector_matches(&s, "prod", &labels(&[("app", "web")])));
        assert!(!selector_matches(
            &s,
            "prod",
            &labels(&[("app", "web"), ("tier", "back")])
        ));
        // Right labels, wrong namespace.
        assert!(!selector_matches(
            &s,
            "dev",
            &labels(&[("app", "web"), ("tier", "front")])
        ));
    }

    #[test]
    fn any_selector_of_a_profile_is_enough() {
        let p = prof(
            "mixed",
            vec![sel("a", &[]), sel("b", &[("x", "1")]), sel("c-*", &[])],
        );
        assert!(profile_matches(&p, "a", &[]));
        assert!(profile_matches(&p, "b", &labels(&[("x", "1")])));
        assert!(!profile_matches(&p, "b", &[]));
        assert!(profile_matches(&p, "c-9", &[]));
        assert!(!profile_matches(&p, "d", &[]));
    }

    // ---- choosing a profile ----

    #[test]
    fn no_match_goes_to_default_scheduler() {
        let ps = vec![prof("p1", vec![sel("prod", &[])])];
        assert_eq!(match_profile(&ps, "dev", &[]), None);
        assert_eq!(match_profile(&[], "dev", &[]), None);
    }

    #[test]
    fn first_name_wins_regardless_of_order() {
        let a = prof("alpha", vec![sel("prod*", &[])]);
        let b = prof("beta", vec![sel("*", &[])]);
        let c = prof("Zeta", vec![sel("prod", &[])]); // 'Z' < 'a' byte-wise
        let d = prof("gamma", vec![sel("dev", &[])]);
        let orders = [
            vec![a.clone(), b.clone(), c.clone(), d.clone()],
            vec![d.clone(), c.clone(), b.clone(), a.clone()],
            vec![b.clone(), d.clone(), a.clone(), c.clone()],
        ];
        for ps in &orders {
            let i = match_profile(ps, "prod", &[]).unwrap();
            assert_eq!(ps[i].name, "Zeta");
            let i = match_profile(ps, "prod-x", &[]).unwrap();
            assert_eq!(ps[i].name, "alpha");
            let i = match_profile(ps, "dev", &[]).unwrap();
            assert_eq!(ps[i].name, "beta");
            let i = match_profile(ps, "other", &[]).unwrap();
            assert_eq!(ps[i].name, "beta");
        }
    }

    #[test]
    fn byte_wise_name_order() {
        let ps = vec![
            prof("profile-b", vec![sel("*", &[])]),
            prof("profile-10", vec![sel("*", &[])]),
            prof("profile-9", vec![sel("*", &[])]),
        ];
        // "profile-10" < "profile-9" < "profile-b" byte-wise.
        assert_eq!(match_profile(&ps, "x", &[]), Some(1));
    }

    #[test]
    fn duplicate_names_pick_lower_index() {
        let ps = vec![
            prof("same", vec![sel("x", &[])]),
            prof("same", vec![sel("*", &[])]),
            prof("same", vec![sel("*", &[])]),
        ];
        assert_eq!(match_profile(&ps, "y", &[]), Some(1));
        assert_eq!(match_profile(&ps, "x", &[]), Some(0));
    }

    #[test]
    fn explicit_profile_label() {
        let ps = vec![
            prof("a-first", vec![sel("prod", &[])]),
            prof("b-second", vec![sel("prod", &[])]),
            prof("c-other-ns", vec![sel("dev", &[])]),
        ];
        // Without the label, the first name wins.
        assert_eq!(match_profile(&ps, "prod", &[]), Some(0));
        // With it, the named profile wins even though it sorts later.
        let l = labels(&[(PROFILE_LABEL, "b-second")]);
        assert_eq!(match_profile(&ps, "prod", &l), Some(1));
        // The named profile must still match: "c-other-ns" only takes `dev`,
        // and no other profile is considered instead.
        let l = labels(&[(PROFILE_LABEL, "c-other-ns")]);
        assert_eq!(match_profile(&ps, "prod", &l), None);
        assert_eq!(match_profile(&ps, "dev", &l), Some(2));
        // A name that does not exist: not matched at all.
        let l = labels(&[(PROFILE_LABEL, "missing")]);
        assert_eq!(match_profile(&ps, "prod", &l), None);
        // The label value is an exact name, not a pattern.
        let l = labels(&[(PROFILE_LABEL, "b-*")]);
        assert_eq!(match_profile(&ps, "prod", &l), None);
    }

    #[test]
    fn profile_label_is_also_an_ordinary_label() {
        let ps = vec![prof(
            "pinned",
            vec![sel("prod", &[(PROFILE_LABEL, "pinned")])],
        )];
        let l = labels(&[(PROFILE_LABEL, "pinned")]);
        assert_eq!(match_profile(&ps, "prod", &l), Some(0));
        assert_eq!(match_profile(&ps, "prod", &[]), None);
    }

    #[test]
    fn validation() {
        assert_eq!(validate_profile(&prof("p", vec![sel("a", &[])])), Ok(()));
        assert_eq!(
            validate_profile(&prof("p", vec![])),
            Err(ProfileError::NoSelectors)
        );
        let five: Vec<Selector> = (0..5).map(|i| sel(&format!("ns{i}"), &[])).collect();
        assert_eq!(validate_profile(&prof("p", five.clone())), Ok(()));
        let mut six = five;
        six.push(sel("ns5", &[]));
        let e = validate_profile(&prof("p", six)).unwrap_err();
        assert_eq!(e, ProfileError::TooManySelectors { count: 6 });
        assert_eq!(
            e.to_string(),
            "a Fargate profile may have at most 5 selectors, got 6"
        );
        assert_eq!(
            validate_profile(&prof("p", vec![sel("a", &[]), sel("", &[])])),
            Err(ProfileError::EmptyNamespace { index: 1 })
        );
    }

    // ---- property: glob agrees with a simple recursive reference ----

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn reference(p: &[u8], t: &[u8]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((b'*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
                Some((b'?', rest)) => !t.is_empty() && reference(rest, &t[1..]),
                Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]
            #[test]
            fn glob_agrees_with_reference(
                pattern in "[ab*?]{0,8}",
                text in "[ab*?]{0,10}",
            ) {
                prop_assert_eq!(
                    glob_match(&pattern, &text),
                    reference(pattern.as_bytes(), text.as_bytes()),
                    "pattern {:?} text {:?}", pattern, text
                );
            }
        }
    }
}
