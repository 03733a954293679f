//! How `cosmograd explain` prints an [`Explanation`]: aligned text for a terminal, or
//! Markdown for lecture notes. Both say the same things in the same order.

use super::thesis_net::{Explanation, WeightWalk};

pub(crate) const ERRATUM_13: &str = "X = Σ V h + T as in eqs. 1 and 3; eqs. 13–14 have a stray ½ (erratum, notes/errata.md)";
pub(crate) const ERRATUM_29: &str = "erratum: eq. 29 prints V − λ{V − (Y−y)Y(1−Y)h}; the update is V − λ (Y−y) Y(1−Y) h";

fn fixed(x: f64) -> String {
    format!("{x:>13.9}")
}
fn sci(x: f64) -> String {
    format!("{x:>+19.12e}")
}
fn list(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
    format!("[{}]", parts.join(", "))
}
/// `{:<w}` counts chars, which is the display width for the sub- and superscripts used here.
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

impl Explanation {
    pub(crate) fn heading(&self) -> [String; 2] {
        [
            format!(
                "The network of the thesis's Figure 2: 4 inputs → 3 (σ = sigmoid) → 4 (f = {}) → 2 outputs (g = sigmoid)",
                self.f.name()
            ),
            format!(
                "seed {}, learning rate λ = {}, loss E_k = ½ Σ_m (Y_m − y_km)² (eq. 12)",
                self.seed, self.lr
            ),
        ]
    }

    pub(crate) fn three(w: &WeightWalk) -> [(&'static str, f64); 3] {
        [
            ("chain rule (product of the factors)", w.hand),
            ("tape (backward pass)", w.tape),
            ("finite difference (f64, ε = 1e-6)", w.numeric),
        ]
    }

    pub(crate) fn update_line(&self, w: &WeightWalk) -> String {
        format!(
            "{0} ← {0} − λ ∂E_k/∂{0} = {1:.9} − {2} · ({3:.9}) = {4:.9}",
            w.weight, w.old, self.lr, w.hand, w.updated
        )
    }

    /// Aligned text for a terminal.
    pub fn render_text(&self) -> String {
        let mut s = self.heading().join("\n") + "\n\n";
        s += &format!("Forward pass (eqs. 1–3, 22; {ERRATUM_13})\n");
        for r in &self.forward {
            s += &format!("  {} {} {}\n", pad(&r.symbol, 5), pad(&r.formula, 26), list(&r.values));
        }
        s += &format!("  {} {} {:.9}\n", pad("E_k", 5), pad("E_Y1 + E_Y2 (eq. 12)", 26), self.loss);
        for w in &self.walks {
            s += &format!("\nBackward pass for {} — eq. {}: {}\n", w.weight, w.eqs[0], w.chain);
            s += &format!(
                "  {:<5} {} {} {:>13} {:>13}\n",
                "eq.",
                pad("factor", 12),
                pad("formula", 34),
                "value",
                "tape"
            );
            for f in &w.factors {
                let tape = f.tape.map(fixed).unwrap_or_default();
                s += &format!(
                    "  {:<5} {} {} {} {}\n",
                    format!("({})", f.eq),
                    pad(&f.symbol, 12),
                    pad(&f.formula, 34),
                    fixed(f.value),
                    tape
                );
            }
            s += &format!(
                "  {:<5} {} {}\n",
                format!("({})", w.eqs[1]),
                pad(&format!("∂E_k/∂{}", w.weight), 12),
                w.product_formula
            );
            for (what, v) in Self::three(w) {
                s += &format!("        {} {}\n", pad(what, 37), sci(v));
            }
            s += &format!("        {} {:>19.1e}\n", pad("largest difference", 37), w.max_disagreement());
            if let Some(n) = &w.note {
                s += &format!("        note: {n}\n");
            }
            s += &format!("  {:<5} {}\n", format!("({})", w.eqs[2]), self.update_line(w));
        }
        s += &format!("\n{ERRATUM_29} (notes/errata.md)\n");
        s
    }

    /// Markdown for lecture notes.
    pub fn render_markdown(&self) -> String {
        let [h1, h2] = self.heading();
        let mut s = format!("### {h1}\n\n{h2}\n\n#### Forward pass\n\n{ERRATUM_13}.\n\n");
        s += "| value | computed as | numbers |\n|---|---|---|\n";
        for r in &self.forward {
            s += &format!("| {} | {} | {} |\n", r.symbol, r.formula, list(&r.values));
        }
        s += &format!("| E_k | E_Y1 + E_Y2 (eq. 12) | {:.9} |\n", self.loss);
        for w in &self.walks {
            s += &format!("\n#### Backward pass for {}\n\nEq. {}: {}\n\n", w.weight, w.eqs[0], w.chain);
            s += "| eq. | factor | formula | value | tape |\n|---|---|---|---:|---:|\n";
            for f in &w.factors {
                let tape = f.tape.map(|t| format!("{t:.9}")).unwrap_or_default();
                s += &format!("| ({}) | {} | {} | {:.9} | {} |\n", f.eq, f.symbol, f.formula, f.value, tape);
            }
            s += &format!("\nEq. {}: ∂E_k/∂{} = {}\n\n", w.eqs[1], w.weight, w.product_formula);
            s += "| computed by | ∂E_k/∂w |\n|---|---:|\n";
            for (what, v) in Self::three(w) {
                s += &format!("| {what} | {v:+.12e} |\n");
            }
            s += &format!("| largest difference | {:.1e} |\n", w.max_disagreement());
            if let Some(n) = &w.note {
                s += &format!("\nNote: {n}.\n");
            }
            s += &format!("\nEq. {} (gradient descent, eq. 8): {}\n", w.eqs[2], self.update_line(w));
        }
        s += &format!("\n*{ERRATUM_29} (notes/errata.md).*\n");
        s
    }
}
