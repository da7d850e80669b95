//! Impairment models: what a link does to a packet besides delaying it.
//!
//! Each [`Impairment`] in a link's ordered list judges every packet entering the link and
//! returns a `Verdict`: `Pass`, `Drop(reason)`, or `Deliver(effect)` (extra delay, a
//! duplicate copy, corruption). The first `Drop` wins and names the drop reason; `Deliver`
//! effects of the models that did not drop compose (delays add, flags combine).
//!
//! Determinism and common random numbers: every random model draws from its own named
//! stream, `link/{link name}/{index}-{kind}` (e.g. `link/a->b/0-bernoulli`), and draws the
//! same number of values for every packet whatever happens to it (whether an earlier model
//! dropped it, whether the queue is full, whatever the probabilities are). So a change to
//! one packet's fate never shifts the draws of later packets, and two variants of a scenario
//! see the same draws as long as the same packets enter the link.
//!
//! | model            | draws per packet | state                                  |
//! |------------------|------------------|----------------------------------------|
//! | `Bernoulli`      | 1                | none                                   |
//! | `GilbertElliott` | 2                | channel state (good or bad)            |
//! | `DropPackets`    | 0                | packets seen since installed           |
//! | `DropData`       | 0                | transmissions of the offset seen       |
//! | `DropFlags`      | 0                | matching segments seen                 |
//! | `Reorder`        | 1                | none                                   |
//! | `Duplicate`      | 1                | none                                   |
//! | `Corrupt`        | 1                | none                                   |
//!
//! Run-time replacement ([`crate::link::LinkControl::SetImpairments`]): a model whose index
//! and kind are unchanged keeps its stream position, and its state when it targets the same
//! thing (Gilbert–Elliott channel state; `DropData`/`DropFlags` counters for the same offset
//! or flags), and takes the new parameters. `DropPackets` always counts afresh from the
//! change, so a timeline can say "drop the next two packets". A model removed and later
//! re-added at the same index resumes its stream where it stopped, so no draw is replayed.

use crate::record::DropReason;
use crate::segment::{ConnId, Segment};
use serde::{Deserialize, Serialize};
use sim_core::{RngStream, SimDuration};
use std::collections::BTreeMap;

/// One impairment model of a link direction (config; see the module doc for semantics).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Impairment {
    /// Independent random loss: each packet is dropped with probability `p`.
    Bernoulli {
        /// Loss probability per packet, in [0, 1].
        p: f64,
    },
    /// Two-state Markov burst loss (Gilbert–Elliott). The channel starts in the good state;
    /// before each packet the state makes one transition, then the packet is lost with the
    /// new state's loss probability. With `loss_bad = 1` and `loss_good = 0` the mean burst length is
    /// `1 / p_bad_to_good` and the mean loss rate `p_good_to_bad / (p_good_to_bad + p_bad_to_good)`.
    GilbertElliott {
        /// Probability of moving from good to bad after a packet, in [0, 1].
        p_good_to_bad: f64,
        /// Probability of moving from bad to good after a packet, in [0, 1].
        p_bad_to_good: f64,
        /// Loss probability in the good state, in [0, 1].
        loss_good: f64,
        /// Loss probability in the bad state, in [0, 1].
        loss_bad: f64,
    },
    /// Scripted: drops the n-th packets entering this link (1-based, counting every packet
    /// that arrives at the link whatever happens to it, from when this model was installed:
    /// run start, or the [`crate::link::LinkControl`] that installed it). No randomness.
    DropPackets(Vec<u64>),
    /// Scripted: drops the segment whose payload covers `stream_offset` on its
    /// `transmission`-th pass through this link (1 = the first). Every segment covering the
    /// offset counts, whatever its sender says about it (from when the rule was installed).
    /// No randomness.
    DropData {
        /// Stream offset of the byte whose segment is dropped.
        stream_offset: u64,
        /// Which transmission of that byte to drop, 1-based.
        transmission: u32,
        /// Only segments of this connection; `None`: any connection on the link.
        #[serde(default)]
        conn: Option<ConnId>,
    },
    /// Scripted: drops the `occurrence`-th segment (1-based) carrying every flag marked
    /// `true` here (e.g. `syn: true` matches a SYN and a SYN-ACK). No randomness.
    DropFlags {
        /// Match segments with SYN set.
        syn: bool,
        /// Match segments with FIN set.
        fin: bool,
        /// Match segments with RST set.
        rst: bool,
        /// Which matching segment to drop, 1-based.
        occurrence: u32,
    },
    /// Reordering: a `fraction` of packets get `extra_delay` added to their propagation
    /// delay, so packets sent after them overtake them. They do not hold up the queue.
    Reorder {
        /// Fraction of packets delayed, in [0, 1].
        fraction: f64,
        /// Extra propagation delay of a delayed packet \[ns\].
        extra_delay: SimDuration,
    },
    /// Duplication: with probability `p` a second, intact copy is delivered right after
    /// the original, at the same arrival time (it takes no link capacity).
    Duplicate {
        /// Duplication probability per packet, in [0, 1].
        p: f64,
    },
    /// Corruption: with probability `p` the packet is delivered with `corrupted = true`, and
    /// the receiver discards it as a checksum failure. A duplicate copy stays intact.
    Corrupt {
        /// Corruption probability per packet, in [0, 1].
        p: f64,
    },
}

