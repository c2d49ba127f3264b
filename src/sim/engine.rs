//! The event loop and its handlers: pods arrive, are admitted to Fargate or queued for the
//! default scheduler, bind, pull images, run and finish; nodes launch and become Ready; the
//! meters integrate cost and utilisation; outputs stream to disk as the run goes.

use std::cmp::Reverse;
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::RngExt;
use thiserror::Error;

use super::event::Event;
use super::queue::EventQueue;
use super::rng::{SimRng, stream};
use super::time::{SimDuration, SimTime, fmt_secs};
use crate::billing;
use crate::cluster::catalog::allocatable;
use crate::cluster::fargate::{
    ContainerRequests, FargatePodTraits, match_profile, size_pod, sizing::unsupported_reason,
};
use crate::cluster::node::{CapacityType, ImageCaches, ImageIds, Node, NodeId, NodeState};
use crate::cluster::node_list::NodeList;
use crate::cluster::pod::{CapacityKind, FargatePlacement, Pod, PodKey, PodPhase, PodTable};
use crate::cluster::resources::Resources;
use crate::metrics::summary::{
    ControlPlaneSummary, Costs, FargateSummary, NodeCounts, PodCounts, Summary, Timing,
    Utilization, peak_rss_mib,
};
use crate::metrics::{LatencyStats, TimeIntegral};
use crate::output::{CommitBatch, CsvOut, OutputError, fmt_usd};
use crate::scenario::{Scenario, WorkloadSpec};
use crate::scheduler::queue::{PodClasses, SchedulingQueue};
use crate::scheduler::topology::TopologyIndex;
use crate::scheduler::{ClusterView, CycleTrace, Scheduler, node_tree_order};
use crate::workload::{
    ControllerKind, ControllerSpec, GeneratorSource, GeneratorSpec, PodSource, PodSpec,
    SharedLabels, SharedStr, TraceSource, WorkloadError,
};

/// Columns of pods.csv (DESIGN.md contract, then additions).
pub const POD_COLUMNS: [&str; 22] = [
    "pod",
    "namespace",
    "group",
    "submit_s",
    "scheduled_s",
    "pull_start_s",
    "running_s",
    "finished_s",
    "outcome",
    "capacity",
    "node",
    "node_group",
    "fargate_profile",
    "zone",
    "cpu_m",
    "memory_mib",
    "fargate_vcpu",
    "fargate_memory_gb",
    "billed_s",
    "cost_usd",
    "reason",
    "attributed_cost_usd",
];
/// Columns of nodes.csv.
pub const NODE_COLUMNS: [&str; 16] = [
    "node",
    "node_group",
    "instance_type",
    "capacity_type",
    "zone",
    "ami_version",
    "launch_s",
    "ready_s",
    "terminated_s",
    "termination_reason",
    "billed_s",
    "price_per_hour_usd",
    "cost_usd",
    "cpu_allocatable_m",
    "memory_allocatable_mib",
    "max_pods",
];
/// Columns of nodegroups.csv: one row per node group status change.
pub const NODEGROUP_COLUMNS: [&str; 6] =
    ["t_s", "node_group", "status", "desired", "ready", "issue"];
/// Columns of incidents.csv: one row per failure or outage.
pub const INCIDENT_COLUMNS: [&str; 6] = ["start_s", "end_s", "kind", "zone", "component", "impact"];
/// Columns of timeline.csv.
pub const TIMELINE_COLUMNS: [&str; 15] = [
    "t_s",
    "nodes_launching",
    "nodes_ready",
    "pods_pending",
    "pods_running",
    "fargate_pods",
    "cpu_requested_m",
    "cpu_allocatable_m",
    "memory_requested_mib",
    "memory_allocatable_mib",
    "cost_usd_cumulative",
    "api_available",
    "cost_usd_cumulative_ec2",
    "cost_usd_cumulative_fargate",
    "cost_usd_cumulative_control_plane",
];

/// Why a run stopped early.
#[derive(Debug, Error)]
pub enum RunError {
    /// A workload source has bad data (a bad-input error: exit code 2).
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// An output file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The invariant checker found an impossible state: a bug in eksim, reported with what
    /// reproduces it.
    #[error(
        "invariant violated at t = {time} after event {event} (seed {seed}; rerun with `--seed {seed} --check-invariants` to reproduce): {message}"
    )]
    Invariant {
        /// Simulated time of the event.
        time: SimTime,
        /// The event just handled.
        event: String,
        /// The run's seed.
        seed: u64,
        /// What is wrong.
        message: String,
    },
}

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Folder for the output files (created if missing).
    pub out_dir: PathBuf,
    /// Record every scheduling cycle of the pod with this name (for `eksim explain`).
    pub explain_pod: Option<String>,
    /// Stop the run once the explained pod is done (its pods.csv row written), as `max_events`
    /// would: nothing later can change its explanation, and `eksim explain` of a pod early in
    /// a long trace need not replay the rest. Not for a StatefulSet's pod, whose name comes
    /// back when it is recreated.
    pub stop_when_explained: bool,
    /// Check the engine's invariants after every event (debug builds check a sample anyway).
    pub check_invariants: bool,
    /// Stop after this many events; the outputs are written as of then and summary.json says
    /// the run is partial.
    pub max_events: Option<u64>,
    /// Whether each file is synced before it appears, or the caller syncs the folder (a
    /// sweep, which publishes a staged folder).
    pub durability: crate::output::Durability,
    /// Traces parsed by earlier runs on this thread, replayed instead of parsed again (a
    /// sweep's runs share one).
    pub traces: Option<std::sync::Arc<crate::workload::trace_cache::TraceCache>>,
}

/// One scheduling cycle of the explained pod.
#[derive(Debug, Clone)]
pub struct ExplainedCycle {
    /// When the cycle ran.
    pub at: SimTime,
    /// Node names by id, to print the trace.
    pub node_names: Vec<String>,
    /// Per-node detail.
    pub trace: CycleTrace,
    /// The FailedScheduling message if no node was found.
    pub failure: Option<String>,
}

/// What a finished run returns besides its files.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The summary written to summary.json.
    pub summary: Summary,
    /// The timing written to timing.json.
    pub timing: Timing,
    /// The folder the files are in.
    pub out_dir: PathBuf,
    /// Cycles of the explained pod, in order.
    pub explained: Vec<ExplainedCycle>,
    /// The explained pod's pods.csv row as (column, value) pairs, if it was submitted.
    pub explained_outcome: Option<Vec<(String, String)>>,
}

/// Accrues a cost rate that changes at events, for the cumulative cost column.
#[derive(Debug, Default)]
struct CostMeter {
    last_ms: u64,
    /// $ per hour and $ accrued, by [`CostPart`].
    rate_per_hour: [f64; 3],
    accrued: [f64; 3],
}

/// The parts of the bill the timeline accrues separately.
#[derive(Copy, Clone)]
enum CostPart {
    Ec2 = 0,
    Fargate = 1,
    ControlPlane = 2,
}

impl CostMeter {
    fn advance(&mut self, now_ms: u64) {
        if now_ms > self.last_ms {
            let hours = (now_ms - self.last_ms) as f64 / billing::MS_PER_HOUR;
            for (a, r) in self.accrued.iter_mut().zip(self.rate_per_hour) {
                *a += r * hours;
            }
            self.last_ms = now_ms;
        }
    }
    fn change(&mut self, now_ms: u64, part: CostPart, delta_per_hour: f64) {
        self.advance(now_ms);
        self.rate_per_hour[part as usize] += delta_per_hour;
    }
    fn total(&self) -> f64 {
        self.accrued.iter().sum()
    }
    /// An item billed at `rate_per_hour` since `start_ms` ends now: adds what the bill charges
    /// beyond the time it ran (rounding up to whole seconds, the 60 s minimum), so the timeline's
    /// cumulative cost ends at the billed total. Call after removing its rate.
    fn top_up(&mut self, now_ms: u64, part: CostPart, rate_per_hour: f64, start_ms: u64) {
        self.advance(now_ms);
        let used = now_ms.saturating_sub(start_ms);
        let extra = billing::billed_ms(start_ms, now_ms, true).saturating_sub(used);
        self.accrued[part as usize] += rate_per_hour * extra as f64 / billing::MS_PER_HOUR;
    }
}

struct Rngs {
    node_launch: SimRng,
    image_pull: SimRng,
    container_start: SimRng,
    fargate: SimRng,
}

struct Outputs {
    pods: CsvOut,
    timeline: CsvOut,
}

/// A controller at run time: its pods and progress.
struct CtrlState<'s> {
    spec: &'s ControllerSpec,
    /// `spec.template`, unshared: the scenario may be shared with runs on other threads.
    template: crate::workload::PodTemplate,
    /// Live pods, oldest first.
    live: Vec<PodKey>,
    next_index: u64,
    succeeded: u32,
    /// Pods refused at admission (they stay Pending in Kubernetes and count as replicas).
    rejected: u64,
    desired: u64,
    rng: SimRng,
}

mod autoscaling;
mod control_plane;
mod health;
pub mod invariants;
mod karpenter;
mod mng;
mod spot;

/// Why a pod leaves the cluster other than by finishing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Its controller scaled down.
    ScaleDown,
    /// Preempted by a higher-priority pod.
    Preempted,
    /// Evicted by a node drain (Cluster Autoscaler scale-down).
    Drained,
}

impl Removal {
    /// Evictions end a pod as `evicted`; a scale-down deletes it.
    fn is_eviction(self) -> bool {
        matches!(self, Removal::Preempted | Removal::Drained)
    }
}

