//! Embedded EC2 instance-type catalog for the EKS simulator.
//!
//! The simulator needs the shape (vCPU, memory, GPUs), VPC CNI networking
//! limits, on-demand price and CPU architecture of every instance type it can
//! launch, and it must not depend on the network or on AWS credentials to get
//! them. The data lives in `instances.csv` next to this file and is compiled
//! into the binary with `include_str!`; `CATALOG_SOURCES.md` records where each column
//! came from.
//!
//! On top of the raw data this module implements the node-sizing rules the
//! simulator uses to turn an instance type into a kubelet `allocatable`:
//! the VPC CNI max-pods formula, the EKS AMI kube-reserved formulas, the hard
//! eviction threshold and Karpenter's VM memory overhead. All reservation
//! arithmetic is integer arithmetic so results are exact and deterministic;
//! the only floating-point values are prices and the memory-overhead factor.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

/// The embedded catalog data, compiled into the binary.
const EMBEDDED_CSV: &str = include_str!("instances.csv");

/// The exact header line a catalog CSV must start with, so column order is
/// never guessed.
pub const CSV_HEADER: &str =
    "instance_type,vcpu,memory_mib,gpus,gpu_model,enis,ipv4_per_eni,price_per_hour_usd,arch";

/// Number of columns in [`CSV_HEADER`].
const CSV_COLUMNS: usize = 9;

/// Hard eviction threshold (`memory.available`) in MiB that kubelet keeps free
/// on every node; it is subtracted from allocatable memory.
pub const EVICTION_HARD_MEMORY_MIB: u64 = 100;

/// Share of nominal memory the hypervisor/kernel keeps (Karpenter's
/// `vmMemoryOverheadPercent` default 0.075): kubelet capacity =
/// floor(nominal * (1 - 0.075)).
pub const DEFAULT_VM_MEMORY_OVERHEAD: f64 = 0.075;

/// CPU architecture of an instance type.
///
/// Scheduling needs it because images and node selectors
/// (`kubernetes.io/arch`) are architecture specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// 64-bit x86 (Intel/AMD); Kubernetes calls it `amd64`.
    X86_64,
    /// 64-bit ARM (AWS Graviton); Kubernetes calls it `arm64`.
    Arm64,
}

impl Arch {
    /// Parses the spelling used in the catalog CSV (`x86_64` or `arm64`), so
    /// the CSV and error messages use EC2's own names.
    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" => Some(Arch::X86_64),
            "arm64" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// The EC2 spelling (`x86_64` / `arm64`), as written in the catalog CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Kubernetes spelling (`amd64` / `arm64`) used by the
    /// `kubernetes.io/arch` node label.
    pub fn kubernetes_label(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One EC2 instance type as the simulator sees it: shape, networking limits,
/// price and architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    /// EC2 name, e.g. `m5.large`.
    pub name: String,
    /// Default vCPU count.
    pub vcpu: u32,
    /// Nominal memory in MiB (e.g. 8 GiB = 8192), before any overhead.
    pub memory_mib: u64,
    /// Number of GPUs (0 for non-GPU types).
    pub gpus: u32,
    /// GPU model (e.g. `A10G`), `None` for non-GPU types.
    pub gpu_model: Option<String>,
    /// Maximum number of network interfaces (ENIs).
    pub enis: u32,
    /// Private IPv4 addresses per ENI.
    pub ipv4_per_eni: u32,
    /// On-demand Linux price in us-east-1, USD per hour.
    pub price_per_hour_usd: f64,
    /// CPU architecture.
    pub arch: Arch,
    /// Allocatable as the scenario states it (`instanceTypes[].allocatable`), replacing the EKS
    /// AMI formula: for synthetic shapes such as the shared benchmark cluster's 4 vCPU / 16 GiB
    /// nodes with every millicore allocatable.
    pub allocatable_override: Option<Allocatable>,
}

impl InstanceType {
    /// The family part of the name (`m5` for `m5.large`), used for
    /// family-level requirements and grouping. The whole name if there is no
    /// dot.
    pub fn family(&self) -> &str {
        match self.name.split_once('.') {
            Some((family, _)) => family,
            None => &self.name,
        }
    }

