//! Routers: store-and-forward nodes with a static forwarding table.
//!
//! # What is modelled
//! A router receives a whole segment from an incoming link (the link delivers it once its
//! last bit has arrived: store-and-forward) and hands it, in the same instant, to the link
//! direction its forwarding table names for the segment's destination. Each outgoing link
//! direction is the router's output queue for that port: its drop-tail queue (in packets or
//! bytes), rate, delay and impairments are the link's own ([`crate::link`]), so queue drops
//! at a router are recorded on that link direction as `Dropped(QueueFull)`.
//!
//! Segments carry no IP addresses (only ports, see [`crate::segment`]); the world gives each
//! port to one host (a host's listening port, or a client end's own port, see
//! [`crate::world::MAX_CONN_ID`]), so the forwarding table is keyed by destination port: one
//! route per port, filled from the static routes computed at build time
//! ([`crate::world::routing`]).
//!
//! # What is NOT modelled
//! No processing delay or input queueing at the router, no TTL, no ICMP, no fragmentation,
//! no route changes at run time. A segment whose port has no entry is counted in
//! [`RouterCounters::unroutable`] and ends the run with an error (build-time routing makes
//! this a wiring defect, never a scenario's outcome).

use crate::msg::Msg;
use sim_core::{Actor, ActorId, Ctx, SimDuration};
use std::collections::BTreeMap;

/// What a router did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterCounters {
    /// Segments handed to an output link.
    pub forwarded: u64,
    /// Segments dropped because no route matched their destination port.
    pub unroutable: u64,
}

/// A router as a kernel actor.
#[derive(Debug)]
pub struct Router {
    name: String,
    /// Destination port → outgoing link direction actor.
    table: BTreeMap<u16, ActorId>,
    counters: RouterCounters,
}

impl Router {
    /// A router with forwarding table `table` (destination port → link direction actor).
    pub fn new(name: impl Into<String>, table: BTreeMap<u16, ActorId>) -> Self {
        Router {
            name: name.into(),
            table,
            counters: RouterCounters::default(),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it did so far.
    pub fn counters(&self) -> RouterCounters {
        self.counters
    }
}

impl Actor<Msg> for Router {
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        // Routers only forward segments; every other message is for stacks or applications.
        let Msg::Segment(seg) = msg else { return };
        match self.table.get(&seg.dst_port) {
            Some(&out) => {
                self.counters.forwarded += 1;
                ctx.send(out, SimDuration::ZERO, Msg::Segment(seg));
            }
            None => {
                // Routes are checked at build time: a segment without one is a wiring defect,
                // never dropped silently.
                self.counters.unroutable += 1;
                ctx.fail(format!(
                    "router {}: no route for destination port {} (conn {})",
                    self.name, seg.dst_port, seg.provenance.conn.0
                ));
            }
        }
    }
}
