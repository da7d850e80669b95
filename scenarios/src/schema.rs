//! The scenario schema: plain data, read from RON with serde.
//!
//! Every struct and enum denies unknown fields, so a typo is an error with the list of
//! allowed names instead of a silently ignored setting. Quantities use the unit types of
//! [`crate::units`]. Objects refer to each other by name (`"c1"`, `"l0"`); [`crate::validate`]
//! checks those references. The crate's top-level documentation shows a complete file.
//!
//! Direction conventions, which the wiring follows:
//! - A connection's `client` opens it and is the **sending** endpoint: its application
//!   writes bulk data that flows client → server, where a sink reads it.
//! - `Offload(conn)` and `Upload(conn)` act on the client endpoint, using the client host's
//!   `offload_target`.
//! - A link's `forward` direction carries packets from `a` to `b`, `reverse` from `b` to `a`.

use crate::sweep::Sweep;
use crate::units::{Duration, Rate, Size};
use serde::{Deserialize, Serialize};

/// One scenario: topology, connections, applications, a timeline of scripted actions,
/// and optionally a sweep over its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier (letters, digits, `_`, `-`, `.`); used in run ids and output paths.
    pub name: String,
    /// One paragraph saying what the scenario shows; printed in reports.
    pub description: String,
    /// Base seed. Runs of a sweep derive theirs from it (see [`crate::sweep`]).
    pub seed: u64,
    /// When a run stops at the latest.
    #[serde(default)]
    pub limits: RunLimits,
    /// The hosts.
    pub hosts: Vec<Host>,
    /// Store-and-forward routers. Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routers: Vec<Router>,
    /// Duplex links between pairs of nodes (hosts and routers).
    pub links: Vec<Link>,
    /// TCP connections.
    pub connections: Vec<Connection>,
    /// Bulk senders (one per connection at most) with their sinks.
    #[serde(default)]
    pub applications: Vec<Application>,
    /// Constant-bit-rate cross traffic (UDP-like: no congestion control). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
    /// Scripted actions, each fired by a trigger.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Parameter sweep; absent means a single run with `seed`.
    #[serde(default)]
    pub sweep: Option<Sweep>,
}

/// Run limits. Defaults: 60 s of simulated time, 50 million events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunLimits {
    /// No event after this simulated time runs; timeline actions must lie before it.
    #[serde(default = "default_max_time")]
    pub max_time: Duration,
    /// No more than this many events run.
    #[serde(default = "default_max_events")]
    pub max_events: u64,
}

fn default_max_time() -> Duration {
    Duration::from_secs(60)
}
fn default_max_events() -> u64 {
    50_000_000
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            max_time: default_max_time(),
            max_events: default_max_events(),
        }
    }
}

impl RunLimits {
    /// The kernel's form of these limits.
    pub fn to_sim(&self) -> sim_core::Limits {
        sim_core::Limits {
            max_time: Some(self.max_time.to_sim_time()),
            max_events: Some(self.max_events),
        }
    }
}

/// A host: a TCP stack, optionally with a TCP chimney offload target (NIC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Unique host name. Report files are named after it (ASCII letters,
    /// digits, `-`, `_`, `.` kept, anything else `_`), so two names must differ there too.
    pub name: String,
    /// The host's offload target, if it has one.
    #[serde(default)]
    pub offload_target: Option<OffloadTarget>,
    /// Explicit routes (a host has one link, so only useful to state the obvious). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
}

/// A store-and-forward router: one output queue per attached link (that link direction's
/// drop-tail queue), static routes by shortest path (hop count; ties broken by link name,
/// then node name) unless `routes` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Router {
    /// Unique node name (hosts and routers share one name space).
    pub name: String,
    /// Explicit routes that replace the shortest path towards some hosts. Default none.
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// An explicit route: packets for host `to` leave through link `via`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Destination host.
    pub to: String,
    /// A link attached to this node.
    pub via: String,
}