    /// The size part of the name (`large` for `m5.large`); empty if there is
    /// no dot.
    pub fn size(&self) -> &str {
        match self.name.split_once('.') {
            Some((_, size)) => size,
            None => "",
        }
    }

    /// Maximum pods with the VPC CNI (no prefix delegation), via
    /// [`eni_max_pods`]; this is kubelet's `--max-pods` on EKS nodes.
    pub fn max_pods(&self) -> u32 {
        eni_max_pods(self.enis, self.ipv4_per_eni)
    }
}

/// VPC CNI max-pods formula, `enis * (ipv4_per_eni - 1) + 2`: the first IP of
/// each ENI is the ENI's own, and 2 host-network pods (aws-node, kube-proxy)
/// need no pod IP. Saturates instead of overflowing.
pub fn eni_max_pods(enis: u32, ipv4_per_eni: u32) -> u32 {
    enis.saturating_mul(ipv4_per_eni.saturating_sub(1))
        .saturating_add(2)
}

/// kube-reserved CPU in millicores per the EKS AMI: 6% of first core, 1% of
/// the second, 0.5% of cores 3-4, 0.25% of each core above 4. Return
/// millicores, computed in integer arithmetic exactly (e.g. 8 vCPU ->
/// 60+10+5+5+10 = 90).
///
/// Like the AMI's `get_cpu_millicores_to_reserve`, each range's share is
/// truncated separately (`millicores * basis_points / 10000`), so an odd core
/// count above 4 drops its half millicore: 5 vCPU -> 60+10+10+2 = 82.
pub fn kube_reserved_cpu_m(vcpu: u32) -> u64 {
    // (range start, range end, share in basis points = 1/100 of a percent)
    const RANGES: [(u64, u64, u64); 4] = [
        (0, 1_000, 600),
        (1_000, 2_000, 100),
        (2_000, 4_000, 50),
        (4_000, u64::MAX, 25),
    ];
    let total_m = u64::from(vcpu) * 1_000;
    RANGES
        .iter()
        .filter(|(start, _, _)| total_m > *start)
        .map(|&(start, end, bp)| (total_m.min(end) - start) * bp / 10_000)
        .sum()
}

/// kube-reserved memory MiB = 11 * max_pods + 255 (the EKS AMI formula), so
/// denser nodes reserve more for kubelet and the container runtime.
pub fn kube_reserved_memory_mib(max_pods: u32) -> u64 {
    11 * u64::from(max_pods) + 255
}

/// Memory kubelet reports as capacity: nominal memory minus the share the
/// hypervisor/kernel keeps, i.e. `floor(nominal * (1 - vm_memory_overhead))`.
///
/// Computed as `nominal - ceil(nominal * overhead)` (Karpenter's formulation),
/// which is the same number and robust to the factor not being exact in
/// binary. `vm_memory_overhead` is clamped to `[0, 1]`; NaN counts as 0.
pub fn capacity_memory_mib(nominal_mib: u64, vm_memory_overhead: f64) -> u64 {
    let overhead = if vm_memory_overhead.is_nan() {
        0.0
    } else {
        vm_memory_overhead.clamp(0.0, 1.0)
    };
    // Exact for any realistic memory size (< 2^53 MiB).
    let kept = (nominal_mib as f64 * overhead).ceil() as u64;
    nominal_mib.saturating_sub(kept)
}

/// What the scheduler may place on a node of a given type (kubelet's
/// `status.allocatable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Allocatable {
    /// CPU in millicores.
    pub cpu_m: u64,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// Pod slots (= max pods).
    pub pods: u32,
    /// GPUs (`nvidia.com/gpu`); nothing is reserved from them.
    pub gpus: u32,
}

