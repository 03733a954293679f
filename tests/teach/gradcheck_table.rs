//! The gradient table of `gradcheck` for a user's own function: worst entries, aligned columns.

use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
use ndarray::{ArrayD, IxDyn};

#[test]
fn the_table_lists_the_worst_entries_in_aligned_columns() {
    // |x| at 1e-7: the central difference straddles the kink, so element [2] is the worst.
    let x = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![-1.0, 0.5, 1e-7, 2.0, -0.25, 3.0]).unwrap();
    let opts = GradcheckOptions {
        top: 3,
        ..Default::default()
    };
    let report = gradcheck(|_t, v| v[0].abs(), &[CheckInput::wrt("x", x)], opts).unwrap();
    assert!(!report.passed());
    let table = report.table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2 + 3, "{table}");
    assert!(lines[0].starts_with("x [2, 3]: max abs ") && lines[0].ends_with("FAIL"), "{table}");
    assert!(lines[2].trim_start().starts_with("[0, 2]"), "{table}");
    for col in ["index", "numeric", "analytic", "abs err", "rel err", "ratio"] {
        assert!(lines[1].contains(col), "{table}");
    }
    // Every row as wide as the header, and the right edge of each column in the same place.
    let width = lines[1].chars().count();
    for l in &lines[2..] {
        assert_eq!(l.chars().count(), width, "{table}");
        assert!(l.contains("e+") || l.contains("e-"), "{l}");
    }
}