/// What a host's offload target can do (spec/chimney.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffloadTarget {
    /// Unique target name, e.g. `"nic"`.
    pub name: String,
    /// Time from InitiateOffload to its completion [simulated]. Default 100 us.
    #[serde(default = "default_offload_latency")]
    pub latency: Duration,
    /// Time from TerminateOffload to its completion [simulated]. Default 100 us.
    #[serde(default = "default_offload_latency")]
    pub upload_latency: Duration,
    /// Refuse every offload (rule 37): the host keeps the connection. Default false.
    #[serde(default)]
    pub refuse: bool,
    /// Offloads beyond this many concurrent connections are refused. Default 1024.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Resends of one segment after which the target requests an upload with reason
    /// TimeoutExpiration instead of resending again (rule 18). Default 5.
    #[serde(default = "default_max_retransmissions")]
    pub max_retransmissions: u32,
    /// The NIC's timer granularity, TicksPerSecond: 10, 100 or 1000. Its retransmission,
    /// persist and delayed-ACK timers fire on the next tick. Default: exact timers.
    #[serde(default)]
    pub ticks_per_second: Option<u32>,
    /// The NIC's own lower bound on the RTO. Default: the connection's.
    #[serde(default)]
    pub min_rto: Option<Duration>,
    /// The NIC's own upper bound on the RTO. Default: the connection's.
    #[serde(default)]
    pub max_rto: Option<Duration>,
    /// TcpDuplicateAckThreshold of the NIC. Default: the connection's.
    #[serde(default)]
    pub dupack_threshold: Option<u32>,
    /// SACK support; `false` is a NIC that ignores the peer's SACK blocks. Default: as
    /// negotiated.
    #[serde(default)]
    pub sack: Option<bool>,
    /// How the NIC infers the fast-recovery state it is not handed (`recover` is not
    /// delegated): `Current` (recover = SndMax - 1), `EndRecovery` (the handover ends the
    /// recovery) or `KeepRecoverAtHighestSent` (recover = the highest sequence sent when the
    /// host entered recovery, inferred from SsThresh). Default `KeepRecoverAtHighestSent`.
    #[serde(default)]
    pub recovery_inference: Option<RecoveryInference>,
    /// The FIN_WAIT_2 timer after which the NIC asks for an upload (rule 17). Default: none.
    #[serde(default)]
    pub fin_wait_2_timeout: Option<Duration>,
    /// Segments the NIC transmits per second at most; segments wait in a queue inside the
    /// NIC. Default: no limit.
    #[serde(default)]
    pub segments_per_sec: Option<u64>,
    /// The NIC's transmit processing rate in bytes (headers included). Default: no limit.
    #[serde(default)]
    pub processing_rate: Option<Rate>,
    /// DMA fetch latency paid by the first segment starting in each host buffer. Default 0.
    #[serde(default)]
    pub dma_latency: Option<Duration>,
    /// Send completions are delivered to the host in batches of this many... Default 1.
    #[serde(default)]
    pub coalesce_count: Option<u32>,
    /// ...or once the oldest has waited this long. Default: no waiting.
    #[serde(default)]
    pub coalesce_time: Option<Duration>,
    /// Connection-context memory; with `context_per_connection` it bounds the entries.
    /// Default: unlimited.
    #[serde(default)]
    pub context_memory: Option<Size>,
    /// Context memory one offloaded connection takes. Default 0 (no bound).
    #[serde(default)]
    pub context_per_connection: Option<Size>,
    /// When an offload finds no free entry, also ask for the upload of the least recently
    /// active connection (rule 46). Default false.
    #[serde(default)]
    pub upload_least_recently_active: bool,
}

/// The NIC's recovery-inference policy at a handover (see `OffloadTarget::recovery_inference`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecoveryInference {
    /// recover = SndMax - 1, in recovery (spec/chimney.md §8 as written).
    Current,
    /// The handover ends the recovery.
    EndRecovery,
    /// recover = the highest sequence sent when the host entered recovery.
    KeepRecoverAtHighestSent,
}

fn default_offload_latency() -> Duration {
    Duration::from_nanos(100_000)
}
fn default_max_connections() -> u32 {
    1024
}
fn default_max_retransmissions() -> u32 {
    5
}

/// A duplex link between nodes `a` and `b` (hosts or routers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Unique link name. Report files are named after it (ASCII letters,
    /// digits, `-`, `_`, `.` kept, anything else `_`), so two names must differ there too.
    pub name: String,
    /// One end (host or router name).
    pub a: String,
    /// The other end (host or router name).
    pub b: String,
    /// Direction a → b.
    pub forward: LinkDirection,
    /// Direction b → a.
    pub reverse: LinkDirection,
}