/// allocatable = capacity - kube_reserved - eviction threshold; capacity
/// memory = floor(memory_mib * (1 - overhead)); pods = max_pods.
///
/// No system-reserved is subtracted (EKS AMI default). Subtractions saturate
/// at zero, so a tiny instance yields 0 rather than underflowing.
pub fn allocatable(it: &InstanceType, vm_memory_overhead: f64) -> Allocatable {
    if let Some(a) = it.allocatable_override {
        return a;
    }
    let pods = it.max_pods();
    let cpu_m = (u64::from(it.vcpu) * 1_000).saturating_sub(kube_reserved_cpu_m(it.vcpu));
    let memory_mib = capacity_memory_mib(it.memory_mib, vm_memory_overhead)
        .saturating_sub(kube_reserved_memory_mib(pods))
        .saturating_sub(EVICTION_HARD_MEMORY_MIB);
    Allocatable {
        cpu_m,
        memory_mib,
        pods,
        gpus: it.gpus,
    }
}

/// Why a catalog could not be built or changed; messages are meant for users
/// (they name the line or the instance type).
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogError {
    /// The first line is not exactly [`CSV_HEADER`].
    BadHeader {
        /// The first line actually found (empty for empty input).
        found: String,
    },
    /// A data row could not be parsed or holds an impossible value.
    BadRow {
        /// 1-based line number in the CSV.
        line: usize,
        /// What is wrong with the row.
        reason: String,
    },
    /// Two rows have the same instance type name.
    DuplicateName {
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The repeated name.
        name: String,
    },
    /// An operation named an instance type the catalog does not have.
    UnknownInstanceType {
        /// The name asked for.
        name: String,
        /// Closest known name, if any (see [`Catalog::suggest`]).
        suggestion: Option<String>,
    },
    /// A price override was negative, NaN or infinite.
    InvalidPrice {
        /// The instance type whose price was being set.
        name: String,
        /// The rejected value.
        price: f64,
    },
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogError::BadHeader { found } => {
                write!(
                    f,
                    "instance catalog: expected header `{CSV_HEADER}`, found `{found}`"
                )
            }
            CatalogError::BadRow { line, reason } => {
                write!(f, "instance catalog line {line}: {reason}")
            }
            CatalogError::DuplicateName { line, name } => {
                write!(
                    f,
                    "instance catalog line {line}: duplicate instance type `{name}`"
                )
            }
            CatalogError::UnknownInstanceType { name, suggestion } => {
                write!(f, "unknown instance type `{name}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            CatalogError::InvalidPrice { name, price } => write!(
                f,
                "invalid price {price} for `{name}`: must be a finite, non-negative USD/hour"
            ),
        }
    }
}

impl std::error::Error for CatalogError {}

/// A set of instance types keyed by name, iterated in sorted name order so
/// everything derived from it is deterministic.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalog {
    types: BTreeMap<String, InstanceType>,
}

