//! Fargate pod sizing: how EKS turns a pod's resource requests into the
//! vCPU / memory / ephemeral-storage combination it provisions (and bills).
//!
//! Source: the EKS User Guide, "Fargate Pod configuration" (our facts file):
//! the pod's effective request is the larger of the largest init container
//! and the sum of the regular containers, per resource; Fargate adds 256 MiB
//! of memory for the kubelet, kube-proxy and containerd, then rounds up to
//! the nearest valid combination of the table below. A pod without requests
//! gets 0.25 vCPU / 0.5 GB. Ephemeral storage: 20 GiB included, up to 175 GiB.
//!
//! Only integer arithmetic is used to decide sizes; the two `f64` accessors on
//! [`FargateSize`] exist for reports and are exact for every table entry.
//!
//! This module depends on nothing but `std`.

use std::fmt;

/// Memory (MiB) Fargate adds to every pod for the kubelet, kube-proxy and
/// containerd before rounding up to a valid size.
pub const FARGATE_MEMORY_OVERHEAD_MIB: u64 = 256;

/// Ephemeral storage (GiB) every Fargate pod gets without extra charge.
pub const INCLUDED_EPHEMERAL_GIB: u32 = 20;

/// Largest ephemeral storage (GiB) a Fargate pod may request.
pub const MAX_EPHEMERAL_GIB: u32 = 175;

/// Largest vCPU (millicores) of any Fargate size, for error reporting.
pub const MAX_VCPU_M: u32 = 16_000;

/// Largest memory (MiB) of any Fargate size, for error reporting.
pub const MAX_MEMORY_MIB: u32 = 120 * 1024;

const GIB: u64 = 1024;

/// Requests of one container, in the simulator's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContainerRequests {
    /// CPU request in millicores.
    pub cpu_m: u64,
    /// Memory request in MiB.
    pub memory_mib: u64,
    /// `ephemeral-storage` request in MiB.
    pub ephemeral_mib: u64,
}

/// What a pod asks for, split as Kubernetes splits it (init containers run
/// one at a time before the regular containers, which run together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodSpecRequests<'a> {
    /// Regular (long-running) containers; their requests add up.
    pub containers: &'a [ContainerRequests],
    /// Init containers; only the largest request per resource counts.
    pub init_containers: &'a [ContainerRequests],
}

/// Effective pod request per Kubernetes: max(largest init, sum of regular),
/// per resource. Sums saturate instead of overflowing.
pub fn effective_requests(spec: &PodSpecRequests) -> ContainerRequests {
    let mut sum = ContainerRequests::default();
    for c in spec.containers {
        sum.cpu_m = sum.cpu_m.saturating_add(c.cpu_m);
        sum.memory_mib = sum.memory_mib.saturating_add(c.memory_mib);
        sum.ephemeral_mib = sum.ephemeral_mib.saturating_add(c.ephemeral_mib);
    }
    let mut init = ContainerRequests::default();
    for c in spec.init_containers {
        init.cpu_m = init.cpu_m.max(c.cpu_m);
        init.memory_mib = init.memory_mib.max(c.memory_mib);
        init.ephemeral_mib = init.ephemeral_mib.max(c.ephemeral_mib);
    }
    ContainerRequests {
        cpu_m: sum.cpu_m.max(init.cpu_m),
        memory_mib: sum.memory_mib.max(init.memory_mib),
        ephemeral_mib: sum.ephemeral_mib.max(init.ephemeral_mib),
    }
}

/// A Fargate size as provisioned (and billed) for one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FargateSize {
    /// vCPU in millicores: 250, 500, 1000, 2000, 4000, 8000 or 16000.
    pub vcpu_m: u32,
    /// Memory in MiB (512, 1024, 2048, ...), one of the row's options.
    pub memory_mib: u32,
    /// Total ephemeral storage in GiB, including the 20 GiB included (>= 20).
    pub ephemeral_gib: u32,
}

impl FargateSize {
    /// vCPU as a number (0.25, 0.5, 1, ...), for reports and cost models.
    pub fn vcpu(&self) -> f64 {
        f64::from(self.vcpu_m) / 1000.0
    }