/// One run of a scenario.
struct Engine<'s> {
    sc: &'s Scenario,
    seed: u64,
    horizon: SimTime,
    now: SimTime,
    queue: EventQueue<Event>,
    sources: Vec<Box<dyn PodSource + 's>>,
    controllers: Vec<CtrlState<'s>>,
    next_specs: Vec<Option<PodSpec>>,
    pods: PodTable,
    arrivals: u64,
    nodes: NodeList,
    /// Nodes launched per group so far (names nodes `<group>-<n>`).
    group_launched: Vec<u32>,
    /// For each node group, the Karpenter NodePool it stands for, if any.
    group_pool: Vec<Option<usize>>,
    /// Live nodes per group (the ASG's current size; drained nodes leave it at once).
    group_size: Vec<u32>,
    /// A group that failed to launch is not scaled up before this time.
    group_backoff_until: Vec<SimTime>,
    /// Per node: since when the Cluster Autoscaler has found it unneeded.
    unneeded_since: Vec<Option<SimTime>>,
    /// Per node: the Cluster Autoscaler does not simulate its removal again before this time
    /// (set when a simulation fails; `SimTime(0)` for never failed).
    ca_unremovable_until: Vec<SimTime>,
    ca_last_scale_up: Option<SimTime>,
    ca_last_failure: Option<SimTime>,
    ca_rng: SimRng,
    ca_scale_ups: u64,
    ca_scale_downs: u64,
    /// A buffer for the pod keys of the node a scale-down check looks at (kept across checks).
    ca_keys: Vec<PodKey>,
    /// A buffer for the pods a freed node lets back into activeQ (kept across releases).
    retry_moved: Vec<PodKey>,
    /// Karpenter: when the open provisioning batch started, its last pod, its timer.
    kp_batch_start: Option<SimTime>,
    kp_last_pending: SimTime,
    kp_timer: Option<SimTime>,
    kp_launches: u64,
    kp_disruptions: u64,
    /// Per node: since when it has been a consolidation candidate.
    kp_candidate_since: Vec<Option<SimTime>>,
    spot_rng: SimRng,
    spot_interruptions: u64,
    /// AMI release version new nodes of each group get (changes with updates).
    group_ami: Vec<String>,
    /// Managed node group updates, started in order.
    updates: Vec<mng::Update>,
    /// nodegroups.csv rows, in time order.
    group_rows: Vec<[String; 6]>,
    failure_rng: SimRng,
    launch_failures_count: u64,
    /// Control-plane instances.
    cp: Vec<control_plane::CpInstance>,
    cp_rng: SimRng,
    /// The API serves requests now.
    api_up: bool,
    api_down_since: Option<SimTime>,
    /// Time the API was up (ms) so far.
    api_area: TimeIntegral,
    zone_down: Vec<bool>,
    /// What waits for the API: pod creations, node registrations, bindings.
    deferred_arrivals: Vec<(PodSpec, Option<usize>)>,
    deferred_ready: Vec<NodeId>,
    deferred_binds: Vec<PodKey>,
    /// incidents.csv rows.
    incidents: Vec<[String; 6]>,
    /// Launches a group's ASG still owes after failures.
    group_shortfall: Vec<u32>,
    /// The health issue a group is DEGRADED with.
    group_degraded: Vec<Option<String>>,
    asg_retry_pending: Vec<bool>,
    asg_rotation: Vec<usize>,
    ready_nodes: Vec<NodeId>,
    /// The Ready nodes per zone, which `order` is rebuilt from.
    zone_lists: crate::scheduler::ZoneLists,
    /// Ready nodes in kube-scheduler's node-tree order.
    order: Vec<NodeId>,
    /// Every EC2 pod a scheduling cycle has failed (PodScheduled=False), by (priority desc,
    /// arrival): the Cluster Autoscaler's candidates. Entries whose pod was bound, deleted or
    /// is terminating since (none of which is ever undone) are dropped when it next reads it.
    /// Kept only when an autoscaler (CA or Karpenter) will read it.
    unschedulable_seen: BTreeSet<(Reverse<i32>, u64, PodKey)>,
    /// A Cluster Autoscaler or Karpenter is configured (so `unschedulable_seen` is kept).
    autoscaled: bool,
    /// The Fargate profile answer for the last (namespace, labels) allocations admitted.
    profile_memo: Option<(SharedStr, SharedLabels, Option<usize>)>,
    /// Counts rebuilds of `order` (the scheduler's memo keys node positions on it).
    order_epoch: u64,
    /// Nodes changed since the previous cycle (a buffer reused from cycle to cycle).
    touched: Vec<NodeId>,
    scheduler: Scheduler,
    squeue: SchedulingQueue,
    /// Equivalence-class numbers of EC2 pods (the pending pool and the autoscaler key on them).
    classes: PodClasses,
    /// Image numbers (node image caches key on them).
    images: ImageIds,
    /// Which EC2 nodes have which images.
    image_caches: ImageCaches,
    topo: TopologyIndex,
    /// A ScheduleNext event is queued.
    sched_pending: bool,
    /// Time of the queued BackoffFlush event.
    backoff_timer: Option<SimTime>,
    /// A leftover flush of pod-dependent unschedulable pods is queued.
    leftover_timer: bool,
    explain_pod: Option<String>,
    /// [`RunOptions::stop_when_explained`].
    stop_when_explained: bool,
    /// Pods holding room on nodes, by priority (to skip preemption when nothing is lower).
    bound_priorities: std::collections::BTreeMap<i32, u64>,
    preemptions: u64,
    explained: Vec<ExplainedCycle>,
    explained_outcome: Option<Vec<(String, String)>>,
    fargate_waiting: VecDeque<PodKey>,
    /// pods.csv row buffer, reused for every pod.
    row_buf: crate::output::RowBuf,
    /// The invariant checker's state.
    invariants: invariants::InvariantState,
    /// `--max-events`.
    max_events: Option<u64>,
    /// Set when `max_events` stopped the run: the events handled.
    stopped_early: Option<u64>,
    /// Why `max_events` was set: `max-events`, or `explained-pod-done` when
    /// [`RunOptions::stop_when_explained`] set it.
    stop_reason: &'static str,
    /// Most micro-VMs alive at once.
    fargate_peak: u32,
    /// Pods queued behind the concurrent-pod quota.
    fargate_quota_waits: u64,
    fargate_active: u32,
    rng: Rngs,
    out: Outputs,
    events: u64,
    // Counters for the timeline and summary.
    counts: PodCounts,
    n_pending: u64,
    n_running: u64,
    nodes_launching: u64,
    peak_ready: u64,
    fargate_pods_started: u64,
    pending: LatencyStats,
    startup: LatencyStats,
    fargate_micros: u64,
    // Cost attribution (billing::attribution): EC2 cost attributed to the pods of each node so
    // far, the total, each namespace's (EC2, Fargate) micro-dollars, and Fargate's waste.
    node_pod_micros: Vec<u64>,
    ec2_pod_micros: u64,
    namespace_micros: std::collections::BTreeMap<String, (u64, u64)>,
    fargate_rounding_vcpu_hours: f64,
    fargate_rounding_gb_hours: f64,
    fargate_rounding_usd: f64,
    fargate_minimum_usd: f64,
    fargate_vcpu_hours: f64,
    fargate_gb_hours: f64,
    cost_meter: CostMeter,
    // Requested / allocatable over Ready nodes, live and integrated.
    ready_req: Resources,
    ready_alloc: Resources,
    cpu_req_area: TimeIntegral,
    cpu_alloc_area: TimeIntegral,
    mem_req_area: TimeIntegral,
    mem_alloc_area: TimeIntegral,
}

/// Runs `sc` and writes pods.csv, nodes.csv, timeline.csv, summary.json and timing.json into
/// `opts.out_dir`. Files appear only when the run has succeeded.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<RunResult, RunError> {
    let started = Instant::now();
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| OutputError {
        path: opts.out_dir.clone(),
        source,
    })?;
    let seed = opts.seed.unwrap_or(sc.seed);
    let mut engine = Engine::new(
        sc,
        seed,
        &opts.out_dir,
        &opts.explain_pod,
        opts.traces.as_deref(),
    )?;
    engine.invariants = invariants::InvariantState::new(if opts.check_invariants {
        invariants::InvariantMode::EveryEvent
    } else if cfg!(debug_assertions) {
        invariants::InvariantMode::Sampled
    } else {
        invariants::InvariantMode::Off
    });
    engine.max_events = opts.max_events;
    engine.stop_when_explained = opts.stop_when_explained;
    engine.start()?;
    engine.run_loop()?;
    let mut files = CommitBatch::default();
    let (summary, pods_out, timeline_out, explained, explained_outcome) =
        engine.finish(&opts.out_dir, &mut files)?;
    let wall = started.elapsed().as_secs_f64();
    let timing = Timing {
        wall_s: wall,
        events_per_s: if wall > 0.0 {
            summary.events as f64 / wall
        } else {
            0.0
        },
        peak_rss_mib: peak_rss_mib(),
    };
    // Commit order: data files first, summary last, so a summary.json means a complete run.
    files.add_csv(pods_out);
    files.add_csv(timeline_out);
    let dir = &opts.out_dir;
    let json = |v: &dyn erased::Json| v.to_pretty();
    files.add_bytes(dir, "timing.json", json(&timing).as_bytes())?;
    files.add_bytes(dir, "summary.json", json(&summary).as_bytes())?;
    files.commit(opts.durability)?;
    Ok(RunResult {
        summary,
        timing,
        out_dir: dir.clone(),
        explained,
        explained_outcome,
    })
}

