//! Peak memory of one bulk transfer, with and without recording.
//!
//! `cargo run --release -p models --example transfer_mem -- <bytes> [loss] [seed] [record|norecord]`
//!
//! Runs [`models::testbed::bench_testbed`] once and prints the simulated counts and the process's
//! peak resident set (`VmHWM` from `/proc/self/status`, Linux only). With `record` the actors keep
//! every wire event, sender sample and delivery (what reports need), which grows with the
//! transfer; with `norecord` ([`models::testbed::Testbed::run_unrecorded`]) memory should follow
//! the data in flight only.

use models::testbed::bench_testbed;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bytes: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let loss: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0.01);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let record = args.get(3).is_none_or(|a| a == "record");
    let before = vm_hwm_kib();
    let bed = bench_testbed(bytes, loss, seed);
    let out = if record { bed.run() } else { bed.run_unrecorded() };
    let records = out.log.wire.len() + out.log.cc.len() + out.log.delivery.len() + out.log.buffers.len();
    println!(
        "bytes={bytes} loss={loss} seed={seed} record={record} ok={} events={} data_segments={} sim_time={} \
         records={records} fingerprint={} vm_hwm_kib_before={} vm_hwm_kib={}",
        out.integrity_ok(),
        out.trace.events,
        out.link_counters[0].packets_in,
        out.end_time,
        out.trace.fingerprint,
        before.unwrap_or(0),
        vm_hwm_kib().unwrap_or(0),
    );
}