/// One direction of a link: a drop-tail queue feeding a serialiser, then a delay line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDirection {
    /// Serialisation rate.
    pub rate: Rate,
    /// One-way propagation delay.
    pub delay: Duration,
    /// Drop-tail queue capacity. Default `Packets(100)`.
    #[serde(default)]
    pub queue: Queue,
    /// Impairments applied in order to each packet entering the link; the first that
    /// drops a packet wins. Default none.
    #[serde(default)]
    pub impairments: Vec<Impairment>,
}

/// Capacity of a drop-tail queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Queue {
    /// At most this many packets waiting.
    Packets(u32),
    /// At most this many bytes (wire length) waiting.
    Bytes(Size),
}

impl Default for Queue {
    fn default() -> Self {
        Queue::Packets(100)
    }
}

/// A packet impairment of one link direction. Probabilities are in [0, 1]; random ones
/// draw from the run's random stream for that link direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Impairment {
    /// Drop each packet independently with probability `p`.
    Bernoulli {
        /// Drop probability.
        p: f64,
    },
    /// Two-state Markov loss (Gilbert-Elliott), starting in the good state; the state
    /// changes before each packet.
    GilbertElliott {
        /// Probability of moving good → bad per packet.
        p_good_to_bad: f64,
        /// Probability of moving bad → good per packet.
        p_bad_to_good: f64,
        /// Drop probability in the good state.
        loss_good: f64,
        /// Drop probability in the bad state.
        loss_bad: f64,
    },
    /// Drop the n-th packets (1-based) of this direction, counted from when this
    /// impairment list became active (run start, or its `SetLinkImpairments`).
    DropPackets(Vec<u64>),
    /// Drop the `transmission`-th transmission (1 = the original, 2 = the first
    /// retransmission, ...) of the data segment carrying stream byte `offset`.
    DropData {
        /// Stream offset of the byte (0 = the first data byte of the connection).
        offset: Size,
        /// Which transmission of that byte to drop, 1-based.
        transmission: u32,
        /// Only segments of this connection; default: any connection on the link.
        #[serde(default)]
        conn: Option<String>,
    },
    /// Drop the `occurrence`-th segment (1-based, from when this impairment list became
    /// active) that has every flag marked `true` here; `DropFlags(syn: true, occurrence: 2)`
    /// drops the SYN-ACK of a single connection.
    DropFlags {
        /// Match segments with SYN set.
        #[serde(default)]
        syn: bool,
        /// Match segments with FIN set.
        #[serde(default)]
        fin: bool,
        /// Match segments with RST set.
        #[serde(default)]
        rst: bool,
        /// Which matching segment to drop, 1-based.
        occurrence: u32,
    },
    /// Delay a `fraction` of packets (chosen at random) by `extra_delay`, so that later
    /// packets overtake them.
    Reorder {
        /// Share of packets delayed, in [0, 1].
        fraction: f64,
        /// Added delay.
        extra_delay: Duration,
    },
    /// Deliver an extra copy of each packet with probability `p`.
    Duplicate {
        /// Duplication probability.
        p: f64,
    },
    /// Mark each packet corrupted (the receiver discards it) with probability `p`.
    Corrupt {
        /// Corruption probability.
        p: f64,
    },
}

/// Which direction of a link an action changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Direction {
    /// a → b.
    Forward,
    /// b → a.
    Reverse,
}

