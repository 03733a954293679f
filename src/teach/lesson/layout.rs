//! A layered drawing of a tape's DAG (Sugiyama's method, small and plain), so that the lesson
//! page needs no Graphviz: values flow from top to bottom, one layer per row.
//!
//! 1. Layers: every node as late as possible (its layer is one above its earliest consumer),
//!    so a parameter sits right above the op that reads it, and a side branch (the mixture
//!    weights of the MDN head) starts just before it is needed instead of widening row 0.
//! 2. Edges that skip layers get a chain of dummy points, one per skipped layer, which take
//!    part in ordering and spacing like narrow nodes, so long edges run between boxes.
//! 3. Order within each layer: barycentre sweeps down and up, keeping the order with the
//!    fewest crossings.
//! 4. Positions: each item is pulled towards the weighted mean of its neighbours in the
//!    adjacent layers, and each layer takes the closest positions that keep order and spacing
//!    (see [`positions`]), a few times over.

/// Sizes of the drawing, in SVG user units.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub box_w: f64,
    pub box_h: f64,
    /// Horizontal gap between boxes of one layer.
    pub gap_x: f64,
    /// Vertical gap between layers.
    pub gap_y: f64,
    /// Width reserved for an edge passing through a layer.
    pub dummy_w: f64,
    pub margin: f64,
}

/// Where each node's box is (centre) and the points each edge passes through.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Centre of each node's box.
    pub centre: Vec<(f64, f64)>,
    pub layer: Vec<usize>,
    /// One per distinct (input, consumer) pair: from the bottom of the input's box through the
    /// dummy points to the top of the consumer's box.
    pub edges: Vec<Edge>,
    pub width: f64,
    pub height: f64,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub points: Vec<(f64, f64)>,
}

/// An item of a layer: a node, or a point of a long edge.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Node(usize),
    Dummy,
}

/// Lays out the DAG whose node `v` reads the nodes `inputs[v]`; inputs must have smaller ids
/// than their consumers (true of every tape). `heavy[v]` marks the nodes that should form
/// straight columns (the ops), the others (parameters, data) are placed beside them.
pub fn layered(inputs: &[Vec<usize>], heavy: &[bool], s: Sizes) -> Layout {
    let n = inputs.len();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (v, ins) in inputs.iter().enumerate() {
        for &u in ins {
            if u < v && !edges.contains(&(u, v)) {
                edges.push((u, v));
            }
        }
    }
    let layer = layers(n, &edges);
    let depth = layer.iter().copied().max().map_or(0, |d| d + 1);

    // Items per layer and the segments joining items of adjacent layers.
    let mut items: Vec<Item> = (0..n).map(Item::Node).collect();
    let mut item_layer: Vec<usize> = layer.clone();
    let mut segments: Vec<(usize, usize)> = Vec::new();
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for &(u, v) in &edges {
        let mut chain = vec![u];
        for l in layer[u] + 1..layer[v] {
            items.push(Item::Dummy);
            item_layer.push(l);
            chain.push(items.len() - 1);
        }
        chain.push(v);
        segments.extend(chain.windows(2).map(|w| (w[0], w[1])));
        chains.push(chain);
    }
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (i, &l) in item_layer.iter().enumerate() {
        rows[l].push(i);
    }
    let up: Vec<Vec<usize>> = neighbours(items.len(), &segments, false);
    let down: Vec<Vec<usize>> = neighbours(items.len(), &segments, true);
    order(&mut rows, &up, &down, &segments, items.len());
    let is_heavy = |i: usize| matches!(items[i], Item::Node(v) if heavy.get(v).copied().unwrap_or(false));
    for row in &mut rows {
        balance(row, &down, &is_heavy);
    }

    let width_of = |i: usize| match items[i] {
        Item::Node(_) => s.box_w,
        Item::Dummy => s.dummy_w,
    };
    // A heavy item's place outweighs any number of light ones beside it; long edges come
    // between, so that they run straight unless a node needs their place.
    let importance = |i: usize| match items[i] {
        Item::Node(v) if heavy.get(v).copied().unwrap_or(false) => 1000.0,
        Item::Node(_) => 1.0,
        Item::Dummy => 30.0,
    };
    let x = positions(&rows, &up, &down, &width_of, &importance, s.gap_x);
    let min_left = (0..items.len()).map(|i| x[i] - width_of(i) / 2.0).fold(f64::INFINITY, f64::min);
    let max_right = (0..items.len()).map(|i| x[i] + width_of(i) / 2.0).fold(f64::NEG_INFINITY, f64::max);
    let shift = s.margin - if min_left.is_finite() { min_left } else { 0.0 };
    let cx = |i: usize| x[i] + shift;
    let cy = |i: usize| s.margin + s.box_h / 2.0 + item_layer[i] as f64 * (s.box_h + s.gap_y);

    let edges = edges
        .iter()
        .zip(&chains)
        .map(|(&(u, v), chain)| {
            let mut points = vec![(cx(u), cy(u) + s.box_h / 2.0)];
            points.extend(chain[1..chain.len() - 1].iter().map(|&d| (cx(d), cy(d))));
            points.push((cx(v), cy(v) - s.box_h / 2.0));
            Edge { from: u, to: v, points }
        })
        .collect();
    Layout {
        centre: (0..n).map(|i| (cx(i), cy(i))).collect(),
        layer,
        edges,
        width: if n == 0 { 2.0 * s.margin } else { max_right + shift + s.margin },
        height: 2.0 * s.margin + depth as f64 * (s.box_h + s.gap_y) - if depth > 0 { s.gap_y } else { 0.0 },
    }
}