mod erased {
    /// Pretty JSON with a trailing newline.
    pub trait Json {
        fn to_pretty(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_pretty(&self) -> String {
            let mut s = serde_json::to_string_pretty(self)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
    }
}

fn opt_secs(t: Option<SimTime>) -> String {
    t.map(|t| fmt_secs(t.0)).unwrap_or_default()
}

impl<'s> Engine<'s> {
    fn new(
        sc: &'s Scenario,
        seed: u64,
        out_dir: &Path,
        explain_pod: &Option<String>,
        traces: Option<&crate::workload::trace_cache::TraceCache>,
    ) -> Result<Self, RunError> {
        let mut sources: Vec<Box<dyn PodSource + 's>> = Vec::new();
        let mut controllers: Vec<CtrlState<'s>> = Vec::new();
        for w in &sc.workload {
            sources.push(match w {
                WorkloadSpec::Controller(c) => {
                    controllers.push(CtrlState {
                        spec: c,
                        template: c.template.unshared(),
                        live: Vec::new(),
                        next_index: 0,
                        succeeded: 0,
                        rejected: 0,
                        desired: 0,
                        rng: stream(seed, &format!("workload/{}", c.name)),
                    });
                    continue;
                }
                // Every pod clones its template's or trace's shared parts (namespace, labels,
                // constraints): a run counts its own copies, not the scenario's, which a
                // sweep's runs on other threads share (two threads counting one allocation
                // fight over its cache line: `--jobs 2` on eight ali100k runs took 9% longer).
                WorkloadSpec::Generator(g) => Box::new(GeneratorSource::new(
                    GeneratorSpec {
                        template: g.template.unshared(),
                        ..g.clone()
                    },
                    seed,
                )),
                WorkloadSpec::Trace(t) => match traces {
                    Some(cache) => cache.open(t.unshared())?,
                    None => Box::new(TraceSource::open(t.unshared())?),
                },
            });
        }
        let out = Outputs {
            pods: CsvOut::create(out_dir, "pods.csv", &POD_COLUMNS)?,
            timeline: CsvOut::create(out_dir, "timeline.csv", &TIMELINE_COLUMNS)?,
        };
        let n = sources.len();
        Ok(Engine {
            sc,
            seed,
            horizon: SimTime(sc.horizon.0),
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            sources,
            controllers,
            next_specs: vec![None; n],
            pods: PodTable::default(),
            arrivals: 0,
            nodes: NodeList::default(),
            group_launched: vec![0; sc.cluster.node_groups.len()],
            group_pool: (0..sc.cluster.node_groups.len())
                .map(|g| {
                    sc.karpenter
                        .as_ref()
                        .and_then(|k| k.node_pools.iter().position(|p| p.group == g))
                })
                .collect(),
            group_size: vec![0; sc.cluster.node_groups.len()],
            group_backoff_until: vec![SimTime::ZERO; sc.cluster.node_groups.len()],
            unneeded_since: Vec::new(),
            ca_unremovable_until: Vec::new(),
            ca_last_scale_up: None,
            ca_last_failure: None,
            ca_rng: stream(seed, "autoscaler"),
            ca_scale_ups: 0,
            ca_scale_downs: 0,
            ca_keys: Vec::new(),
            retry_moved: Vec::new(),
            kp_batch_start: None,
            kp_last_pending: SimTime::ZERO,
            kp_timer: None,
            kp_launches: 0,
            kp_disruptions: 0,
            kp_candidate_since: Vec::new(),
            spot_rng: stream(seed, "spot"),
            spot_interruptions: 0,
            group_ami: sc
                .cluster
                .node_groups
                .iter()
                .map(|g| g.ami_version.clone())
                .collect(),
            updates: Vec::new(),
            group_rows: Vec::new(),
            failure_rng: stream(seed, "launch-failures"),
            launch_failures_count: 0,
            cp: Vec::new(),
            cp_rng: stream(seed, "control-plane"),
            api_up: true,
            api_down_since: None,
            api_area: TimeIntegral::default(),
            zone_down: vec![false; sc.cluster.zones.len()],
            deferred_arrivals: Vec::new(),
            deferred_ready: Vec::new(),
            deferred_binds: Vec::new(),
            incidents: Vec::new(),
            group_shortfall: vec![0; sc.cluster.node_groups.len()],
            group_degraded: vec![None; sc.cluster.node_groups.len()],
            asg_retry_pending: vec![false; sc.cluster.node_groups.len()],
            asg_rotation: vec![0; sc.cluster.node_groups.len()],
            ready_nodes: Vec::new(),
            zone_lists: Default::default(),
            order: Vec::new(),
            order_epoch: 0,
            unschedulable_seen: BTreeSet::new(),
            autoscaled: sc.autoscaler.is_some() || sc.karpenter.is_some(),
            profile_memo: None,
            touched: Vec::new(),
            scheduler: Scheduler::new(sc.scheduler.clone(), stream(seed, "scheduler")),
            squeue: SchedulingQueue::default(),
            classes: PodClasses::default(),
            images: ImageIds::default(),
            image_caches: ImageCaches::default(),
            topo: TopologyIndex::default(),
            sched_pending: false,
            backoff_timer: None,
            leftover_timer: false,
            explain_pod: explain_pod.clone(),
            stop_when_explained: false,
            bound_priorities: Default::default(),
            preemptions: 0,
            explained: Vec::new(),
            explained_outcome: None,
            fargate_waiting: VecDeque::new(),
            row_buf: crate::output::RowBuf::default(),
            invariants: invariants::InvariantState::default(),
            max_events: None,
            stopped_early: None,
            stop_reason: "max-events",
            fargate_peak: 0,
            fargate_quota_waits: 0,
            fargate_active: 0,
            rng: Rngs {
                node_launch: stream(seed, "latency/node-launch"),
                image_pull: stream(seed, "latency/image-pull"),
                container_start: stream(seed, "latency/container-start"),
                fargate: stream(seed, "fargate"),
            },
            out,
            events: 0,
            counts: PodCounts::default(),
            n_pending: 0,
            n_running: 0,
            nodes_launching: 0,
            peak_ready: 0,
            fargate_pods_started: 0,
            pending: LatencyStats::default(),
            startup: LatencyStats::default(),
            fargate_micros: 0,
            node_pod_micros: Vec::new(),
            ec2_pod_micros: 0,
            namespace_micros: Default::default(),
            fargate_rounding_vcpu_hours: 0.0,
            fargate_rounding_gb_hours: 0.0,
            fargate_rounding_usd: 0.0,
            fargate_minimum_usd: 0.0,
            fargate_vcpu_hours: 0.0,
            fargate_gb_hours: 0.0,
            cost_meter: CostMeter::default(),
            ready_req: Resources::default(),
            ready_alloc: Resources::default(),
            cpu_req_area: TimeIntegral::default(),
            cpu_alloc_area: TimeIntegral::default(),
            mem_req_area: TimeIntegral::default(),
            mem_alloc_area: TimeIntegral::default(),
        })
    }

    /// Launches every node group's desired capacity and queues the first arrival of each source.
    fn start(&mut self) -> Result<(), RunError> {
        for (g, spec) in self.sc.cluster.node_groups.iter().enumerate() {
            let row = [
                fmt_secs(0),
                spec.name.clone(),
                "ACTIVE".to_string(),
                spec.desired.to_string(),
                "0".to_string(),
                String::new(),
            ];
            let _ = g;
            self.group_rows.push(row);
        }
        self.cost_meter.change(
            0,
            CostPart::ControlPlane,
            self.sc.control_plane.fee_per_hour,
        );
        for (gi, g) in self.sc.cluster.node_groups.iter().enumerate() {
            for i in 0..g.desired {
                let zone = g.zones[i as usize % g.zones.len().max(1)];
                self.launch_node(gi, zone);
            }
        }
        for s in 0..self.sources.len() {
            self.pull_next(s)?;
        }
        for (c, st) in self.controllers.iter().enumerate() {
            if let Some(&(t, _)) = st.spec.replicas.first()
                && t <= self.horizon
            {
                self.queue.push(
                    t,
                    Event::ControllerStep {
                        ctrl: c as u32,
                        step: 0,
                    },
                );
            }
        }
        self.queue.push(SimTime::ZERO, Event::Sample);
        if self.sc.autoscaler.is_some() {
            self.queue.push(SimTime::ZERO, Event::AutoscalerScan);
        }
        self.karpenter_start();
        self.schedule_scripted();
        self.start_control_plane();

        Ok(())
    }

    /// A node of `group` in `zone` as it would launch now (also the Cluster Autoscaler's
    /// template), with the group's and the well-known labels, and its DaemonSet requests.
    fn make_node(&self, group: usize, zone: usize, name: String) -> Option<Node> {
        let g = &self.sc.cluster.node_groups[group];
        let t = g.instance_types.first()?;
        self.make_node_as(group, zone, name, t, g.capacity_type)
    }

    /// [`Engine::make_node`] with a given instance type and capacity type (Karpenter picks
    /// them per node).
    fn make_node_as(
        &self,
        group: usize,
        zone: usize,
        name: String,
        instance_type: &str,
        capacity: CapacityType,
    ) -> Option<Node> {
        let g = &self.sc.cluster.node_groups[group];
        let it = self.sc.catalog.get(instance_type)?;
        let price = match capacity {
            CapacityType::OnDemand => it.price_per_hour_usd,
            CapacityType::Spot => self
                .sc
                .spot
                .price(&it.name, it.price_per_hour_usd)
                .unwrap_or(it.price_per_hour_usd),
        };
        let a = allocatable(it, self.sc.vm_memory_overhead);
        let pods = g.max_pods.unwrap_or(a.pods);
        let alloc = Resources {
            cpu_m: a.cpu_m,
            memory_mib: a.memory_mib,
            gpus: a.gpus,
            pods,
        };
        let zone_name = &self.sc.cluster.zones[zone];
        let mut labels: Vec<(String, String)> = g.labels.clone();
        let mut set = |k: &str, v: &str| {
            labels.retain(|(lk, _)| lk != k);
            labels.push((k.to_string(), v.to_string()));
        };
        set("topology.kubernetes.io/zone", zone_name);
        set("topology.kubernetes.io/region", &self.sc.cluster.region);
        set("node.kubernetes.io/instance-type", &it.name);
        set("kubernetes.io/hostname", &name);
        set("kubernetes.io/arch", it.arch.kubernetes_label());
        set("kubernetes.io/os", "linux");
        set("eks.amazonaws.com/capacityType", capacity.as_str());
        if self.group_pool.get(group).is_some_and(Option::is_some) {
            set(
                "karpenter.sh/capacity-type",
                if capacity == CapacityType::Spot {
                    "spot"
                } else {
                    "on-demand"
                },
            );
            set("karpenter.k8s.aws/instance-family", it.family());
            set("karpenter.k8s.aws/instance-size", it.size());
        }
        if g.managed {
            set("eks.amazonaws.com/nodegroup", &g.name);
        } else {
            set("alpha.eksctl.io/nodegroup-name", &g.name);
        }
        labels.sort();
        let mut node = Node {
            name,
            group,
            instance_type: it.name.clone(),
            capacity_type: capacity,
            zone,
            ami_version: self.group_ami[group].clone(),
            launch: self.now,
            ready: None,
            terminated: None,
            termination_reason: None,
            state: NodeState::Launching,
            allocatable: alloc,
            requested: Resources::default(),
            price_per_hour: price,
            labels,
            taints: g.taints.clone(),
            unschedulable: false,
            version: 0,
            draining: false,
            last_change: self.now,
            replaces: Vec::new(),
            pods: Vec::new(),
            ephemeral_allocatable_mib: g.ephemeral_allocatable_mib(),
            ephemeral_requested_mib: 0,
            nonzero_cpu_m: 0,
            nonzero_memory_mib: 0,
        };
        for ds in &self.sc.daemon_sets {
            node.add_requests(Resources::pod(ds.cpu_m, ds.memory_mib, 0), 0);
        }
        Some(node)
    }

    fn launch_node(&mut self, group: usize, zone: usize) {
        let g = &self.sc.cluster.node_groups[group];
        let Some(t) = g.instance_types.first() else {
            return;
        };
        self.launch_node_as(group, zone, t, g.capacity_type);
    }

    /// Launches a node of a given instance and capacity type; returns its id.
    fn launch_node_as(
        &mut self,
        group: usize,
        zone: usize,
        instance_type: &str,
        capacity: CapacityType,
    ) -> Option<NodeId> {
        if let Some(code) = self.launch_failure(group, zone) {
            self.launch_failed(group, &code);
            return None;
        }
        let id = NodeId(self.nodes.len() as u32);
        let seq = self.group_launched[group];
        let name = format!("{}-{seq}", self.sc.cluster.node_groups[group].name);
        let node = self.make_node_as(group, zone, name, instance_type, capacity)?;
        self.group_launched[group] += 1;
        self.group_size[group] += 1;
        let price = node.price_per_hour;
        self.nodes.push(node);
        self.unneeded_since.push(None);
        self.ca_unremovable_until.push(SimTime(0));
        self.kp_candidate_since.push(None);
        self.topo.add_node(id);
        self.nodes_launching += 1;
        self.cost_meter.change(self.now.0, CostPart::Ec2, price);
        let delay = self
            .sc
            .latency
            .node_launch
            .sample(&mut self.rng.node_launch);
        if delay >= health::NODE_JOIN_TIMEOUT {
            self.queue.push(
                self.now + health::NODE_JOIN_TIMEOUT,
                Event::NodeJoinTimeout { node: id },
            );
        } else {
            self.queue
                .push(self.now + delay, Event::NodeReady { node: id });
        }
        self.schedule_spot_interruption(id);
        Some(id)
    }

