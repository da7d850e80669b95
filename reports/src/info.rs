//! [`RunInfo`]: what the caller knows about a run that the [`RunLog`](models::record::RunLog)
//! does not record (names, addresses, ISNs, the reproducing command, the outcome).

use models::record::LinkId;
use models::record::SegmentHeader;
use models::segment::ConnId;
use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The simulation ran to its end.
    #[default]
    Ok,
    /// The simulation stopped with an error (invariant violation, panic, timeout...).
    Failed {
        /// The error, as displayed.
        error: String,
    },
}

impl Outcome {
    /// True for [`Outcome::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// The error message of a failed run.
    pub fn error(&self) -> Option<&str> {
        match self {
            Outcome::Ok => None,
            Outcome::Failed { error } => Some(error),
        }
    }
}

/// One link direction (index in [`RunInfo::links`] = [`LinkId`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    /// Display name, e.g. `"client->switch"`; also names the pcapng file (sanitised).
    pub name: String,
    /// The node segments enter from (a host name of [`Endpoint::host`], or a switch/router).
    pub from: String,
    /// The node segments are delivered to.
    pub to: String,
}

/// One endpoint of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Host name (matches [`LinkInfo::from`]/[`LinkInfo::to`]).
    pub host: String,
    /// IPv4 address (used in the pcapng files).
    pub ip: [u8; 4],
    /// TCP port.
    pub port: u16,
    /// Initial sequence number this endpoint chose (its SYN's `seq`).
    pub isn: u32,
}

/// One connection: the data sender (the side that may be offloaded) and the receiver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnInfo {
    /// The connection id used in the log.
    pub conn: u32,
    /// The sending side (host stack, possibly offloaded to its target).
    pub sender: Endpoint,
    /// The receiving side.
    pub receiver: Endpoint,
}

/// Everything about a run that the log does not carry. Provided by the caller (the scenario
/// runner) and copied into `summary.json` so every run folder describes itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// One-paragraph description of the scenario.
    pub description: String,
    /// Unique id of this run within its sweep (also its folder name, sanitised).
    pub run_id: String,
    /// The seed the run used.
    pub seed: u64,
    /// Replication number within its parameter point (0, 1, ...): runs of different variants
    /// with the same index are paired (common random numbers).
    pub seed_index: u32,
    /// Resolved sweep-axis values, in axis order (a `seed` entry, if present, is ignored when
    /// grouping runs into parameter points).
    pub params: Vec<(String, String)>,
    /// Run fingerprint (hex), from the kernel trace.
    pub fingerprint: String,
    /// Number of kernel events processed.
    pub events: u64,
    /// offsim version.
    pub version: String,
    /// Git commit of the offsim build.
    pub commit: String,
    /// The exact command line that reproduces this run.
    pub command: String,
    /// The expanded scenario (RON).
    pub scenario_text: String,
    /// How the run ended.
    pub outcome: Outcome,
    /// True when the receiver verified every byte against the pattern.
    pub integrity_ok: bool,
    /// Bytes the application meant to transfer.
    pub bytes_expected: u64,
    /// Bytes delivered in order and verified.
    pub bytes_delivered: u64,
    /// When the last byte was delivered [ns], if the transfer completed.
    pub completion_time_ns: Option<u64>,
    /// Link directions, indexed by [`LinkId`].
    pub links: Vec<LinkInfo>,
    /// Connections.
    pub conns: Vec<ConnInfo>,
    /// Host names that have an offload target.
    pub offload_targets: Vec<String>,
    /// What each connection achieved (empty when the caller did not say: then the run's
    /// totals stand for its only connection).
    #[serde(default)]
    pub conn_results: Vec<ConnOutcome>,
    /// What each link direction did, indexed like [`RunInfo::links`] (empty when unknown).
    #[serde(default)]
    pub link_stats: Vec<LinkStats>,
    /// Constant-bit-rate cross-traffic flows (their packets are not part of any connection).
    #[serde(default)]
    pub flows: Vec<FlowInfo>,
}

/// A constant-bit-rate flow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowInfo {
    /// The connection id its packets carry in the log.
    pub conn: u32,
    /// The scenario's name for it.
    pub name: String,
    /// The sending host.
    pub from: String,
    /// The receiving host.
    pub to: String,
}

/// What one connection achieved, as the simulation reported it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnOutcome {
    /// The connection id used in the log.
    pub conn: u32,
    /// The scenario's name for it.
    pub name: String,
    /// The host that opened it and sent the data.
    pub client: String,
    /// The host that received the data.
    pub server: String,
    /// Bytes its application meant to send.
    pub bytes_expected: u64,
    /// Bytes its sink received and verified.
    pub bytes_delivered: u64,
    /// When its last byte arrived [ns].
    pub completion_time_ns: Option<u64>,
    /// Every byte arrived verified and nothing was aborted (and the run ended without error).
    pub integrity_ok: bool,
}

