//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay test
//! (`tests/fuzz_corpus.rs`): each feeds arbitrary bytes to one parser of untrusted input.
//! Not part of the API.

/// MLflow metric file lines (`"<ms> <value> <step>"`).
pub fn mlflow_metric_lines(data: &[u8]) {
    let mut warnings = Vec::new();
    let (points, consumed) = crate::readers::fuzz_mlflow_metric_lines(data, &mut warnings);
    assert!(consumed as usize <= data.len());
    assert!(points.len() <= data.len() / 2 + 1);
}

/// The lenient JSON parser and its helpers.
pub fn lenient_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(v) = crate::lenient_json::parse(text) {
        let _ = crate::lenient_json::number(&v);
        let _ = crate::lenient_json::flatten(&crate::lenient_json::unpickle(v), ".");
    }
}

/// Every named entry point, for the corpus replay test.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[("mlflow_metric_lines", mlflow_metric_lines), ("lenient_json", lenient_json)];
