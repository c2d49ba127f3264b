//! Scheduling constraints a pod can carry, with Kubernetes' own semantics: label selectors,
//! node affinity, inter-pod (anti-)affinity and topology spread constraints. Plain data plus the
//! matching rules; the scheduler plugins decide what to do with them.
use crate::text::same_str;

/// Operator of a selector requirement (`In`, `NotIn`, `Exists`, `DoesNotExist`, and for node
/// selectors `Gt`, `Lt`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SelectorOp {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label's value, as an integer, is greater than the single value.
    Gt,
    /// The label's value, as an integer, is less than the single value.
    Lt,
}

impl SelectorOp {
    /// Parses the Kubernetes spelling.
    pub fn parse(s: &str) -> Option<SelectorOp> {
        Some(match s {
            "In" => SelectorOp::In,
            "NotIn" => SelectorOp::NotIn,
            "Exists" => SelectorOp::Exists,
            "DoesNotExist" => SelectorOp::DoesNotExist,
            "Gt" => SelectorOp::Gt,
            "Lt" => SelectorOp::Lt,
            _ => return None,
        })
    }
}

/// One `{key, operator, values}` requirement.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub op: SelectorOp,
    /// Values (empty for Exists/DoesNotExist, one for Gt/Lt).
    pub values: Vec<String>,
}

/// Looks a key up in `(key, value)` labels (sorted, with unique keys).
pub fn label<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    // A scan with `same_str` rather than a binary search: label sets are short (a node has
    // about ten, a pod a few), most keys differ in length, and the search's string comparisons
    // called a slow `memcmp` (crate::text).
    labels
        .iter()
        .find(|(k, _)| same_str(k, key))
        .map(|(_, v)| v.as_str())
}

impl Requirement {
    /// True if sorted `labels` satisfy the requirement.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let v = label(labels, &self.key);
        match self.op {
            SelectorOp::In => v.is_some_and(|v| self.values.iter().any(|x| x == v)),
            SelectorOp::NotIn => v.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            SelectorOp::Exists => v.is_some(),
            SelectorOp::DoesNotExist => v.is_none(),
            SelectorOp::Gt | SelectorOp::Lt => {
                let (Some(v), Some(bound)) = (v, self.values.first()) else {
                    return false;
                };
                match (v.parse::<i64>(), bound.parse::<i64>()) {
                    (Ok(v), Ok(b)) => {
                        if self.op == SelectorOp::Gt {
                            v > b
                        } else {
                            v < b
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

/// A pod label selector (`matchLabels` and `matchExpressions`, ANDed). An empty selector
/// matches every pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSelector {
    /// Exact labels, sorted by key.
    pub match_labels: Vec<(String, String)>,
    /// Expressions.
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// True if sorted `labels` satisfy every part of the selector.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| label(labels, k).is_some_and(|l| same_str(l, v)))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

/// One node selector term: its requirements are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    pub match_expressions: Vec<Requirement>,
}

impl NodeSelectorTerm {
    /// True if the node labels satisfy every requirement (an empty term matches nothing, as in
    /// Kubernetes).
    pub fn matches(&self, node_labels: &[(String, String)]) -> bool {
        !self.match_expressions.is_empty()
            && self
                .match_expressions
                .iter()
                .all(|r| r.matches(node_labels))
    }
}

/// `affinity.nodeAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeAffinity {
    /// requiredDuringSchedulingIgnoredDuringExecution terms, ORed; empty = no requirement.
    pub required: Vec<NodeSelectorTerm>,
    /// preferredDuringSchedulingIgnoredDuringExecution: (weight 1–100, term).
    pub preferred: Vec<(i32, NodeSelectorTerm)>,
}

/// One pod (anti-)affinity term.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodAffinityTerm {
    /// Which pods the term is about.
    pub selector: LabelSelector,
    /// Namespaces of those pods; empty = the pod's own namespace.
    pub namespaces: Vec<String>,
    /// Node label that defines the topology domain (`kubernetes.io/hostname`,
    /// `topology.kubernetes.io/zone`, ...).
    pub topology_key: String,
}

/// `affinity.podAffinity` or `affinity.podAntiAffinity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodAffinity {
    /// Required terms (all must hold).
    pub required: Vec<PodAffinityTerm>,
    /// Preferred terms with weights 1–100.
    pub preferred: Vec<(i32, PodAffinityTerm)>,
}

/// What to do when a spread constraint cannot be met.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WhenUnsatisfiable {
    /// A filter: nodes that would break maxSkew are infeasible.
    DoNotSchedule,
    /// A score: such nodes are only less preferred.
    ScheduleAnyway,
}

/// One `topologySpreadConstraints` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopologySpreadConstraint {
    /// Largest allowed difference between the most and least loaded domains.
    pub max_skew: u32,
    /// Node label defining domains.
    pub topology_key: String,
    /// Filter or score.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// Which pods count.
    pub selector: LabelSelector,
    /// Minimum number of domains (DoNotSchedule only).
    pub min_domains: Option<u32>,
}

