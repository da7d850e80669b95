//! One vocabulary: every name of a data source, send cause, sender and drop reason, defined
//! once per value. The key is what `summary.json`, the CSV files, the pcapng comments (and the
//! Wireshark dissector's `offsim.*` fields) and the command line say; the label is the short
//! form in plain words for tables and chart tooltips; the legend adds, on a second line, the
//! chimney region or the RFC clause, for chart legends; the colour is the value's colour in
//! every chart (Okabe–Ito, colour-blind safe).

use models::record::DropReason;
use models::segment::{DataSource, SendCause, Sender};
use plotters::style::RGBColor;

/// The names of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// Machine name (JSON keys, CSV cells, pcapng comments, CLI).
    pub key: &'static str,
    /// Plain words, one line.
    pub label: &'static str,
    /// Plain words, then the region or clause on a second line.
    pub legend: &'static str,
    /// Chart colour.
    pub colour: RGBColor,
}

/// A value with a [`Term`].
pub trait Named: Copy {
    /// This value's names.
    fn term(self) -> &'static Term;

    /// [`Term::key`].
    fn key(self) -> &'static str {
        self.term().key
    }

    /// [`Term::label`].
    fn label(self) -> &'static str {
        self.term().label
    }

    /// [`Term::legend`].
    fn legend(self) -> &'static str {
        self.term().legend
    }

    /// [`Term::colour`].
    fn colour(self) -> RGBColor {
        self.term().colour
    }
}

const fn term(key: &'static str, label: &'static str, legend: &'static str, colour: RGBColor) -> Term {
    Term {
        key,
        label,
        legend,
        colour,
    }
}

const GREY: RGBColor = RGBColor(120, 120, 120);

impl Named for DataSource {
    fn term(self) -> &'static Term {
        const NONE: Term = term("none", "no payload", "no payload\nSYN, FIN, RST or pure ACK", GREY);
        const HOST_QUEUE: Term = term(
            "host_queue",
            "host queue",
            "the host stack's own queue\nnot delegated",
            RGBColor(0, 114, 178),
        );
        const UNACKED: Term = term(
            "delegated_unacked",
            "delegated [SndUna,SndNxt)",
            "sent, unacked, in the delegated chain\n[SndUna, SndNxt)",
            RGBColor(213, 94, 0),
        );
        const RESEND: Term = term(
            "delegated_resend",
            "delegated resend [SndNxt,SndMax)",
            "to resend, in the delegated chain\n[SndNxt, SndMax)",
            RGBColor(204, 121, 167),
        );
        const UNSENT: Term = term(
            "delegated_unsent",
            "delegated unsent [SndMax,end)",
            "never-sent data in the delegated chain\n[SndMax, end)",
            RGBColor(0, 158, 115),
        );
        const POSTED: Term = term(
            "posted_after_offload",
            "posted after offload",
            "posted to the target after offload\nnew sends after the handover",
            RGBColor(230, 159, 0),
        );
        const RETURNED: Term = term(
            "returned_at_upload",
            "returned at upload",
            "returned by the target at upload\nback in the host queue",
            RGBColor(86, 180, 233),
        );
        match self {
            DataSource::None => &NONE,
            DataSource::HostQueue => &HOST_QUEUE,
            DataSource::DelegatedUnacked => &UNACKED,
            DataSource::DelegatedResend => &RESEND,
            DataSource::DelegatedUnsent => &UNSENT,
            DataSource::PostedAfterOffload => &POSTED,
            DataSource::ReturnedAtUpload => &RETURNED,
        }
    }
}

impl Named for SendCause {
    fn term(self) -> &'static Term {
        const NEW_DATA: Term = term(
            "new_data",
            "new data",
            "untagged (sent as new data)\nshould be 0: a defect if shown",
            GREY,
        );
        const FAST: Term = term(
            "fast_retransmit",
            "fast retransmit",
            "third duplicate ACK\nfast retransmit, RFC 5681 §3.2",
            RGBColor(0, 114, 178),
        );
        const PARTIAL: Term = term(
            "partial_ack",
            "partial ACK",
            "partial ACK in recovery\nNewReno, RFC 6582 §3.2",
            RGBColor(86, 180, 233),
        );
        const SACK: Term = term(
            "sack_recovery",
            "SACK recovery",
            "loss detected by SACK\nSACK recovery, RFC 6675 §5",
            RGBColor(0, 158, 115),
        );
        const RTO: Term = term(
            "rto",
            "retransmission timeout",
            "retransmission timeout\nRTO and go-back-N, RFC 6298 §5",
            RGBColor(213, 94, 0),
        );
        const PROBE: Term = term(
            "probe",
            "zero-window probe",
            "zero-window probe\nrepeats a byte, RFC 9293 §3.8.6.1",
            RGBColor(240, 228, 66),
        );
        const RESEND: Term = term(
            "resend_region",
            "resend region",
            "new owner's resend after handover\n[SndNxt, SndMax), rule 12",
            RGBColor(204, 121, 167),
        );
        const CONTROL: Term = term("control", "control", "control segment\nSYN, FIN, RST or pure ACK", GREY);
        match self {
            SendCause::NewData => &NEW_DATA,
            SendCause::FastRetransmit => &FAST,
            SendCause::PartialAck => &PARTIAL,
            SendCause::Rto => &RTO,
            SendCause::WindowProbe => &PROBE,
            SendCause::SackRecovery => &SACK,
            SendCause::Control => &CONTROL,
            SendCause::ResendRegion => &RESEND,
        }
    }
}

