//! offsim reports: turns a run's [`RunLog`](models::record::RunLog) into the files engineers
//! bring to design reviews, and aggregates runs across seeds and sweeps.
//!
//! Per run ([`write_run`], into the run's folder; [`write_run_with`] writes only the
//! [`Artifacts`] levels asked for, recorded in `summary.json`; both are a [`RunWriter`] fed
//! the whole log as one chunk, and a simulation feeds it chunk by chunk as it runs, so a
//! run's memory is bounded by the data in flight and the charts' resolution, not by the
//! transfer):
//! - `summary.json`: the computed [`RunReport`] (retransmissions by source and cause per
//!   chimney rule 12, RTO expiries, spurious retransmissions, offload/upload times, per-buffer
//!   pinned time) plus the run's self-description (params, version, commit, command, scenario,
//!   artefact levels).
//! - level `series`: `cc.csv`, `buffers.csv`; level `pcap`: `segments.csv`, `acks.csv` and the
//!   captures below (headers only unless `pcap_payload`). CSV and pcapng files are streamed
//!   through buffered atomic writers, never assembled whole in memory.
//! - one `<link>.pcapng` per link direction, captured at the link's **ingress** (segments
//!   accepted into the link and segments dropped there), and one `<conn>-sender.pcapng` per
//!   connection with both directions as seen at the sending host (the one to open in
//!   Wireshark: its TCP analysis needs the ACKs), with provenance as packet comments (see
//!   the `pcap` module docs for what Wireshark shows and how it matches `summary.json`).
//! - level `charts` (PNG + SVG): time-sequence graph (decimated for large runs) and
//!   cwnd/ssthresh/flight per connection (with a zoom on each offload/upload handover),
//!   retransmissions by source.
//!
//! Across runs ([`write_sweep`], [`Aggregate`], [`compare`], [`write_report`]): results and
//! per-parameter-point statistics (mean, sd, Student-t 95% CI, paired differences across
//! variants with common random numbers), sweep charts, and a self-contained HTML report
//! (title, the findings in sentences from paired t-tests with the key chart, parameters,
//! failed runs, an overview table, charts, paired differences, folded detail tables, and a
//! page per run with its summary, handover, connections, charts and files). `compare` pairs
//! the runs of two folders that share a seed and says what differs significantly.
//!
//! Determinism: every output is a pure function of its inputs. Maps that reach an output are
//! `BTreeMap`s or ordered `Vec`s, float sums run sequentially in a documented order, charts
//! use the embedded DejaVu Sans font (no system fonts), and every file is written atomically
//! through [`write_atomic`].
//!
//! Fidelity notes: the pcapng files regenerate payload from [`models::pattern`] and carry no
//! TCP options (the recorder keeps only the SACK block count, not the blocks); IPv4 IDs are
//! synthetic. Multi-hop paths are resolved with [`LinkInfo::from`]/[`LinkInfo::to`]: sender
//! transmissions are counted on the link leaving the sending host, receiver arrivals on the
//! link entering the receiving host.

#![warn(missing_docs)]

mod aggregate;
mod artifacts;
mod charts;
mod compare;
mod csvout;
mod error;
mod findings;
mod html;
mod info;
mod io;
mod metrics;
mod online;
mod pcap;
mod stats;
mod sweep;
pub mod testdata;
mod view;
mod vocab;
mod writer;

pub use aggregate::{Aggregate, MetricStats, PairedDiff, PointAggregate, SeedValue};
pub use artifacts::{Artifacts, LEVELS as ARTIFACT_LEVELS, SNAP_LEN, example_runs, prune_run};
pub use compare::{CompareRow, compare};
pub use error::ReportError;
pub use html::{write_report, write_report_with};
pub use info::{ConnInfo, ConnOutcome, Endpoint, FlowInfo, LinkInfo, LinkStats, Outcome, RunInfo};
pub use io::{sanitize, take_written, write_atomic};
pub use metrics::{
    ActionOutcome, BufferLife, BufferStats, ByCause, BySource, CcState, ConnReport, DurationStats, Fairness,
    FlowReport, Handover, LinkReport, OffloadEvent, OffloadSummary, Retransmissions, RunReport, SegmentCounts,
    action_outcomes, jain_index,
};
pub use pcap::CAPTURE_EPOCH_NS;
pub use stats::{Summary, count_ci95, poisson_mean_ci95, seeds_for_half_width};
pub use sweep::{LineCharts, run_dir, write_run, write_run_with, write_sweep, write_sweep_with};
pub use vocab::{Named, RETX_CAUSES, Term};
pub use writer::{CHART_POINTS_KEPT, RunWriter, SinkThread};

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, ReportError>;
