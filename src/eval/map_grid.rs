//! Maps as pictures: panels of 2-D fields side by side (a grid of real maps beside a grid of
//! generated ones), every map drawn with one shared colour scale (viridis) so that the
//! panels compare by eye. Each map pixel is a square of `scale` image pixels.

use super::plot::viridis;
use crate::error::{Error, Result};
use ndarray::ArrayView2;
use plotters::prelude::*;
use std::path::Path;

/// One titled panel: a grid of maps, `cols` a row.
pub struct MapPanel<'a> {
    pub title: String,
    pub maps: Vec<ArrayView2<'a, f32>>,
    pub cols: usize,
}

/// How values become colours: `value` (e.g. ln(1 + δ)) mapped linearly from `range` onto
/// viridis, clamped at both ends.
pub struct ColourScale<'a> {
    pub range: (f64, f64),
    pub value: &'a dyn Fn(f32) -> f64,
}

const GAP: u32 = 4;
const MARGIN: u32 = 12;
const TITLE: u32 = 34;

/// Writes the panels side by side as one PNG.
pub fn save_map_panels(path: impl AsRef<Path>, panels: &[MapPanel], colours: &ColourScale, scale: u32) -> Result<()> {
    let path = path.as_ref();
    let fail = |e: &dyn std::fmt::Display| {
        Error::Other(format!(
            "map grid {}: {e} (text needs a system font such as DejaVu Sans: install fonts-dejavu-core)",
            path.display()
        ))
    };
    let first = panels.iter().flat_map(|p| p.maps.first()).next();
    let Some(first) = first else {
        return Err(Error::invalid("map grid", "no maps to draw"));
    };
    let (h, w) = (first.dim().0 as u32 * scale, first.dim().1 as u32 * scale);
    // Each panel's size in image pixels.
    let dims: Vec<(u32, u32)> = panels
        .iter()
        .map(|p| {
            let cols = p.cols.clamp(1, p.maps.len().max(1)) as u32;
            let rows = (p.maps.len() as u32).div_ceil(cols).max(1);
            (cols * (w + GAP) - GAP, TITLE + rows * (h + GAP) - GAP)
        })
        .collect();
    let width = dims.iter().map(|d| d.0).sum::<u32>() + MARGIN * (panels.len() as u32 + 1);
    let height = dims.iter().map(|d| d.1).max().unwrap_or(0) + 2 * MARGIN;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let (lo, hi) = colours.range;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut x0 = MARGIN;
    for (panel, &(pw, _)) in panels.iter().zip(&dims) {
        root.draw_text(
            &panel.title,
            &("sans-serif", 22).into_font().color(&BLACK),
            (x0 as i32, MARGIN as i32),
        )
        .map_err(|e| fail(&e))?;
        let cols = panel.cols.clamp(1, panel.maps.len().max(1));
        for (i, map) in panel.maps.iter().enumerate() {
            if map.dim() != first.dim() {
                return Err(Error::shape("map grid", map.shape(), first.shape(), "every map must have one size"));
            }
            let (c, r) = ((i % cols) as u32, (i / cols) as u32);
            let (mx, my) = (x0 + c * (w + GAP), MARGIN + TITLE + r * (h + GAP));
            for ((y, x), &v) in map.indexed_iter() {
                let colour = viridis(((colours.value)(v) - lo) / span);
                for dy in 0..scale {
                    for dx in 0..scale {
                        let p = ((mx + x as u32 * scale + dx) as i32, (my + y as u32 * scale + dy) as i32);
                        root.draw_pixel(p, &colour).map_err(|e| fail(&e))?;
                    }
                }
            }
        }
        x0 += pw + MARGIN;
    }
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}
