//! Static routes over a topology of hosts, routers and duplex links, computed once at build
//! time: shortest path by hop count, ties broken by link name then node name, with optional
//! explicit overrides per node.
//!
//! # What is modelled
//! - Hosts are end nodes: they send and receive but never forward, so a path may only pass
//!   through routers. Each host attaches to exactly one link (its interface).
//! - For every node and every destination host, the next hop is the attached link that lies
//!   on a shortest path (fewest links) to the destination; among several, the link whose
//!   name sorts first, then the neighbour whose name sorts first. A host's next hop is its
//!   only link.
//! - An explicit route `(node, to, via)` replaces the computed next hop of `node` towards
//!   host `to` by link `via` (which must be attached to `node`).
//! - A path from `a` to `b` is followed hop by hop; it must reach `b` without visiting a
//!   node twice (a loop) and without entering another host.
//!
//! # What is NOT modelled
//! No dynamic routing, no equal-cost multipath (one next hop per destination), no routes to
//! routers (nothing is addressed to a router), no link weights other than hop count.
//!
//! Pure functions of names: the same topology always gives the same routes, whatever the
//! declaration order of its nodes and links.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Whether a node forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// An end host (sends and receives, never forwards).
    Host,
    /// A store-and-forward router.
    Router,
}

/// A node of a topology, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeDef {
    /// Unique node name (hosts and routers share one name space).
    pub name: String,
    /// Host or router.
    pub kind: NodeKind,
}

/// A duplex link between nodes `a` and `b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeDef {
    /// Unique link name.
    pub name: String,
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
}

/// An explicit route: at `node`, packets for host `to` leave through link `via`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteDef {
    /// Where the route applies (host or router).
    pub node: String,
    /// Destination host.
    pub to: String,
    /// Outgoing link.
    pub via: String,
}

/// What is wrong with a topology. Indices are positions in the lists passed to
/// [`compute_routes`] / [`Routes::path`], so callers can point at the field concerned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// Two nodes (hosts or routers) share a name.
    #[error("duplicate node name `{name}` (also nodes[{first}])")]
    DuplicateNode {
        /// Index of the second node.
        node: usize,
        /// Index of the first.
        first: usize,
        /// The name.
        name: String,
    },
    /// Two links share a name.
    #[error("two links are named `{name}` (also links[{first}])")]
    DuplicateLink {
        /// Index of the second link.
        link: usize,
        /// Index of the first.
        first: usize,
        /// The name.
        name: String,
    },
    /// A link end names no host or router.
    #[error("link `{link_name}` attaches to unknown node `{node}`")]
    UnknownNode {
        /// Index of the link.
        link: usize,
        /// `true` for end `b`, `false` for `a`.
        end_b: bool,
        /// The link's name.
        link_name: String,
        /// The unknown name.
        node: String,
    },
    /// Both ends of a link are the same node.
    #[error("link `{link_name}` joins `{node}` to itself")]
    SelfLink {
        /// Index of the link.
        link: usize,
        /// The link's name.
        link_name: String,
        /// The node.
        node: String,
    },
    /// A host attached to no link.
    #[error("host `{host}` is attached to no link; attach it to a router or another host")]
    HostWithoutLink {
        /// Index of the host among the nodes.
        node: usize,
        /// Its name.
        host: String,
    },
    /// A host attached to several links (hosts have one interface).
    #[error("host `{host}` is attached to {} links ({}); a host has one interface: put a router between", links.len(), links.join(", "))]
    HostWithManyLinks {
        /// Index of the host among the nodes.
        node: usize,
        /// Its name.
        host: String,
        /// The links' names.
        links: Vec<String>,
    },
    /// An explicit route names an unknown node, a destination that is not a host, or a link
    /// not attached to its node.
    #[error("route at `{node}` to `{to}` via `{via}`: {problem}")]
    BadRoute {
        /// Index of the route.
        route: usize,
        /// Its node.
        node: String,
        /// Its destination.
        to: String,
        /// Its link.
        via: String,
        /// What is wrong.
        problem: String,
    },
    /// No path leads from one host to another.
    #[error("`{to}` is unreachable from `{from}` (no route at `{at}`)")]
    Unreachable {
        /// Source host.
        from: String,
        /// Destination host.
        to: String,
        /// The node where the path stops.
        at: String,
    },
    /// Following the routes from `from` towards `to` visits a node twice.
    #[error("routing loop from `{from}` to `{to}`: {}", path.join(" -> "))]
    RoutingLoop {
        /// Where the walk started.
        from: String,
        /// Destination host.
        to: String,
        /// The nodes visited, ending with the repeated one.
        path: Vec<String>,
    },
    /// Following the routes from `from` towards `to` enters another host (hosts do not
    /// forward).
    #[error("route from `{from}` to `{to}` enters host `{host}`, which does not forward")]
    ThroughHost {
        /// Where the walk started.
        from: String,
        /// Destination host.
        to: String,
        /// The host entered.
        host: String,
    },
}