/// Why an impairment's parameters are invalid.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImpairmentError {
    /// A probability is NaN or outside [0, 1].
    #[error("impairment {index} ({kind}): `{field}` = {value} is not a probability in [0, 1]")]
    NotAProbability {
        /// Position in the impairment list.
        index: usize,
        /// The model's kind.
        kind: &'static str,
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A 1-based count (transmission, occurrence, packet number) is zero: it would never match.
    #[error("impairment {index} ({kind}): `{field}` is 1-based; 0 never matches")]
    ZeroOrdinal {
        /// Position in the impairment list.
        index: usize,
        /// The model's kind.
        kind: &'static str,
        /// The offending field.
        field: &'static str,
    },
    /// A `DropFlags` rule names no flag, so it would match every segment.
    #[error("impairment {index} (drop-flags): no flag selected")]
    NoFlags {
        /// Position in the impairment list.
        index: usize,
    },
}

impl Impairment {
    /// The model's kind, as used in its random stream's name (`bernoulli`, `gilbert-elliott`,
    /// `drop-packets`, `drop-data`, `drop-flags`, `reorder`, `duplicate`, `corrupt`).
    pub fn kind(&self) -> &'static str {
        match self {
            Impairment::Bernoulli { .. } => "bernoulli",
            Impairment::GilbertElliott { .. } => "gilbert-elliott",
            Impairment::DropPackets(_) => "drop-packets",
            Impairment::DropData { .. } => "drop-data",
            Impairment::DropFlags { .. } => "drop-flags",
            Impairment::Reorder { .. } => "reorder",
            Impairment::Duplicate { .. } => "duplicate",
            Impairment::Corrupt { .. } => "corrupt",
        }
    }

    /// True for the models that draw random numbers (and so own a named stream).
    pub fn is_random(&self) -> bool {
        !matches!(
            self,
            Impairment::DropPackets(_) | Impairment::DropData { .. } | Impairment::DropFlags { .. }
        )
    }

    /// Drops the first `times` transmissions of the segment covering `stream_offset` (the
    /// ns-3 `AddSeqToKill` idiom): one [`Impairment::DropData`] rule per transmission.
    pub fn drop_data_times(stream_offset: u64, times: u32, conn: Option<ConnId>) -> Vec<Impairment> {
        (1..=times)
            .map(|transmission| Impairment::DropData {
                stream_offset,
                transmission,
                conn,
            })
            .collect()
    }

    /// Checks the parameters of the model at position `index` of its list.
    pub fn validate(&self, index: usize) -> Result<(), ImpairmentError> {
        let kind = self.kind();
        let prob = |field: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(ImpairmentError::NotAProbability {
                    index,
                    kind,
                    field,
                    value,
                })
            }
        };
        let ordinal = |field: &'static str, value: u64| {
            if value == 0 {
                Err(ImpairmentError::ZeroOrdinal { index, kind, field })
            } else {
                Ok(())
            }
        };
        match self {
            Impairment::Bernoulli { p } | Impairment::Duplicate { p } | Impairment::Corrupt { p } => prob("p", *p),
            Impairment::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                prob("p_good_to_bad", *p_good_to_bad)?;
                prob("p_bad_to_good", *p_bad_to_good)?;
                prob("loss_good", *loss_good)?;
                prob("loss_bad", *loss_bad)
            }
            Impairment::DropPackets(list) => list.iter().try_for_each(|&n| ordinal("packet number", n)),
            Impairment::DropData { transmission, .. } => ordinal("transmission", u64::from(*transmission)),
            Impairment::DropFlags {
                syn,
                fin,
                rst,
                occurrence,
            } => {
                if !(*syn || *fin || *rst) {
                    return Err(ImpairmentError::NoFlags { index });
                }
                ordinal("occurrence", u64::from(*occurrence))
            }
            Impairment::Reorder { fraction, .. } => prob("fraction", *fraction),
        }
    }
}