impl Catalog {
    /// An empty catalog, for tests and scenarios that define their own types.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// The catalog compiled into the binary, parsed once (std::sync::OnceLock).
    ///
    /// Panics only if the embedded CSV is broken; a unit test guarantees it is
    /// not.
    pub fn embedded() -> &'static Catalog {
        static EMBEDDED: OnceLock<Catalog> = OnceLock::new();
        EMBEDDED.get_or_init(|| match Catalog::from_csv(EMBEDDED_CSV) {
            Ok(catalog) => catalog,
            Err(e) => panic!("embedded instances.csv is invalid: {e}"),
        })
    }

    /// Parses catalog CSV text (the format of `instances.csv`), so users can
    /// supply their own catalog file.
    ///
    /// The format is deliberately strict: the first line must equal
    /// [`CSV_HEADER`]; every other non-blank line has exactly 9
    /// comma-separated fields, with no quoting and no surrounding spaces.
    /// Rows must have vcpu, memory, ENIs, IPv4-per-ENI and price > 0, a known
    /// arch, a GPU model exactly when gpus > 0, a `family.size` name, and no
    /// name may repeat.
    pub fn from_csv(text: &str) -> Result<Catalog, CatalogError> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, l)| l).unwrap_or("");
        if header != CSV_HEADER {
            return Err(CatalogError::BadHeader {
                found: header.to_string(),
            });
        }
        let mut catalog = Catalog::new();
        for (idx, raw) in lines {
            let line = idx + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let it = parse_row(raw).map_err(|reason| CatalogError::BadRow { line, reason })?;
            if catalog.types.contains_key(&it.name) {
                return Err(CatalogError::DuplicateName {
                    line,
                    name: it.name,
                });
            }
            catalog.types.insert(it.name.clone(), it);
        }
        Ok(catalog)
    }

    /// Looks up an instance type by exact EC2 name.
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.get(name)
    }

    /// All instance type names, sorted, for listings and deterministic
    /// iteration.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// All instance types, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &InstanceType> {
        self.types.values()
    }

    /// Number of instance types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether the catalog has no instance types.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Closest name by edit distance (<= 3), for "did you mean" messages.
    ///
    /// Comparison is case-insensitive on the input; an exact match returns
    /// itself; ties go to the alphabetically first name, so the answer is
    /// deterministic.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        crate::suggest::closest(name, self.names())
    }

    /// Adds or replaces an instance type (scenario-defined types, test
    /// fixtures), returning the one it replaced. Values are not validated;
    /// use [`Catalog::from_csv`] for untrusted input.
    pub fn insert(&mut self, it: InstanceType) -> Option<InstanceType> {
        self.types.insert(it.name.clone(), it)
    }

    /// A copy of this catalog with one type's on-demand price replaced, for
    /// scenarios that model negotiated or regional pricing.
    ///
    /// Fails if the type is unknown (with a suggestion) or the price is not a
    /// finite, non-negative number.
    pub fn with_price_override(&self, name: &str, price: f64) -> Result<Catalog, CatalogError> {
        if !price.is_finite() || price < 0.0 {
            return Err(CatalogError::InvalidPrice {
                name: name.to_string(),
                price,
            });
        }
        let mut out = self.clone();
        match out.types.get_mut(name) {
            Some(it) => {
                it.price_per_hour_usd = price;
                Ok(out)
            }
            None => Err(CatalogError::UnknownInstanceType {
                name: name.to_string(),
                suggestion: self.suggest(name).map(str::to_string),
            }),
        }
    }
}

/// Parses one data row; the error is a human-readable reason.
fn parse_row(raw: &str) -> Result<InstanceType, String> {
    let fields: Vec<&str> = raw.split(',').collect();
    if fields.len() != CSV_COLUMNS {
        return Err(format!(
            "expected {CSV_COLUMNS} comma-separated fields, found {}",
            fields.len()
        ));
    }
    let name = fields[0];
    match name.split_once('.') {
        Some((family, size))
            if !family.is_empty()
                && !size.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') => {}
        _ => {
            return Err(format!(
                "instance type `{name}` is not of the form family.size"
            ));
        }
    }
    let vcpu: u32 = parse_positive(fields[1], "vcpu")?;
    let memory_mib: u64 = parse_positive(fields[2], "memory_mib")?;
    let gpus: u32 = fields[3]
        .parse()
        .map_err(|_| format!("gpus `{}` is not a non-negative integer", fields[3]))?;
    let gpu_model = match (gpus, fields[4]) {
        (0, "") => None,
        (0, model) => return Err(format!("gpu_model `{model}` given but gpus is 0")),
        (_, "") => return Err(format!("gpus is {gpus} but gpu_model is empty")),
        (_, model) => Some(model.to_string()),
    };
    let enis: u32 = parse_positive(fields[5], "enis")?;
    let ipv4_per_eni: u32 = parse_positive(fields[6], "ipv4_per_eni")?;
    let price_per_hour_usd: f64 = fields[7]
        .parse()
        .map_err(|_| format!("price_per_hour_usd `{}` is not a number", fields[7]))?;
    if !price_per_hour_usd.is_finite() || price_per_hour_usd <= 0.0 {
        return Err(format!(
            "price_per_hour_usd `{}` must be a finite number > 0",
            fields[7]
        ));
    }
    let arch = Arch::parse(fields[8])
        .ok_or_else(|| format!("arch `{}` is not x86_64 or arm64", fields[8]))?;
    Ok(InstanceType {
        name: name.to_string(),
        vcpu,
        memory_mib,
        gpus,
        gpu_model,
        enis,
        ipv4_per_eni,
        price_per_hour_usd,
        arch,
        allocatable_override: None,
    })
}