    /// Memory in GB (1 GB = 1024 MiB, as Fargate's table uses), for reports.
    pub fn memory_gb(&self) -> f64 {
        f64::from(self.memory_mib) / 1024.0
    }

    /// Ephemeral storage billed on top of the 20 GiB included.
    pub fn billable_extra_storage_gib(&self) -> u32 {
        self.ephemeral_gib.saturating_sub(INCLUDED_EPHEMERAL_GIB)
    }

    /// The size as EKS writes it in the pod's `CapacityProvisioned`
    /// annotation, e.g. `"2vCPU 9GB"` or `"0.25vCPU 0.5GB"`.
    pub fn annotation(&self) -> String {
        format!(
            "{}vCPU {}GB",
            decimal(u64::from(self.vcpu_m), 1000),
            decimal(u64::from(self.memory_mib), GIB)
        )
    }
}

/// Why a pod cannot be sized for Fargate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizingError {
    /// No valid combination holds the request (above 16 vCPU, or above
    /// 120 GB once the 256 MiB overhead is added).
    TooLarge {
        /// Effective CPU request in millicores, as given.
        cpu_m: u64,
        /// Effective memory request in MiB, as given (WITHOUT the overhead).
        memory_mib: u64,
    },
    /// More ephemeral storage than the 175 GiB Fargate allows.
    EphemeralTooLarge {
        /// The request rounded up to whole GiB.
        gib: u64,
    },
}

impl fmt::Display for SizingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SizingError::TooLarge { cpu_m, memory_mib } => write!(
                f,
                "pod needs {} vCPU and {} GB memory (request {} MiB + {} MiB Fargate overhead), \
                 more than the largest Fargate size ({} vCPU, {} GB)",
                decimal(cpu_m, 1000),
                decimal(memory_mib.saturating_add(FARGATE_MEMORY_OVERHEAD_MIB), GIB),
                memory_mib,
                FARGATE_MEMORY_OVERHEAD_MIB,
                decimal(u64::from(MAX_VCPU_M), 1000),
                decimal(u64::from(MAX_MEMORY_MIB), GIB),
            ),
            SizingError::EphemeralTooLarge { gib } => write!(
                f,
                "pod requests {gib} GiB of ephemeral storage, more than the \
                 {MAX_EPHEMERAL_GIB} GiB Fargate allows"
            ),
        }
    }
}

impl std::error::Error for SizingError {}

/// The (vCPU, memory GB) rows with regular 1 GB / 4 GB / 8 GB steps:
/// (vcpu_m, first GB, last GB, step GB). The 0.25 vCPU row (0.5, 1, 2 GB) is
/// irregular and written out in `build_sizes`.
const STEPPED_ROWS: [(u32, u32, u32, u32); 6] = [
    (500, 1, 4, 1),
    (1000, 2, 8, 1),
    (2000, 4, 16, 1),
    (4000, 8, 30, 1),
    (8000, 16, 60, 4),
    (16000, 32, 120, 8),
];

/// 3 + 4 + 7 + 13 + 23 + 12 + 12.
const VALID_SIZE_COUNT: usize = 74;

const fn build_sizes() -> [(u32, u32); VALID_SIZE_COUNT] {
    let mut out = [(0u32, 0u32); VALID_SIZE_COUNT];
    out[0] = (250, 512);
    out[1] = (250, 1024);
    out[2] = (250, 2048);
    let mut i = 3;
    let mut r = 0;
    while r < STEPPED_ROWS.len() {
        let (cpu, first, last, step) = STEPPED_ROWS[r];
        let mut gb = first;
        while gb <= last {
            out[i] = (cpu, gb * 1024);
            i += 1;
            gb += step;
        }
        r += 1;
    }
    assert!(i == VALID_SIZE_COUNT);
    out
}

static VALID_SIZES: [(u32, u32); VALID_SIZE_COUNT] = build_sizes();

/// The valid (vCPU millicores, memory MiB) combinations in ascending order
/// (by vCPU, then memory), for rounding, tests and reports.
pub fn valid_sizes() -> &'static [(u32, u32)] {
    &VALID_SIZES
}

