//! Applications: a bulk sender that writes a pattern, and a sink that verifies every byte.
//!
//! The sender writes `total` bytes of the connection's pattern ([`crate::pattern`]) in
//! writes of `write_size`, either as fast as its socket buffer allows or one write per
//! interval; like a blocking socket, it keeps at most `send_buffer` bytes posted and not yet
//! completed, so memory follows the data in flight, not the transfer. When everything is
//! written and completed it closes the connection.
//!
//! The sink checks each delivered byte against the pattern at its stream offset, in order,
//! with no gap and no duplicate: any misplaced byte ends the run with an integrity error.
//! It can read at a limited rate, so the receive window closes: delivered bytes stay in the
//! receive buffer until a byte budget, refilled at the rate every millisecond while data waits,
//! lets the application read them ([`ReadRate::Limited`]). The budget does not accumulate while
//! the buffer is empty (a reader cannot read ahead of the data), so the read rate holds to one
//! millisecond's worth of bytes over any interval in which data waits. Not modelled: a reader
//! whose connection is offloaded (the offload target's engine reads at once).
//! Verification happens at delivery, reading is only what frees the buffer.
//!
//! As cross traffic, the sender can also come and go ([`WriteTiming::OnOff`]): bursts of
//! writes in on periods, silence in off periods, each period fixed or exponential.
//!
//! Not modelled: request/response workloads, application think time beyond pacing and on/off
//! periods, traffic without congestion control (every application runs over TCP).

use crate::msg::{Action, Msg, Received, SendStatus, Write};
use crate::pattern::{first_mismatch, pattern_slice};
use crate::record::{DeliveryRecord, ReadRecord, SharedSinkRecords};
use crate::segment::{BufId, ConnId};
use crate::tcp::ConnEvent;
use sim_core::{Actor, ActorId, Ctx, RngStream, SimDuration, SimTime, TimerId};

/// How big each write is.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteSize {
    /// Every write the same size.
    Fixed(u32),
    /// Uniform in [min, max], drawn from the app's named stream.
    Uniform(u32, u32),
    /// These sizes in turn, cycling.
    Sizes(Vec<u32>),
}

/// When writes happen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteTiming {
    /// As fast as the send buffer allows.
    AllAtOnce,
    /// One write per interval.
    Paced(SimDuration),
    /// Cross traffic that comes and goes: cycles of an `on` period, in which the sender
    /// writes up to `burst` bytes as fast as the send buffer allows (no new write once the
    /// period ends), then an `off` period without writes. The first cycle starts when the
    /// connection is established (and not before `start`); cycles stop once `total` is written.
    OnOff {
        /// Length of each on period.
        on: Period,
        /// Length of each off period.
        off: Period,
        /// Most bytes written per on period.
        burst: u64,
    },
}

/// The length of an on or off period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Period {
    /// Always this long.
    Fixed(SimDuration),
    /// Exponentially distributed with this mean, drawn from the application's named stream
    /// (`app/<conn>/writes`), rounded to the nanosecond, at least 1 ns.
    Exponential(SimDuration),
}

/// Where an on/off sender is in its cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The first on period has not begun.
    NotStarted,
    /// In an on period, with this many bytes of the burst left.
    On(u64),
    /// In an off period.
    Off,
}

/// Timer tags of the bulk sender.
const TAG_PACE: u64 = 0;
const TAG_START: u64 = 1;
const TAG_ON_ENDS: u64 = 2;
const TAG_OFF_ENDS: u64 = 3;

/// Bulk sender settings.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkConfig {
    /// Bytes to send in all.
    pub total: u64,
    /// Write sizes.
    pub write_size: WriteSize,
    /// Write timing.
    pub timing: WriteTiming,
    /// Most bytes posted and not yet completed (the socket send buffer).
    pub send_buffer: u64,
    /// Close the connection once everything is written and completed.
    pub close_when_done: bool,
    /// No write before this time (and none before the connection is established).
    pub start: SimDuration,
}

/// The bulk sender actor.
pub struct BulkSender {
    conn: ConnId,
    host: ActorId,
    cfg: BulkConfig,
    rng: RngStream,
    written: u64,
    outstanding: u64,
    completed: u64,
    next_buf: u64,
    size_index: usize,
    established: bool,
    paused: bool,
    pace_timer: Option<TimerId>,
    phase: Phase,
    closed: bool,
    aborted: u64,
    buf_sizes: std::collections::BTreeMap<BufId, u64>,
}