/// Next hops: for each (node, destination host), the outgoing link's index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    next: BTreeMap<(String, String), usize>,
    edges: Vec<EdgeDef>,
}

impl Routes {
    /// The link (index into the edges) `node` sends packets for host `to` through.
    pub fn next_hop(&self, node: &str, to: &str) -> Option<usize> {
        self.next.get(&(node.to_string(), to.to_string())).copied()
    }

    /// The links a packet from host `from` to host `to` crosses, in order, each with the
    /// node it enters.
    pub fn path(&self, from: &str, to: &str) -> Result<Vec<(usize, String)>, TopologyError> {
        self.walk(from, to, &|_| false)
    }

    fn walk(
        &self,
        from: &str,
        to: &str,
        is_host: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<(usize, String)>, TopologyError> {
        let mut at = from.to_string();
        let mut seen = vec![at.clone()];
        let mut hops = Vec::new();
        while at != to {
            let Some(link) = self.next_hop(&at, to) else {
                return Err(TopologyError::Unreachable {
                    from: from.into(),
                    to: to.into(),
                    at,
                });
            };
            let e = &self.edges[link];
            let next = if e.a == at { e.b.clone() } else { e.a.clone() };
            if seen.contains(&next) {
                seen.push(next);
                return Err(TopologyError::RoutingLoop {
                    from: from.into(),
                    to: to.into(),
                    path: seen,
                });
            }
            if next != to && is_host(&next) {
                return Err(TopologyError::ThroughHost {
                    from: from.into(),
                    to: to.into(),
                    host: next,
                });
            }
            seen.push(next.clone());
            hops.push((link, next.clone()));
            at = next;
        }
        Ok(hops)
    }
}

/// Checks a topology and computes its routes. `pairs` are the (source, destination) host
/// pairs that must be reachable (both directions of every connection). Every problem is
/// returned, not just the first.
pub fn compute_routes(
    nodes: &[NodeDef],
    edges: &[EdgeDef],
    overrides: &[RouteDef],
    pairs: &[(String, String)],
) -> Result<Routes, Vec<TopologyError>> {
    let mut errors = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(&first) = index.get(n.name.as_str()) {
            errors.push(TopologyError::DuplicateNode {
                node: i,
                first,
                name: n.name.clone(),
            });
        } else {
            index.insert(&n.name, i);
        }
    }
    let is_host = |name: &str| index.get(name).is_some_and(|&i| nodes[i].kind == NodeKind::Host);
    let mut link_names: BTreeMap<&str, usize> = BTreeMap::new();
    // Adjacency: node index -> (link name, neighbour name, link index), sorted.
    let mut adj: Vec<BTreeSet<(String, String, usize)>> = vec![BTreeSet::new(); nodes.len()];
    for (i, e) in edges.iter().enumerate() {
        if let Some(&first) = link_names.get(e.name.as_str()) {
            errors.push(TopologyError::DuplicateLink {
                link: i,
                first,
                name: e.name.clone(),
            });
        } else {
            link_names.insert(&e.name, i);
        }
        let mut ok = true;
        for (end_b, n) in [(false, &e.a), (true, &e.b)] {
            if !index.contains_key(n.as_str()) {
                ok = false;
                errors.push(TopologyError::UnknownNode {
                    link: i,
                    end_b,
                    link_name: e.name.clone(),
                    node: n.clone(),
                });
            }
        }
        if ok && e.a == e.b {
            ok = false;
            errors.push(TopologyError::SelfLink {
                link: i,
                link_name: e.name.clone(),
                node: e.a.clone(),
            });
        }
        if ok {
            adj[index[e.a.as_str()]].insert((e.name.clone(), e.b.clone(), i));
            adj[index[e.b.as_str()]].insert((e.name.clone(), e.a.clone(), i));
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        if n.kind != NodeKind::Host || index.get(n.name.as_str()) != Some(&i) {
            continue;
        }
        match adj[i].len() {
            0 => errors.push(TopologyError::HostWithoutLink {
                node: i,
                host: n.name.clone(),
            }),
            1 => {}
            _ => errors.push(TopologyError::HostWithManyLinks {
                node: i,
                host: n.name.clone(),
                links: adj[i].iter().map(|(l, _, _)| l.clone()).collect(),
            }),
        }
    }
    let mut next = BTreeMap::new();
    for (d, dest) in nodes.iter().enumerate() {
        if dest.kind != NodeKind::Host || index.get(dest.name.as_str()) != Some(&d) {
            continue;
        }
        // Breadth-first from the destination; only routers (and the destination) forward.
        let mut dist = vec![usize::MAX; nodes.len()];
        dist[d] = 0;
        let mut queue = VecDeque::from([d]);
        while let Some(n) = queue.pop_front() {
            if n != d && nodes[n].kind == NodeKind::Host {
                continue;
            }
            for (_, m, _) in &adj[n] {
                let m = index[m.as_str()];
                if dist[m] == usize::MAX {
                    dist[m] = dist[n] + 1;
                    queue.push_back(m);
                }
            }
        }
        for (n, node) in nodes.iter().enumerate() {
            if n == d {
                continue;
            }
            // A host sends everything through its one link, reachable or not.
            if node.kind == NodeKind::Host && adj[n].len() == 1 {
                let (_, _, link) = adj[n].first().expect("one link");
                next.insert((node.name.clone(), dest.name.clone()), *link);
                continue;
            }
            if dist[n] == usize::MAX {
                continue;
            }
            // `adj` is sorted by (link name, neighbour name): the first fit wins ties.
            let hop = adj[n].iter().find(|(_, m, _)| {
                let m = index[m.as_str()];
                dist[m] + 1 == dist[n] && (m == d || nodes[m].kind == NodeKind::Router)
            });
            if let Some((_, _, link)) = hop {
                next.insert((node.name.clone(), dest.name.clone()), *link);
            }
        }
    }
    for (r, o) in overrides.iter().enumerate() {
        let bad = |problem: String| TopologyError::BadRoute {
            route: r,
            node: o.node.clone(),
            to: o.to.clone(),
            via: o.via.clone(),
            problem,
        };
        if !index.contains_key(o.node.as_str()) {
            errors.push(bad(format!("unknown node `{}`", o.node)));
        } else if !is_host(&o.to) {
            errors.push(bad(format!("`{}` is not a host (routes lead to hosts)", o.to)));
        } else if let Some(&l) = link_names.get(o.via.as_str()) {
            let e = &edges[l];
            if e.a != o.node && e.b != o.node {
                errors.push(bad(format!(
                    "link `{}` joins `{}` and `{}`, not `{}`",
                    e.name, e.a, e.b, o.node
                )));
            } else {
                next.insert((o.node.clone(), o.to.clone()), l);
            }
        } else {
            errors.push(bad(format!("unknown link `{}`", o.via)));
        }
    }
    let routes = Routes {
        next,
        edges: edges.to_vec(),
    };
    if errors.is_empty() {
        let mut walks: BTreeSet<(String, String)> = pairs.iter().cloned().collect();
        walks.extend(overrides.iter().map(|o| (o.node.clone(), o.to.clone())));
        for (from, to) in walks {
            if let Err(e) = routes.walk(&from, &to, &is_host) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() { Ok(routes) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(n: &str) -> NodeDef {
        NodeDef {
            name: n.into(),
            kind: NodeKind::Host,
        }
    }
    fn router(n: &str) -> NodeDef {
        NodeDef {
            name: n.into(),
            kind: NodeKind::Router,
        }
    }
    fn edge(n: &str, a: &str, b: &str) -> EdgeDef {
        EdgeDef {
            name: n.into(),
            a: a.into(),
            b: b.into(),
        }
    }
    fn pair(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    /// A square of routers r1..r4 with h1 on r1 and h2 on r3: two equal paths, the one
    /// through the link whose name sorts first wins, whatever the declaration order.
    #[test]
    fn equal_cost_tie_goes_to_the_link_name_that_sorts_first() {
        let nodes = [
            host("h1"),
            host("h2"),
            router("r1"),
            router("r2"),
            router("r3"),
            router("r4"),
        ];
        let mut edges = vec![
            edge("h1-r1", "h1", "r1"),
            edge("h2-r3", "h2", "r3"),
            edge("x-r1r2", "r1", "r2"),
            edge("x-r2r3", "r2", "r3"),
            edge("a-r1r4", "r1", "r4"),
            edge("a-r4r3", "r4", "r3"),
        ];
        let via = |edges: &[EdgeDef]| {
            let r = compute_routes(&nodes, edges, &[], &[pair("h1", "h2")]).unwrap();
            r.path("h1", "h2")
                .unwrap()
                .into_iter()
                .map(|(l, n)| format!("{}>{n}", edges[l].name))
                .collect::<Vec<_>>()
        };
        let expect = ["h1-r1>r1", "a-r1r4>r4", "a-r4r3>r3", "h2-r3>h2"];
        assert_eq!(via(&edges), expect);
        edges.reverse();
        assert_eq!(via(&edges), expect);
    }

    #[test]
    fn override_that_points_back_is_a_loop() {
        let nodes = [host("h1"), host("h2"), router("r1"), router("r2")];
        let edges = [edge("l1", "h1", "r1"), edge("l2", "r1", "r2"), edge("l3", "r2", "h2")];
        let back = RouteDef {
            node: "r2".into(),
            to: "h2".into(),
            via: "l2".into(),
        };
        let errs = compute_routes(&nodes, &edges, &[back], &[pair("h1", "h2")]).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| matches!(e, TopologyError::RoutingLoop { path, .. } if path == &["h1", "r1", "r2", "r1"])),
            "{errs:?}"
        );
    }
}
