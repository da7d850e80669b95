//! models integration tests: whole worlds (hosts, NIC, links, applications) on the kernel.

mod bench;
mod fixtures;
mod integrity_prop;
mod offload_prop;
mod offload_rules;
mod offload_state;
mod offload_timestamps;
mod offload_upload;
mod reading;
mod rule_checks;
mod runlog;
mod smoke;
mod target_device;
mod theory;
mod world;
