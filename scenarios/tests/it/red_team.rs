//! Bad inputs found by the red team (/work/redteam): each test names the behaviour and
//! gives the exact message, with file:line:col, what is wrong and what is allowed.

use crate::errors::{BASE, sweep_error};

// ---- Two sweep axes on one field. ----

/// Two axes on `connections[0].mss`: the second overrode the first in every run while the
/// run tables labelled the runs with the first's values (red team `ax_two_same_path.ron`).
#[test]
fn two_axes_on_the_same_path_are_rejected_at_the_second() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"m\", path: \"connections[0].mss\", values: [1000, 1200]), \
             (name: \"m2\", path: \"connections[0].mss\", values: [500, 600])])"
        ),
        "bad.ron:22:102: sweep.axes[1].path: `connections[0].mss` is also swept by axis `m` (sweep.axes[0], \
         path `connections[0].mss`): the later axis would override the earlier one in every run; give each axis \
         its own field (no two axis paths may be equal or one inside the other)"
    );
}

/// An axis on `links[0].forward.delay` inside an axis on `links[0].forward` (either order)
/// is the same silent override.
#[test]
fn axis_paths_one_inside_the_other_are_rejected() {
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"dir\", path: \"links[0].forward\", values: [(rate: \"1 Mbit/s\", delay: \"1 ms\"), \
             (rate: \"2 Mbit/s\", delay: \"2 ms\")]), (name: \"d\", path: \"links[0].forward.delay\", \
             values: [\"5 ms\", \"6 ms\"])])"
        ),
        "bad.ron:22:159: sweep.axes[1].path: `links[0].forward.delay` is also swept by axis `dir` (sweep.axes[0], \
         path `links[0].forward`): the later axis would override the earlier one in every run; give each axis its \
         own field (no two axis paths may be equal or one inside the other)"
    );
    assert_eq!(
        sweep_error(
            "(axes: [(name: \"p\", path: \"links[0].forward.impairments[0].Bernoulli.p\", values: [0.1, 0.2]), \
             (name: \"imp\", path: \"links[0].forward.impairments\", values: [[], [Bernoulli(p: 0.3)]])])"
        ),
        "bad.ron:22:126: sweep.axes[1].path: `links[0].forward.impairments` is also swept by axis `p` \
         (sweep.axes[0], path `links[0].forward.impairments[0].Bernoulli.p`): the later axis would override the \
         earlier one in every run; give each axis its own field (no two axis paths may be equal or one inside the \
         other)"
    );
}

/// Axes on sibling fields stay allowed: 2 x 2 runs.
#[test]
fn axes_on_sibling_fields_are_accepted() {
    let text = BASE.replace(
        "    ],\n)",
        "    ],\n    sweep: (axes: [(name: \"r\", path: \"links[0].forward.rate\", values: [\"1 Mbit/s\", \"2 Mbit/s\"]), \
         (name: \"d\", path: \"links[0].forward.delay\", values: [\"5 ms\", \"6 ms\"])]),\n)",
    );
    let s = scenarios::parse(&text, "ok.ron").unwrap();
    assert_eq!(scenarios::expand(&s).unwrap().len(), 4);
}