/// Round an effective request (cpu_m, memory_mib, ephemeral_mib) to the
/// provisioned Fargate size: the first table entry (ascending vCPU, then
/// memory) whose vCPU >= the CPU request and whose memory >= the memory
/// request + 256 MiB. CPU/memory are checked before ephemeral storage.
pub fn size_pod(req: &ContainerRequests) -> Result<FargateSize, SizingError> {
    let need_mem = req.memory_mib.saturating_add(FARGATE_MEMORY_OVERHEAD_MIB);
    let (vcpu_m, memory_mib) = VALID_SIZES
        .iter()
        .copied()
        .find(|&(c, m)| u64::from(c) >= req.cpu_m && u64::from(m) >= need_mem)
        .ok_or(SizingError::TooLarge {
            cpu_m: req.cpu_m,
            memory_mib: req.memory_mib,
        })?;
    let ephemeral_gib = ephemeral_gib(req.ephemeral_mib)?;
    Ok(FargateSize {
        vcpu_m,
        memory_mib,
        ephemeral_gib,
    })
}

/// Total ephemeral storage (GiB) for an `ephemeral-storage` request in MiB:
/// the request rounded up to whole GiB, at least the 20 GiB included, at most
/// 175 GiB.
pub fn ephemeral_gib(ephemeral_mib: u64) -> Result<u32, SizingError> {
    let gib = ephemeral_mib.div_ceil(GIB);
    if gib > u64::from(MAX_EPHEMERAL_GIB) {
        return Err(SizingError::EphemeralTooLarge { gib });
    }
    // gib <= 175 here, so the conversion cannot fail.
    let gib = u32::try_from(gib).unwrap_or(MAX_EPHEMERAL_GIB);
    Ok(gib.max(INCLUDED_EPHEMERAL_GIB))
}

/// Traits that make a pod unsupported on Fargate, as read from its spec and
/// owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FargatePodTraits {
    /// GPUs requested (e.g. `nvidia.com/gpu`) over all containers.
    pub gpus: u32,
    /// The pod is owned by a DaemonSet.
    pub daemonset: bool,
    /// Some container (or init container) has `securityContext.privileged`.
    pub privileged: bool,
    /// `spec.hostNetwork: true`.
    pub host_network: bool,
    /// Some container port sets `hostPort` or `hostIP`. Note: on a real
    /// cluster a hostNetwork pod that declares ports gets hostPort defaulted,
    /// so callers modelling that should set this too.
    pub host_port: bool,
}

/// Prefix of every fargate-scheduler rejection event.
pub const UNSUPPORTED_PREFIX: &str = "Pod not supported on Fargate: ";

/// Clause for a DaemonSet pod. No real event wording was found (searched
/// GitHub issues and web pages); DaemonSet pods in practice sit Pending
/// against Fargate nodes' `eks.amazonaws.com/compute-type=fargate` taint.
/// This wording is ours.
pub const REASON_DAEMONSET: &str = "DaemonSet pods";
/// Clause for `hostNetwork: true`. Real wording, seen in fargate-scheduler
/// FailedScheduling events quoted in kubernetes-sigs/aws-efs-csi-driver#589,
/// #1179, aws/containers-roadmap#1517 and cert-manager/website#696.
pub const REASON_HOST_NETWORK: &str = "fields not supported: HostNetwork";
/// Clause for a privileged container. Real wording, quoted in
/// kubernetes-sigs/aws-efs-csi-driver#1329 and #589, freegroup/kube-s3#14,
/// concourse/concourse-chart#236.
pub const REASON_PRIVILEGED: &str = "invalid SecurityContext fields: Privileged";
/// Clause for hostPort/hostIP. Real wording, quoted in
/// kubernetes-sigs/aws-efs-csi-driver#589 and #1179,
/// aws-samples/eks-efs-share-within-fargate#5, cert-manager/website#696.
pub const REASON_HOST_PORT: &str = "port contains HostIP or HostPort";
/// Clause for GPU requests. No real event wording was found (Fargate has no
/// GPUs: aws/containers-roadmap#88); this wording is ours.
pub const REASON_GPU: &str = "GPU resources requested";