    /// Reads the next pod of source `s` and queues its arrival if it is inside the horizon.
    fn pull_next(&mut self, s: usize) -> Result<(), RunError> {
        match self.sources[s].next_pod()? {
            Some(spec) if spec.submit <= self.horizon => {
                let at = spec.submit.max(self.now);
                self.next_specs[s] = Some(spec);
                self.queue.push(at, Event::Arrival { source: s as u32 });
            }
            _ => self.next_specs[s] = None,
        }
        Ok(())
    }

    fn run_loop(&mut self) -> Result<(), RunError> {
        while let Some(t) = self.queue.peek_time() {
            if t > self.horizon {
                break;
            }
            if self.max_events.is_some_and(|m| self.events >= m) {
                // Stopped early: bill and report as of now.
                self.stopped_early = Some(self.events);
                self.horizon = self.now;
                break;
            }
            let Some((t, ev)) = self.queue.pop() else {
                break;
            };
            if t < self.now {
                return Err(RunError::Invariant {
                    time: t,
                    event: format!("{ev:?}"),
                    seed: self.seed,
                    message: format!("time went backwards from {} to {t}", self.now),
                });
            }
            self.now = t;
            self.events += 1;
            // The next event's pod record is fetched into the cache while this one is handled.
            if let Some(pod) = self.queue.peek().and_then(Event::pod) {
                self.pods.prefetch(pod);
            }
            match ev {
                Event::Arrival { source } => self.on_arrival(source as usize)?,
                Event::NodeReady { node } => self.on_node_ready(node),
                Event::FargateVmReady { pod } => self.on_fargate_vm_ready(pod),
                Event::PodRunning { pod } => self.on_pod_running(pod),
                Event::PodFinished { pod } => self.on_pod_finished(pod)?,
                Event::Sample => self.on_sample()?,
                Event::ScheduleNext => self.on_schedule_next(),
                Event::BackoffFlush => self.on_backoff_flush(),
                Event::LeftoverFlush => self.on_leftover_flush(),
                Event::PodBound { pod } => self.complete_bind(pod),
                Event::ControllerStep { ctrl, step } => {
                    self.on_controller_step(ctrl as usize, step as usize)?
                }
                Event::PodTerminated { pod } => self.on_pod_terminated(pod)?,
                Event::AutoscalerScan => self.on_autoscaler_scan()?,
                Event::NodeTerminate { node } => self.terminate_node(node, "ScaleDown"),
                Event::KarpenterBatch => self.on_karpenter_batch()?,
                Event::KarpenterDisrupt => self.on_karpenter_disrupt()?,
                Event::SpotInterruption { node } => self.spot_interrupt(node)?,
                Event::Scripted { index } => self.on_scripted(index as usize)?,
                Event::UpdateTick { update } => self.on_update_tick(update as usize)?,
                Event::AsgRetry { group } => self.on_asg_retry(group as usize),
                Event::CpFailure { instance } => self.on_cp_failure(instance as usize),
                Event::CpRepair { instance } => self.on_cp_repair(instance as usize),
                Event::AzOutageEnd { zone } => self.on_az_outage_end(zone as usize),
                Event::NodeLostEviction { node } => self.on_node_lost_eviction(node)?,
                Event::NodeUnhealthyReplace { node } => self.on_node_unhealthy_replace(node)?,
                Event::NodeJoinTimeout { node } => self.on_node_join_timeout(node),
            }
            self.check_invariants(&ev)?;
        }
        Ok(())
    }

    fn on_arrival(&mut self, source: usize) -> Result<(), RunError> {
        if let Some(spec) = self.next_specs[source].take() {
            if self.api_up {
                self.admit(spec, None)?;
            } else {
                // Pod creation needs the API: the submitter retries until it is back.
                self.deferred_arrivals.push((spec, None));
            }
        }
        self.pull_next(source)
    }

    /// The API server receives a pod: the Fargate webhook decides where it goes.
    fn admit(
        &mut self,
        spec: PodSpec,
        controller: Option<usize>,
    ) -> Result<Option<PodKey>, RunError> {
        self.counts.submitted += 1;
        let seq = self.arrivals;
        self.arrivals += 1;
        // Pods of one job or template share their namespace and labels, and the profiles never
        // change: the last answer holds while both are the same allocations.
        let profile = match &self.profile_memo {
            Some((ns, labels, p)) if ns.same(&spec.namespace) && labels.same(&spec.labels) => *p,
            _ => {
                let p = match_profile(
                    &self.sc.cluster.fargate_profiles,
                    &spec.namespace,
                    &spec.labels,
                );
                self.profile_memo = Some((spec.namespace.clone(), spec.labels.clone(), p));
                p
            }
        };
        // Built straight into its slot (a pod built first and then inserted was copied whole
        // twice on its way into the table).
        let key = self.pods.insert(Pod::new(spec, seq));
        let pod = self
            .pods
            .get_mut(key)
            .unwrap_or_else(|| unreachable!("just inserted"));
        pod.controller = controller.map(|c| c as u32);
        match profile {
            Some(p) => {
                pod.capacity = Some(CapacityKind::Fargate);
                let traits = FargatePodTraits {
                    gpus: pod.spec.requests.gpus,
                    daemonset: false,
                    privileged: pod.spec.privileged,
                    host_network: pod.spec.host_network,
                    host_port: pod.spec.host_port,
                };
                let size = unsupported_reason(&traits).map(Err).unwrap_or_else(|| {
                    size_pod(&ContainerRequests {
                        cpu_m: pod.spec.requests.cpu_m,
                        memory_mib: pod.spec.requests.memory_mib,
                        ephemeral_mib: pod.spec.ephemeral_mib,
                    })
                    .map_err(|e| e.to_string())
                });
                match size {
                    Err(reason) => {
                        // Never admitted: its row is written and it leaves the table again.
                        pod.phase = PodPhase::Rejected;
                        pod.reason = Some(reason.into());
                        self.counts.rejected += 1;
                        let written = self.with_pod_aside(key, |e, pod| e.write_pod(pod));
                        self.pods.discard(key);
                        written?;
                        Ok(None)
                    }
                    Ok(size) => {
                        let zones = &self.sc.cluster.zones;
                        let zone = self.rng.fargate.random_range(0..zones.len().max(1));
                        let rate = billing::fargate::rate_per_hour(&size, &self.sc.fargate);
                        pod.fargate = Some(FargatePlacement {
                            profile: p as u32,
                            size,
                            zone: zone as u32,
                            rate_per_hour: rate,
                        });
                        self.n_pending += 1;
                        if self.fargate_active < self.sc.fargate.max_concurrent_pods {
                            self.start_fargate(key);
                        } else {
                            self.fargate_quota_waits += 1;
                            self.fargate_waiting.push_back(key);
                        }
                        Ok(Some(key))
                    }
                }
            }
            None => {
                pod.capacity = Some(CapacityKind::Ec2);
                // The class is numbered only when a pool to look it up in exists (a trace whose
                // pods all differ would otherwise number every pod).
                if !self.squeue.pool.is_empty() {
                    pod.class = self.classes.id_of(&pod.spec);
                }
                let (class, priority, arrival) = (pod.class, pod.spec.priority, pod.arrival_seq);
                // The new pod is in the table already: a stale pool entry under its handle (a
                // wrapped generation) must not count as waiting, as before it was inserted.
                let pods = &self.pods;
                let waiting_class = class != u32::MAX
                    && self
                        .squeue
                        .pool
                        .has_waiting_class(class, |k| k != key && pods.get(k).is_some());
                let pod = self
                    .pods
                    .get_mut(key)
                    .unwrap_or_else(|| unreachable!("just inserted"));
                pod.queued_at = self.now;
                if waiting_class {
                    // A pod of the same class already fits nowhere, so this one cannot either:
                    // it fails its first cycle without the scan.
                    pod.attempts = 1;
                }
                self.n_pending += 1;
                if waiting_class {
                    if self.autoscaled {
                        self.unschedulable_seen
                            .insert((Reverse(priority), arrival, key));
                    }
                    self.karpenter_note_unschedulable();
                }
                let p = self.pods.get(key).expect("just inserted");
                if waiting_class {
                    if self.explain_pod.as_deref() == Some(p.spec.name.as_str()) {
                        let view = ClusterView {
                            nodes: &self.nodes,
                            order: &self.order,
                            pods: &self.pods,
                        };
                        let u =
                            self.scheduler
                                .explain_unschedulable(&p.spec, &view, &mut self.topo);
                        self.explained.push(ExplainedCycle {
                            at: self.now,
                            node_names: self.nodes.iter().map(|n| n.name.clone()).collect(),
                            trace: CycleTrace::default(),
                            failure: Some(format!(
                                "{} (a pod of the same class is already waiting; the cycle's result is the same)",
                                u.message()
                            )),
                        });
                    }
                    self.squeue.pool.push(p.class, p.spec.priority, key, seq);
                } else {
                    self.squeue.push_active(p.queue_entry(key));
                    self.kick_scheduler();
                }
                Ok(Some(key))
            }
        }
    }

    /// The fargate-scheduler takes a pod: a micro-VM is created for it.
    fn start_fargate(&mut self, key: PodKey) {
        if !self.api_up {
            // The fargate-scheduler cannot bind without the API: it waits at the head.
            self.fargate_waiting.push_front(key);
            return;
        }
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            // Deleted while waiting for quota: the next waiting pod takes the slot.
            if let Some(next) = self.fargate_waiting.pop_front() {
                self.start_fargate(next);
            }
            return;
        };
        self.fargate_active += 1;
        self.fargate_peak = self.fargate_peak.max(self.fargate_active);
        self.fargate_pods_started += 1;
        pod.phase = PodPhase::Starting;
        pod.scheduled = now.into();
        self.n_pending -= 1;
        self.pending.record(now.since(pod.spec.submit).0);
        let delay = self
            .sc
            .latency
            .fargate_provision
            .sample(&mut self.rng.fargate);
        self.queue
            .push(now + delay, Event::FargateVmReady { pod: key });
    }

    fn on_fargate_vm_ready(&mut self, key: PodKey) {
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        pod.pull_start = now.into();
        let rate = pod.fargate.as_ref().map(|f| f.rate_per_hour).unwrap_or(0.0);
        self.cost_meter.change(now.0, CostPart::Fargate, rate);
        let pull = self
            .sc
            .latency
            .image_pull_fargate
            .sample(&mut self.rng.image_pull);
        let start = self
            .sc
            .latency
            .container_start
            .sample(&mut self.rng.container_start);
        self.queue
            .push(now + pull + start, Event::PodRunning { pod: key });
    }

