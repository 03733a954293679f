//! PNG figures through plotters: loss curves, scatter plots, and a heat map underneath (a
//! conditional density, a 2-D histogram). One builder, [`Plot`], covers them:
//!
//! ```no_run
//! use cosmograd::eval::plot::Plot;
//! let losses: Vec<(f64, f64)> = (1..100).map(|i| (i as f64, 1.0 / i as f64)).collect();
//! Plot::new("training loss").labels("step", "loss").log_y().line("train", &losses).save("loss.png")?;
//! # Ok::<(), cosmograd::Error>(())
//! ```
//!
//! Text needs a system font (DejaVu Sans or any sans-serif); without one, `save` fails with a
//! message saying so rather than writing a figure without labels.

use crate::error::{Error, Result};
use plotters::prelude::*;

pub use plotters::chart::SeriesLabelPosition;
pub use plotters::style::RGBColor;
use std::path::Path;

/// Colours for successive series (matplotlib's tab10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The i-th palette colour, cycling.
pub fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Viridis at t ∈ [0, 1] (linear between matplotlib's stops).
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 8] = [
        (68, 1, 84),
        (70, 50, 127),
        (54, 92, 141),
        (39, 127, 143),
        (31, 162, 136),
        (74, 194, 110),
        (160, 219, 57),
        (254, 232, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Values on a regular grid, drawn as coloured cells (viridis, min → max).
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub nx: usize,
    pub ny: usize,
    /// Row-major by y: `values[j * nx + i]` is the cell at x index i, y index j.
    pub values: Vec<f64>,
}

enum Shape {
    Line(Vec<(f64, f64)>),
    /// (x, y, opacity ∈ [0, 1]) and the dot radius.
    Points(Vec<(f64, f64, f64)>, u32),
    /// (x, y, low, high): a dot with a vertical bar.
    ErrorBars(Vec<(f64, f64, f64, f64)>),
    /// (x from, x to, height): filled bars from zero (a histogram).
    Bars(Vec<(f64, f64, f64)>),
    /// (x, low, high): a shaded band between two curves.
    Band(Vec<(f64, f64, f64)>),
}

struct Layer {
    label: String,
    shape: Shape,
    /// The palette colour of the layer's index unless set.
    color: Option<RGBColor>,
}

/// A figure under construction; `save` writes it.
pub struct Plot {
    title: String,
    x_label: String,
    y_label: String,
    size: (u32, u32),
    log_y: bool,
    log_x: bool,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
    layers: Vec<Layer>,
    heatmap: Option<Heatmap>,
    legend: SeriesLabelPosition,
}

impl Plot {
    pub fn new(title: &str) -> Self {
        Plot {
            title: title.to_string(),
            x_label: String::new(),
            y_label: String::new(),
            size: (900, 600),
            log_y: false,
            log_x: false,
            x_range: None,
            y_range: None,
            layers: Vec::new(),
            heatmap: None,
            legend: SeriesLabelPosition::UpperRight,
        }
    }
    pub fn labels(mut self, x: &str, y: &str) -> Self {
        self.x_label = x.to_string();
        self.y_label = y.to_string();
        self
    }
    /// Image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
    /// A logarithmic y axis (non-positive values are left out).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
    /// A logarithmic x axis (non-positive values are left out; a heat map stays linear).
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
    /// A line through the points, in order.
    pub fn line(mut self, label: &str, points: &[(f64, f64)]) -> Self {
        self.layers.push(Layer {
            label: label.to_string(),
            shape: Shape::Line(points.to_vec()),
            color: None,
        });
        self
    }
    /// Dots of the given radius.
    pub fn points(self, label: &str, points: &[(f64, f64)], radius: u32) -> Self {
        let p: Vec<_> = points.iter().map(|&(x, y)| (x, y, 1.0)).collect();
        self.weighted_points(label, &p, radius)
    }
    /// Dots whose opacity is the third value (e.g. a mixture weight).
    pub fn weighted_points(mut self, label: &str, points: &[(f64, f64, f64)], radius: u32) -> Self {
        self.layers.push(Layer {
            label: label.to_string(),
            shape: Shape::Points(points.to_vec(), radius),
            color: None,
        });
        self
    }
    /// Dots at (x, y) with vertical bars from low to high (predicted against true values).
    pub fn error_bars(mut self, label: &str, points: &[(f64, f64, f64, f64)]) -> Self {
        self.layers.push(Layer {
            label: label.to_string(),
            shape: Shape::ErrorBars(points.to_vec()),
            color: None,
        });
        self
    }
    /// Filled bars (x from, x to, height) standing on zero: a histogram.
    pub fn bars(mut self, label: &str, bars: &[(f64, f64, f64)]) -> Self {
        self.layers.push(Layer {
            label: label.to_string(),
            shape: Shape::Bars(bars.to_vec()),
            color: None,
        });
        self
    }
    /// A shaded band from `low` to `high` at each x, (x, low, high) in order of x (an error
    /// band, a scatter range); drawn translucent in the layer's colour.
    pub fn band(mut self, label: &str, points: &[(f64, f64, f64)]) -> Self {
        self.layers.push(Layer {
            label: label.to_string(),
            shape: Shape::Band(points.to_vec()),
            color: None,
        });
        self
    }
    /// Sets the colour of the layer added last.
    pub fn color(mut self, color: RGBColor) -> Self {
        if let Some(l) = self.layers.last_mut() {
            l.color = Some(color);
        }
        self
    }
    /// Where the legend goes (upper right unless set).
    pub fn legend_at(mut self, pos: SeriesLabelPosition) -> Self {
        self.legend = pos;
        self
    }
    /// A heat map under every other layer.
    pub fn heatmap(mut self, h: Heatmap) -> Self {
        self.heatmap = Some(h);
        self
    }

    fn ty(&self, y: f64) -> Option<f64> {
        axis_value(self.log_y, y)
    }

    fn tx(&self, x: f64) -> Option<f64> {
        axis_value(self.log_x, x)
    }

    /// A data point in chart coordinates (None where a log axis cannot show it).
    fn pt(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        Some((self.tx(x)?, self.ty(y)?))
    }

    /// The data ranges (padded by 4 %), unless set explicitly.
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let mut xs = vec![];
        let mut ys = vec![];
        for l in &self.layers {
            let pts: Vec<(f64, f64)> = match &l.shape {
                Shape::Line(points) => points.clone(),
                Shape::Points(points, _) => points.iter().map(|p| (p.0, p.1)).collect(),
                Shape::ErrorBars(points) => points.iter().flat_map(|p| [(p.0, p.2), (p.0, p.3)]).collect(),
                Shape::Bars(bars) => bars.iter().flat_map(|b| [(b.0, 0.0), (b.1, b.2)]).collect(),
                Shape::Band(points) => points.iter().flat_map(|p| [(p.0, p.1), (p.0, p.2)]).collect(),
            };
            for (x, y) in pts {
                if let Some((x, y)) = self.pt(x, y).filter(|(x, y)| y.is_finite() && x.is_finite()) {
                    xs.push(x);
                    ys.push(y);
                }
            }
        }
        if let Some(h) = &self.heatmap {
            xs.extend([h.x_range.0, h.x_range.1]);
            ys.extend([h.y_range.0, h.y_range.1]);
        }
        let span = |v: &[f64]| {
            let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                return (0.0, 1.0);
            }
            let pad = if hi > lo { 0.04 * (hi - lo) } else { 0.5 };
            (lo - pad, hi + pad)
        };
        let x = match self.x_range {
            Some((lo, hi)) => (self.tx(lo).unwrap_or(lo), self.tx(hi).unwrap_or(hi)),
            None => span(&xs),
        };
        let y = match self.y_range {
            Some((lo, hi)) => (self.ty(lo).unwrap_or(lo), self.ty(hi).unwrap_or(hi)),
            None => span(&ys),
        };
        (x, y)
    }

    /// Writes the figure as PNG.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_grid(std::slice::from_ref(self), 1, self.size, path)
    }

    /// Draws the figure into one area of a bitmap.
    fn draw_on(
        &self,
        root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        fail: &dyn Fn(&dyn std::fmt::Display) -> Error,
    ) -> Result<()> {
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 24))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| fail(&e))?;
        let (log_x, log_y) = (self.log_x, self.log_y);
        // Tick positions are computed in floating point, so a zero tick can arrive as −2e-16.
        let snap = |v: f64, span: f64| if v.abs() < 1e-9 * span { 0.0 } else { v };
        let y_fmt = move |v: &f64| if log_y { log_tick(*v) } else { tick(snap(*v, y1 - y0)) };
        let x_fmt = move |v: &f64| if log_x { log_tick(*v) } else { tick(snap(*v, x1 - x0)) };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| fail(&e))?;
        if let Some(h) = &self.heatmap {
            let hi = h.values.iter().cloned().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
            let lo = h.values.iter().cloned().filter(|v| v.is_finite()).fold(f64::INFINITY, f64::min);
            let (dx, dy) = ((h.x_range.1 - h.x_range.0) / h.nx as f64, (h.y_range.1 - h.y_range.0) / h.ny as f64);
            let cells = (0..h.nx * h.ny).map(|idx| {
                let (i, j) = (idx % h.nx, idx / h.nx);
                let (cx, cy) = (h.x_range.0 + i as f64 * dx, h.y_range.0 + j as f64 * dy);
                let t = if hi > lo { (h.values[idx] - lo) / (hi - lo) } else { 0.0 };
                Rectangle::new([(cx, cy), (cx + dx, cy + dy)], viridis(t).filled())
            });
            chart.draw_series(cells).map_err(|e| fail(&e))?;
        }
        let mut labelled = false;
        for (i, layer) in self.layers.iter().enumerate() {
            let color = layer.color.unwrap_or(palette(i));
            let label = &layer.label;
            let series = match &layer.shape {
                Shape::Line(points) => {
                    let pts: Vec<(f64, f64)> = points.iter().filter_map(|&(x, y)| self.pt(x, y)).collect();
                    chart
                        .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                        .map_err(|e| fail(&e))?
                }
                Shape::Points(points, radius) => {
                    let r = *radius;
                    let dots = points
                        .iter()
                        .filter_map(|&(x, y, o)| self.pt(x, y).map(|p| Circle::new(p, r, color.mix(o.clamp(0.0, 1.0)).filled())));
                    chart.draw_series(dots).map_err(|e| fail(&e))?
                }
                Shape::ErrorBars(points) => {
                    let bars = points.iter().filter_map(|&(x, _, lo, hi)| {
                        let (lo, hi) = (self.ty(lo)?, self.ty(hi)?);
                        Some(PathElement::new(vec![(x, lo), (x, hi)], color.mix(0.35).stroke_width(1)))
                    });
                    chart.draw_series(bars).map_err(|e| fail(&e))?;
                    let dots = points
                        .iter()
                        .filter_map(|&(x, y, _, _)| self.ty(y).map(|y| Circle::new((x, y), 2, color.filled())));
                    chart.draw_series(dots).map_err(|e| fail(&e))?
                }
                Shape::Bars(bars) => {
                    let base = if log_y { y0 } else { 0.0 };
                    let rects = bars
                        .iter()
                        .filter_map(|&(a, b, h)| self.ty(h).map(|h| Rectangle::new([(a, base), (b, h)], color.mix(0.7).filled())));
                    chart.draw_series(rects).map_err(|e| fail(&e))?
                }
                Shape::Band(points) => {
                    // Along the lower edge, back along the upper: one polygon.
                    let lower = points.iter().filter_map(|&(x, lo, _)| self.pt(x, lo));
                    let upper: Vec<(f64, f64)> = points.iter().filter_map(|&(x, _, hi)| self.pt(x, hi)).collect();
                    let outline: Vec<(f64, f64)> = lower.chain(upper.into_iter().rev()).collect();
                    chart
                        .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.25).filled())))
                        .map_err(|e| fail(&e))?
                }
            };
            if !label.is_empty() {
                labelled = true;
                series
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], color.filled()));
            }
        }
        if labelled {
            chart
                .configure_series_labels()
                .position(self.legend.clone())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 15))
                .draw()
                .map_err(|e| fail(&e))?;
        }
        Ok(())
    }
}

