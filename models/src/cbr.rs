//! Constant-bit-rate cross traffic: a UDP-like flow of fixed-size packets at a fixed rate,
//! with no congestion control and no acknowledgements, to load a bottleneck independently of
//! the TCP connections under study.
//!
//! # What is modelled
//! The source puts one packet of `payload` bytes (plus the 40 header bytes every segment has,
//! see [`crate::segment::Segment::wire_len`]) on its host's link every
//! `ceil(wire bytes * 8 * 10^9 / rate)` ns, from `start` until `stop` (exclusive) or forever
//! within the run's limits. The packets bypass the host's TCP stack (and its offload target);
//! they are routed like any segment (by destination port) and dropped, delayed or corrupted
//! by the links like any other. The destination host's stack discards them on arrival (no
//! connection has their port), so the links' records are their whole story: the reports count
//! packets sent at the first hop and delivered at the last.
//!
//! # What is NOT modelled
//! No UDP header (the 40-byte IPv4+TCP overhead stands for IPv4+UDP's 28), no jitter, no
//! application behind the sink, no reaction to loss.

use crate::msg::Msg;
use crate::segment::{ConnId, DataSource, Provenance, Segment, SendCause};
use crate::seq::SeqNum;
use bytes::Bytes;
use sim_core::{Actor, ActorId, Ctx, SimDuration, SimTime, TimerId};

/// A constant-bit-rate flow's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CbrConfig {
    /// Payload bytes per packet.
    pub payload: u32,
    /// Rate on the wire (payload plus header) [bit/s]; must be above 0.
    pub rate_bps: u64,
    /// First packet at this time.
    pub start: SimTime,
    /// No packet at or after this time (`None`: until the run ends).
    pub stop: Option<SimTime>,
}

impl CbrConfig {
    /// Time between two packets.
    pub fn interval(&self) -> SimDuration {
        let wire = u64::from(self.payload) + 40;
        crate::link::serialization_time(wire, self.rate_bps.max(1)).max(SimDuration(1))
    }
}

/// The source actor.
#[derive(Debug)]
pub struct CbrSource {
    id: ConnId,
    ports: (u16, u16),
    egress: ActorId,
    cfg: CbrConfig,
    payload: Bytes,
    sent: u64,
}

impl CbrSource {
    /// Flow `id` from port `ports.0` to `ports.1`, sending into link direction `egress`.
    pub fn new(id: ConnId, ports: (u16, u16), egress: ActorId, cfg: CbrConfig) -> Self {
        let payload = Bytes::from(vec![0u8; cfg.payload as usize]);
        CbrSource {
            id,
            ports,
            egress,
            cfg,
            payload,
            sent: 0,
        }
    }

    /// Packets sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    fn running(&self, now: SimTime) -> bool {
        self.cfg.stop.is_none_or(|stop| now < stop)
    }
}

impl Actor<Msg> for CbrSource {
    fn start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.running(self.cfg.start) {
            ctx.set_timer(self.cfg.start, 0);
        }
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, _msg: Msg) {
        // A constant-bit-rate source reacts to nothing.
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _timer: TimerId, _tag: u64) {
        let offset = self.sent * u64::from(self.cfg.payload);
        let seg = Segment {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            seq: SeqNum(offset as u32),
            payload: self.payload.clone(),
            provenance: Provenance {
                conn: self.id,
                stream_offset: offset,
                source: DataSource::HostQueue,
                cause: SendCause::NewData,
                ..Provenance::default()
            },
            ..Segment::default()
        };
        self.sent += 1;
        ctx.send(self.egress, SimDuration::ZERO, Msg::Segment(Box::new(seg)));
        let next = ctx.now() + self.cfg.interval();
        if self.running(next) {
            ctx.set_timer(next, 0);
        }
    }
}