/// Every scheduling constraint of a pod beyond requests, nodeSelector and tolerations.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodConstraints {
    /// Node affinity.
    pub node_affinity: NodeAffinity,
    /// Pod affinity.
    pub pod_affinity: PodAffinity,
    /// Pod anti-affinity.
    pub pod_anti_affinity: PodAffinity,
    /// Topology spread constraints.
    pub topology_spread: Vec<TopologySpreadConstraint>,
}

impl PodConstraints {
    /// True when there is nothing beyond the basics: what `== PodConstraints::default()` says,
    /// without building a default to compare with (a release asks for every pod).
    pub fn is_empty(&self) -> bool {
        // Destructured, so that a field added later must be considered here.
        let PodConstraints {
            node_affinity:
                NodeAffinity {
                    required,
                    preferred,
                },
            pod_affinity,
            pod_anti_affinity,
            topology_spread,
        } = self;
        let affinity_empty = |a: &PodAffinity| {
            let PodAffinity {
                required,
                preferred,
            } = a;
            required.is_empty() && preferred.is_empty()
        };
        required.is_empty()
            && preferred.is_empty()
            && affinity_empty(pod_affinity)
            && affinity_empty(pod_anti_affinity)
            && topology_spread.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_empty_is_equality_with_the_default() {
        let term = PodAffinityTerm {
            topology_key: "kubernetes.io/hostname".into(),
            ..Default::default()
        };
        // One list filled at a time, the rest left empty.
        let with = |fill: &dyn Fn(&mut PodConstraints)| {
            let mut c = PodConstraints::default();
            fill(&mut c);
            c
        };
        let cases = [
            PodConstraints::default(),
            with(&|c| c.node_affinity.required = vec![NodeSelectorTerm::default()]),
            with(&|c| c.node_affinity.preferred = vec![(1, NodeSelectorTerm::default())]),
            with(&|c| c.pod_affinity.required = vec![term.clone()]),
            with(&|c| c.pod_affinity.preferred = vec![(5, term.clone())]),
            with(&|c| c.pod_anti_affinity.required = vec![term.clone()]),
            with(&|c| c.pod_anti_affinity.preferred = vec![(5, term.clone())]),
            with(&|c| {
                c.topology_spread = vec![TopologySpreadConstraint {
                    max_skew: 1,
                    topology_key: "topology.kubernetes.io/zone".into(),
                    when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                    selector: LabelSelector::default(),
                    min_domains: None,
                }]
            }),
        ];
        for c in &cases {
            assert_eq!(c.is_empty(), *c == PodConstraints::default(), "{c:?}");
        }
        assert!(cases[0].is_empty());
    }

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<_> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        v
    }

    fn req(key: &str, op: SelectorOp, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            op,
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn every_operator() {
        let labels = l(&[("zone", "a"), ("cores", "8")]);
        assert!(req("zone", SelectorOp::In, &["a", "b"]).matches(&labels));
        assert!(!req("zone", SelectorOp::In, &["c"]).matches(&labels));
        assert!(req("zone", SelectorOp::NotIn, &["c"]).matches(&labels));
        assert!(req("missing", SelectorOp::NotIn, &["c"]).matches(&labels));
        assert!(req("zone", SelectorOp::Exists, &[]).matches(&labels));
        assert!(req("missing", SelectorOp::DoesNotExist, &[]).matches(&labels));
        assert!(req("cores", SelectorOp::Gt, &["4"]).matches(&labels));
        assert!(!req("cores", SelectorOp::Lt, &["4"]).matches(&labels));
        assert!(!req("zone", SelectorOp::Gt, &["4"]).matches(&labels));
    }

    #[test]
    fn selectors_and_terms() {
        let labels = l(&[("app", "web"), ("tier", "front")]);
        assert!(LabelSelector::default().matches(&labels));
        let s = LabelSelector {
            match_labels: l(&[("app", "web")]),
            match_expressions: vec![req("tier", SelectorOp::In, &["front"])],
        };
        assert!(s.matches(&labels));
        assert!(!s.matches(&l(&[("app", "web")])));
        assert!(!NodeSelectorTerm::default().matches(&labels));
    }
}
