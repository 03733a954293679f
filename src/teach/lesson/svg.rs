//! The tape's graph as inline SVG: one box per value (name, op, shape, first numbers, and a
//! line the page's script fills with the gradient as the backward walk reaches it), one curve
//! per (input, consumer) pair. Positions come from [`super::layout`].

use super::layout::{Layout, Sizes};
use super::page::PageNode;

/// Box and gap sizes of the lesson's graph.
pub const SIZES: Sizes = Sizes {
    box_w: 176.0,
    box_h: 54.0,
    gap_x: 18.0,
    gap_y: 34.0,
    dummy_w: 10.0,
    margin: 12.0,
};

/// `&`, `<`, `>`, `"` escaped for XML text and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Three decimals, a true minus sign; scientific outside [1e-3, 1e4).
pub fn short(x: f64) -> String {
    let a = x.abs();
    let s = if x == 0.0 || (1e-3..1e4).contains(&a) {
        format!("{x:.3}")
    } else {
        format!("{x:.2e}")
    };
    s.replace('-', "−")
}

/// Characters of the value line (11 px monospaced) that fit in a box.
pub const LINE_CHARS: usize = 24;

/// The first numbers of a value, as many as fit on a line of `room` characters, then how many
/// there are (the script writes the gradient line the same way).
fn preview(v: &[f64], room: usize) -> String {
    if v.len() == 1 {
        return format!("= {}", short(v[0]));
    }
    let all: Vec<String> = v.iter().map(|&x| short(x)).collect();
    let joined = all.join(" ");
    if joined.chars().count() <= room {
        return joined;
    }
    let tail = format!(" … ({})", v.len());
    let mut out = String::new();
    for s in &all {
        let next = if out.is_empty() { s.clone() } else { format!("{out} {s}") };
        if next.chars().count() + tail.chars().count() > room {
            break;
        }
        out = next;
    }
    out + &tail
}

fn fmt_shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// The SVG element. Node `id` is `<g id="node-{id}">`, its gradient line `<text id="grad-{id}">`,
/// an edge `<path id="edge-{from}-{to}">`.
pub fn svg(nodes: &[PageNode], layout: &Layout) -> String {
    let (w, h) = (SIZES.box_w, SIZES.box_h);
    let mut s = format!(
        "<svg id=\"graph\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.0} {:.0}\" role=\"img\" aria-label=\"the tape as a graph\">\n",
        layout.width, layout.height, layout.width, layout.height
    );
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>\n");
    s.push_str("<g class=\"edges\">\n");
    for e in &layout.edges {
        let mut d = String::new();
        for (k, &(x, y)) in e.points.iter().enumerate() {
            if k == 0 {
                d.push_str(&format!("M{x:.1},{y:.1}"));
            } else {
                let (px, py) = e.points[k - 1];
                let dy = (y - py) / 2.0;
                d.push_str(&format!(" C{px:.1},{:.1} {x:.1},{:.1} {x:.1},{y:.1}", py + dy, y - dy));
            }
        }
        s.push_str(&format!(
            "<path class=\"edge\" id=\"edge-{}-{}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" marker-end=\"url(#arrow)\"/>\n",
            e.from, e.to, e.from, e.to
        ));
    }
    s.push_str("</g>\n<g class=\"nodes\">\n");
    for n in nodes {
        let (cx, cy) = (n.x, n.y);
        let (x0, y0) = (cx - w / 2.0, cy - h / 2.0);
        // The op's name where it fits beside the value's (the step panel always shows it).
        let op = if n.kind == "op" { n.op.clone() } else { n.kind.to_string() };
        let op = if n.name.chars().count() + op.len() > 20 {
            String::new()
        } else {
            op
        };
        s.push_str(&format!(
            "<g class=\"node {}\" id=\"node-{}\" data-id=\"{}\" tabindex=\"-1\">\
<rect x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{w:.0}\" height=\"{h:.0}\" rx=\"6\"/>\
<text class=\"name\" x=\"{:.1}\" y=\"{:.1}\">{}<tspan class=\"op\"> {}</tspan></text>\
<text class=\"shape\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\">{}</text>\
<text class=\"grad\" id=\"grad-{}\" x=\"{:.1}\" y=\"{:.1}\"></text></g>\n",
            n.kind,
            n.id,
            n.id,
            x0 + 7.0,
            y0 + 16.0,
            esc(&n.name),
            esc(&op),
            x0 + w - 7.0,
            y0 + 16.0,
            esc(&fmt_shape(&n.shape)),
            x0 + 7.0,
            y0 + 32.0,
            esc(&preview(&n.value, LINE_CHARS)),
            n.id,
            x0 + 7.0,
            y0 + 47.0,
        ));
    }
    s.push_str("</g>\n</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text_are_written_for_a_box() {
        assert_eq!(short(-0.1234567), "−0.123");
        assert_eq!(short(0.0), "0.000");
        assert_eq!(short(12345.0), "1.23e4");
        assert_eq!(preview(&[1.0, 2.0, 3.0, 4.0], 22), "1.000 2.000 … (4)");
        assert_eq!(preview(&[1.0, 2.0, 3.0, 4.0], 24), "1.000 2.000 3.000 4.000");
        assert_eq!(preview(&[1.0, -2.0, 3.0], 22), "1.000 −2.000 3.000");
        assert_eq!(preview(&[0.5, 1e-5, 2.0], 22), "0.500 1.00e−5 2.000");
        assert_eq!(preview(&[0.5, 1e-5, -2e-5, 3.0], 22), "0.500 1.00e−5 … (4)");
        assert_eq!(preview(&[7.0], 22), "= 7.000");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
