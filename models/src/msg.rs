//! The messages actors exchange through the kernel.

use crate::segment::{ConnId, Segment};
use sim_core::Message;

/// Every message of an offsim simulation.
#[derive(Debug)]
pub enum Msg {
    /// A TCP segment: from a sender to a link, or from a link to the far end.
    Segment(Box<Segment>),
    /// Change a link's impairments or rate at run time (scenario timeline).
    LinkControl(crate::link::LinkControl),
    /// A scenario action for a host stack, application or target (filled in by later issues).
    Control(ConnId, u32),
}

impl Message for Msg {
    fn kind(&self) -> u16 {
        match self {
            Msg::Segment(_) => 1,
            Msg::LinkControl(_) => 2,
            Msg::Control(..) => 3,
        }
    }

    fn digest(&self) -> [u64; 2] {
        match self {
            Msg::Segment(s) => [
                u64::from(s.seq.0) << 32 | u64::from(s.ack.0),
                u64::from(s.len()) << 32 | u64::from(s.flags.bits()) << 24 | u64::from(s.window) << 8 | s.corrupted as u64,
            ],
            Msg::LinkControl(_) => [0, 0],
            Msg::Control(c, k) => [u64::from(c.0), u64::from(*k)],
        }
    }
}
