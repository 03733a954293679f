//! The progress bar every long command shows.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps, labelled `what`, with rate and time left.
pub fn bar(len: u64, what: &str, unit: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    let template = format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} {{elapsed_precise}} (eta {{eta}}) {{msg}}");
    pb.set_style(
        ProgressStyle::with_template(&template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}
