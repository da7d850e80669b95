//! offsim's models: the actors that run on the kernel.
//!
//! - [`seq`], [`segment`]: sequence numbers and segments with provenance.
//! - [`pattern`]: the payload pattern applications write and verify.
//! - [`chain`]: the send chain (one buffer per application write), shared by the host
//!   stack and the offload target; [`conn_table`]: per-connection state by connection id.
//! - [`tcp`]: the sans-IO TCP engine (RFC 793/5681/6298/6582/2018/6675/7323).
//! - [`link`]: links per direction with rate, delay, drop-tail queue and impairments.
//! - [`record`]: what actors record for reports.
//! - [`host`], [`offload`], [`app`]: the host stack, the offload target (NIC) and the
//!   applications as kernel actors; [`msg`] is what they exchange; [`trigger`] holds scenario
//!   actions that fire on a connection's state.
//! - [`cbr`]: constant-bit-rate cross traffic.
//! - [`world`]: the world builder (hosts, [`router`]s, links, connections, timeline) with
//!   static routes; [`testbed`] is its two-host form.

pub mod app;
pub mod cbr;
pub mod chain;
pub mod conn_table;
mod endpoint;
pub mod host;
pub mod link;
pub mod msg;
pub mod offload;
pub mod pattern;
pub mod record;
pub mod router;
pub mod segment;
pub mod seq;
pub mod tcp;
pub mod testbed;
pub mod trigger;
pub mod world;