/// The fargate-scheduler's rejection message for a pod, or `None` if its
/// traits are all supported. Several problems are joined with ", " after one
/// prefix, in the order the real scheduler lists them, e.g. (verbatim from
/// kubernetes-sigs/aws-efs-csi-driver#589):
/// "Pod not supported on Fargate: fields not supported: HostNetwork, invalid
/// SecurityContext fields: Privileged, port contains HostIP or HostPort".
/// Our own clauses go first (DaemonSet) and last (GPU).
pub fn unsupported_reason(t: &FargatePodTraits) -> Option<String> {
    // The common case, once per Fargate pod: nothing to list.
    if !(t.daemonset || t.host_network || t.privileged || t.host_port || t.gpus > 0) {
        return None;
    }
    let clauses: Vec<&str> = [
        (t.daemonset, REASON_DAEMONSET),
        (t.host_network, REASON_HOST_NETWORK),
        (t.privileged, REASON_PRIVILEGED),
        (t.host_port, REASON_HOST_PORT),
        (t.gpus > 0, REASON_GPU),
    ]
    .into_iter()
    .filter_map(|(on, clause)| on.then_some(clause))
    .collect();
    if clauses.is_empty() {
        None
    } else {
        Some(format!("{UNSUPPORTED_PREFIX}{}", clauses.join(", ")))
    }
}