/// A TCP connection from `client` (sender) to `server` (receiver).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Unique connection name. Report files are named after it (ASCII letters,
    /// digits, `-`, `_`, `.` kept, anything else `_`), so two names must differ there too.
    pub name: String,
    /// Host that opens the connection and sends the application data.
    pub client: String,
    /// Host that accepts it and runs the sink.
    pub server: String,
    /// When the client sends its SYN. Default 0 s.
    #[serde(default)]
    pub open_at: Duration,
    /// Maximum segment size both ends announce [bytes]. Default 1460.
    #[serde(default = "default_mss")]
    pub mss: u32,
    /// Initial congestion window [segments]. Default 10.
    #[serde(default = "default_initial_window")]
    pub initial_window: u32,
    /// Receive buffer of each end, which bounds the advertised window. Default 65535 B.
    #[serde(default = "default_rcv_buffer")]
    pub rcv_buffer: Size,
    /// Window-scale shift both ends offer (RFC 7323); `None` = no window scaling.
    #[serde(default)]
    pub window_scale: Option<u8>,
    /// Offer SACK (RFC 2018). Default false.
    #[serde(default)]
    pub sack: bool,
    /// The receiver's delayed-ACK policy. Default `On(timeout: "200 ms", every: 2)`.
    #[serde(default)]
    pub delayed_ack: DelayedAck,
    /// Lower bound of the retransmission timeout (RFC 6298 rule 2.4). Default 1 s.
    #[serde(default = "default_min_rto")]
    pub min_rto: Duration,
    /// Upper bound of the retransmission timeout. Default 60 s.
    #[serde(default = "default_max_rto")]
    pub max_rto: Duration,
    /// Duplicate ACKs that trigger fast retransmit (TcpDuplicateAckThreshold). Default 3.
    #[serde(default = "default_dupack_threshold")]
    pub dupack_threshold: u32,
    /// Client's initial sequence number; default: drawn from the run's seed.
    #[serde(default)]
    pub isn: Option<u32>,
    /// Retransmission timeout before the first RTT sample (RFC 6298 §2.1: 1 s). Must be above
    /// zero and at most `max_rto`. Default 1 s.
    #[serde(default = "default_initial_rto")]
    pub initial_rto: Duration,
    /// How congestion avoidance counts acknowledged data (RFC 5681 §3.1). Default
    /// `ByteCounting`.
    #[serde(default)]
    pub ca_counting: CaCounting,
    /// Grow cwnd only while the sender uses it (cwnd-limited), as Linux does (RFC 7661's
    /// intent); `false` grows it on every ACK of new data as RFC 5681 says (ns-3's TcpNewReno).
    /// Default true.
    #[serde(default = "default_true")]
    pub cwnd_validation: bool,
    /// What cwnd does when sending resumes after more than one RTO without sending data.
    /// Default `Rfc5681`.
    #[serde(default)]
    pub restart_after_idle: RestartAfterIdle,
    /// RFC 3042 limited transmit: one new segment on each of the first two duplicate ACKs.
    /// Default false.
    #[serde(default)]
    pub limited_transmit: bool,
    /// RFC 7323 timestamps: offered on the SYN; when both ends offer them, TSval/TSecr on every
    /// segment, RTT samples from TSecr (also for retransmissions), PAWS, and 3 SACK blocks at
    /// most. Carried at an offload and an upload (chimney rule 19: the new owner continues the
    /// TSval clock). Default false.
    #[serde(default)]
    pub timestamps: bool,
    /// The window-growth algorithm; loss recovery (NewReno or SACK) is the same for both.
    /// Default `NewReno`.
    #[serde(default)]
    pub congestion_control: CongestionControl,
}

/// Congestion-control algorithm of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CongestionControl {
    /// RFC 5681 slow start and congestion avoidance, ssthresh = FlightSize / 2 on loss.
    #[default]
    NewReno,
    /// RFC 9438 CUBIC: C = 0.4, β = 0.7, Reno-friendly region, fast convergence. Chimney does
    /// not delegate CUBIC's W_max and epoch: after a handover they restart from the delegated
    /// cwnd (W_max = cwnd, a new epoch).
    Cubic,
}

/// How congestion avoidance counts acknowledged data towards the next SMSS of cwnd (RFC 5681
/// §3.1). They differ when an ACK covers more than one segment (delayed ACKs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaCounting {
    /// Byte counting (RFC 3465, RFC 5681's RECOMMENDED way): SMSS per cwnd of acknowledged
    /// bytes, one SMSS per RTT whatever the ACK ratio (Linux; Mathis with b = 1).
    #[default]
    ByteCounting,
    /// RFC 5681 equation (3), `cwnd += SMSS*SMSS/cwnd` per ACK of new data: with delayed ACKs
    /// one SMSS every two RTTs (ns-3's TcpNewReno; Mathis and Padhye with b = 2).
    PerAck,
}

