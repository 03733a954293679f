//! Teaching backprop: the thesis's worked example (Figure 2, §3.2.2, eqs. 22–39) computed by
//! hand, by the tape and by finite differences, side by side (`cosmograd explain`); the
//! mixture-density head of eqs. 56–57 taken apart the same way; and both as an interactive,
//! self-contained HTML page (`cosmograd lesson`).

mod explain_text;
pub mod lesson;
pub mod mdn_head;
pub mod thesis_net;

pub use mdn_head::{explain_mixture, MdnHead, MixtureExplanation};
pub use thesis_net::{explain, Activation, Explanation, Factor, ThesisNet, WeightWalk};

/// The gradient checker's options for the worked examples: its defaults (ε = 1e-6), every
/// element kept in the report, evaluation mode.
pub(crate) fn fd_options() -> crate::autodiff::gradcheck::GradcheckOptions {
    crate::autodiff::gradcheck::GradcheckOptions {
        top: usize::MAX,
        training: false,
        ..Default::default()
    }
}

/// Where in a walk through a tape a number of a worked example is computed: at the forward
/// step of the value labelled so, or at the backward step of that value's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    Forward(&'static str),
    Backward(&'static str),
}
