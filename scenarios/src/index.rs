//! A scenario's names, indexed once for validation, its bounds check and building the world:
//! each looks names up per reference, so a scenario with thousands of connections is
//! checked and built in time linear in its size. Where a name occurs twice, the first
//! occurrence is the one found (validation reports the duplicate).

use crate::schema::{Application, Connection, Host, Scenario};
use crate::validate::file_stem;
use std::collections::BTreeMap;

/// The scenario's lists of names, and its applications by connection.
pub(crate) struct Index<'a> {
    pub s: &'a Scenario,
    pub hosts: Names<'a>,
    pub routers: Names<'a>,
    pub links: Names<'a>,
    pub connections: Names<'a>,
    pub flows: Names<'a>,
    pub applications: Names<'a>,
    /// Positions of each connection's applications, in file order.
    apps_of: BTreeMap<&'a str, Vec<usize>>,
}

/// One list of names: each name's first position and, per file stem, the positions of the
/// names that have it.
pub(crate) struct Names<'a> {
    pub names: Vec<&'a str>,
    first: BTreeMap<&'a str, usize>,
    pub stems: BTreeMap<String, Vec<usize>>,
}

impl<'a> Names<'a> {
    fn new(names: impl Iterator<Item = &'a str>) -> Self {
        let names: Vec<&str> = names.collect();
        let (mut first, mut stems) = (BTreeMap::new(), BTreeMap::<String, Vec<usize>>::new());
        for (i, n) in names.iter().enumerate() {
            first.entry(*n).or_insert(i);
            if !n.is_empty() {
                stems.entry(file_stem(n)).or_default().push(i);
            }
        }
        Names { names, first, stems }
    }

    /// Position of the first name `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.first.get(name).copied()
    }
}

impl<'a> Index<'a> {
    pub fn new(s: &'a Scenario) -> Self {
        let mut apps_of = BTreeMap::<&str, Vec<usize>>::new();
        for (i, a) in s.applications.iter().enumerate() {
            apps_of.entry(a.conn.as_str()).or_default().push(i);
        }
        Index {
            s,
            hosts: Names::new(s.hosts.iter().map(|h| h.name.as_str())),
            routers: Names::new(s.routers.iter().map(|r| r.name.as_str())),
            links: Names::new(s.links.iter().map(|l| l.name.as_str())),
            connections: Names::new(s.connections.iter().map(|c| c.name.as_str())),
            flows: Names::new(s.flows.iter().map(|f| f.name.as_str())),
            applications: Names::new(s.applications.iter().map(|a| a.name.as_str())),
            apps_of,
        }
    }

    /// The list of names called `list` in the scenario (`hosts`, `connections`, ...).
    pub fn list(&self, list: &str) -> &Names<'a> {
        match list {
            "hosts" => &self.hosts,
            "routers" => &self.routers,
            "links" => &self.links,
            "connections" => &self.connections,
            "flows" => &self.flows,
            "applications" => &self.applications,
            _ => unreachable!("no list of names called {list}"),
        }
    }

    /// The first host called `name`.
    pub fn host(&self, name: &str) -> Option<&'a Host> {
        let s = self.s;
        self.hosts.position(name).map(|i| &s.hosts[i])
    }

    /// The first connection called `name`.
    pub fn conn(&self, name: &str) -> Option<&'a Connection> {
        let s = self.s;
        self.connections.position(name).map(|i| &s.connections[i])
    }

    /// The first application called `name`.
    pub fn app(&self, name: &str) -> Option<&'a Application> {
        let s = self.s;
        self.applications.position(name).map(|i| &s.applications[i])
    }

    /// Positions of the applications of connection `conn`, in file order.
    pub fn apps_of(&self, conn: &str) -> &[usize] {
        self.apps_of.get(conn).map_or(&[], Vec::as_slice)
    }

    /// Bytes the applications of connection `conn` write (saturating).
    pub fn app_bytes(&self, conn: &str) -> u64 {
        self.apps_of(conn)
            .iter()
            .fold(0u64, |acc, i| acc.saturating_add(self.s.applications[*i].bytes.bytes()))
    }
}