/// What a delivered packet undergoes besides the link's own delay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Effect {
    /// Extra propagation delay (reordering) \[ns\].
    pub(crate) extra_delay: SimDuration,
    /// Deliver a second copy.
    pub(crate) duplicate: bool,
    /// Deliver with `corrupted = true`.
    pub(crate) corrupt: bool,
}

impl Effect {
    fn merge(&mut self, other: Effect) {
        self.extra_delay = self.extra_delay + other.extra_delay; // saturating
        self.duplicate |= other.duplicate;
        self.corrupt |= other.corrupt;
    }
}

/// One model's judgement of one packet (turmoil-net's rule verdicts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// No opinion.
    Pass,
    /// Drop the packet.
    Drop(DropReason),
    /// Deliver it with this effect.
    Deliver(Effect),
}

/// An installed model: its parameters, its stream and its state.
#[derive(Clone, Debug)]
struct Active {
    spec: Impairment,
    /// The model's named stream (random models only).
    rng: Option<RngStream>,
    /// Gilbert–Elliott: the channel is in the bad state.
    bad: bool,
    /// Scripted counters: matching segments seen so far.
    seen: u64,
}

impl Active {
    /// Judges one packet. Draws exactly the values listed in the module doc, always.
    fn judge(&mut self, seg: &Segment) -> Verdict {
        let rng = &mut self.rng;
        let mut draw = || rng.as_mut().map_or(1.0, RngStream::uniform);
        match &self.spec {
            Impairment::Bernoulli { p } => verdict_if(draw() < *p, Verdict::Drop(DropReason::RandomLoss)),
            Impairment::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let (u_move, u_loss) = (draw(), draw());
                let leave = if self.bad { *p_bad_to_good } else { *p_good_to_bad };
                if u_move < leave {
                    self.bad = !self.bad;
                }
                let lost = u_loss < if self.bad { *loss_bad } else { *loss_good };
                verdict_if(lost, Verdict::Drop(DropReason::BurstLoss))
            }
            Impairment::DropPackets(list) => {
                self.seen = self.seen.saturating_add(1);
                verdict_if(list.contains(&self.seen), Verdict::Drop(DropReason::Scripted))
            }
            Impairment::DropData {
                stream_offset,
                transmission,
                conn,
            } => {
                let so = seg.provenance.stream_offset;
                let covers = *stream_offset >= so && stream_offset - so < u64::from(seg.len());
                if !covers || conn.is_some_and(|c| c != seg.provenance.conn) {
                    return Verdict::Pass;
                }
                self.seen = self.seen.saturating_add(1);
                verdict_if(
                    self.seen == u64::from(*transmission),
                    Verdict::Drop(DropReason::Scripted),
                )
            }
            Impairment::DropFlags {
                syn,
                fin,
                rst,
                occurrence,
            } => {
                let f = seg.flags;
                let any = *syn || *fin || *rst;
                let matches = any && (!*syn || f.syn) && (!*fin || f.fin) && (!*rst || f.rst);
                if !matches {
                    return Verdict::Pass;
                }
                self.seen = self.seen.saturating_add(1);
                verdict_if(self.seen == u64::from(*occurrence), Verdict::Drop(DropReason::Scripted))
            }
            Impairment::Reorder { fraction, extra_delay } => verdict_if(
                draw() < *fraction,
                Verdict::Deliver(Effect {
                    extra_delay: *extra_delay,
                    ..Effect::default()
                }),
            ),
            Impairment::Duplicate { p } => verdict_if(
                draw() < *p,
                Verdict::Deliver(Effect {
                    duplicate: true,
                    ..Effect::default()
                }),
            ),
            Impairment::Corrupt { p } => verdict_if(
                draw() < *p,
                Verdict::Deliver(Effect {
                    corrupt: true,
                    ..Effect::default()
                }),
            ),
        }
    }

    /// True if `next` continues this model's state when it replaces it at the same index:
    /// same kind, and for scripted counters the same target; `DropPackets` never does.
    fn continues_into(&self, next: &Impairment) -> bool {
        match (&self.spec, next) {
            (Impairment::DropPackets(_), _) => false,
            (
                Impairment::DropData {
                    stream_offset: a,
                    conn: ca,
                    ..
                },
                Impairment::DropData {
                    stream_offset: b,
                    conn: cb,
                    ..
                },
            ) => (a, ca) == (b, cb),
            (
                Impairment::DropFlags {
                    syn: s1,
                    fin: f1,
                    rst: r1,
                    ..
                },
                Impairment::DropFlags {
                    syn: s2,
                    fin: f2,
                    rst: r2,
                    ..
                },
            ) => (s1, f1, r1) == (s2, f2, r2),
            (a, b) => a.kind() == b.kind(),
        }
    }
}