/// Writes several figures as one PNG: a grid of `cols` columns, each cell `cell` pixels.
pub fn save_grid(plots: &[Plot], cols: usize, cell: (u32, u32), path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let fail = |e: &dyn std::fmt::Display| {
        Error::Other(format!(
            "plot {}: {e} (text needs a system font such as DejaVu Sans: install fonts-dejavu-core)",
            path.display()
        ))
    };
    let cols = cols.clamp(1, plots.len().max(1));
    let rows = plots.len().div_ceil(cols).max(1);
    let size = (cell.0 * cols as u32, cell.1 * rows as u32);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    for (plot, area) in plots.iter().zip(root.split_evenly((rows, cols))) {
        plot.draw_on(&area, &fail)?;
    }
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

/// A value on a linear or (base-10) logarithmic axis; None where a log axis cannot show it.
fn axis_value(log: bool, v: f64) -> Option<f64> {
    match log {
        true if v > 0.0 => Some(v.log10()),
        true => None,
        false => Some(v),
    }
}

/// The label of a tick at 10^v on a log axis: the value to two significant digits (the ticks
/// are evenly spaced in v, so their values are rarely round).
fn log_tick(v: f64) -> String {
    let x = 10f64.powf(v);
    tick(format!("{x:.1e}").parse().unwrap_or(x))
}

/// A tick label: plain with at most three decimals (trailing zeros dropped) for moderate
/// magnitudes, scientific otherwise.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-2..1e4).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(-0.0001), "-1.0e-4");
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(-0.0004), "-4.0e-4");
        assert_eq!(tick(12345.0), "1.2e4");
        assert_eq!(tick(0.125), "0.125");
        assert_eq!(log_tick(630.957f64.log10()), "630");
        assert_eq!(log_tick(0.0158f64.log10()), "0.016");
    }

    #[test]
    fn viridis_spans_its_stops_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(254, 232, 37));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn a_figure_with_every_layer_kind_is_written() {
        let path = std::env::temp_dir().join(format!("cosmograd-plot-{}.png", std::process::id()));
        let line: Vec<(f64, f64)> = (1..50).map(|i| (i as f64, 1.0 / i as f64)).collect();
        Plot::new("loss")
            .labels("step", "loss")
            .log_y()
            .line("train", &line)
            .points("dots", &line[..5], 3)
            .save(&path)
            .unwrap();
        let band: Vec<(f64, f64, f64)> = line.iter().map(|&(x, y)| (x, 0.8 * y, 1.2 * y)).collect();
        Plot::new("band on log-log axes")
            .log_x()
            .log_y()
            .band("±20 %", &band)
            .line("mean", &line)
            .x_range(1.0, 60.0)
            .save(&path)
            .unwrap();
        let png = std::fs::read(&path).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        Plot::new("heat")
            .heatmap(Heatmap {
                x_range: (0.0, 1.0),
                y_range: (0.0, 2.0),
                nx: 4,
                ny: 3,
                values: (0..12).map(|v| v as f64).collect(),
            })
            .weighted_points("w", &[(0.5, 1.0, 0.3)], 2)
            .color(RGBColor(255, 255, 255))
            .legend_at(SeriesLabelPosition::UpperLeft)
            .save(&path)
            .unwrap();
        let panel = |t: &str| {
            Plot::new(t)
                .error_bars("predicted", &[(0.1, 0.12, 0.1, 0.15), (0.4, 0.38, 0.3, 0.45)])
                .bars("hist", &[(0.0, 0.5, 0.3), (0.5, 1.0, 0.7)])
        };
        save_grid(&[panel("a"), panel("b"), panel("c")], 2, (400, 300), &path).unwrap();
        assert_eq!(&std::fs::read(&path).unwrap()[1..4], b"PNG");
        std::fs::remove_file(&path).unwrap();
        let bad = std::env::temp_dir().join("no-such-dir-cosmograd").join("x.png");
        assert!(Plot::new("t").line("a", &line).save(&bad).is_err());
    }
}