impl Named for Sender {
    fn term(self) -> &'static Term {
        const HOST: Term = term("host", "host", "host stack\nnot offloaded", RGBColor(110, 110, 110));
        const TARGET: Term = term(
            "offload_target",
            "offload target",
            "offload target\nthe NIC running the connection",
            RGBColor(140, 90, 40),
        );
        match self {
            Sender::Host => &HOST,
            Sender::OffloadTarget => &TARGET,
        }
    }
}

impl Named for DropReason {
    fn term(self) -> &'static Term {
        const RED: RGBColor = RGBColor(220, 20, 60);
        const QUEUE: Term = term("queue_full", "queue full", "queue full\ndrop-tail", RED);
        const RANDOM: Term = term("random_loss", "random loss", "random loss\nBernoulli", RED);
        const BURST: Term = term("burst_loss", "burst loss", "burst loss\nGilbert–Elliott", RED);
        const SCRIPTED: Term = term(
            "scripted",
            "scripted drop",
            "scripted drop\nthe scenario's drop rule",
            RED,
        );
        match self {
            DropReason::QueueFull => &QUEUE,
            DropReason::RandomLoss => &RANDOM,
            DropReason::BurstLoss => &BURST,
            DropReason::Scripted => &SCRIPTED,
        }
    }
}

/// Every data source.
#[cfg(test)]
pub(crate) const SOURCES: [DataSource; 7] = [
    DataSource::None,
    DataSource::HostQueue,
    DataSource::DelegatedUnacked,
    DataSource::DelegatedResend,
    DataSource::DelegatedUnsent,
    DataSource::PostedAfterOffload,
    DataSource::ReturnedAtUpload,
];

/// Every send cause that a retransmission can have, in display order (bottom to top);
/// `NewData` last: it holds untagged retransmissions, which should never exist.
pub const RETX_CAUSES: [SendCause; 7] = [
    SendCause::FastRetransmit,
    SendCause::PartialAck,
    SendCause::SackRecovery,
    SendCause::Rto,
    SendCause::WindowProbe,
    SendCause::ResendRegion,
    SendCause::NewData,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{ByCause, BySource};

    /// `summary.json`'s `by_source` and `by_cause` keys are the vocabulary's keys: a bucket
    /// renamed on one side only fails here.
    #[test]
    fn summary_keys_are_the_vocabulary_keys() {
        let mut by_source = BySource::default();
        for (k, s) in SOURCES.iter().enumerate() {
            by_source.add(*s, 1 << k);
        }
        let json = serde_json::to_value(by_source).unwrap();
        for (key, value) in json.as_object().unwrap() {
            let v = value.as_u64().unwrap();
            let named: Vec<&str> = SOURCES
                .iter()
                .enumerate()
                .filter(|(k, _)| v & (1 << k) != 0)
                .map(|(_, s)| s.key())
                .collect();
            assert!(named.contains(&key.as_str()), "by_source.{key} holds {named:?}");
        }
        let mut by_cause = ByCause::default();
        for (k, c) in RETX_CAUSES.iter().enumerate() {
            by_cause.add(*c, 1 << k);
        }
        let json = serde_json::to_value(by_cause).unwrap();
        for (k, c) in RETX_CAUSES.iter().enumerate() {
            assert_eq!(json[c.key()].as_u64(), Some(1 << k), "by_cause.{}", c.key());
            assert_eq!(by_cause.get(*c), 1 << k);
        }
        assert_eq!(json.as_object().unwrap().len(), RETX_CAUSES.len());
    }

    /// No two values of one kind share a key, a label or a legend.
    #[test]
    fn names_are_distinct() {
        fn distinct<T: Named>(values: &[T]) {
            for f in [|t: &Term| t.key, |t: &Term| t.label, |t: &Term| t.legend] {
                let mut names: Vec<&str> = values.iter().map(|v| f(v.term())).collect();
                names.sort_unstable();
                let n = names.len();
                names.dedup();
                assert_eq!(names.len(), n, "{names:?}");
            }
        }
        distinct(&SOURCES);
        distinct(&[
            SendCause::NewData,
            SendCause::FastRetransmit,
            SendCause::PartialAck,
            SendCause::Rto,
            SendCause::WindowProbe,
            SendCause::SackRecovery,
            SendCause::Control,
            SendCause::ResendRegion,
        ]);
        distinct(&[Sender::Host, Sender::OffloadTarget]);
        distinct(&[
            DropReason::QueueFull,
            DropReason::RandomLoss,
            DropReason::BurstLoss,
            DropReason::Scripted,
        ]);
    }

    /// `docs/results.md` defines every key the files use.
    #[test]
    fn results_doc_names_every_key() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/results.md")).unwrap();
        let mut keys: Vec<&str> = SOURCES.iter().map(|s| s.key()).collect();
        keys.extend(
            [
                SendCause::NewData,
                SendCause::FastRetransmit,
                SendCause::PartialAck,
                SendCause::Rto,
                SendCause::WindowProbe,
                SendCause::SackRecovery,
                SendCause::Control,
                SendCause::ResendRegion,
            ]
            .map(Named::key),
        );
        keys.extend([Sender::Host, Sender::OffloadTarget].map(Named::key));
        keys.extend(
            [
                DropReason::QueueFull,
                DropReason::RandomLoss,
                DropReason::BurstLoss,
                DropReason::Scripted,
            ]
            .map(Named::key),
        );
        for key in keys {
            assert!(
                doc.contains(&format!("`{key}`")),
                "docs/results.md does not name `{key}`"
            );
        }
    }
}