fn verdict_if(cond: bool, v: Verdict) -> Verdict {
    if cond { v } else { Verdict::Pass }
}

/// The name of the random stream of the model at `index` of link `link`.
pub fn stream_name(link: &str, index: usize, kind: &str) -> String {
    format!("link/{link}/{index}-{kind}")
}

/// A link's ordered list of installed impairment models.
#[derive(Clone, Debug)]
pub(crate) struct ImpairmentChain {
    run_seed: u64,
    link_name: String,
    active: Vec<Active>,
    /// Streams of models that were replaced, by (index, kind): a model of the same kind
    /// installed later at that index resumes its stream instead of replaying it.
    parked: BTreeMap<(usize, &'static str), RngStream>,
}

impl ImpairmentChain {
    /// Installs `specs` on link `link_name` of the run seeded with `run_seed`.
    pub(crate) fn new(run_seed: u64, link_name: &str, specs: &[Impairment]) -> Self {
        let mut chain = ImpairmentChain {
            run_seed,
            link_name: link_name.to_owned(),
            active: Vec::new(),
            parked: BTreeMap::new(),
        };
        chain.replace(specs);
        chain
    }

    /// Replaces the list. A model whose index and kind are unchanged keeps its stream
    /// position and (for the same target) its state, and takes the new parameters; so
    /// changing a loss probability mid-run keeps the draws paired with an unchanged run.
    pub(crate) fn replace(&mut self, specs: &[Impairment]) {
        let mut old: Vec<Option<Active>> = std::mem::take(&mut self.active).into_iter().map(Some).collect();
        for (index, spec) in specs.iter().enumerate() {
            let previous = old
                .get_mut(index)
                .and_then(|slot| slot.take_if(|a| a.spec.kind() == spec.kind()));
            let (bad, seen) = match &previous {
                Some(p) if p.continues_into(spec) => (p.bad, p.seen),
                _ => (false, 0),
            };
            let rng = spec.is_random().then(|| match previous.and_then(|p| p.rng) {
                Some(rng) => rng,
                None => self.stream(index, spec),
            });
            self.active.push(Active {
                spec: spec.clone(),
                rng,
                bad,
                seen,
            });
        }
        for (index, a) in old.into_iter().enumerate() {
            if let Some(Active {
                spec, rng: Some(rng), ..
            }) = a
            {
                self.parked.insert((index, spec.kind()), rng);
            }
        }
    }

    /// Appends one model at the end of the list; the others are untouched.
    pub(crate) fn push(&mut self, spec: Impairment) {
        let index = self.active.len();
        let rng = spec.is_random().then(|| self.stream(index, &spec));
        self.active.push(Active {
            spec,
            rng,
            bad: false,
            seen: 0,
        });
    }

    /// The stream of a random model installed at `index`: the parked one of its kind if
    /// there is one, else a fresh stream from its name.
    fn stream(&mut self, index: usize, spec: &Impairment) -> RngStream {
        self.parked
            .remove(&(index, spec.kind()))
            .unwrap_or_else(|| RngStream::new(self.run_seed, &stream_name(&self.link_name, index, spec.kind())))
    }

    /// Judges a packet entering the link: every model judges it (and draws) in order; the
    /// first drop wins, delivery effects compose.
    pub(crate) fn judge(&mut self, seg: &Segment) -> Result<Effect, DropReason> {
        let mut effect = Effect::default();
        let mut dropped = None;
        for model in &mut self.active {
            match model.judge(seg) {
                Verdict::Pass => {}
                Verdict::Drop(reason) => {
                    dropped.get_or_insert(reason);
                }
                Verdict::Deliver(e) => effect.merge(e),
            }
        }
        dropped.map_or(Ok(effect), Err)
    }
}
