//! models integration tests: whole worlds (hosts, NIC, links, applications) on the kernel.

mod fixtures;
mod smoke;