/// As-late-as-possible layers: a node's distance to the sinks counted from the bottom.
fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut to_sink = vec![0usize; n];
    // Ids are topological, so walking them downwards sees every consumer before its inputs.
    for v in (0..n).rev() {
        for &(u, c) in edges {
            if c == v {
                to_sink[u] = to_sink[u].max(to_sink[v] + 1);
            }
        }
    }
    let deepest = to_sink.iter().copied().max().unwrap_or(0);
    to_sink.iter().map(|d| deepest - d).collect()
}

/// For each item, its neighbours in the layer below (`below`) or above.
fn neighbours(m: usize, segments: &[(usize, usize)], below: bool) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); m];
    for &(a, b) in segments {
        if below {
            out[a].push(b);
        } else {
            out[b].push(a);
        }
    }
    out
}

/// Number of crossing segment pairs between adjacent layers for the orders in `rows`.
fn crossings(rows: &[Vec<usize>], segments: &[(usize, usize)], m: usize) -> usize {
    let mut pos = vec![0usize; m];
    for row in rows {
        for (p, &i) in row.iter().enumerate() {
            pos[i] = p;
        }
    }
    let mut count = 0;
    for (k, &(a, b)) in segments.iter().enumerate() {
        for &(c, d) in &segments[k + 1..] {
            let same_layer = rows.iter().any(|r| r.contains(&a) && r.contains(&c));
            if same_layer && (pos[a] as isize - pos[c] as isize) * (pos[b] as isize - pos[d] as isize) < 0 {
                count += 1;
            }
        }
    }
    count
}

