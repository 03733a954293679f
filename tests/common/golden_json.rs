//! Reading the golden JSON files that PyTorch wrote (tests/golden/*.py) and comparing with
//! them, shared by the golden-value tests of every area.

use serde_json::Value;

/// A golden file, parsed.
pub fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    doc["cases"].as_array().expect("a `cases` array").clone()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array of numbers")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// (shape, data) of an encoded tensor.
pub fn tensor(v: &Value) -> (Vec<usize>, Vec<f64>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    (shape, floats(&v["data"]))
}

/// |got − want| ≤ 1e-10 (1 + |want|) elementwise, with the worst element in the message.
pub fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_close_to(what, got, want, 1e-10)
}

pub fn assert_close_to(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let (mut worst, mut at) = (0.0f64, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        // A NaN counts as the worst possible error.
        let e = (g - w).abs() / (1.0 + w.abs());
        let e = if e.is_nan() { f64::INFINITY } else { e };
        if e > worst {
            worst = e;
            at = i;
        }
    }
    assert!(
        worst <= tol,
        "{what}: element {at} is {} but the golden file says {} (scaled error {worst:e})",
        got[at],
        want[at]
    );
}