    /// Queues a scheduling cycle if the scheduler is idle and work is waiting.
    fn kick_scheduler(&mut self) {
        if self.api_up && !self.sched_pending && !self.squeue.active_is_empty() {
            self.sched_pending = true;
            self.queue.push(self.now, Event::ScheduleNext);
        }
    }

    /// Runs scheduling cycles: all of activeQ at once when cycles take no time, else one cycle
    /// and the next one after `cycleLatency`.
    fn on_schedule_next(&mut self) {
        self.sched_pending = false;
        if !self.api_up {
            return; // resumes when the API is back
        }
        let latency = self.sc.scheduler.cycle_latency;
        while let Some(key) = self.squeue.pop_active() {
            self.run_cycle(key);
            if latency.0 > 0 {
                break;
            }
        }
        if !self.squeue.active_is_empty() {
            self.sched_pending = true;
            self.queue.push(self.now + latency, Event::ScheduleNext);
        }
    }

    /// One scheduling cycle for one pod.
    fn run_cycle(&mut self, key: PodKey) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if pod.phase != PodPhase::Pending {
            return;
        }
        let explain = self.explain_pod.as_deref() == Some(pod.spec.name.as_str());
        let mut trace = CycleTrace::default();
        self.nodes.take_touched(&mut self.touched);
        self.scheduler.note_changes(self.order_epoch, &self.touched);
        let view = ClusterView {
            nodes: &self.nodes,
            order: &self.order,
            pods: &self.pods,
        };
        let result = self.scheduler.schedule(
            &pod.spec,
            &view,
            &mut self.topo,
            explain.then_some(&mut trace),
        );
        if explain {
            self.explained.push(ExplainedCycle {
                at: self.now,
                node_names: self.nodes.iter().map(|n| n.name.clone()).collect(),
                trace,
                failure: result.as_ref().err().map(|u| u.message()),
            });
        }
        match result {
            Ok(node) => self.assume(key, node),
            Err(u) => {
                self.try_preempt(key);
                self.karpenter_note_unschedulable();
                let now = self.now;
                let Some(pod) = self.pods.get_mut(key) else {
                    return;
                };
                pod.attempts += 1;
                pod.queued_at = now;
                if self.autoscaled {
                    self.unschedulable_seen.insert((
                        Reverse(pod.spec.priority),
                        pod.arrival_seq,
                        key,
                    ));
                }
                if u.only_pod_dependent {
                    self.squeue.push_pod_dependent(pod.queue_entry(key));
                    self.arm_leftover_flush();
                } else {
                    let seq = pod.arrival_seq;
                    let class = self.pod_class(key);
                    let priority = self.pods.get(key).expect("live").spec.priority;
                    self.squeue.pool.push(class, priority, key, seq);
                }
            }
        }
    }