/// What cwnd does when the sender resumes after an idle period longer than the RTO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartAfterIdle {
    /// RFC 5681 §4.1: cwnd restarts at min(IW, cwnd).
    #[default]
    Rfc5681,
    /// Linux (`tcp_slow_start_after_idle`): cwnd halves per RTO of idle time, not below
    /// min(IW, cwnd); ssthresh rises to at least 3/4 of the old cwnd.
    Halve,
    /// No restart: the old cwnd is used at once.
    Off,
}

fn default_mss() -> u32 {
    1460
}
fn default_initial_window() -> u32 {
    10
}
fn default_rcv_buffer() -> Size {
    Size::from_bytes(65_535)
}
fn default_min_rto() -> Duration {
    Duration::from_secs(1)
}
fn default_max_rto() -> Duration {
    Duration::from_secs(60)
}
fn default_dupack_threshold() -> u32 {
    3
}
fn default_initial_rto() -> Duration {
    Duration::from_secs(1)
}
fn default_true() -> bool {
    true
}

/// The receiver's delayed-ACK policy (RFC 1122 §4.2.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DelayedAck {
    /// Acknowledge every segment at once.
    Off,
    /// Acknowledge every `every`-th full segment at once, others after `timeout`.
    On {
        /// Delayed-ACK timer (must be below 500 ms).
        timeout: Duration,
        /// Segments per immediate ACK.
        every: u32,
    },
}

impl Default for DelayedAck {
    fn default() -> Self {
        DelayedAck::On {
            timeout: Duration::from_millis(200),
            every: 2,
        }
    }
}

/// A constant-bit-rate flow from host `from` to host `to`: packets of `packet_size` payload
/// bytes (plus 40 header bytes) at `rate` on the wire, from `start` until `stop`, with no
/// congestion control and no acknowledgements; the destination discards them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Unique name (connections and flows share one name space).
    pub name: String,
    /// Sending host.
    pub from: String,
    /// Receiving host.
    pub to: String,
    /// Rate on the wire, headers included.
    pub rate: Rate,
    /// Payload bytes per packet. Default 1460 B.
    #[serde(default = "default_packet_size")]
    pub packet_size: Size,
    /// First packet at this time. Default 0 s.
    #[serde(default)]
    pub start: Duration,
    /// No packet from this time on; default: until the run ends.
    #[serde(default)]
    pub stop: Option<Duration>,
}

fn default_packet_size() -> Size {
    Size::from_bytes(1460)
}

/// A bulk sender on a connection's client, with the sink on its server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Unique application name. Report files are named after it (ASCII letters,
    /// digits, `-`, `_`, `.` kept, anything else `_`), so two names must differ there too.
    pub name: String,
    /// The connection it writes to.
    pub conn: String,
    /// Time of the first write. Writes before the connection is established wait in the
    /// host stack. Default 0 s.
    #[serde(default)]
    pub start: Duration,
    /// Total bytes written.
    pub bytes: Size,
    /// Size of each write (each write is one send buffer). Default `Fixed("64 KiB")`.
    #[serde(default)]
    pub write_size: WriteSize,
    /// When writes happen. Default `AllAtOnce`.
    #[serde(default)]
    pub timing: Timing,
    /// The reading side on the server. Default: reads everything at once from time 0.
    #[serde(default)]
    pub sink: Sink,
}

/// Size of each application write; the last write is cut to reach `bytes` exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum WriteSize {
    /// Every write has this size.
    Fixed(Size),
    /// Sizes drawn uniformly from [min, max] with the application's random stream.
    Uniform(Size, Size),
    /// Sizes taken from the list in order, cycling.
    Sizes(Vec<Size>),
}

impl Default for WriteSize {
    fn default() -> Self {
        WriteSize::Fixed(Size::from_bytes(64 * 1024))
    }
}

/// When an application writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Timing {
    /// Every write at `start`, back to back.
    #[default]
    AllAtOnce,
    /// One write every interval, the first at `start`.
    Paced(Duration),
    /// Cross traffic that comes and goes: in each `on` period write up to `burst` bytes as
    /// fast as the socket buffer allows, then stay silent for an `off` period, e.g.
    /// `OnOff(on: Fixed("50 ms"), off: Exponential("200 ms"), burst: "64 KiB")`.
    OnOff {
        /// Length of each on period.
        on: Period,
        /// Length of each off period.
        off: Period,
        /// Most bytes written per on period.
        burst: Size,
    },
}