impl ConnOutcome {
    /// What is known of connection `c` before its run: who it is and what it is to send.
    fn described(c: &models::testbed::ConnResult) -> Self {
        ConnOutcome {
            conn: c.id.0,
            name: c.name.clone(),
            client: c.client.clone(),
            server: c.server.clone(),
            bytes_expected: c.expected,
            ..ConnOutcome::default()
        }
    }
}

/// What one link direction did over the run (from the link's own counters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStats {
    /// Rate at the start of the run [bit/s] (0: infinitely fast).
    pub rate_bps: u64,
    /// Packets accepted into its queue (transmitted).
    pub packets_sent: u64,
    /// Their wire bytes.
    pub bytes_sent: u64,
    /// Packets dropped, by reason.
    pub dropped: models::link::DropCounts,
    /// Largest queue occupancy [packets].
    pub max_queue_packets: u64,
}

/// Direction of a segment relative to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dir {
    /// Sender to receiver (data).
    Forward,
    /// Receiver to sender (ACKs).
    Reverse,
}

impl RunInfo {
    /// Fills in what a finished run produced (fingerprint, outcome, integrity,
    /// byte counts, completion time, links, connections, offload targets) from the scenario
    /// it was built from and the testbed's outcome.
    pub fn record_outcome(&mut self, s: &scenarios::Scenario, o: &models::testbed::Outcome) {
        let expected: u64 = o.conns.iter().map(|c| c.expected).sum();
        let delivered: u64 = o.conns.iter().map(|c| c.delivered).sum();
        self.fingerprint = o.trace.fingerprint.to_string();
        self.events = o.trace.events;
        self.outcome = match &o.end {
            Ok(_) if o.integrity_ok() => Outcome::Ok,
            Ok(_) => Outcome::Failed {
                error: format!("transfer incomplete: {delivered} of {expected} bytes delivered"),
            },
            Err(e) => Outcome::Failed { error: e.to_string() },
        };
        self.integrity_ok = o.integrity_ok();
        self.bytes_expected = expected;
        self.bytes_delivered = delivered;
        self.completion_time_ns = o
            .conns
            .iter()
            .map(|c| c.completed_at.map(|t| t.as_nanos()))
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().max());
        let flows: Vec<(u32, &str, &str, &str)> = o
            .flows
            .iter()
            .map(|f| (f.id.0, f.name.as_str(), f.from.as_str(), f.to.as_str()))
            .collect();
        self.set_topology(s, (&o.links, &o.link_ends), &o.conns, &flows);
        self.conn_results = o
            .conns
            .iter()
            .map(|c| ConnOutcome {
                bytes_delivered: c.delivered,
                completion_time_ns: c.completed_at.map(|t| t.as_nanos()),
                integrity_ok: c.integrity_ok(),
                ..ConnOutcome::described(c)
            })
            .collect();
        self.link_stats = o
            .link_counters
            .iter()
            .zip(&o.link_rates)
            .map(|(c, rate)| LinkStats {
                rate_bps: *rate,
                packets_sent: c.accepted,
                bytes_sent: c.bytes_accepted,
                dropped: c.dropped,
                max_queue_packets: c.max_queue_packets,
            })
            .collect();
    }

    /// Fills in what is known before the run (links, connections with their addresses, ports
    /// and ISNs, flows, offload targets, the connections' names and expected bytes), so that
    /// records can be classified while the run goes on; [`RunInfo::record_outcome`] fills in
    /// the same values again (and the rest) after it.
    pub fn describe_run(&mut self, s: &scenarios::Scenario, built: &models::world::Built) {
        let (names, ends, _) = built.link_directions();
        let conns = built.conns_before_run();
        let flows: Vec<(u32, &str, &str, &str)> = built
            .world()
            .flows
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let id = models::world::FLOW_ID_BASE + k as u32;
                (id, f.name.as_str(), f.from.as_str(), f.to.as_str())
            })
            .collect();
        self.set_topology(s, (&names, &ends), &conns, &flows);
        self.bytes_expected = conns.iter().map(|c| c.expected).sum();
        self.conn_results = conns.iter().map(ConnOutcome::described).collect();
    }

    /// Links, connections (addresses 10.0.x.y by host name order), flows and offload targets.
    fn set_topology(
        &mut self,
        s: &scenarios::Scenario,
        (links, link_ends): (&[String], &[(String, String)]),
        conns: &[models::testbed::ConnResult],
        flows: &[(u32, &str, &str, &str)],
    ) {
        // Addresses 10.0.x.y by host name order (the two-host runs: 10.0.0.1 and 10.0.0.2).
        let mut hosts: Vec<&str> = s.hosts.iter().map(|h| h.name.as_str()).collect();
        hosts.sort_unstable();
        let ip = |host: &str| {
            let k = hosts.iter().position(|h| *h == host).unwrap_or(hosts.len()) + 1;
            [10, 0, (k >> 8) as u8, (k & 0xff) as u8]
        };
        self.links = links
            .iter()
            .zip(link_ends)
            .map(|(name, (from, to))| LinkInfo {
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
            })
            .collect();
        self.conns = conns
            .iter()
            .map(|c| ConnInfo {
                conn: c.id.0,
                sender: Endpoint {
                    host: c.client.clone(),
                    ip: ip(&c.client),
                    port: c.ports.0,
                    isn: c.isn.0.0,
                },
                receiver: Endpoint {
                    host: c.server.clone(),
                    ip: ip(&c.server),
                    port: c.ports.1,
                    isn: c.isn.1.0,
                },
            })
            .collect();
        self.flows = flows
            .iter()
            .map(|&(conn, name, from, to)| FlowInfo {
                conn,
                name: name.to_string(),
                from: from.to_string(),
                to: to.to_string(),
            })
            .collect();
        self.offload_targets = s
            .hosts
            .iter()
            .filter(|h| h.offload_target.is_some())
            .map(|h| h.name.clone())
            .collect();
    }

    /// The display name of a link direction.
    pub(crate) fn link_name(&self, link: LinkId) -> String {
        self.links
            .get(usize::from(link.0))
            .map_or_else(|| format!("link{}", link.0), |l| l.name.clone())
    }

    /// The scenario's name of a connection (`conn <id>` when the caller did not say).
    pub fn conn_name(&self, conn: u32) -> String {
        self.conn_results
            .iter()
            .find(|r| r.conn == conn)
            .map_or_else(|| format!("conn {conn}"), |r| r.name.clone())
    }

    /// A connection in the CSV `conn` columns: its scenario name, or its id when the caller
    /// did not name it.
    pub fn conn_column(&self, conn: u32) -> String {
        self.conn_results
            .iter()
            .find(|r| r.conn == conn)
            .map_or_else(|| conn.to_string(), |r| r.name.clone())
    }

    /// The stem of a connection's file names: its scenario name made file-safe, or
    /// `conn<id>` when the caller did not name it.
    pub fn conn_file_stem(&self, conn: u32) -> String {
        self.conn_results
            .iter()
            .find(|r| r.conn == conn)
            .map_or_else(|| format!("conn{conn}"), |r| crate::io::sanitize(&r.name))
    }

    /// The connection's description.
    pub(crate) fn conn(&self, conn: ConnId) -> Option<&ConnInfo> {
        self.conn_index(conn).map(|i| &self.conns[i])
    }

    /// The connection's position in [`RunInfo::conns`].
    pub(crate) fn conn_index(&self, conn: ConnId) -> Option<usize> {
        // Called once per wire record: a binary search (the runner lists connections by id),
        // so the cost does not grow with the number of connections; a list in another order
        // still answers correctly through the linear search.
        match self.conns.binary_search_by_key(&conn.0, |c| c.conn) {
            Ok(i) => Some(i),
            Err(_) => self.conns.iter().position(|c| c.conn == conn.0),
        }
    }
}