    /// DefaultPreemption after a failed cycle: evict the cheapest set of lower-priority pods on
    /// the best node; the pod is nominated to it and waits for the victims to terminate.
    fn try_preempt(&mut self, key: PodKey) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        if pod.spec.preemption_never
            || self
                .bound_priorities
                .keys()
                .next()
                .is_none_or(|&low| low >= pod.spec.priority)
        {
            return;
        }
        if let Some(n) = pod.nominated {
            let prio = pod.spec.priority;
            let waiting = self.nodes[n.0 as usize].pods.iter().any(|k| {
                self.pods
                    .get(*k)
                    .is_some_and(|p| p.terminating && p.spec.priority < prio)
            });
            if waiting {
                return; // victims on the nominated node are still terminating
            }
        }
        let spec = pod.spec.clone();
        let Some(plan) = crate::scheduler::preemption::plan(
            &self.scheduler,
            &spec,
            &mut self.nodes,
            &self.order,
            &self.pods,
            &mut self.topo,
            &self.sc.pdbs,
        ) else {
            return;
        };
        if let Some(p) = self.pods.get_mut(key) {
            p.nominated = Some(plan.node);
        }
        self.preemptions += 1;
        for v in plan.victims {
            // Errors here can only come from writing pods.csv, which the run reports at the end.
            let _ = self.remove_pod(v, Removal::Preempted);
        }
    }

    /// The scheduler's decision: the pod's room on the node is taken now (kube-scheduler's
    /// "assume"); the binding completes after the bind latency.
    fn assume(&mut self, key: PodKey, node_id: NodeId) {
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        pod.node = Some(node_id);
        let (req, eph) = (pod.spec.requests, pod.spec.ephemeral_mib);
        let node = &mut self.nodes[node_id.0 as usize];
        node.add_requests(req, eph);
        node.pods.push(key);
        node.last_change = self.now;
        *self.bound_priorities.entry(pod.spec.priority).or_default() += 1;
        self.ready_req += req;
        self.topo.bind(&pod.spec, node_id);
        self.update_util();
        let delay = self.sc.scheduler.cycle_latency + self.sc.scheduler.bind_latency;
        if delay.0 == 0 {
            self.complete_bind(key);
        } else {
            self.queue
                .push(self.now + delay, Event::PodBound { pod: key });
        }
        self.pod_event();
    }

    /// The binding is written: the kubelet starts the pod, pulling its image unless the node
    /// has it.
    fn complete_bind(&mut self, key: PodKey) {
        if !self.api_up {
            self.deferred_binds.push(key);
            return;
        }
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        let Some(node_id) = pod.node else { return };
        pod.phase = PodPhase::Starting;
        pod.scheduled = now.into();
        pod.pull_start = now.into();
        self.n_pending -= 1;
        self.pending.record(now.since(pod.spec.submit).0);
        // With pulls that always take zero time the node's image cache cannot change a start
        // (a cached image is ready by now too), so it is not kept: a trace of single-task jobs
        // would otherwise number and remember every pod's own image.
        let image_ready = if self.sc.latency.image_pull_ec2.always_zero() {
            now
        } else {
            if pod.image == u32::MAX {
                pod.image = self.images.id_of(pod.spec.image_name());
            }
            let image = pod.image;
            self.pull_ready(image, node_id, now)
        };
        let start = self
            .sc
            .latency
            .container_start
            .sample(&mut self.rng.container_start);
        self.queue
            .push(image_ready + start, Event::PodRunning { pod: key });
    }

    /// When `image` is on the node: at once if it is cached (or once the pull under way is
    /// done), else after a pull that starts now and is remembered.
    fn pull_ready(&mut self, image: u32, node_id: NodeId, now: SimTime) -> SimTime {
        match self.image_caches.get(image, node_id) {
            Some(t) => t.max(now),
            None => {
                let t = now
                    + self
                        .sc
                        .latency
                        .image_pull_ec2
                        .sample(&mut self.rng.image_pull);
                self.image_caches.insert(image, node_id, t);
                t
            }
        }
    }

    /// The equivalence-class number of a live pod, numbered on first use.
    pub(super) fn pod_class(&mut self, key: PodKey) -> u32 {
        let Some(pod) = self.pods.get_mut(key) else {
            return u32::MAX;
        };
        if pod.class == u32::MAX {
            pod.class = self.classes.id_of(&pod.spec);
        }
        pod.class
    }

    /// Puts a pod that left an unschedulable pool back: to backoffQ if its backoff has not run
    /// out yet, else to activeQ.
    fn requeue(&mut self, key: PodKey) {
        let Some(pod) = self.pods.get(key) else {
            return;
        };
        let expiry = pod.queued_at + self.sc.scheduler.backoff(pod.attempts.max(1));
        let entry = pod.queue_entry(key);
        if expiry > self.now {
            self.squeue.push_backoff(entry, expiry.0);
            self.arm_backoff_flush();
        } else {
            self.squeue.push_active(entry);
            self.kick_scheduler();
        }
    }

    /// kube-scheduler moves expired pods out of backoffQ once a second; the next flush is at
    /// the first whole second at or after the earliest expiry.
    fn arm_backoff_flush(&mut self) {
        let Some(expiry) = self.squeue.next_backoff_expiry() else {
            return;
        };
        let at = SimTime(expiry.div_ceil(1000) * 1000).max(self.now);
        if self.backoff_timer.is_none_or(|t| at < t) {
            self.backoff_timer = Some(at);
            self.queue.push(at, Event::BackoffFlush);
        }
    }

    fn on_backoff_flush(&mut self) {
        if self.backoff_timer != Some(self.now) {
            return; // superseded by an earlier flush
        }
        self.backoff_timer = None;
        self.squeue.flush_backoff(self.now.0);
        self.arm_backoff_flush();
        self.kick_scheduler();
    }

    /// Every 30 s kube-scheduler moves pods unschedulable for over 5 minutes back
    /// (flushUnschedulablePodsLeftover, podMaxInUnschedulablePodsDuration). Only pods whose
    /// failure depends on other pods need it: the class pool's hint is exact, so a leftover
    /// retry of its pods could never succeed.
    fn arm_leftover_flush(&mut self) {
        if !self.leftover_timer {
            self.leftover_timer = true;
            let next = SimTime((self.now.0 / 30_000 + 1) * 30_000);
            self.queue.push(next, Event::LeftoverFlush);
        }
    }

    fn on_leftover_flush(&mut self) {
        self.leftover_timer = false;
        let cutoff = self.now.0.saturating_sub(300_000);
        for key in self.squeue.take_pod_dependent(cutoff) {
            self.requeue(key);
        }
        if self.squeue.pod_dependent_len() > 0 {
            self.arm_leftover_flush();
        }
    }

    /// A pod was bound or left a node: pods waiting on spread or affinity may now fit.
    fn pod_event(&mut self) {
        if self.squeue.pod_dependent_len() == 0 {
            return;
        }
        for key in self.squeue.take_pod_dependent(u64::MAX) {
            self.requeue(key);
        }
    }

    fn on_pod_running(&mut self, key: PodKey) {
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            return;
        };
        pod.phase = PodPhase::Running;
        pod.running = now.into();
        self.n_running += 1;
        self.startup.record(now.since(pod.spec.submit).0);
        if let Some(d) = pod.spec.duration {
            self.queue.push(now + d, Event::PodFinished { pod: key });
        }
    }

    fn on_pod_finished(&mut self, key: PodKey) -> Result<(), RunError> {
        let Some(pod) = self.pods.get(key) else {
            return Ok(());
        };
        if pod.terminating {
            return Ok(());
        }
        self.counts.succeeded += 1;
        if pod
            .running
            .get()
            .is_some_and(|r| self.now.0.saturating_sub(r.0) < billing::MINIMUM_BILLED_MS)
        {
            self.counts.ran_under_60s += 1;
        }
        self.release(key, PodPhase::Succeeded)
    }

    /// A deleted or evicted pod's containers have stopped after its grace period.
    fn on_pod_terminated(&mut self, key: PodKey) -> Result<(), RunError> {
        let Some(pod) = self.pods.get(key) else {
            return Ok(());
        };
        let phase = if pod.removal.is_some_and(Removal::is_eviction) {
            PodPhase::Evicted
        } else {
            PodPhase::Deleted
        };
        match phase {
            PodPhase::Evicted => self.counts.evicted += 1,
            _ => self.counts.deleted += 1,
        }
        self.release(key, phase)
    }

    /// Runs `f` on the engine and pod `key`'s record where it lies in the table, with the table
    /// set aside meanwhile (so `f` must not look pods up): writing a pod's row or unbinding it
    /// from its record, instead of moving the 416-byte record out of the table first.
    fn with_pod_aside<R>(&mut self, key: PodKey, f: impl FnOnce(&mut Self, &Pod) -> R) -> R {
        let pods = std::mem::take(&mut self.pods);
        let pod = pods
            .get(key)
            .unwrap_or_else(|| unreachable!("the caller looked the pod up"));
        let r = f(self, pod);
        self.pods = pods;
        r
    }

    /// A pod leaves the cluster: its row is written, its room and billing end, and its
    /// controller reacts (a Job counts a success; a ReplicaSet replaces an evicted pod).
    fn release(&mut self, key: PodKey, phase: PodPhase) -> Result<(), RunError> {
        let now = self.now;
        let Some(pod) = self.pods.get_mut(key) else {
            return Ok(());
        };
        match pod.phase {
            PodPhase::Pending => self.n_pending -= 1,
            PodPhase::Running => self.n_running -= 1,
            _ => {}
        }
        let was_started = pod.phase != PodPhase::Pending;
        pod.phase = phase;
        pod.finished = now.into();
        // The row is written, and the pod unbound from the topology, from its record in the
        // table, which is then dropped where it lies: moving the 416-byte record out first
        // cost two copies of it per pod. The pod's few fields needed below are copied out.
        let (written, fargate, node, controller, removal, priority, requests, ephemeral_mib) = self
            .with_pod_aside(key, |e, pod| {
                let written = e.write_pod(pod);
                if written.is_ok()
                    && let Some(n) = pod.node
                {
                    e.topo.unbind(&pod.spec, n);
                }
                (
                    written,
                    pod.fargate
                        .as_ref()
                        .map(|f| (f.rate_per_hour, pod.pull_start.get())),
                    pod.node,
                    pod.controller(),
                    pod.removal,
                    pod.spec.priority,
                    pod.spec.requests,
                    pod.spec.ephemeral_mib,
                )
            });
        self.pods.discard(key);
        written?;
        if let Some((rate_per_hour, pull_start)) = fargate
            && was_started
        {
            if let Some(ps) = pull_start {
                self.cost_meter
                    .change(now.0, CostPart::Fargate, -rate_per_hour);
                self.cost_meter
                    .top_up(now.0, CostPart::Fargate, rate_per_hour, ps.0);
            }
            self.fargate_active -= 1;
            if let Some(next) = self.fargate_waiting.pop_front() {
                self.start_fargate(next);
            }
        }
        if let Some(n) = node {
            if let Some(c) = self.bound_priorities.get_mut(&priority) {
                *c -= 1;
                if *c == 0 {
                    self.bound_priorities.remove(&priority);
                }
            }
            let node = &mut self.nodes[n.0 as usize];
            node.remove_requests(requests, ephemeral_mib);
            // Bound once, so listed once: the first match is the only one (the list keeps its
            // order, which drains follow).
            if let Some(i) = node.pods.iter().position(|k| *k == key) {
                node.pods.remove(i);
            }
            debug_assert!(!node.pods.contains(&key), "pod listed twice on its node");
            node.last_change = now;
            self.ready_req -= requests;
            self.update_util();
            self.retry_pending_on(n);
            self.pod_event();
        }
        if let Some(c) = controller {
            let st = &mut self.controllers[c];
            st.live.retain(|k| *k != key);
            if phase == PodPhase::Succeeded {
                st.succeeded += 1;
            }
            if removal.is_none() {
                // A finished pod: a Job runs the next, a ReplicaSet restarts it. Removed pods
                // were replaced (or not) when their removal began.
                self.reconcile(c)?;
            }
        }
        Ok(())
    }

    /// Starts removing a pod: a pending pod goes at once; a pod with capacity keeps it for its
    /// grace period (terminationGracePeriodSeconds), then leaves.
    fn remove_pod(&mut self, key: PodKey, why: Removal) -> Result<(), RunError> {
        self.remove_pod_with_grace(key, why, None)
    }

    /// [`Engine::remove_pod`] with the grace period capped (a drain's max-graceful-termination).
    fn remove_pod_with_grace(
        &mut self,
        key: PodKey,
        why: Removal,
        cap: Option<SimDuration>,
    ) -> Result<(), RunError> {
        let grace = {
            let Some(pod) = self.pods.get_mut(key) else {
                return Ok(());
            };
            if pod.terminating {
                return Ok(());
            }
            pod.terminating = true;
            pod.removal = Some(why);
            let grace = pod
                .controller()
                .map(|c| self.controllers[c].spec.grace)
                .unwrap_or(SimDuration::from_secs(30));
            let grace = cap.map_or(grace, |c| grace.min(c));
            if pod.phase == PodPhase::Pending && pod.node.is_none() {
                SimDuration::ZERO
            } else {
                grace
            }
        };
        if let Some(c) = self.pods.get(key).and_then(|p| p.controller()) {
            self.controllers[c].live.retain(|k| *k != key);
        }
        if why.is_eviction() {
            // Controllers replace an evicted pod as soon as it is marked for deletion (a
            // terminating pod no longer counts as a replica); a bare pod is lost.
            let Some(pod) = self.pods.get(key) else {
                return Ok(());
            };
            match pod.controller() {
                Some(c) => self.reconcile(c)?,
                None if pod.spec.owner == crate::workload::OwnerKind::Job => {
                    let mut again = pod.spec.clone();
                    again.name.push_str("-r");
                    again.submit = self.now;
                    if self.api_up {
                        self.admit(again, None)?;
                    } else {
                        self.deferred_arrivals.push((again, None));
                    }
                }
                None => {}
            }
        }
        if grace.0 == 0 {
            self.on_pod_terminated(key)
        } else {
            self.queue
                .push(self.now + grace, Event::PodTerminated { pod: key });
            Ok(())
        }
    }

    fn on_controller_step(&mut self, c: usize, step: usize) -> Result<(), RunError> {
        let spec = self.controllers[c].spec;
        if let Some(&(_, n)) = spec.replicas.get(step) {
            self.controllers[c].desired = n;
        }
        if let Some(&(t, _)) = spec.replicas.get(step + 1)
            && t <= self.horizon
        {
            self.queue.push(
                t.max(self.now),
                Event::ControllerStep {
                    ctrl: c as u32,
                    step: step as u32 + 1,
                },
            );
        }
        self.reconcile(c)
    }

    /// Brings a controller's pods to what it wants: creates missing replicas (or Job pods),
    /// deletes surplus replicas in the ReplicaSet controller's order (unscheduled first, then
    /// starting, then running; newest first among equals).
    fn reconcile(&mut self, c: usize) -> Result<(), RunError> {
        let st = &self.controllers[c];
        let spec = st.spec;
        let live = st.live.len() as u64;
        let target: u64 = match &spec.kind {
            ControllerKind::ReplicaSet | ControllerKind::StatefulSet => {
                st.desired.saturating_sub(st.rejected)
            }
            ControllerKind::Job {
                parallelism,
                completions,
            } => {
                let remaining = match completions {
                    Some(n) => u64::from(n.saturating_sub(st.succeeded)),
                    None if st.succeeded > 0 => 0,
                    None => u64::from(*parallelism),
                };
                remaining.min(u64::from(*parallelism))
            }
            ControllerKind::Pod => u64::from(st.next_index == 0 && st.desired > 0),
        };
        if matches!(spec.kind, ControllerKind::Pod) {
            if target == 1 {
                self.create_pod(c)?;
            }
            return Ok(());
        }
        if live < target {
            for _ in live..target {
                self.create_pod(c)?;
            }
        } else if live > target
            && matches!(
                spec.kind,
                ControllerKind::ReplicaSet | ControllerKind::StatefulSet
            )
        {
            let mut ranked: Vec<(u8, std::cmp::Reverse<u64>, PodKey)> = self.controllers[c]
                .live
                .iter()
                .filter_map(|&k| {
                    self.pods.get(k).map(|p| {
                        let rank = match (
                            p.phase,
                            p.node.is_some() || p.fargate.is_some() && p.scheduled.is_some(),
                        ) {
                            (PodPhase::Pending, false) => 0,
                            (PodPhase::Pending, true) | (PodPhase::Starting, _) => 1,
                            _ => 2,
                        };
                        (rank, std::cmp::Reverse(p.arrival_seq), k)
                    })
                })
                .collect();
            ranked.sort();
            for (_, _, k) in ranked.into_iter().take((live - target) as usize) {
                self.remove_pod(k, Removal::ScaleDown)?;
            }
        }
        Ok(())
    }

    /// Creates one pod of controller `c` now.
    fn create_pod(&mut self, c: usize) -> Result<(), RunError> {
        if !self.api_up {
            return Ok(()); // the controller catches up when the API is back
        }
        let st = &mut self.controllers[c];
        let spec = st.spec;
        let name = match spec.kind {
            ControllerKind::Pod => spec.name.clone(),
            ControllerKind::StatefulSet => {
                // The lowest ordinal not in use, as a StatefulSet recreates `web-0` as `web-0`.
                let used: std::collections::BTreeSet<String> = st
                    .live
                    .iter()
                    .filter_map(|k| self.pods.get(*k).map(|p| p.spec.name.to_string()))
                    .collect();
                let mut i = 0;
                while used.contains(&format!("{}-{i}", spec.name)) {
                    i += 1;
                }
                format!("{}-{i}", spec.name)
            }
            _ => format!("{}-{}", spec.name, st.next_index),
        };
        st.next_index += 1;
        let duration = spec.duration.as_ref().map(|d| d.sample(&mut st.rng));
        let pod = st.template.instantiate(
            self.now,
            name,
            (&spec.name).into(),
            &spec.requests,
            duration,
        );
        match self.admit(pod, Some(c))? {
            Some(key) => self.controllers[c].live.push(key),
            None => self.controllers[c].rejected += 1,
        }
        Ok(())
    }

    fn on_node_ready(&mut self, id: NodeId) {
        if !self.api_up {
            // The kubelet cannot register without the API.
            self.deferred_ready.push(id);
            return;
        }
        let node = &mut self.nodes[id.0 as usize];
        if node.state != NodeState::Launching {
            return;
        }
        node.state = NodeState::Ready;
        node.ready = Some(self.now);
        self.ready_alloc += node.allocatable;
        self.ready_req += node.requested;
        self.nodes_launching -= 1;
        let pos = self.ready_nodes.partition_point(|&n| n < id);
        self.ready_nodes.insert(pos, id);
        self.topo.set_candidate(id, true);
        self.zone_lists.join(self.nodes[id.0 as usize].zone, id);
        self.zone_lists.order_into(&mut self.order);
        debug_assert_eq!(self.order, node_tree_order(&self.nodes, &self.ready_nodes));
        self.order_epoch += 1;
        self.peak_ready = self.peak_ready.max(self.ready_nodes.len() as u64);
        self.update_util();
        self.retry_pending_on(id);
        self.pod_event();
        // Errors can only come from writing pods.csv, which the run reports at the end.
        let _ = self.karpenter_node_ready(id);
        let g = self.nodes[id.0 as usize].group;
        self.check_group_healthy(g);
    }

    /// Node `id` gained room or joined: the queueing hint. Only pods that now pass every filter
    /// on that node can have become schedulable, so exactly those leave the pool (as many of a
    /// class as fit), and go through a real cycle after their backoff.
    fn retry_pending_on(&mut self, id: NodeId) {
        if self.squeue.pool.is_empty() {
            return;
        }
        // Kept across calls: a release that frees room moves pods on most calls.
        let mut moved = std::mem::take(&mut self.retry_moved);
        moved.clear();
        {
            let Engine {
                squeue,
                pods,
                nodes,
                order,
                scheduler,
                topo,
                ..
            } = self;
            squeue.pool.retry(|key| {
                let Some(p) = pods.get(key) else { return true };
                let fits = {
                    let view = ClusterView {
                        nodes,
                        order: &order[..],
                        pods,
                    };
                    scheduler.fits_on(&p.spec, &view, topo, id)
                };
                if fits {
                    // Reserve for the rest of this pass so later candidates see less room.
                    nodes[id.0 as usize].add_requests(p.spec.requests, p.spec.ephemeral_mib);
                    moved.push(key);
                }
                fits
            });
        }
        for &key in &moved {
            if let Some(p) = self.pods.get(key) {
                let (r, e) = (p.spec.requests, p.spec.ephemeral_mib);
                self.nodes[id.0 as usize].remove_requests(r, e);
            }
        }
        for &key in &moved {
            self.requeue(key);
        }
        self.retry_moved = moved;
    }

    /// The ratio that splits a node's price between CPU and memory for attribution: AWS's
    /// per-resource Fargate rates of the scenario (see `billing::attribution`).
    fn price_split(&self) -> billing::attribution::PriceSplit {
        billing::attribution::PriceSplit {
            vcpu_hour: self.sc.fargate.vcpu_hour,
            gib_hour: self.sc.fargate.gb_hour,
        }
    }

    fn update_util(&mut self) {
        let t = self.now.0;
        self.cpu_req_area.set(t, self.ready_req.cpu_m);
        self.cpu_alloc_area.set(t, self.ready_alloc.cpu_m);
        self.mem_req_area.set(t, self.ready_req.memory_mib);
        self.mem_alloc_area.set(t, self.ready_alloc.memory_mib);
    }

    fn on_sample(&mut self) -> Result<(), RunError> {
        self.cost_meter.advance(self.now.0);
        let row = [
            fmt_secs(self.now.0),
            self.nodes_launching.to_string(),
            self.ready_nodes.len().to_string(),
            self.n_pending.to_string(),
            self.n_running.to_string(),
            self.fargate_active.to_string(),
            self.ready_req.cpu_m.to_string(),
            self.ready_alloc.cpu_m.to_string(),
            self.ready_req.memory_mib.to_string(),
            self.ready_alloc.memory_mib.to_string(),
            fmt_usd(self.cost_meter.total()),
            if self.api_up { "1" } else { "0" }.to_string(),
            fmt_usd(self.cost_meter.accrued[CostPart::Ec2 as usize]),
            fmt_usd(self.cost_meter.accrued[CostPart::Fargate as usize]),
            fmt_usd(self.cost_meter.accrued[CostPart::ControlPlane as usize]),
        ];
        self.out.timeline.row(&row)?;
        let next = self.now + self.sc.sample_interval;
        if next <= self.horizon {
            self.queue.push(next, Event::Sample);
        } else if self.now < self.horizon {
            self.queue.push(self.horizon, Event::Sample);
        }
        Ok(())
    }

    /// Writes a pod's row; Fargate billing is settled here. The row is formatted into a reused
    /// buffer (no allocation per pod).
    fn write_pod(&mut self, pod: &Pod) -> Result<(), RunError> {
        // Fargate: billed milliseconds (None when it never started) and micro-dollars.
        let mut fargate_billed: Option<u64> = None;
        let mut micros = 0u64;
        let started_fargate = pod.fargate.is_some()
            && pod.phase != PodPhase::Rejected
            && pod.phase != PodPhase::Pending;
        if let Some(f) = &pod.fargate
            && started_fargate
        {
            let size = &f.size;
            if let Some(ps) = pod.pull_start.get() {
                let ended = pod.finished.is_some();
                let end = pod.finished.get().unwrap_or(self.horizon);
                let (ms, c) = billing::fargate::pod_cost(f.rate_per_hour, ps.0, end.0, ended);
                fargate_billed = Some(ms);
                micros = usd_micros(c);
                let hours = ms as f64 / billing::MS_PER_HOUR;
                self.fargate_vcpu_hours += size.vcpu() * hours;
                self.fargate_gb_hours += size.memory_gb() * hours;
                // Waste: provisioned above requested, and billed beyond the time used.
                let req = &pod.spec.requests;
                let over_vcpu = (size.vcpu() - req.cpu_m as f64 / 1000.0).max(0.0) * hours;
                let over_gb = (size.memory_gb() - req.memory_mib as f64 / 1024.0).max(0.0) * hours;
                let prices = &self.sc.fargate;
                self.fargate_rounding_vcpu_hours += over_vcpu;
                self.fargate_rounding_gb_hours += over_gb;
                self.fargate_rounding_usd +=
                    over_vcpu * prices.vcpu_hour + over_gb * prices.gb_hour;
                let used_ms = end.0.saturating_sub(ps.0);
                self.fargate_minimum_usd +=
                    f.rate_per_hour * ms.saturating_sub(used_ms) as f64 / billing::MS_PER_HOUR;
            } else {
                fargate_billed = Some(0);
            }
        }
        let mut attributed = micros;
        if let Some(id) = pod.node {
            let split = self.price_split();
            let n = &self.nodes[id.0 as usize];
            // The pod's share of the node from binding until it left (or the horizon).
            if let Some(bound) = pod.scheduled.get() {
                let end = pod
                    .finished
                    .get()
                    .unwrap_or(self.horizon)
                    .min(n.terminated.unwrap_or(self.horizon));
                let rate = billing::attribution::requested_rate(
                    n.price_per_hour,
                    (n.allocatable.cpu_m, n.allocatable.memory_mib),
                    (pod.spec.requests.cpu_m, pod.spec.requests.memory_mib),
                    split,
                );
                attributed = billing::attribution::micros_over(rate, end.0.saturating_sub(bound.0));
                let i = id.0 as usize;
                if self.node_pod_micros.len() <= i {
                    self.node_pod_micros.resize(i + 1, 0);
                }
                self.node_pod_micros[i] += attributed;
                self.ec2_pod_micros += attributed;
            }
        }
        if attributed > 0 {
            let ns = match self.namespace_micros.get_mut(pod.spec.namespace.as_str()) {
                Some(ns) => ns,
                None => self
                    .namespace_micros
                    .entry(pod.spec.namespace.to_string())
                    .or_default(),
            };
            if pod.node.is_some() {
                ns.0 += attributed;
            } else {
                ns.1 += attributed;
            }
        }
        self.fargate_micros += micros;
        let capacity = match (pod.capacity, pod.phase) {
            (_, PodPhase::Pending | PodPhase::Rejected) => "none",
            (Some(CapacityKind::Fargate), _) => "fargate",
            (Some(CapacityKind::Ec2), _) => "ec2",
            (None, _) => "none",
        };
        let s = &pod.spec;
        // Borrowed in place (a `mem::take` would build a fresh buffer and quoting table per row).
        let b = &mut self.row_buf;
        b.clear();
        b.str(&s.name);
        b.str(&s.namespace);
        b.str(&s.group);
        b.secs(s.submit.0);
        b.opt_secs(pod.scheduled.get().map(|t| t.0));
        b.opt_secs(pod.pull_start.get().map(|t| t.0));
        b.opt_secs(pod.running.get().map(|t| t.0));
        b.opt_secs(pod.finished.get().map(|t| t.0));
        b.word(pod.outcome());
        b.word(capacity);
        // node, node_group, fargate_profile, zone
        let ec2_node = pod.node.map(|id| &self.nodes[id.0 as usize]);
        match (ec2_node, &pod.fargate) {
            (Some(n), _) => b.str(&n.name),
            (None, Some(_)) if started_fargate => b.prefixed("fargate-", &s.name),
            _ => b.empty(),
        }
        b.str(ec2_node.map_or("", |n| &self.sc.cluster.node_groups[n.group].name));
        b.str(pod.fargate.as_ref().map_or("", |f| {
            &self.sc.cluster.fargate_profiles[f.profile as usize].name
        }));
        match (ec2_node, &pod.fargate) {
            (Some(n), _) => b.str(&self.sc.cluster.zones[n.zone]),
            (None, Some(f)) if started_fargate => b.str(&self.sc.cluster.zones[f.zone as usize]),
            _ => b.empty(),
        }
        b.uint(s.requests.cpu_m);
        b.uint(s.requests.memory_mib);
        match &pod.fargate {
            Some(f) if started_fargate => {
                b.float(f.size.vcpu());
                b.float(f.size.memory_gb());
            }
            _ => {
                b.empty();
                b.empty();
            }
        }
        match fargate_billed {
            Some(ms) => b.secs(ms),
            None => b.empty(),
        }
        b.micros(micros);
        b.str(pod.reason.as_deref().unwrap_or(""));
        b.micros(attributed);
        if self.explain_pod.as_deref() == Some(s.name.as_str()) {
            self.explained_outcome = Some(
                POD_COLUMNS
                    .iter()
                    .zip(b.fields())
                    .map(|(c, v)| (c.to_string(), v))
                    .collect(),
            );
            if self.stop_when_explained && s.owner != crate::workload::OwnerKind::StatefulSet {
                // The loop stops before the next event, as at --max-events.
                self.max_events = Some(self.events);
                self.stop_reason = "explained-pod-done";
            }
        }
        self.out.pods.write(b)?;
        Ok(())
    }

    /// Settles everything alive at the horizon and writes nodes.csv and the summary.
    #[allow(clippy::type_complexity)]
    fn finish(
        mut self,
        dir: &Path,
        files: &mut CommitBatch,
    ) -> Result<
        (
            Summary,
            CsvOut,
            CsvOut,
            Vec<ExplainedCycle>,
            Option<Vec<(String, String)>>,
        ),
        RunError,
    > {
        let h = self.horizon;
        self.now = h;
        self.cost_meter.advance(h.0);
        self.close_incidents();
        self.update_util();
        // Pods still in the cluster, in arrival order.
        let mut live: Vec<(u64, PodKey)> =
            self.pods.iter().map(|(k, p)| (p.arrival_seq, k)).collect();
        live.sort();
        let mut reasons: std::collections::BTreeMap<u32, Box<str>> = Default::default();
        for (_, key) in live {
            let Some(mut pod) = self.pods.remove(key) else {
                continue;
            };
            match pod.phase {
                PodPhase::Pending => {
                    self.counts.pending += 1;
                    pod.reason = Some(match pod.capacity {
                        Some(CapacityKind::Fargate) => format!(
                            "Fargate concurrent pod quota ({}) reached",
                            self.sc.fargate.max_concurrent_pods
                        )
                        .into(),
                        _ if pod.node.is_some() => "binding in progress".into(),
                        _ => {
                            let class = self.classes.id_of(&pod.spec);
                            match reasons.get(&class) {
                                Some(r) => r.clone(),
                                None => {
                                    let view = ClusterView {
                                        nodes: &self.nodes,
                                        order: &self.order,
                                        pods: &self.pods,
                                    };
                                    let r = self
                                        .scheduler
                                        .explain_unschedulable(&pod.spec, &view, &mut self.topo)
                                        .message();
                                    let r: Box<str> = r.into();
                                    reasons.insert(class, r.clone());
                                    r
                                }
                            }
                        }
                    });
                }
                _ => self.counts.running += 1,
            }
            self.write_pod(&pod)?;
        }
        // Nodes.
        let mut nodes_out = CsvOut::create(dir, "nodes.csv", &NODE_COLUMNS)?;
        let mut ec2_micros = 0u64;
        let mut billed_hours = 0.0;
        let (mut ds_micros, mut idle_micros, mut idle_node_hours) = (0u64, 0u64, 0.0);
        let ds_requests = self
            .sc
            .daemon_sets
            .iter()
            .fold((0, 0), |a, d| (a.0 + d.cpu_m, a.1 + d.memory_mib));
        for (i, n) in self.nodes.iter().enumerate() {
            let ended = n.terminated.is_some();
            let end = n.terminated.unwrap_or(h);
            let (ms, c) = billing::ec2::instance_cost(n.price_per_hour, n.launch.0, end.0, ended);
            let c = usd_micros(c);
            ec2_micros += c;
            billed_hours += ms as f64 / billing::MS_PER_HOUR;
            // DaemonSet pods hold their requests from Ready to the end; the rest is idle.
            let ds = match n.ready {
                Some(ready) => billing::attribution::micros_over(
                    billing::attribution::requested_rate(
                        n.price_per_hour,
                        (n.allocatable.cpu_m, n.allocatable.memory_mib),
                        ds_requests,
                        self.price_split(),
                    ),
                    end.0.saturating_sub(ready.0),
                ),
                None => 0,
            };
            let pods = self.node_pod_micros.get(i).copied().unwrap_or(0);
            debug_assert!(pods + ds <= c, "node {} over-attributed", n.name);
            let idle = c.saturating_sub(pods + ds);
            ds_micros += ds;
            idle_micros += idle;
            if n.price_per_hour > 0.0 {
                idle_node_hours += idle as f64 / 1e6 / n.price_per_hour;
            }
            nodes_out.row([
                n.name.as_str(),
                &self.sc.cluster.node_groups[n.group].name,
                &n.instance_type,
                n.capacity_type.as_str(),
                &self.sc.cluster.zones[n.zone],
                &n.ami_version,
                &fmt_secs(n.launch.0),
                &opt_secs(n.ready),
                &opt_secs(n.terminated),
                n.termination_reason.as_deref().unwrap_or(""),
                &fmt_secs(ms),
                &format!("{}", n.price_per_hour),
                &fmt_micros(c),
                &n.allocatable.cpu_m.to_string(),
                &n.allocatable.memory_mib.to_string(),
                &n.allocatable.pods.to_string(),
            ])?;
        }
        files.add_csv(nodes_out);
        let mut groups_out = CsvOut::create(dir, "nodegroups.csv", &NODEGROUP_COLUMNS)?;
        for row in &self.group_rows {
            groups_out.row(row)?;
        }
        files.add_csv(groups_out);
        let mut incidents_out = CsvOut::create(dir, "incidents.csv", &INCIDENT_COLUMNS)?;
        for row in &self.incidents {
            incidents_out.row(row)?;
        }
        files.add_csv(incidents_out);
        let cp = &self.sc.control_plane;
        let availability = if h.0 == 0 {
            1.0
        } else {
            round6(self.api_area.area() as f64 / h.0 as f64)
        };
        let cp_cost = billing::control_plane::cluster_fee(cp.fee_per_hour, h.0);
        let share = |num: u128, den: u128| {
            if den == 0 {
                None
            } else {
                Some(round6(num as f64 / den as f64))
            }
        };
        // Costs in whole micro-dollars, as written in the files, so the summary equals the sums
        // of the files' columns exactly and the total equals the sum of its parts.
        let cp_micros = usd_micros(cp_cost);
        let usd = |m: u64| m as f64 / 1e6;
        let (ec2, fargate, control_plane) =
            (usd(ec2_micros), usd(self.fargate_micros), usd(cp_micros));
        let summary = Summary {
            scenario: self.sc.name.clone(),
            seed: self.seed,
            horizon_s: self.sc.horizon.as_secs_f64(),
            pods: self.counts.clone(),
            cost_usd: Costs {
                total: usd(ec2_micros + self.fargate_micros + cp_micros),
                ec2,
                fargate,
                control_plane,
            },
            pending_s: self.pending.summary(),
            startup_s: self.startup.summary(),
            utilization: Utilization {
                cpu: share(self.cpu_req_area.area(), self.cpu_alloc_area.area()),
                memory: share(self.mem_req_area.area(), self.mem_alloc_area.area()),
            },
            control_plane: ControlPlaneSummary {
                api_availability: availability,
                write_availability: availability,
                mode: match cp.mode {
                    crate::cluster::control_plane::ControlPlaneMode::Eks => "eks".into(),
                    crate::cluster::control_plane::ControlPlaneMode::SelfManaged => {
                        "self-managed".into()
                    }
                },
                sla_uptime_percent: round6(availability * 100.0),
                sla_credit_percent: crate::billing::control_plane::sla_credit_percent(
                    availability * 100.0,
                ),
                sla_credit_usd: round6(
                    control_plane
                        * f64::from(crate::billing::control_plane::sla_credit_percent(
                            availability * 100.0,
                        ))
                        / 100.0,
                ),
                api_servers: cp.api_servers,
                etcd_members: cp.etcd_members,
                api_server_zones: cp
                    .api_server_zones()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                etcd_zones: cp.etcd_zones().iter().map(|s| s.to_string()).collect(),
                support_tier: cp.support_tier.as_str().to_string(),
                fee_per_hour_usd: cp.fee_per_hour,
            },
            events: self.events,
            nodes: NodeCounts {
                launched: self.nodes.len() as u64,
                peak_ready: self.peak_ready,
                billed_hours: round6(billed_hours),
            },
            fargate: FargateSummary {
                pods: self.fargate_pods_started,
                vcpu_hours: round6(self.fargate_vcpu_hours),
                gb_hours: round6(self.fargate_gb_hours),
                quota: self.sc.fargate.max_concurrent_pods,
                peak_concurrent: self.fargate_peak,
                quota_waits: self.fargate_quota_waits,
            },
            attribution: crate::metrics::summary::Attribution {
                ec2_pods_usd: usd(self.ec2_pod_micros),
                ec2_daemonsets_usd: usd(ds_micros),
                ec2_idle_usd: usd(idle_micros),
                fargate_pods_usd: fargate,
                by_namespace: self
                    .namespace_micros
                    .iter()
                    .map(|(ns, (e, f))| {
                        (
                            ns.clone(),
                            crate::metrics::summary::CapacityCosts {
                                ec2_usd: usd(*e),
                                fargate_usd: usd(*f),
                            },
                        )
                    })
                    .collect(),
            },
            waste: crate::metrics::summary::Waste {
                ec2_idle_node_hours: round6(idle_node_hours),
                ec2_idle_usd: usd(idle_micros),
                fargate_rounding_vcpu_hours: round6(self.fargate_rounding_vcpu_hours),
                fargate_rounding_gb_hours: round6(self.fargate_rounding_gb_hours),
                fargate_rounding_usd: round6(self.fargate_rounding_usd),
                fargate_minimum_charge_usd: round6(self.fargate_minimum_usd),
            },
            scheduling: crate::metrics::summary::SchedulingSummary {
                preemptions: self.preemptions,
                autoscaler_scale_ups: self.ca_scale_ups,
                autoscaler_scale_downs: self.ca_scale_downs,
                karpenter_launches: self.kp_launches,
                karpenter_disruptions: self.kp_disruptions,
                spot_interruptions: self.spot_interruptions,
                launch_failures: self.launch_failures_count,
            },
            node_group_updates: self
                .updates
                .iter()
                .map(|u| {
                    let (g, version) = u.what();
                    crate::metrics::summary::UpdateSummary {
                        node_group: self.sc.cluster.node_groups[g].name.clone(),
                        version: version.to_string(),
                        start_s: u.started.as_secs_f64(),
                        end_s: u.ended.map(|t| t.as_secs_f64()),
                        outcome: u.outcome.clone(),
                        pods_disrupted: u.pods_disrupted,
                    }
                })
                .collect(),
            notices: self.sc.ignored_fields.clone(),
            partial: self
                .stopped_early
                .map(|events| crate::metrics::summary::Partial {
                    reason: self.stop_reason.to_string(),
                    events,
                    stopped_at_s: self.now.as_secs_f64(),
                }),
        };
        let _ = SimDuration::ZERO;
        Ok((
            summary,
            self.out.pods,
            self.out.timeline,
            self.explained,
            self.explained_outcome,
        ))
    }
}

/// Dollars to whole micro-dollars, rounded to the nearest (costs are never negative; a
/// negative or NaN amount gives 0).
fn usd_micros(v: f64) -> u64 {
    crate::sim::time::round_to_u64(v * 1e6)
}

/// Micro-dollars as a dollar amount with 6 decimals, exactly.
fn fmt_micros(m: u64) -> String {
    format!("{}.{:06}", m / 1_000_000, m % 1_000_000)
}

/// Rounds to 6 decimals (micro-dollars, or parts per million for shares).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
