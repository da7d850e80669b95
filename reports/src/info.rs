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
    /// Fills in what a finished two-host run produced (fingerprint, outcome, integrity,
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
        let sender = s.connections.first().map(|c| c.client.clone()).unwrap_or_default();
        let peer = s.connections.first().map(|c| c.server.clone()).unwrap_or_default();
        self.links = vec![
            LinkInfo {
                name: o.links[0].clone(),
                from: sender.clone(),
                to: peer.clone(),
            },
            LinkInfo {
                name: o.links[1].clone(),
                from: peer.clone(),
                to: sender.clone(),
            },
        ];
        self.conns = o
            .conns
            .iter()
            .map(|c| ConnInfo {
                conn: c.id.0,
                sender: Endpoint {
                    host: sender.clone(),
                    ip: [10, 0, 0, 1],
                    port: c.ports.0,
                    isn: c.isn.0.0,
                },
                receiver: Endpoint {
                    host: peer.clone(),
                    ip: [10, 0, 0, 2],
                    port: c.ports.1,
                    isn: c.isn.1.0,
                },
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
