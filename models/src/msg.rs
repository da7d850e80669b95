//! The messages actors exchange through the kernel.
//!
//! Host ↔ offload-target messages are named after the NDIS chimney calls they model
//! (spec/chimney.md): `InitiateOffload` / `InitiateOffloadComplete`, `OffloadSend` /
//! `OffloadSendComplete` (MiniportTcpOffloadSend and its completion), `Forward`
//! (MiniportTcpOffloadForward), `RequestUpload` (TcpIndicateRetrieve), `TerminateOffload` /
//! `TerminateOffloadComplete`, `OffloadDisconnect`.

use crate::link::LinkControl;
use crate::offload::{OffloadBlock, UploadBlock, UploadReason};
use crate::segment::{BufId, ConnId, Segment};
use crate::tcp::ConnEvent;
use bytes::Bytes;
use sim_core::Message;

/// How a send request ended (NDIS status of a send completion).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Every byte sent and cumulatively acknowledged (rule 25).
    Success,
    /// The target is uploading: the host must send this data itself (rule 29).
    UploadInProgress,
    /// The connection was reset: the data is discarded (rule 40).
    RequestAborted,
}

/// A scenario action, delivered to the actor that carries it out.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Offload the connection to its host's offload target.
    Offload(ConnId),
    /// Terminate the connection's offload (upload it back to the host).
    Upload(ConnId),
    /// Close the connection gracefully once its data is sent.
    Close(ConnId),
    /// Abort the connection (RST).
    Abort(ConnId),
    /// The offload target asks the host to upload the connection (rule 46: resources lost
    /// after offload; carried out by the target).
    TargetUpload(ConnId),
    /// The offload target asks the host to upload the connection, for this reason (rule 27;
    /// carried out by the target).
    TargetUploadFor(ConnId, crate::offload::UploadReason),
    /// Pause an application (a sender stops writing; a sink stops reading).
    PauseApp,
    /// Resume an application.
    ResumeApp,
    /// Change a link (delivered to the link as [`Msg::LinkControl`]).
    Link(LinkControl),
}

impl Action {
    /// The action's name as its executor records it (`OffloadEventKind::ActionSkipped` and
    /// `ActionDeferred` carry it).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Offload(_) => "offload",
            Action::Upload(_) => "upload",
            Action::Close(_) => "close",
            Action::Abort(_) => "abort",
            Action::TargetUpload(_) | Action::TargetUploadFor(..) => "target_upload",
            Action::PauseApp => "pause",
            Action::ResumeApp => "resume",
            Action::Link(_) => "link",
        }
    }
}

/// An application's write: one send buffer ([`Msg::AppWrite`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// Connection.
    pub conn: ConnId,
    /// The buffer's id (posting order).
    pub buf: BufId,
    /// The bytes.
    pub data: Bytes,
}

/// In-order received bytes handed to the application ([`Msg::Delivered`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// Connection.
    pub conn: ConnId,
    /// Stream offset of `data[0]`.
    pub offset: u64,
    /// The bytes.
    pub data: Bytes,
}

/// A send request posted to the offload target, or bounced back from it ([`Msg::OffloadSend`],
/// [`Msg::SendBounced`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PostedSend {
    /// Connection.
    pub conn: ConnId,
    /// Which buffer.
    pub buf: BufId,
    /// Stream offset of its first byte.
    pub offset: u64,
    /// The bytes.
    pub data: Bytes,
}

/// How an offload request ended ([`Msg::InitiateOffloadComplete`]).
#[derive(Clone, Debug, PartialEq)]
pub struct OffloadCompletion {
    /// Connection.
    pub conn: ConnId,
    /// Accepted or refused.
    pub accepted: bool,
    /// Why it was refused.
    pub reason: String,
}

