//! The EKS control plane's shape: API server and etcd instances placed over the cluster's AZs.
//! This issue models placement and the hourly fee; failures and availability come later and
//! will build on the same placement.

/// Support tier, which sets the hourly cluster fee.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SupportTier {
    /// Standard support: $0.10 per cluster-hour (EKS_FACTS "Control plane").
    Standard,
    /// Extended support: $0.60 per cluster-hour since April 2024 (EKS_FACTS).
    Extended,
}

impl SupportTier {
    /// Name as written in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SupportTier::Standard => "standard",
            SupportTier::Extended => "extended",
        }
    }
}

/// Default fee of standard support, $ per cluster-hour (EKS_FACTS "Control plane").
pub const STANDARD_FEE_PER_HOUR: f64 = 0.10;
/// Default fee of extended support, $ per cluster-hour (EKS_FACTS "Control plane").
pub const EXTENDED_FEE_PER_HOUR: f64 = 0.60;
/// EKS runs at least two API server instances (EKS_FACTS "Control plane").
pub const DEFAULT_API_SERVERS: u32 = 2;
/// EKS runs three etcd members over three AZs (EKS_FACTS "Control plane").
pub const DEFAULT_ETCD_MEMBERS: u32 = 3;

/// A validated control plane description.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlaneSpec {
    /// API server instances.
    pub api_servers: u32,
    /// etcd members.
    pub etcd_members: u32,
    /// Zones instances are spread over, in placement order.
    pub zones: Vec<String>,
    /// Support tier.
    pub support_tier: SupportTier,
    /// $ per cluster-hour for the tier (after pricing overrides).
    pub fee_per_hour: f64,
}

impl ControlPlaneSpec {
    /// Zone of each API server instance: spread round-robin over the zones, as EKS spreads its
    /// auto-scaling groups.
    pub fn api_server_zones(&self) -> Vec<&str> {
        spread(self.api_servers, &self.zones)
    }

    /// Zone of each etcd member, spread the same way.
    pub fn etcd_zones(&self) -> Vec<&str> {
        spread(self.etcd_members, &self.zones)
    }

    /// Votes needed for etcd to accept writes: a strict majority.
    pub fn etcd_quorum(&self) -> u32 {
        self.etcd_members / 2 + 1
    }
}

fn spread(n: u32, zones: &[String]) -> Vec<&str> {
    if zones.is_empty() {
        return Vec::new();
    }
    (0..n as usize)
        .map(|i| zones[i % zones.len()].as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_spreads_round_robin_and_quorum_is_majority() {
        let cp = ControlPlaneSpec {
            api_servers: 2,
            etcd_members: 3,
            zones: vec!["a".into(), "b".into(), "c".into()],
            support_tier: SupportTier::Standard,
            fee_per_hour: STANDARD_FEE_PER_HOUR,
        };
        assert_eq!(cp.api_server_zones(), vec!["a", "b"]);
        assert_eq!(cp.etcd_zones(), vec!["a", "b", "c"]);
        assert_eq!(cp.etcd_quorum(), 2);
        assert_eq!(
            ControlPlaneSpec {
                etcd_members: 5,
                ..cp
            }
            .etcd_quorum(),
            3
        );
    }
}
