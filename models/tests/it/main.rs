//! models integration tests: whole worlds (hosts, NIC, links, applications) on the kernel.

mod dbg;
mod fixtures;
mod offload_rules;
mod offload_upload;
mod runlog;
mod smoke;
mod theory;