/// Parses an integer field that must be > 0.
fn parse_positive<T>(field: &str, column: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    match field.parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err(format!("{column} `{field}` is not a positive integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(name: &str) -> &'static InstanceType {
        Catalog::embedded()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from embedded catalog"))
    }

    fn assert_price(name: &str, expected: f64) {
        let got = it(name).price_per_hour_usd;
        assert!(
            (got - expected).abs() < 1e-9,
            "{name}: price {got}, expected {expected}"
        );
    }

    #[test]
    fn embedded_csv_parses_without_duplicates_and_all_rows_positive() {
        let catalog = Catalog::from_csv(EMBEDDED_CSV).expect("embedded CSV parses");
        let data_lines = EMBEDDED_CSV
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        // from_csv rejects duplicates; equal counts also prove none collapsed.
        assert_eq!(catalog.len(), data_lines);
        assert_eq!(catalog.len(), 44);
        for t in catalog.iter() {
            assert!(t.vcpu > 0, "{}", t.name);
            assert!(t.memory_mib > 0, "{}", t.name);
            assert!(t.enis > 0, "{}", t.name);
            assert!(t.ipv4_per_eni > 1, "{}", t.name);
            assert!(t.price_per_hour_usd > 0.0, "{}", t.name);
            assert_eq!(t.gpus > 0, t.gpu_model.is_some(), "{}", t.name);
        }
        assert_eq!(Catalog::embedded(), &catalog);
    }

    #[test]
    fn required_families_and_sizes_present() {
        let c = Catalog::embedded();
        for fam in ["m5", "m6i", "m6g", "c5", "c6i", "c6a", "r5", "r6i"] {
            for size in ["large", "xlarge", "2xlarge", "4xlarge"] {
                assert!(c.get(&format!("{fam}.{size}")).is_some(), "{fam}.{size}");
            }
        }
        for name in ["t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge"] {
            assert!(c.get(name).is_some(), "{name}");
        }
        for size in ["xlarge", "2xlarge", "4xlarge", "12xlarge", "48xlarge"] {
            assert_eq!(it(&format!("g5.{size}")).gpu_model.as_deref(), Some("A10G"));
        }
        for size in ["2xlarge", "8xlarge", "16xlarge"] {
            assert_eq!(it(&format!("p3.{size}")).gpu_model.as_deref(), Some("V100"));
        }
    }

    #[test]
    fn facts_max_pods() {
        for (name, pods) in [
            ("m5.large", 29),
            ("m6i.large", 29),
            ("m6g.large", 29),
            ("m5.xlarge", 58),
            ("m6i.xlarge", 58),
            ("c6i.xlarge", 58),
            ("t3.medium", 17),
        ] {
            assert_eq!(it(name).max_pods(), pods, "{name}");
        }
    }

    #[test]
    fn max_pods_match_eni_max_pods_txt() {
        // Values from amazon-eks-ami files/eni-max-pods.txt.
        for (name, pods) in [
            ("c6a.2xlarge", 58),
            ("r5.4xlarge", 234),
            ("t3.large", 35),
            ("g5.12xlarge", 737),
            ("g5.48xlarge", 345),
            ("p3.2xlarge", 58),
            ("p3.16xlarge", 234),
        ] {
            assert_eq!(it(name).max_pods(), pods, "{name}");
        }
    }

    #[test]
    fn facts_prices() {
        assert_price("m5.large", 0.096);
        assert_price("m5.xlarge", 0.192);
        assert_price("m6i.large", 0.096);
        assert_price("c6i.xlarge", 0.17);
        assert_price("m6g.large", 0.077);
        assert_price("t3.medium", 0.0416);
    }

    #[test]
    fn eni_formula() {
        assert_eq!(eni_max_pods(3, 10), 29);
        assert_eq!(eni_max_pods(4, 15), 58);
        assert_eq!(eni_max_pods(3, 6), 17);
        assert_eq!(eni_max_pods(0, 0), 2);
        assert_eq!(eni_max_pods(u32::MAX, u32::MAX), u32::MAX);
    }

    #[test]
    fn reserved_cpu_hand_computed() {
        // 1: 60 | 2: 60+10 | 3: +5 | 4: +5 | then 2.5m per core, truncated per range.
        assert_eq!(kube_reserved_cpu_m(0), 0);
        assert_eq!(kube_reserved_cpu_m(1), 60);
        assert_eq!(kube_reserved_cpu_m(2), 70);
        assert_eq!(kube_reserved_cpu_m(3), 75);
        assert_eq!(kube_reserved_cpu_m(4), 80);
        assert_eq!(kube_reserved_cpu_m(5), 82); // 80 + floor(2.5)
        assert_eq!(kube_reserved_cpu_m(8), 90); // 80 + 4 * 2.5
        assert_eq!(kube_reserved_cpu_m(48), 190); // 80 + 44 * 2.5
        assert_eq!(kube_reserved_cpu_m(96), 310); // 80 + 92 * 2.5
    }

    #[test]
    fn reserved_memory_formula() {
        assert_eq!(kube_reserved_memory_mib(29), 574);
        assert_eq!(kube_reserved_memory_mib(58), 893);
    }

    #[test]
    fn facts_c6a_2xlarge_allocatable() {
        let t = it("c6a.2xlarge");
        assert_eq!(
            (t.vcpu, t.memory_mib, t.enis, t.ipv4_per_eni),
            (8, 16384, 4, 15)
        );
        assert_eq!(
            allocatable(t, DEFAULT_VM_MEMORY_OVERHEAD),
            Allocatable {
                cpu_m: 7910,
                memory_mib: 14162,
                pods: 58,
                gpus: 0
            }
        );
    }

    #[test]
    fn allocatable_matches_karpenter_published_values() {
        // karpenter-provider-aws website/content/en/docs/reference/instance-types.md
        for (name, cpu_m, memory_mib, pods, gpus) in [
            ("r5.large", 1930, 14481, 29, 0),
            ("g5.xlarge", 3920, 14162, 58, 1),
            ("g5.48xlarge", 191_450, 723_299, 345, 8),
            ("p3.2xlarge", 7910, 56786, 58, 1),
            ("p3.16xlarge", 63770, 459_304, 234, 8),
        ] {
            assert_eq!(
                allocatable(it(name), DEFAULT_VM_MEMORY_OVERHEAD),
                Allocatable {
                    cpu_m,
                    memory_mib,
                    pods,
                    gpus
                },
                "{name}"
            );
        }
    }

    #[test]
    fn capacity_memory_edges() {
        assert_eq!(
            capacity_memory_mib(16384, DEFAULT_VM_MEMORY_OVERHEAD),
            15155
        );
        assert_eq!(capacity_memory_mib(16384, 0.0), 16384);
        assert_eq!(capacity_memory_mib(16384, 1.0), 0);
        assert_eq!(capacity_memory_mib(16384, -1.0), 16384);
        assert_eq!(capacity_memory_mib(16384, f64::NAN), 16384);
        // 40 * 0.075 = 3 exactly; must not lose or gain a MiB to rounding.
        assert_eq!(capacity_memory_mib(40, DEFAULT_VM_MEMORY_OVERHEAD), 37);
        assert_eq!(capacity_memory_mib(4000, DEFAULT_VM_MEMORY_OVERHEAD), 3700);
    }

    #[test]
    fn family_size_arch() {
        let t = it("m5.large");
        assert_eq!((t.family(), t.size()), ("m5", "large"));
        assert_eq!(it("g5.48xlarge").size(), "48xlarge");
        assert_eq!(it("m6g.xlarge").arch, Arch::Arm64);
        assert_eq!(it("m6i.xlarge").arch, Arch::X86_64);
        assert_eq!(Arch::Arm64.kubernetes_label(), "arm64");
        assert_eq!(Arch::X86_64.kubernetes_label(), "amd64");
        assert_eq!(Arch::parse(&Arch::X86_64.to_string()), Some(Arch::X86_64));
    }

    #[test]
    fn names_sorted() {
        let names: Vec<&str> = Catalog::embedded().names().collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn suggest_typo() {
        let c = Catalog::embedded();
        assert_eq!(c.suggest("m5.lareg"), Some("m5.large"));
        assert_eq!(c.suggest("M5.LARGE"), Some("m5.large"));
        assert_eq!(c.suggest("m5.large"), Some("m5.large"));
        assert_eq!(c.suggest("x1e.32xlarge"), None);
        assert_eq!(Catalog::new().suggest("m5.large"), None);
    }

    #[test]
    fn price_override_and_insert() {
        let c = Catalog::embedded();
        let cheap = c.with_price_override("m5.large", 0.05).unwrap();
        assert!((cheap.get("m5.large").unwrap().price_per_hour_usd - 0.05).abs() < 1e-12);
        assert!((it("m5.large").price_per_hour_usd - 0.096).abs() < 1e-12);
        assert_eq!(
            c.with_price_override("m5.lareg", 0.05),
            Err(CatalogError::UnknownInstanceType {
                name: "m5.lareg".into(),
                suggestion: Some("m5.large".into())
            })
        );
        assert!(matches!(
            c.with_price_override("m5.large", f64::NAN),
            Err(CatalogError::InvalidPrice { .. })
        ));
        assert!(c.with_price_override("m5.large", -1.0).is_err());

        let mut custom = Catalog::new();
        let mut t = it("m5.large").clone();
        t.name = "x9.large".into();
        assert_eq!(custom.insert(t.clone()), None);
        assert_eq!(custom.insert(t.clone()), Some(t));
        assert_eq!(custom.len(), 1);
        assert_eq!(custom.get("x9.large").unwrap().family(), "x9");
    }

    #[test]
    fn from_csv_rejects_bad_input() {
        let row = "m5.large,2,8192,0,,3,10,0.096,x86_64";
        let ok = format!("{CSV_HEADER}\n{row}\n");
        assert_eq!(Catalog::from_csv(&ok).unwrap().len(), 1);
        assert!(matches!(
            Catalog::from_csv(""),
            Err(CatalogError::BadHeader { .. })
        ));
        assert!(matches!(
            Catalog::from_csv(&format!("name,vcpu\n{row}")),
            Err(CatalogError::BadHeader { .. })
        ));
        assert_eq!(
            Catalog::from_csv(&format!("{CSV_HEADER}\n{row}\n{row}")),
            Err(CatalogError::DuplicateName {
                line: 3,
                name: "m5.large".into()
            })
        );
        for bad in [
            "m5.large,2,8192,0,,3,10,0.096",            // too few fields
            "m5.large,0,8192,0,,3,10,0.096,x86_64",     // zero vcpu
            "m5.large,2,-1,0,,3,10,0.096,x86_64",       // negative memory
            "m5.large,2,8192,1,,3,10,0.096,x86_64",     // gpus without model
            "m5.large,2,8192,0,A10G,3,10,0.096,x86_64", // model without gpus
            "m5.large,2,8192,0,,0,10,0.096,x86_64",     // zero enis
            "m5.large,2,8192,0,,3,10,0,x86_64",         // zero price
            "m5.large,2,8192,0,,3,10,inf,x86_64",       // infinite price
            "m5.large,2,8192,0,,3,10,0.096,amd64",      // unknown arch
            "m5large,2,8192,0,,3,10,0.096,x86_64",      // no family.size
            "m5.large ,2,8192,0,,3,10,0.096,x86_64",    // stray space
        ] {
            let err = Catalog::from_csv(&format!("{CSV_HEADER}\n{bad}")).unwrap_err();
            assert!(
                matches!(err, CatalogError::BadRow { line: 2, .. }),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn error_messages_are_readable() {
        let e = CatalogError::UnknownInstanceType {
            name: "m5.lareg".into(),
            suggestion: Some("m5.large".into()),
        };
        assert_eq!(
            e.to_string(),
            "unknown instance type `m5.lareg` (did you mean `m5.large`?)"
        );
    }
}