/// Barycentre ordering: down sweeps sort a layer by the mean position of its neighbours above,
/// up sweeps by those below; the best order seen is kept.
fn order(rows: &mut [Vec<usize>], up: &[Vec<usize>], down: &[Vec<usize>], segments: &[(usize, usize)], m: usize) {
    let mut best = rows.to_vec();
    let mut best_count = crossings(rows, segments, m);
    let mut pos = vec![0.0f64; m];
    let set_pos = |rows: &[Vec<usize>], pos: &mut [f64]| {
        for row in rows {
            for (p, &i) in row.iter().enumerate() {
                pos[i] = p as f64;
            }
        }
    };
    for sweep in 0..12 {
        set_pos(rows, &mut pos);
        let downward = sweep % 2 == 0;
        let layers: Vec<usize> = if downward {
            (1..rows.len()).collect()
        } else {
            (0..rows.len().saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let nb = if downward { up } else { down };
            let mut keyed: Vec<(f64, usize)> = rows[l]
                .iter()
                .map(|&i| {
                    let key = if nb[i].is_empty() {
                        pos[i]
                    } else {
                        nb[i].iter().map(|&j| pos[j]).sum::<f64>() / nb[i].len() as f64
                    };
                    (key, i)
                })
                .collect();
            // A stable sort keeps the current order among equal keys.
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[l] = keyed.into_iter().map(|(_, i)| i).collect();
            for (p, &i) in rows[l].iter().enumerate() {
                pos[i] = p as f64;
            }
        }
        let c = crossings(rows, segments, m);
        if c < best_count {
            best_count = c;
            best = rows.to_vec();
        }
    }
    rows.clone_from_slice(&best);
}

/// Puts the light items that feed the same consumer as a heavy one on both sides of it
/// (a weight left of its activation, the threshold right) instead of all on one side. Only
/// items next to each other with the same consumer move, so no crossing is added among them.
fn balance(row: &mut [usize], down: &[Vec<usize>], is_heavy: &dyn Fn(usize) -> bool) {
    let mut k = 0;
    while k < row.len() {
        let anchor = down[row[k]].first().copied();
        let mut e = k;
        while e + 1 < row.len() && anchor.is_some() && down[row[e + 1]].first().copied() == anchor {
            e += 1;
        }
        let group = &mut row[k..=e];
        let heavy: Vec<usize> = group.iter().copied().filter(|&i| is_heavy(i)).collect();
        if heavy.len() == 1 && group.len() > 1 {
            let light: Vec<usize> = group.iter().copied().filter(|&i| !is_heavy(i)).collect();
            let left = light.iter().step_by(2).copied();
            let right = light.iter().skip(1).step_by(2).copied();
            let new: Vec<usize> = left.chain(heavy).chain(right).collect();
            group.copy_from_slice(&new);
        }
        k = e + 1;
    }
}

/// Horizontal centres. Each item wants the weighted mean of its neighbours' centres (a heavy
/// item only its heavy neighbours', so a chain of ops runs straight and its parameters sit
/// beside it); each layer then takes the positions closest to what its items want, weighted by
/// their importance, that keep the order and the spacing (an isotonic regression, solved
/// exactly by pooling adjacent violators). Down and up sweeps alternate.
fn positions(
    rows: &[Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    width: &dyn Fn(usize) -> f64,
    importance: &dyn Fn(usize) -> f64,
    gap: f64,
) -> Vec<f64> {
    let m = up.len();
    let mut x = vec![0.0; m];
    let sep = |a: usize, b: usize| (width(a) + width(b)) / 2.0 + gap;
    for row in rows {
        for k in 1..row.len() {
            x[row[k]] = x[row[k - 1]] + sep(row[k - 1], row[k]);
        }
        let c = match (row.first(), row.last()) {
            (Some(&a), Some(&b)) => (x[a] + x[b]) / 2.0,
            _ => 0.0,
        };
        row.iter().for_each(|&i| x[i] -= c);
    }
    let edge_weight = |a: usize, b: usize| if importance(a) > 1.0 && importance(b) > 1.0 { 8.0 } else { 1.0 };
    for sweep in 0..24 {
        let order: Vec<&Vec<usize>> = if sweep % 2 == 0 {
            rows.iter().collect()
        } else {
            rows.iter().rev().collect()
        };
        for row in order {
            let want: Vec<f64> = row
                .iter()
                .map(|&i| {
                    // A heavy item follows its heavy neighbours alone where it has any, so that
                    // parameters placed beside a chain do not pull the chain sideways.
                    let heavy = importance(i) > 1.0;
                    let all = up[i].iter().chain(&down[i]);
                    let follow_heavy = heavy && all.clone().any(|&j| importance(j) > 1.0);
                    let (mut sum, mut total) = (0.0, 0.0);
                    for &j in all.filter(|&&j| !follow_heavy || importance(j) > 1.0) {
                        let w = edge_weight(i, j);
                        sum += w * x[j];
                        total += w;
                    }
                    if total > 0.0 {
                        sum / total
                    } else {
                        x[i]
                    }
                })
                .collect();
            let weights: Vec<f64> = row.iter().map(|&i| importance(i)).collect();
            let seps: Vec<f64> = row.windows(2).map(|w| sep(w[0], w[1])).collect();
            for (&i, v) in row.iter().zip(spaced_fit(&want, &weights, &seps)) {
                x[i] = v;
            }
        }
    }
    x
}

/// The positions x minimising Σ w_k (x_k − want_k)² subject to x_{k+1} − x_k ≥ seps[k]: with
/// offsets o_k = Σ_{t<k} seps[t] and z = x − o the constraint is z non-decreasing, a weighted
/// isotonic regression of want − o, which pooling adjacent violators solves exactly.
fn spaced_fit(want: &[f64], w: &[f64], seps: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; want.len()];
    for k in 1..want.len() {
        offset[k] = offset[k - 1] + seps[k - 1];
    }
    // Blocks of (weighted sum, total weight, length), each block's z its weighted mean.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for k in 0..want.len() {
        blocks.push((w[k] * (want[k] - offset[k]), w[k], 1));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 / a.1 <= b.0 / b.1 {
                break;
            }
            blocks.pop();
            let top = blocks.len() - 1;
            blocks[top] = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut out = Vec::with_capacity(want.len());
    for (sum, total, len) in blocks {
        for _ in 0..len {
            out.push(sum / total + offset[out.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Sizes = Sizes {
        box_w: 100.0,
        box_h: 40.0,
        gap_x: 10.0,
        gap_y: 30.0,
        dummy_w: 8.0,
        margin: 5.0,
    };

    fn overlaps(l: &Layout) -> bool {
        let n = l.centre.len();
        (0..n).any(|a| {
            (a + 1..n).any(|b| {
                let (pa, pb) = (l.centre[a], l.centre[b]);
                (pa.0 - pb.0).abs() < S.box_w && (pa.1 - pb.1).abs() < S.box_h
            })
        })
    }

    #[test]
    fn a_chain_is_one_column_and_parameters_sit_above_their_op() {
        // 0 = x, 1 = w, 2 = linear(x, w), 3 = tanh(2), 4 = sum(3)
        let inputs = vec![vec![], vec![], vec![0, 1], vec![2], vec![3]];
        let l = layered(&inputs, &vec![true; inputs.len()], S);
        assert_eq!(l.layer, vec![0, 0, 1, 2, 3]);
        assert!(!overlaps(&l));
        assert!((l.centre[3].0 - l.centre[4].0).abs() < 1e-9, "{:?}", l.centre);
        assert_eq!(l.edges.len(), 4);
        // Every edge leaves the bottom of its input and enters the top of its consumer.
        for e in &l.edges {
            assert_eq!(e.points[0].1, l.centre[e.from].1 + S.box_h / 2.0);
            assert_eq!(e.points.last().unwrap().1, l.centre[e.to].1 - S.box_h / 2.0);
        }
        assert!(l.width >= S.box_w * 2.0 && l.height > 3.0 * (S.box_h + S.gap_y));
    }

    #[test]
    fn a_long_edge_gets_one_point_per_skipped_layer_and_nodes_do_not_overlap() {
        // 0 = h feeds 1 → 2 → 3 → 4, and 4 also reads 0 directly (a skip of 3 layers);
        // 5 is a parameter of 6, which reads 4, 0 and 5; node 1 reads 0 twice.
        let inputs = vec![vec![], vec![0, 0], vec![1], vec![2], vec![3, 0], vec![], vec![4, 0, 5]];
        let l = layered(&inputs, &vec![true; inputs.len()], S);
        assert!(!overlaps(&l));
        let skip = l.edges.iter().find(|e| e.from == 0 && e.to == 4).unwrap();
        assert_eq!(skip.points.len(), 2 + (l.layer[4] - l.layer[0] - 1));
        // A doubled input is one edge.
        assert_eq!(l.edges.iter().filter(|e| e.from == 0 && e.to == 1).count(), 1);
        assert_eq!(l.layer[5] + 1, l.layer[6]);
    }

    #[test]
    fn a_chain_of_ops_runs_straight_with_its_parameters_beside_it() {
        // Two linear layers: 0 = x, 1 = V, 2 = T, 3 = lin(0, 1, 2), 4 = act(3), 5 = V', 6 = T',
        // 7 = lin(4, 5, 6), 8 = act(7).
        let inputs = vec![
            vec![],
            vec![],
            vec![],
            vec![0, 1, 2],
            vec![3],
            vec![],
            vec![],
            vec![4, 5, 6],
            vec![7],
        ];
        let heavy: Vec<bool> = inputs.iter().map(|i| !i.is_empty()).collect();
        let l = layered(&inputs, &heavy, S);
        assert!(!overlaps(&l));
        for (a, b) in [(3, 4), (4, 7), (7, 8)] {
            assert!((l.centre[a].0 - l.centre[b].0).abs() < 1.0, "{a} and {b}: {:?}", l.centre);
        }
    }

    #[test]
    fn the_spacing_fit_is_the_closest_ordered_spaced_placement() {
        // Two items that both want 0: equal weights split the difference.
        let x = spaced_fit(&[0.0, 0.0], &[1.0, 1.0], &[10.0]);
        assert_eq!(x, vec![-5.0, 5.0]);
        // A heavy item keeps its place; the light one moves.
        let x = spaced_fit(&[0.0, 0.0], &[1.0, 8.0], &[10.0]);
        assert!((x[1] - 10.0 / 9.0).abs() < 1e-12 && (x[1] - x[0] - 10.0).abs() < 1e-12, "{x:?}");
        // Far apart already: nothing moves.
        assert_eq!(
            spaced_fit(&[0.0, 50.0, 100.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]),
            vec![0.0, 50.0, 100.0]
        );
    }

    #[test]
    fn crossings_are_removed_where_an_order_without_them_exists() {
        // Two independent chains whose ids interleave: a0=0, b0=1, b1=2 (reads 1), a1=3 (reads 0).
        let inputs = vec![vec![], vec![], vec![1], vec![0]];
        let l = layered(&inputs, &vec![true; inputs.len()], S);
        let left_to_right = |a: usize, b: usize| l.centre[a].0 < l.centre[b].0;
        assert_eq!(left_to_right(0, 1), left_to_right(3, 2));
    }
}