impl BulkSender {
    /// A sender on `conn` through host stack `host`; `rng` is its named stream.
    pub fn new(conn: ConnId, host: ActorId, cfg: BulkConfig, rng: RngStream) -> Self {
        BulkSender {
            conn,
            host,
            cfg,
            rng,
            written: 0,
            outstanding: 0,
            completed: 0,
            next_buf: 0,
            size_index: 0,
            established: false,
            paused: false,
            pace_timer: None,
            phase: Phase::NotStarted,
            closed: false,
            aborted: 0,
            buf_sizes: Default::default(),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Bytes whose send requests completed successfully.
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// Bytes whose send requests were aborted.
    pub fn aborted(&self) -> u64 {
        self.aborted
    }

    fn draw(&mut self, p: Period) -> SimDuration {
        match p {
            Period::Fixed(d) => d,
            Period::Exponential(mean) => {
                let ns = self.rng.exponential(mean.0 as f64).round();
                SimDuration((ns as u64).max(1))
            }
        }
    }

    fn next_size(&mut self) -> u64 {
        let size = match &self.cfg.write_size {
            WriteSize::Fixed(n) => u64::from(*n),
            WriteSize::Uniform(lo, hi) => self.rng.range_inclusive(u64::from(*lo), u64::from(*hi)),
            WriteSize::Sizes(v) => {
                let n = v.get(self.size_index % v.len().max(1)).copied().unwrap_or(1460);
                self.size_index += 1;
                u64::from(n)
            }
        };
        size.max(1).min(self.cfg.total - self.written)
    }

    /// Posts one write of at most `cap` bytes, if the send buffer has room.
    fn write_one(&mut self, ctx: &mut Ctx<'_, Msg>, cap: u64) -> bool {
        if self.written >= self.cfg.total || self.outstanding >= self.cfg.send_buffer || cap == 0 {
            return false;
        }
        let len = self.next_size().min(cap);
        let data = pattern_slice(self.conn, self.written, len as usize);
        let buf = BufId(self.next_buf);
        self.next_buf += 1;
        self.written += len;
        self.outstanding += len;
        self.buf_sizes.insert(buf, len);
        ctx.send(
            self.host,
            SimDuration::ZERO,
            Msg::AppWrite(Box::new(Write {
                conn: self.conn,
                buf,
                data,
            })),
        );
        true
    }

    fn pump(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if !self.established || self.paused || ctx.now() < SimTime::ZERO + self.cfg.start {
            return;
        }
        match self.cfg.timing {
            WriteTiming::AllAtOnce => while self.write_one(ctx, u64::MAX) {},
            WriteTiming::Paced(interval) => {
                if self.pace_timer.is_none() && self.write_one(ctx, u64::MAX) && self.written < self.cfg.total {
                    self.pace_timer = Some(ctx.set_timer(ctx.now() + interval, TAG_PACE));
                }
            }
            WriteTiming::OnOff { on, burst, .. } => {
                if self.phase == Phase::NotStarted {
                    self.phase = Phase::On(burst);
                    let d = self.draw(on);
                    ctx.set_timer(ctx.now() + d, TAG_ON_ENDS);
                }
                while let Phase::On(left) = self.phase {
                    let before = self.written;
                    if !self.write_one(ctx, left) {
                        break;
                    }
                    self.phase = Phase::On(left - (self.written - before));
                }
            }
        }
        self.maybe_close(ctx);
    }

    fn maybe_close(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.cfg.close_when_done && !self.closed && self.written == self.cfg.total && self.outstanding == 0 {
            self.closed = true;
            ctx.send(self.host, SimDuration::ZERO, Msg::AppClose(self.conn));
        }
    }
}

impl Actor<Msg> for BulkSender {
    fn start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.cfg.start > SimDuration::ZERO {
            // Wake up at the start time.
            ctx.set_timer(SimTime::ZERO + self.cfg.start, TAG_START);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        match msg {
            Msg::ConnEvent {
                event: ConnEvent::Established,
                ..
            } => {
                self.established = true;
                self.pump(ctx);
            }
            Msg::ConnEvent { .. } => {}
            Msg::SendCompleted { buf, status, .. } => {
                let len = self.buf_sizes.remove(&buf).unwrap_or(0);
                self.outstanding -= len;
                match status {
                    SendStatus::Success => self.completed += len,
                    SendStatus::RequestAborted => self.aborted += len,
                    SendStatus::UploadInProgress => {}
                }
                self.pump(ctx);
            }
            Msg::Action(a) if *a == Action::PauseApp => self.paused = true,
            Msg::Action(a) if *a == Action::ResumeApp => {
                self.paused = false;
                self.pump(ctx);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _timer: TimerId, tag: u64) {
        let more = self.written < self.cfg.total;
        match (tag, self.cfg.timing) {
            (TAG_PACE, _) => self.pace_timer = None,
            (TAG_ON_ENDS, WriteTiming::OnOff { off, .. }) => {
                self.phase = Phase::Off;
                if more {
                    let d = self.draw(off);
                    ctx.set_timer(ctx.now() + d, TAG_OFF_ENDS);
                }
            }
            (TAG_OFF_ENDS, WriteTiming::OnOff { on, burst, .. }) => {
                self.phase = Phase::On(burst);
                let d = self.draw(on);
                ctx.set_timer(ctx.now() + d, TAG_ON_ENDS);
            }
            _ => {}
        }
        self.pump(ctx);
    }
}

/// How fast the sink reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReadRate {
    /// Reads everything as it arrives.
    Unlimited,
    /// Reads at most this many bytes per second (the receive window closes when it lags).
    Limited(u64),
}

/// Period of a rate-limited reader: each tick reads what the byte budget allows.
const READ_TICK: SimDuration = SimDuration::from_millis(1);

/// A reader at a limited rate: a byte budget that grows at `rate` from the moment data began
/// to wait (no burst allowance).
#[derive(Clone, Copy, Debug, Default)]
struct BudgetReader {
    /// Bytes per second.
    rate: u64,
    /// Delivered bytes not read yet (in the receive buffer).
    backlog: u64,
    /// Bytes read so far.
    read: u64,
    /// Since when, and from which `read` count, the budget has been growing (`None` while the
    /// buffer is empty or the application is paused).
    origin: Option<(SimTime, u64)>,
    /// The next tick is scheduled.
    ticking: bool,
}

impl BudgetReader {
    /// Bytes the budget allows to read at `now` (and not more than wait).
    fn allowed(&self, now: SimTime) -> u64 {
        let Some((t0, read0)) = self.origin else { return 0 };
        let elapsed = u128::from(now.saturating_since(t0).as_nanos());
        let budget = (elapsed * u128::from(self.rate) / 1_000_000_000) as u64;
        read0.saturating_add(budget).saturating_sub(self.read).min(self.backlog)
    }
}

/// The sink actor: verifies and counts every delivered byte.
pub struct Sink {
    conn: ConnId,
    host: ActorId,
    expected: u64,
    received: u64,
    completed_at: Option<SimTime>,
    peer_closed: bool,
    reset: bool,
    reading: bool,
    paused_by_action: bool,
    /// The byte budget of a [`ReadRate::Limited`] sink.
    reader: Option<BudgetReader>,
    /// Where the world's sinks record, and this sink's place in actor order.
    records: SharedSinkRecords,
    order: u32,
}

impl Sink {
    /// A sink on `conn` of host stack `host` that expects `expected` bytes, recording into
    /// `records` as the sink at `order` in actor order.
    pub fn new(
        conn: ConnId,
        host: ActorId,
        expected: u64,
        rate: ReadRate,
        records: SharedSinkRecords,
        order: u32,
    ) -> Self {
        Sink {
            conn,
            host,
            expected,
            received: 0,
            completed_at: None,
            peer_closed: false,
            reset: false,
            reading: true,
            paused_by_action: false,
            reader: match rate {
                ReadRate::Unlimited => None,
                ReadRate::Limited(rate) => Some(BudgetReader {
                    rate: rate.max(1),
                    ..BudgetReader::default()
                }),
            },
            records,
            order,
        }
    }

    /// Bytes the application has read out of the receive buffer (all received bytes for a sink
    /// that reads at once).
    pub fn bytes_read(&self) -> u64 {
        self.reader.map_or(self.received, |r| r.read)
    }

    /// Bytes received and verified, in order.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// When the application had the last expected byte: its arrival, or for a limited reader
    /// its read.
    pub fn completed_at(&self) -> Option<SimTime> {
        self.completed_at
    }

    /// The peer closed its side (FIN received in order).
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// The connection was reset.
    pub fn was_reset(&self) -> bool {
        self.reset
    }
    /// Data waits and the application reads: let the budget grow from now and tick.
    fn start_reading(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let paused = self.paused_by_action;
        let Some(r) = self.reader.as_mut() else { return };
        if paused || r.backlog == 0 {
            return;
        }
        if r.origin.is_none() {
            r.origin = Some((now, r.read));
        }
        if !r.ticking {
            r.ticking = true;
            ctx.set_timer(now + READ_TICK, 0);
        }
    }

    /// One tick of the limited reader: read what the budget allows.
    fn read_tick(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let paused = self.paused_by_action;
        let Some(r) = self.reader.as_mut() else { return };
        r.ticking = false;
        let n = r.allowed(now);
        if n > 0 {
            r.read += n;
            r.backlog -= n;
            if r.read == self.expected && self.completed_at.is_none() {
                self.completed_at = Some(now);
            }
            self.records.borrow_mut().read(
                self.order,
                ReadRecord {
                    time: now,
                    conn: self.conn,
                    bytes: r.read,
                },
            );
            ctx.send(
                self.host,
                SimDuration::ZERO,
                Msg::AppRead {
                    conn: self.conn,
                    bytes: n,
                },
            );
        }
        if paused || r.backlog == 0 {
            // Idle: the budget restarts when data waits again (no reading ahead).
            r.origin = None;
            return;
        }
        r.ticking = true;
        ctx.set_timer(now + READ_TICK, 0);
    }

    fn set_reading(&mut self, ctx: &mut Ctx<'_, Msg>, reading: bool) {
        if self.reading != reading {
            self.reading = reading;
            ctx.send(
                self.host,
                SimDuration::ZERO,
                Msg::SetReading {
                    conn: self.conn,
                    reading,
                },
            );
        }
    }
}

impl Actor<Msg> for Sink {
    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _from: Option<ActorId>, msg: Msg) {
        match msg {
            Msg::Delivered(r) => {
                let Received { offset, data, .. } = *r;
                if offset != self.received {
                    ctx.fail(format!(
                        "integrity: conn {} delivered stream offset {offset}, expected {} (gap or duplicate)",
                        self.conn.0, self.received
                    ));
                    return;
                }
                if let Some(bad) = first_mismatch(self.conn, offset, &data) {
                    ctx.fail(format!(
                        "integrity: conn {} byte at stream offset {bad} differs from what was sent",
                        self.conn.0
                    ));
                    return;
                }
                self.received += data.len() as u64;
                if self.received > self.expected {
                    ctx.fail(format!(
                        "integrity: conn {} received {} bytes, only {} were sent",
                        self.conn.0, self.received, self.expected
                    ));
                    return;
                }
                let now = ctx.now();
                self.records.borrow_mut().delivered(
                    self.order,
                    DeliveryRecord {
                        time: now,
                        conn: self.conn,
                        bytes: self.received,
                    },
                );
                // A sink that reads at once has the bytes now; a limited reader when it reads
                // them (`read_tick`).
                if self.received == self.expected && self.completed_at.is_none() && self.reader.is_none() {
                    self.completed_at = Some(now);
                }
                if let Some(r) = self.reader.as_mut() {
                    // The bytes wait in the receive buffer until the budget reads them.
                    r.backlog += data.len() as u64;
                    self.start_reading(ctx);
                }
            }
            Msg::ConnEvent {
                event: ConnEvent::PeerFin,
                ..
            } => self.peer_closed = true,
            Msg::ConnEvent {
                event: ConnEvent::Reset,
                ..
            } => self.reset = true,
            Msg::ConnEvent { .. } => {}
            Msg::Action(a) if *a == Action::PauseApp => {
                self.paused_by_action = true;
                self.set_reading(ctx, false);
            }
            Msg::Action(a) if *a == Action::ResumeApp => {
                self.paused_by_action = false;
                if self.reader.is_some() {
                    self.start_reading(ctx);
                } else {
                    self.set_reading(ctx, true);
                }
            }
            _ => {}
        }
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.reader.is_some() {
            // A limited reader never lets the stack read for it: every delivered byte stays in
            // the receive buffer until the budget reads it (the connection exists, listening,
            // from the start; a paused reader stays paused through the handshake).
            self.set_reading(ctx, false);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _timer: TimerId, _tag: u64) {
        self.read_tick(ctx);
    }
}
