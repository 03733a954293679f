//! The example programs run as tests, so that what they teach stays true.

#[test]
fn the_custom_op_example_passes_its_gradient_check() {
    crate::custom_op_example::main().unwrap();
}

#[test]
fn the_gradcheck_table_example_runs() {
    crate::gradcheck_table_example::main().unwrap();
}

#[test]
fn the_backward_trace_example_runs() {
    crate::backward_trace_example::main().unwrap();
}