/// Every message of an offsim simulation. Kept to 24 bytes, the larger payloads boxed, with a
/// whole word for the variant (why: every message is moved into the event queue and out of
/// it; at 56 bytes, with a one-byte tag whose neighbours were copied in overlapping pieces,
/// those moves stalled on store forwarding: ~8 % of a 10,000-connection run).
#[derive(Debug)]
#[repr(u64)]
pub enum Msg {
    /// A TCP segment: from a sender to a link, or from a link (or a NIC) to an endpoint.
    Segment(Box<Segment>),
    /// Change a link's impairments or rate at run time.
    LinkControl(Box<LinkControl>),
    /// A scenario action.
    Action(Box<Action>),
    /// Application → host stack: one write (one send buffer).
    AppWrite(Box<Write>),
    /// Application → host stack: close after all data (FIN).
    AppClose(ConnId),
    /// An engine's owner → itself, at the instant of a send request: transmit what the
    /// requests posted at this instant queued. Deferring the transmission to after every
    /// request of the instant lets small writes coalesce into full segments (as ns-3's
    /// `SendPendingData` scheduled after `Send`, and Linux's autocorking, do).
    Push(ConnId),
    /// Application → host stack: start or stop reading (a stopped reader lets the receive
    /// window close).
    SetReading {
        /// Connection.
        conn: ConnId,
        /// Reading or not.
        reading: bool,
    },
    /// Application → host stack: the application read `bytes` of the received data it had not
    /// read yet (a reader that paused with [`Msg::SetReading`] and consumes at its own pace);
    /// the freed buffer space reopens the receive window.
    AppRead {
        /// Connection.
        conn: ConnId,
        /// Bytes read.
        bytes: u64,
    },
    /// Host stack → application: in-order received bytes.
    Delivered(Box<Received>),
    /// Host stack → application (and target → host): a send request completed.
    SendCompleted {
        /// Connection.
        conn: ConnId,
        /// How (before `buf`: a `repr(u64)` enum keeps its fields' order, and here it packs).
        status: SendStatus,
        /// Which buffer.
        buf: BufId,
    },
    /// Host stack → application: a connection event.
    ConnEvent {
        /// Connection.
        conn: ConnId,
        /// What happened.
        event: ConnEvent,
    },
    /// Host → target: take over a connection (delegated state + send chain).
    InitiateOffload(Box<OffloadBlock>),
    /// Target → host: the offload completed or was refused (rule 37).
    InitiateOffloadComplete(Box<OffloadCompletion>),
    /// Host → target: a send request posted after the offload (rule 22).
    OffloadSend(Box<PostedSend>),
    /// Target → host: a send request came back with UPLOAD_IN_PROGRESS (rule 29): the bytes
    /// for the host to send itself.
    SendBounced(Box<PostedSend>),
    /// Host → target: a segment the host received during the offload (rule 23).
    Forward(Box<Segment>),
    /// Target → host: please upload this connection (rule 27; 18 on give-up).
    RequestUpload {
        /// Connection.
        conn: ConnId,
        /// Why.
        reason: UploadReason,
    },
    /// Host → target: terminate the offload (rule 28).
    TerminateOffload(ConnId),
    /// Target → host: the returned state and unfinished send data (rules 30–33).
    TerminateOffloadComplete(Box<UploadBlock>),
    /// Host → target: graceful (`abortive == false`) or abortive close after offload (rule 42).
    OffloadDisconnect {
        /// Connection.
        conn: ConnId,
        /// RST instead of FIN.
        abortive: bool,
    },
}

impl Message for Msg {
    fn kind(&self) -> u16 {
        match self {
            Msg::Segment(_) => 1,
            Msg::LinkControl(_) => 2,
            Msg::Action(_) => 3,
            Msg::AppWrite(_) => 4,
            Msg::AppClose(_) => 5,
            Msg::SetReading { .. } => 6,
            Msg::Delivered(_) => 7,
            Msg::SendCompleted { .. } => 8,
            Msg::ConnEvent { .. } => 9,
            Msg::InitiateOffload(_) => 10,
            Msg::InitiateOffloadComplete(_) => 11,
            Msg::OffloadSend(_) => 12,
            Msg::SendBounced(_) => 13,
            Msg::Forward(_) => 14,
            Msg::RequestUpload { .. } => 15,
            Msg::TerminateOffload(_) => 16,
            Msg::TerminateOffloadComplete(_) => 17,
            Msg::OffloadDisconnect { .. } => 18,
            Msg::AppRead { .. } => 19,
            Msg::Push(_) => 20,
        }
    }

    #[inline]
    fn prefetch(&self) {
        if let Msg::Segment(s) | Msg::Forward(s) = self {
            // The header fields the trace digest and the receiver read first, and the
            // payload handle and provenance after them.
            sim_core::prefetch::read_lines(&**s as *const Segment, std::mem::size_of::<Segment>().div_ceil(64));
        }
    }

    fn digest(&self) -> [u64; 2] {
        let c = |c: &ConnId| u64::from(c.0) << 32;
        match self {
            Msg::Segment(s) | Msg::Forward(s) => [
                u64::from(s.seq.0) << 32 | u64::from(s.ack.0),
                u64::from(s.len()) << 32
                    | u64::from(s.flags.bits()) << 24
                    | u64::from(s.window) << 8
                    | s.corrupted as u64,
            ],
            Msg::LinkControl(_) | Msg::Action(_) => [0, 0],
            Msg::AppWrite(w) => [c(&w.conn) | w.data.len() as u64, w.buf.0],
            Msg::OffloadSend(p) | Msg::SendBounced(p) => {
                [c(&p.conn) | p.data.len() as u64, p.buf.0 ^ p.offset.rotate_left(32)]
            }
            Msg::AppClose(conn) | Msg::TerminateOffload(conn) | Msg::Push(conn) => [c(conn), 0],
            Msg::SetReading { conn, reading } => [c(conn), *reading as u64],
            Msg::AppRead { conn, bytes } => [c(conn), *bytes],
            Msg::Delivered(r) => [c(&r.conn) | r.data.len() as u64, r.offset],
            Msg::SendCompleted { conn, buf, status } => [c(conn) | *status as u64, buf.0],
            Msg::ConnEvent { conn, .. } => [c(conn), 0],
            Msg::InitiateOffload(b) => [
                c(&b.conn),
                u64::from(b.state.snd_una.0) << 32 | u64::from(b.state.snd_max.0),
            ],
            Msg::InitiateOffloadComplete(o) => [c(&o.conn), o.accepted as u64],
            Msg::RequestUpload { conn, reason } => [c(conn), *reason as u64],
            Msg::TerminateOffloadComplete(b) => [
                c(&b.conn),
                u64::from(b.state.snd_una.0) << 32 | u64::from(b.state.snd_max.0),
            ],
            Msg::OffloadDisconnect { conn, abortive } => [c(conn), *abortive as u64],
        }
    }
}

#[cfg(test)]
mod tests {
    /// The size the enum's doc promises.
    #[test]
    fn a_message_is_24_bytes() {
        assert_eq!(std::mem::size_of::<super::Msg>(), 24);
    }
}
