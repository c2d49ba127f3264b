//! Taints on nodes and tolerations on pods, with the matching rule kube-scheduler's
//! TaintToleration filter applies.

use std::fmt;

use crate::text::same_str;

/// What a taint does to pods that do not tolerate it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintEffect {
    /// New pods are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node if it can (a scoring preference).
    PreferNoSchedule,
    /// New pods are not scheduled and running ones are evicted.
    NoExecute,
}

impl TaintEffect {
    /// Parses both the Kubernetes spelling (`NoSchedule`) and the EKS API one (`NO_SCHEDULE`).
    pub fn parse(s: &str) -> Option<TaintEffect> {
        match s {
            "NoSchedule" | "NO_SCHEDULE" => Some(TaintEffect::NoSchedule),
            "PreferNoSchedule" | "PREFER_NO_SCHEDULE" => Some(TaintEffect::PreferNoSchedule),
            "NoExecute" | "NO_EXECUTE" => Some(TaintEffect::NoExecute),
            _ => None,
        }
    }
}

impl fmt::Display for TaintEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        })
    }
}

/// A node taint `key=value:effect`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// Effect on intolerant pods.
    pub effect: TaintEffect,
}

/// How a toleration compares values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TolerationOperator {
    /// Key and value must be equal.
    Equal,
    /// Key must match (or be empty: tolerates everything); value ignored.
    Exists,
}

/// A pod toleration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Toleration {
    /// Key to match; empty with `Exists` matches every taint.
    pub key: String,
    /// How to compare.
    pub operator: TolerationOperator,
    /// Value for `Equal`.
    pub value: String,
    /// Effect to match; `None` matches every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// `operator: Exists` on `key` (empty: every key) for `effect` (`None`: every effect), the
    /// usual form of a toleration written in code.
    pub fn exists(key: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect,
        }
    }

    /// True if this toleration tolerates `taint` (Kubernetes `ToleratesTaint`).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(e) = self.effect
            && e != taint.effect
        {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => self.key.is_empty() || same_str(&self.key, &taint.key),
            TolerationOperator::Equal => {
                same_str(&self.key, &taint.key) && same_str(&self.value, &taint.value)
            }
        }
    }
}

/// The first taint with a hard effect (`NoSchedule`/`NoExecute`) that no toleration tolerates.
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        t.effect != TaintEffect::PreferNoSchedule && !tolerations.iter().any(|tol| tol.tolerates(t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(k: &str, v: &str, e: TaintEffect) -> Taint {
        Taint {
            key: k.into(),
            value: v.into(),
            effect: e,
        }
    }

    #[test]
    fn equal_needs_key_and_value() {
        let t = taint("gpu", "true", TaintEffect::NoSchedule);
        let tol = Toleration {
            key: "gpu".into(),
            operator: TolerationOperator::Equal,
            value: "true".into(),
            effect: None,
        };
        assert!(tol.tolerates(&t));
        assert!(!tol.tolerates(&taint("gpu", "false", TaintEffect::NoSchedule)));
    }

    #[test]
    fn exists_with_empty_key_tolerates_all_and_effect_must_match() {
        let any = Toleration {
            key: String::new(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
        };
        assert!(any.tolerates(&taint("a", "b", TaintEffect::NoExecute)));
        let only_exec = Toleration {
            effect: Some(TaintEffect::NoExecute),
            ..any
        };
        assert!(!only_exec.tolerates(&taint("a", "b", TaintEffect::NoSchedule)));
    }

    #[test]
    fn prefer_no_schedule_never_blocks() {
        let taints = vec![taint("soft", "", TaintEffect::PreferNoSchedule)];
        assert!(first_untolerated(&taints, &[]).is_none());
        let hard = vec![taint("hard", "", TaintEffect::NoSchedule)];
        assert_eq!(first_untolerated(&hard, &[]).unwrap().key, "hard");
    }
}