/// The length of an on or off period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Period {
    /// Always this long.
    Fixed(Duration),
    /// Exponentially distributed with this mean (drawn from the application's random stream).
    Exponential(Duration),
}

/// The server side of an application.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sink {
    /// How fast the sink reads from its receive buffer. Default `Unlimited`.
    #[serde(default)]
    pub read_rate: ReadRate,
    /// The sink reads nothing before this time, so the window can close. Default 0 s.
    #[serde(default)]
    pub start: Duration,
}

/// Reading speed of a sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ReadRate {
    /// Reads each byte as soon as it is in order.
    #[default]
    Unlimited,
    /// Reads at most at this rate, e.g. `Limited("125 kB/s")`.
    Limited(Rate),
}

/// One scripted action: when `when` first holds, wait `delay`, then do `action`. Actions due
/// at the same instant run in their order in the timeline (`Offload` then `Upload`, both
/// `At("100 ms")`, offloads first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// The trigger.
    pub when: Trigger,
    /// Extra wait after the trigger fires. Default 0 s.
    #[serde(default)]
    pub delay: Duration,
    /// What to do.
    pub action: Action,
}

/// When a timeline entry fires. Condition triggers fire once, at the first event after
/// which the condition holds (checked after every event of that connection).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Trigger {
    /// Never: the entry is disabled (how a sweep expresses "no offload").
    Never,
    /// At this simulated time.
    At(Duration),
    /// When the connection's cumulative ACK covers at least this many stream bytes.
    AfterBytesAcked(String, Size),
    /// When at least this many bytes are in flight (SndMax - SndUna).
    InFlightAtLeast(String, Size),
    /// When a resend is in progress: SndNxt < SndMax (after an RTO's go-back-N).
    RetransmissionInProgress(String),
    /// When the connection's k-th retransmission timeout (1-based) has expired.
    AfterRto(String, u32),
    /// When an offload of the connection completes successfully.
    OffloadCompleted(String),
    /// When the connection is in NewReno fast recovery (after a fast retransmit, until a full
    /// ACK), whoever runs it.
    InFastRecovery(String),
    /// When the peer advertises a zero window while data waits to be sent.
    ZeroWindow(String),
    /// When the connection's k-th fast retransmit (1-based, by host or target) has happened.
    AfterFastRetransmits(String, u32),
    /// When an offload of the connection is refused (rule 37).
    OffloadRefused(String),
}

/// What a timeline entry does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// Offload the connection's client endpoint to its host's offload target.
    Offload(String),
    /// Terminate the offload (upload) of the connection's client endpoint.
    Upload(String),
    /// Replace the impairment list of one direction of a link (packet counts restart).
    SetLinkImpairments(String, Direction, Vec<Impairment>),
    /// Change the rate of one direction of a link.
    SetLinkRate(String, Direction, Rate),
    /// Stop an application's writes (a write in progress completes).
    PauseApp(String),
    /// Resume a paused application.
    ResumeApp(String),
    /// Graceful close of the connection (FIN after all data).
    Close(String),
    /// Abortive close (RST).
    Abort(String),
    /// The client host's offload target asks for the connection to be uploaded, for a
    /// reason (rule 27): `UploadRequested` (resources, rule 46), `LowActivity`,
    /// `HighDropRate` or `TimeoutExpiration`.
    TargetUpload(String, UploadReason),
    /// Graceful close of the connection's server side (FIN from the peer; the client's
    /// receive half closes, its sending goes on: rule 43).
    PeerClose(String),
    /// Abortive close from the server side (RST from the peer; rule 40 if offloaded).
    PeerAbort(String),
}

/// Why an offload target asks for an upload (spec/chimney.md rule 44).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadReason {
    /// Resources lost after offload (rule 46).
    UploadRequested,
    /// The connection has been idle (optional reason).
    LowActivity,
    /// The connection loses many packets (optional reason).
    HighDropRate,
    /// The target gives up on the connection (a mandatory reason).
    TimeoutExpiration,
}
