//! offsim scenario files: the RON schema, loading with precise errors, semantic
//! validation, sweep expansion into runs, and the catalog (`scenarios/catalog/*.ron`).
//!
//! A scenario is one RON file. Quantities are strings with units ([`units`]); objects
//! refer to each other by name; `Option` fields may omit `Some(..)`. Every struct and enum
//! denies unknown fields, so a misspelt field is an error listing the allowed names.
//!
//! ```
//! let text = r#"
//! // Offload the sender mid-transfer, with and without loss.
//! (
//!     name: "example",
//!     description: "A 1 MiB bulk transfer over 10 Mbit/s / 20 ms, offloaded to the NIC once 256 KiB are acked.",
//!     seed: 1,
//!     limits: (max_time: "30 s"),
//!     hosts: [
//!         (name: "host", offload_target: (name: "nic", latency: "1 ms")),
//!         (name: "peer"),
//!     ],
//!     links: [(
//!         name: "l0", a: "host", b: "peer",
//!         forward: (rate: "10 Mbit/s", delay: "20 ms", queue: Packets(100),
//!                   impairments: [Bernoulli(p: 0.01)]),
//!         reverse: (rate: "10 Mbit/s", delay: "20 ms"),
//!     )],
//!     connections: [(name: "c1", client: "host", server: "peer", mss: 1460, delayed_ack: Off)],
//!     applications: [(name: "bulk", conn: "c1", bytes: "1 MiB", write_size: Fixed("64 KiB"))],
//!     timeline: [
//!         (when: AfterBytesAcked("c1", "256 KiB"), action: Offload("c1")),
//!         (when: At("2 s"), action: SetLinkImpairments("l0", Forward, [DropPackets([1, 2])])),
//!     ],
//!     sweep: (
//!         axes: [
//!             (name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p", values: [0.0, 0.01]),
//!             (name: "offload", path: "timeline[0].when",
//!              values: [Never, AfterBytesAcked("c1", "256 KiB")], labels: ["none", "mid"]),
//!         ],
//!         seeds: Count(2),
//!     ),
//! )
//! "#;
//! let scenario = scenarios::parse(text, "example.ron")?;
//! let runs = scenarios::expand(&scenario)?;
//! assert_eq!(runs.len(), 2 * 2 * 2);
//! assert_eq!(runs[0].params, [("loss".to_string(), "0.0".to_string()), ("offload".to_string(), "none".to_string())]);
//! print!("{}", scenarios::run_table(&runs));
//! # Ok::<(), scenarios::ScenarioError>(())
//! ```
//!
//! Sections ([`schema`] documents every field and default):
//! - `name`, `description` (one paragraph, shown in reports), `seed` (base seed),
//!   `limits: (max_time, max_events)`.
//! - `hosts`: a name and optionally an `offload_target` (`latency`, `upload_latency`,
//!   `refuse`, `max_connections`, `max_retransmissions`).
//! - `routers`: store-and-forward nodes, each optionally with explicit `routes: [(to, via)]`
//!   (hosts may list them too); otherwise routes are shortest paths by hop count.
//! - `links`: duplex between nodes (hosts or routers) `a` and `b`; `forward` (a → b) and `reverse` each have
//!   `rate`, `delay`, `queue` (`Packets(n)` or `Bytes(size)`) and `impairments`
//!   (`Bernoulli`, `GilbertElliott`, `DropPackets`, `DropData`, `Reorder`, `Duplicate`, `Corrupt`).
//! - `connections`: `client` (the sender) → `server`, with TCP options.
//! - `applications`: a bulk writer on a connection (`bytes`, `write_size`, `timing`:
//!   `AllAtOnce`, `Paced` or `OnOff`) and its `sink` on the server (`read_rate`, `start`).
//! - `flows`: constant-bit-rate cross traffic between two hosts (`rate`, `packet_size`,
//!   `start`, `stop`).
//! - `timeline`: `(when: Trigger, delay: Duration, action: Action)` entries.
//! - `sweep`: axes, seeds and skips ([`sweep`]).
//!
//! Errors: [`parse`] and [`load`] report syntax and type errors as `path:line:col: message`
//! (from ron: what was expected), and semantic errors as one line per problem,
//! `path:line:col: field.path: message`. No input makes them panic (a property test
//! mutates the catalog files to check this).
//!
//! Wiring a scenario into a simulation lives in [`build`]: a [`models::world::World`] with the
//! scenario's hosts, routers, links and connections.

mod bounds;
pub mod build;
pub mod schema;
pub mod sweep;
pub mod units;

mod index;
mod load;
mod tree;
mod validate;

pub use build::{BuildError, build};
pub use load::{Location, ScenarioError, ValidationError, load, parse};
pub use schema::Scenario;
pub use sweep::{RunSpec, Sweep, expand, run_table, set_field};
pub use validate::{PROBABILITY_FIELDS, file_stem, validate};