impl ConnInfo {
    /// Which way a segment travels, from its ports (forward when it comes from the sender).
    pub(crate) fn dir(&self, h: &SegmentHeader) -> Dir {
        if h.src_port == self.sender.port && h.dst_port == self.receiver.port {
            Dir::Forward
        } else {
            Dir::Reverse
        }
    }

    /// The endpoint a segment comes from and the one it goes to.
    pub(crate) fn ends(&self, dir: Dir) -> (&Endpoint, &Endpoint) {
        match dir {
            Dir::Forward => (&self.sender, &self.receiver),
            Dir::Reverse => (&self.receiver, &self.sender),
        }
    }
}

/// Formats parameters as `k=v, k=v` (empty string for none).
pub(crate) fn params_label(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(ids: &[u32]) -> RunInfo {
        RunInfo {
            conns: ids
                .iter()
                .map(|&conn| ConnInfo {
                    conn,
                    ..ConnInfo::default()
                })
                .collect(),
            ..RunInfo::default()
        }
    }

    #[test]
    fn connections_are_found_by_id_in_any_order() {
        for ids in [&[0u32, 1, 2, 5, 9][..], &[9, 0, 5, 2, 1]] {
            let i = info(ids);
            for &id in ids {
                assert_eq!(i.conn(ConnId(id)).map(|c| c.conn), Some(id), "{ids:?}");
            }
            assert!(i.conn(ConnId(3)).is_none());
        }
    }
}
