//! Scenario actions that fire on a condition of a connection rather than at a time:
//! "offload mid-transfer at exactly the interesting moment".
//!
//! Whoever runs the connection (host stack or offload target) evaluates the pending
//! conditions after every input that can change them, and hands a fired action to the actor
//! that carries it out. Pending conditions move with the connection at offload and upload.

use crate::msg::{Action, Msg};
use crate::tcp::TcpConnection;
use sim_core::{ActorId, SimDuration};

/// A condition on a connection's sender state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// At least this many data bytes cumulatively acknowledged.
    AfterBytesAcked(u64),
    /// Bytes in flight (SndMax − SndUna) at least this many.
    InFlightAtLeast(u32),
    /// A retransmission is in progress: SndNxt < SndMax (a go-back-N resend after an RTO).
    RetransmissionInProgress,
    /// The k-th retransmission timeout has fired.
    AfterRto(u32),
    /// In NewReno fast recovery (after a fast retransmit, until a full ACK).
    InFastRecovery,
    /// The peer advertises a zero window (SND.WND == 0) while data waits to be sent.
    ZeroWindow,
    /// An offload of the connection completed successfully (the host stack evaluates this
    /// one when the target accepts; it never moves to the target).
    OffloadCompleted,
    /// The connection's k-th fast retransmit (1-based, by host or target) has happened.
    AfterFastRetransmits(u32),
    /// An offload of the connection was refused (rule 37; evaluated by the host stack when
    /// the refusal arrives; it never moves to the target).
    OffloadRefused,
}

impl Condition {
    /// Conditions only the host stack evaluates (they concern the offload itself, not the
    /// connection's state): they stay with the host when the connection is offloaded.
    pub fn host_only(&self) -> bool {
        matches!(self, Condition::OffloadCompleted | Condition::OffloadRefused)
    }

    /// True when the condition holds for `tcp`, which has seen `rto_count` timeouts and
    /// `fr_count` fast retransmits so far.
    pub fn holds(&self, tcp: &TcpConnection, rto_count: u32, fr_count: u32) -> bool {
        match *self {
            Condition::AfterBytesAcked(n) => tcp.chain().front_offset() >= n,
            Condition::InFlightAtLeast(n) => tcp.snd_max().wrapping_since(tcp.snd_una()) >= n,
            Condition::RetransmissionInProgress => tcp.snd_nxt() < tcp.snd_max(),
            Condition::AfterRto(k) => rto_count >= k,
            Condition::InFastRecovery => tcp.in_recovery(),
            Condition::ZeroWindow => {
                tcp.state().is_synchronized()
                    && tcp.snd_wnd() == 0
                    && tcp.chain().end_offset() > tcp.chain().front_offset()
            }
            Condition::AfterFastRetransmits(k) => fr_count >= k,
            Condition::OffloadCompleted | Condition::OffloadRefused => false,
        }
    }
}

/// An action waiting for its condition.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingAction {
    /// When to fire.
    pub condition: Condition,
    /// What to do.
    pub action: Action,
    /// The actor that carries the action out.
    pub executor: ActorId,
    /// How long after the condition first holds the action happens.
    pub delay: SimDuration,
    /// The scenario timeline entry it comes from (recorded when it fires).
    pub index: u32,
}

impl PendingAction {
    /// The message that tells the executor to act (link changes go to links as
    /// [`Msg::LinkControl`]).
    pub fn message(&self) -> Msg {
        match &self.action {
            Action::Link(control) => Msg::LinkControl(Box::new(control.clone())),
            other => Msg::Action(Box::new(other.clone())),
        }
    }
}

/// Removes and returns, in registration order, the pending actions whose condition holds.
pub fn take_fired(
    pending: &mut Vec<PendingAction>,
    tcp: &TcpConnection,
    rto_count: u32,
    fr_count: u32,
) -> Vec<PendingAction> {
    let mut fired = Vec::new();
    let mut i = 0;
    while i < pending.len() {
        if pending[i].condition.holds(tcp, rto_count, fr_count) {
            fired.push(pending.remove(i));
        } else {
            i += 1;
        }
    }
    fired
}