/// `numer / denom` as a short decimal ("0.25", "9", "0.5") using integer
/// long division. Exact when `denom` has only the prime factors 2 and 5
/// (1000 and 1024 here); otherwise cut after 12 digits.
fn decimal(numer: u64, denom: u64) -> String {
    let mut s = (numer / denom).to_string();
    let mut rem = numer % denom;
    if rem != 0 {
        s.push('.');
        let mut digits = 0;
        while rem != 0 && digits < 12 {
            let scaled = u128::from(rem) * 10;
            let digit = scaled / u128::from(denom);
            rem = u64::try_from(scaled % u128::from(denom)).unwrap_or(0);
            s.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
            digits += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: u64 = 1024;

    fn req(cpu_m: u64, memory_mib: u64) -> ContainerRequests {
        ContainerRequests {
            cpu_m,
            memory_mib,
            ephemeral_mib: 0,
        }
    }

    /// Sizes `(cpu_m, memory_mib)` and returns the chosen `(vcpu_m, memory_mib)`.
    fn sized(cpu_m: u64, memory_mib: u64) -> (u32, u32) {
        let s = size_pod(&req(cpu_m, memory_mib)).expect("should fit");
        (s.vcpu_m, s.memory_mib)
    }

    // ---- the table itself ----

    #[test]
    fn table_has_74_sorted_unique_entries() {
        let t = valid_sizes();
        assert_eq!(t.len(), 74);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(t[0], (250, 512));
        assert_eq!(t[73], (16000, 122880));
    }

    #[test]
    fn table_rows_match_the_guide() {
        let row = |cpu: u32| -> Vec<u32> {
            valid_sizes()
                .iter()
                .filter(|(c, _)| *c == cpu)
                .map(|(_, m)| *m)
                .collect()
        };
        assert_eq!(row(250), vec![512, 1024, 2048]);
        assert_eq!(row(500), (1..=4).map(|g| g * 1024).collect::<Vec<_>>());
        assert_eq!(row(1000), (2..=8).map(|g| g * 1024).collect::<Vec<_>>());
        assert_eq!(row(2000), (4..=16).map(|g| g * 1024).collect::<Vec<_>>());
        assert_eq!(row(4000), (8..=30).map(|g| g * 1024).collect::<Vec<_>>());
        assert_eq!(
            row(8000),
            (16..=60).step_by(4).map(|g| g * 1024).collect::<Vec<_>>()
        );
        assert_eq!(
            row(16000),
            (32..=120).step_by(8).map(|g| g * 1024).collect::<Vec<_>>()
        );
    }

    // ---- every row: smallest, middle, largest memory ----

    #[test]
    fn row_quarter_vcpu() {
        assert_eq!(sized(250, 256), (250, 512)); // 256+256 = 512
        assert_eq!(sized(250, 768), (250, 1024)); // 1024
        assert_eq!(sized(250, 1792), (250, 2048)); // 2048
    }

    #[test]
    fn row_half_vcpu() {
        assert_eq!(sized(500, 0), (500, 1024)); // 256 -> smallest 1 GB
        assert_eq!(sized(500, 1792), (500, 2048)); // 2048 -> 2 GB
        assert_eq!(sized(500, 4 * G - 256), (500, 4096)); // 4 GB
    }

    #[test]
    fn row_one_vcpu() {
        assert_eq!(sized(1000, 0), (1000, 2048));
        assert_eq!(sized(1000, 4 * G), (1000, 5 * 1024)); // 4352 -> 5 GB
        assert_eq!(sized(1000, 8 * G - 256), (1000, 8 * 1024));
    }

    #[test]
    fn row_two_vcpu() {
        assert_eq!(sized(2000, 0), (2000, 4 * 1024));
        assert_eq!(sized(2000, 9 * G), (2000, 10 * 1024)); // 9472 -> 10 GB
        assert_eq!(sized(2000, 16 * G - 256), (2000, 16 * 1024));
    }

    #[test]
    fn row_four_vcpu() {
        assert_eq!(sized(4000, 0), (4000, 8 * 1024));
        assert_eq!(sized(4000, 19 * G), (4000, 20 * 1024)); // 19712 -> 20 GB
        assert_eq!(sized(4000, 30 * G - 256), (4000, 30 * 1024));
    }

    #[test]
    fn row_eight_vcpu() {
        assert_eq!(sized(8000, 0), (8000, 16 * 1024));
        // 30 GiB + 256 MiB = 30976 MiB; options 16,20,24,28,32 -> 32 GB.
        assert_eq!(sized(8000, 30 * G), (8000, 32 * 1024));
        assert_eq!(sized(8000, 60 * G - 256), (8000, 60 * 1024));
    }

    #[test]
    fn row_sixteen_vcpu() {
        assert_eq!(sized(16000, 0), (16000, 32 * 1024));
        // 64 GiB + 256 MiB = 65792 MiB; options 32,40,...,64,72 -> 72 GB.
        assert_eq!(sized(16000, 64 * G), (16000, 72 * 1024));
        // 119.75 GiB = 122624 MiB, + 256 = exactly 120 GB.
        assert_eq!(sized(16000, 122_624), (16000, 120 * 1024));
    }

    // ---- named cases from the brief ----

    #[test]
    fn guide_worked_example_one_vcpu_eight_gb() {
        // 1 vCPU + 8 GB: 8448 MiB does not fit the 1 vCPU row (max 8 GB).
        let s = size_pod(&req(1000, 8 * G)).unwrap();
        assert_eq!((s.vcpu_m, s.memory_mib), (2000, 9 * 1024));
        assert_eq!(s.annotation(), "2vCPU 9GB");
    }

    #[test]
    fn no_requests_gets_smallest_size() {
        let s = size_pod(&ContainerRequests::default()).unwrap();
        assert_eq!(
            s,
            FargateSize {
                vcpu_m: 250,
                memory_mib: 512,
                ephemeral_gib: 20
            }
        );
        assert_eq!(s.annotation(), "0.25vCPU 0.5GB");
    }

    #[test]
    fn overhead_edge_at_quarter_vcpu() {
        assert_eq!(sized(250, 256), (250, 512)); // exactly 0.5 GB
        assert_eq!(sized(250, 257), (250, 1024)); // 513 -> 1 GB
        assert_eq!(sized(250, 1792), (250, 2048)); // exactly 2 GB
        // 2049 MiB does not fit 0.25 vCPU (max 2 GB); the 0.5 row's smallest
        // option >= 2049 is 3 GB.
        assert_eq!(sized(250, 1793), (500, 3 * 1024));
    }

    #[test]
    fn cpu_driven_rounding() {
        assert_eq!(sized(300, 0), (500, 1024));
        assert_eq!(sized(251, 0), (500, 1024));
        assert_eq!(sized(1001, 0), (2000, 4096));
        assert_eq!(sized(8001, 0), (16000, 32 * 1024));
    }

    #[test]
    fn memory_driven_row_change() {
        // 0 CPU, 2 GiB: 2304 MiB > 2 GB -> 0.5 vCPU 3 GB.
        assert_eq!(sized(0, 2 * G), (500, 3 * 1024));
        // 4 vCPU with 30 GiB: 30976 MiB > 30 GB -> 8 vCPU 32 GB.
        assert_eq!(sized(4000, 30 * G), (8000, 32 * 1024));
    }

    #[test]
    fn over_size_rejections() {
        assert_eq!(
            size_pod(&req(16001, 0)),
            Err(SizingError::TooLarge {
                cpu_m: 16001,
                memory_mib: 0
            })
        );
        // 120 GiB + 256 MiB > 120 GB.
        assert_eq!(
            size_pod(&req(0, 120 * G)),
            Err(SizingError::TooLarge {
                cpu_m: 0,
                memory_mib: 120 * G
            })
        );
        assert_eq!(
            size_pod(&req(16000, 122_625)),
            Err(SizingError::TooLarge {
                cpu_m: 16000,
                memory_mib: 122_625
            })
        );
        assert!(size_pod(&req(u64::MAX, u64::MAX)).is_err());
    }

    #[test]
    fn too_large_display() {
        let e = size_pod(&req(0, 120 * G)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pod needs 0 vCPU and 120.25 GB memory (request 122880 MiB + 256 MiB \
             Fargate overhead), more than the largest Fargate size (16 vCPU, 120 GB)"
        );
        let e = SizingError::TooLarge {
            cpu_m: 16001,
            memory_mib: 0,
        };
        assert_eq!(
            e.to_string(),
            "pod needs 16.001 vCPU and 0.25 GB memory (request 0 MiB + 256 MiB \
             Fargate overhead), more than the largest Fargate size (16 vCPU, 120 GB)"
        );
    }

    // ---- ephemeral storage ----

    fn eph(gib_mib: u64) -> Result<FargateSize, SizingError> {
        size_pod(&ContainerRequests {
            cpu_m: 0,
            memory_mib: 0,
            ephemeral_mib: gib_mib,
        })
    }

    #[test]
    fn ephemeral_storage() {
        let s = eph(0).unwrap();
        assert_eq!((s.ephemeral_gib, s.billable_extra_storage_gib()), (20, 0));
        let s = eph(20 * G).unwrap();
        assert_eq!((s.ephemeral_gib, s.billable_extra_storage_gib()), (20, 0));
        let s = eph(20 * G + 1).unwrap(); // rounds up to whole GiB
        assert_eq!((s.ephemeral_gib, s.billable_extra_storage_gib()), (21, 1));
        let s = eph(21 * G).unwrap();
        assert_eq!((s.ephemeral_gib, s.billable_extra_storage_gib()), (21, 1));
        let s = eph(175 * G).unwrap();
        assert_eq!(
            (s.ephemeral_gib, s.billable_extra_storage_gib()),
            (175, 155)
        );
        assert_eq!(
            eph(176 * G),
            Err(SizingError::EphemeralTooLarge { gib: 176 })
        );
        assert_eq!(
            eph(175 * G + 1),
            Err(SizingError::EphemeralTooLarge { gib: 176 })
        );
        assert_eq!(
            eph(176 * G).unwrap_err().to_string(),
            "pod requests 176 GiB of ephemeral storage, more than the 175 GiB Fargate allows"
        );
    }

    #[test]
    fn cpu_memory_error_wins_over_ephemeral_error() {
        let r = ContainerRequests {
            cpu_m: 20_000,
            memory_mib: 0,
            ephemeral_mib: 500 * G,
        };
        assert!(matches!(size_pod(&r), Err(SizingError::TooLarge { .. })));
    }

    // ---- effective requests ----

    fn c(cpu_m: u64, memory_mib: u64, ephemeral_mib: u64) -> ContainerRequests {
        ContainerRequests {
            cpu_m,
            memory_mib,
            ephemeral_mib,
        }
    }

    #[test]
    fn init_container_max_rule() {
        let containers = [c(500, 512, 1024), c(500, 512, 1024)];
        let init = [c(2000, 256, 512), c(100, 100, 4096)];
        let eff = effective_requests(&PodSpecRequests {
            containers: &containers,
            init_containers: &init,
        });
        // CPU: max(2000, 500+500); memory: max(256, 1024); storage: max(4096, 2048).
        assert_eq!(eff, c(2000, 1024, 4096));
        let s = size_pod(&eff).unwrap();
        assert_eq!((s.vcpu_m, s.memory_mib), (2000, 4096));
    }

    #[test]
    fn effective_requests_empty_and_regular_only() {
        let none = effective_requests(&PodSpecRequests {
            containers: &[],
            init_containers: &[],
        });
        assert_eq!(none, ContainerRequests::default());
        let containers = [c(100, 200, 300), c(10, 20, 30), c(1, 2, 3)];
        let eff = effective_requests(&PodSpecRequests {
            containers: &containers,
            init_containers: &[],
        });
        assert_eq!(eff, c(111, 222, 333));
        let init_only = [c(300, 1, 1), c(1, 700, 1)];
        let eff = effective_requests(&PodSpecRequests {
            containers: &[],
            init_containers: &init_only,
        });
        assert_eq!(eff, c(300, 700, 1));
    }

    #[test]
    fn effective_requests_saturate() {
        let containers = [c(u64::MAX, 1, 1), c(1, 1, 1)];
        let eff = effective_requests(&PodSpecRequests {
            containers: &containers,
            init_containers: &[],
        });
        assert_eq!(eff.cpu_m, u64::MAX);
    }

    // ---- reporting helpers ----

    #[test]
    fn annotations_and_float_accessors() {
        let s = |vcpu_m, memory_mib| FargateSize {
            vcpu_m,
            memory_mib,
            ephemeral_gib: 20,
        };
        assert_eq!(s(250, 512).annotation(), "0.25vCPU 0.5GB");
        assert_eq!(s(250, 2048).annotation(), "0.25vCPU 2GB");
        assert_eq!(s(500, 1024).annotation(), "0.5vCPU 1GB");
        assert_eq!(s(1000, 8192).annotation(), "1vCPU 8GB");
        assert_eq!(s(2000, 9216).annotation(), "2vCPU 9GB");
        assert_eq!(s(8000, 61440).annotation(), "8vCPU 60GB");
        assert_eq!(s(16000, 122880).annotation(), "16vCPU 120GB");
        assert_eq!(s(250, 512).vcpu(), 0.25);
        assert_eq!(s(250, 512).memory_gb(), 0.5);
        assert_eq!(s(16000, 122880).vcpu(), 16.0);
        assert_eq!(s(16000, 122880).memory_gb(), 120.0);
        assert_eq!(
            FargateSize {
                vcpu_m: 250,
                memory_mib: 512,
                ephemeral_gib: 0
            }
            .billable_extra_storage_gib(),
            0
        );
    }

    #[test]
    fn decimal_formatting() {
        assert_eq!(decimal(0, 1000), "0");
        assert_eq!(decimal(250, 1000), "0.25");
        assert_eq!(decimal(16001, 1000), "16.001");
        assert_eq!(decimal(1, 1024), "0.0009765625");
        assert_eq!(decimal(1, 3), "0.333333333333");
    }

    // ---- unsupported pods ----

    #[test]
    fn supported_pod_has_no_reason() {
        assert_eq!(unsupported_reason(&FargatePodTraits::default()), None);
    }

    #[test]
    fn each_unsupported_reason() {
        let t = FargatePodTraits::default();
        let one = |t: FargatePodTraits| unsupported_reason(&t).unwrap();
        assert_eq!(
            one(FargatePodTraits {
                privileged: true,
                ..t
            }),
            "Pod not supported on Fargate: invalid SecurityContext fields: Privileged"
        );
        assert_eq!(
            one(FargatePodTraits {
                host_network: true,
                ..t
            }),
            "Pod not supported on Fargate: fields not supported: HostNetwork"
        );
        assert_eq!(
            one(FargatePodTraits {
                host_port: true,
                ..t
            }),
            "Pod not supported on Fargate: port contains HostIP or HostPort"
        );
        assert_eq!(
            one(FargatePodTraits {
                daemonset: true,
                ..t
            }),
            "Pod not supported on Fargate: DaemonSet pods"
        );
        assert_eq!(
            one(FargatePodTraits { gpus: 1, ..t }),
            "Pod not supported on Fargate: GPU resources requested"
        );
    }

    #[test]
    fn combined_reasons_match_real_events() {
        // Verbatim from kubernetes-sigs/aws-efs-csi-driver#589.
        let t = FargatePodTraits {
            host_network: true,
            privileged: true,
            host_port: true,
            ..FargatePodTraits::default()
        };
        assert_eq!(
            unsupported_reason(&t).unwrap(),
            "Pod not supported on Fargate: fields not supported: HostNetwork, \
             invalid SecurityContext fields: Privileged, port contains HostIP or HostPort"
        );
        // Verbatim from kubernetes-sigs/aws-efs-csi-driver#1179.
        let t = FargatePodTraits {
            host_network: true,
            host_port: true,
            ..FargatePodTraits::default()
        };
        assert_eq!(
            unsupported_reason(&t).unwrap(),
            "Pod not supported on Fargate: fields not supported: HostNetwork, \
             port contains HostIP or HostPort"
        );
        let all = FargatePodTraits {
            gpus: 2,
            daemonset: true,
            privileged: true,
            host_network: true,
            host_port: true,
        };
        assert_eq!(
            unsupported_reason(&all).unwrap(),
            "Pod not supported on Fargate: DaemonSet pods, fields not supported: HostNetwork, \
             invalid SecurityContext fields: Privileged, port contains HostIP or HostPort, \
             GPU resources requested"
        );
    }

    // ---- properties ----

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn chosen_size_is_minimal_valid_and_fits(
                cpu_m in 0u64..=17_000,
                memory_mib in 0u64..=125_000,
            ) {
                let r = ContainerRequests { cpu_m, memory_mib, ephemeral_mib: 0 };
                let need = memory_mib + FARGATE_MEMORY_OVERHEAD_MIB;
                let fits = |&(c, m): &(u32, u32)| u64::from(c) >= cpu_m && u64::from(m) >= need;
                match size_pod(&r) {
                    Ok(s) => {
                        let pos = valid_sizes()
                            .iter()
                            .position(|&e| e == (s.vcpu_m, s.memory_mib));
                        prop_assert!(pos.is_some(), "not a valid combination: {:?}", s);
                        let pos = pos.unwrap();
                        prop_assert!(u64::from(s.vcpu_m) >= cpu_m);
                        prop_assert!(u64::from(s.memory_mib) >= need);
                        prop_assert!(!valid_sizes()[..pos].iter().any(fits));
                        prop_assert_eq!(s.ephemeral_gib, 20);
                    }
                    Err(e) => {
                        prop_assert!(!valid_sizes().iter().any(fits));
                        prop_assert!(cpu_m > 16_000 || need > 122_880);
                        prop_assert_eq!(e, SizingError::TooLarge { cpu_m, memory_mib });
                    }
                }
            }

            #[test]
            fn ephemeral_is_whole_gib_in_range(ephemeral_mib in 0u64..=200 * 1024) {
                let r = ContainerRequests { cpu_m: 0, memory_mib: 0, ephemeral_mib };
                match size_pod(&r) {
                    Ok(s) => {
                        prop_assert!((20..=175).contains(&s.ephemeral_gib));
                        prop_assert!(u64::from(s.ephemeral_gib) * 1024 >= ephemeral_mib);
                        prop_assert_eq!(s.billable_extra_storage_gib(), s.ephemeral_gib - 20);
                    }
                    Err(SizingError::EphemeralTooLarge { gib }) => {
                        prop_assert!(ephemeral_mib > 175 * 1024);
                        prop_assert!(gib > 175);
                    }
                    Err(e) => prop_assert!(false, "unexpected {:?}", e),
                }
            }
        }
    }
}
