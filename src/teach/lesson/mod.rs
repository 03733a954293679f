//! `cosmograd lesson`: one self-contained HTML page that steps through a real backward pass.
//!
//! The network is built on a tape and run forward and backward once; the page's numbers are
//! the tape's values, what the [`Trace`] observer saw during the backward pass (every gradient
//! arriving at a node and every contribution it sent), and the gradient checker's finite
//! differences — serialised as JSON into the page, which only displays them. The graph is laid
//! out here ([`layout`]) and drawn as inline SVG; the page's CSS and script are the files
//! `lesson.css` and `lesson.js` beside this one, inlined, so the page needs no network.
//!
//! Two lessons: the thesis's Figure 2 network with the worked example of eqs. 24–39
//! ([`LessonNet::Thesis`]), and the mixture-density head of eqs. 56–57 on one sample
//! ([`LessonNet::MdnHead`]), where the responsibilities γ appear in every gradient.
//!
//! ```
//! use cosmograd::teach::lesson::{lesson, LessonNet, LessonOptions};
//! use cosmograd::teach::Activation;
//!
//! let l = lesson(&LessonOptions { net: LessonNet::Thesis, seed: 1, lr: 0.5, activation: Activation::Sigmoid }).unwrap();
//! let html = l.html().unwrap();
//! assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Content-Security-Policy"));
//! // Step 0 is the network, then one forward step per op, then the backward walk.
//! assert_eq!(l.data.steps[l.data.first_backward].title, "Backward: E (mul_scalar)");
//! ```

mod html;
pub mod layout;
mod mdn;
pub mod page;
mod svg;
mod thesis;

use crate::autodiff::gradcheck::Report;
use crate::autodiff::{NodeKind, Tape, Trace};
use crate::backend::Cpu;
use crate::error::{Error, Result};
use crate::teach::Activation;
use page::{NodeText, PageData, SectionAt, Source, StepKind};

/// Which network the lesson walks through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LessonNet {
    /// The thesis's Figure 2 network (4 → 3 → 4 → 2) and its worked example, eqs. 24–39.
    Thesis,
    /// The mixture-density head of eqs. 56–57 on one sample.
    MdnHead,
}

#[derive(Clone, Copy, Debug)]
pub struct LessonOptions {
    pub net: LessonNet,
    /// Seed of the weights and the sample.
    pub seed: u64,
    /// λ of the gradient-descent update the page shows (eqs. 8, 29, 39).
    pub lr: f64,
    /// f of the thesis network's layer 3 (the mixture head has no choice of activation).
    pub activation: Activation,
}

/// A built lesson: the page's data and its graph.
pub struct Lesson {
    pub data: PageData,
    pub svg: String,
}

impl Lesson {
    /// The self-contained page.
    pub fn html(&self) -> Result<String> {
        html::render(self)
    }
}

/// Builds the lesson: runs the network forward and backward on a tape and reads the page off it.
pub fn lesson(o: &LessonOptions) -> Result<Lesson> {
    if !o.lr.is_finite() {
        return Err(Error::invalid(
            "lesson",
            format!("the learning rate λ must be finite, got {}", o.lr),
        ));
    }
    match o.net {
        LessonNet::Thesis => thesis::lesson(o.seed, o.lr, o.activation),
        LessonNet::MdnHead => mdn::lesson(o.seed, o.lr),
    }
}

/// The words around a lesson.
pub(crate) struct Meta {
    pub net: &'static str,
    pub title: String,
    pub subtitle: String,
    pub intro: String,
    pub panel_title: String,
}

/// New values of the parameters by name (after one gradient-descent step).
pub(crate) type Updated<'a> = &'a dyn Fn(&str) -> Option<Vec<f64>>;

/// Lays out the tape, walks it and resolves the panel; `loss_after` evaluates the network
/// with updated parameters.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
    tape: &Tape<Cpu<f64>>,
    trace: &Trace,
    report: &Report,
    lr: f64,
    text: &dyn Fn(&str) -> Option<NodeText>,
    meta: Meta,
    sections: Vec<SectionAt>,
    loss_after: &dyn Fn(Updated<'_>) -> Result<f64>,
) -> Result<Lesson> {
    let inputs: Vec<Vec<usize>> = tape.nodes().iter().map(|n| n.inputs.clone()).collect();
    let ops: Vec<bool> = tape.nodes().iter().map(|n| n.kind == NodeKind::Op).collect();
    let layout = layout::layered(&inputs, &ops, svg::SIZES);
    let src = Source {
        tape,
        trace,
        report,
        lr,
        layout: &layout,
        text,
    };
    let walk = page::walk(&src, &meta.intro)?;
    let loss = walk
        .steps
        .get(walk.first_backward)
        .filter(|s| s.kind == StepKind::Backward)
        .and_then(|s| s.node)
        .and_then(|id| walk.nodes[id].value.first().copied())
        .ok_or_else(|| Error::Tape("the lesson's tape has no backward pass".into()))?;
    let updated = |name: &str| walk.updated(name);
    let loss_after = loss_after(&updated)?;
    let panel = walk.panel(sections);
    let svg = svg::svg(&walk.nodes, &layout);
    Ok(Lesson {
        data: PageData {
            net: meta.net.into(),
            title: meta.title,
            subtitle: meta.subtitle,
            lr,
            loss,
            loss_after,
            nodes: walk.nodes,
            steps: walk.steps,
            first_backward: walk.first_backward,
            panel_title: meta.panel_title,
            panel,
        },
        svg,
    })
}
