//! JSON as trackers really write it: Python's `json.dumps` emits bare `NaN`, `Infinity`
//! and `-Infinity`; Sacred wraps numpy values in jsonpickle objects; DVCLive and trackio
//! write non-finite numbers as strings. [`parse`] accepts all of it (non-finite numbers
//! become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, since `serde_json::Value` cannot
//! hold them), and [`number`] reads a metric value back from any of those forms.

use serde_json::{Map, Value};

/// Parses JSON that may contain bare `NaN`, `Infinity`, `-Infinity` outside strings.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(first) => {
            let quoted = quote_non_finite(text);
            match quoted {
                Some(q) => serde_json::from_str(&q),
                None => Err(first),
            }
        }
    }
}

/// Rewrites bare non-finite tokens outside strings as quoted strings; `None` when there
/// were none (so the original error stands).
fn quote_non_finite(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut changed = false;
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let token = [("-Infinity", "\"-Infinity\""), ("Infinity", "\"Infinity\""), ("NaN", "\"NaN\"")]
            .into_iter()
            .find(|(t, _)| bytes[i..].starts_with(t.as_bytes()));
        match token {
            Some((t, q)) => {
                out.push_str(&text[last..i]);
                out.push_str(q);
                i += t.len();
                last = i;
                changed = true;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[last..]);
    changed.then_some(out)
}

/// A metric value from JSON: a number; the strings `NaN`/`nan`, `Infinity`/`inf`,
/// `-Infinity`/`-inf` (any case); or a jsonpickle numpy scalar `{"py/object": ..., "value": x}`.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "nan" => Some(f64::NAN),
            "infinity" | "inf" | "+inf" | "+infinity" => Some(f64::INFINITY),
            "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Object(o) if o.contains_key("py/object") => o.get("value").and_then(number),
        _ => None,
    }
}

/// Removes jsonpickle wrappers: numpy scalars become their `value`, arrays their
/// `values`, `py/tuple` its list. Other objects are kept, recursively unwrapped.
pub fn unpickle(v: Value) -> Value {
    match v {
        Value::Object(mut o) => {
            if o.contains_key("py/object")
                && let Some(inner) = o.remove("value").or_else(|| o.remove("values"))
            {
                return unpickle(inner);
            }
            if let Some(t) = o.remove("py/tuple") {
                return unpickle(t);
            }
            Value::Object(o.into_iter().map(|(k, v)| (k, unpickle(v))).collect::<Map<_, _>>())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(unpickle).collect()),
        other => other,
    }
}

/// Flattens nested objects into `(key, value-as-text)` leaves, joining keys with `sep`.
/// Strings are kept as they are; arrays and other scalars are their JSON text.
pub fn flatten(v: &Value, sep: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten_into(v, String::new(), sep, &mut out);
    out
}

fn flatten_into(v: &Value, prefix: String, sep: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, child) in o {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}{sep}{k}") };
                flatten_into(child, key, sep, out);
            }
        }
        Value::String(s) => out.push((prefix, s.clone())),
        other => out.push((prefix, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_non_finite_tokens_parse_and_strings_are_left_alone() {
        let v = parse(r#"{"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": "NaN in a string: Infinity"}"#).unwrap();
        assert!(number(&v["a"]).unwrap().is_nan());
        assert_eq!(number(&v["b"][0]), Some(f64::INFINITY));
        assert_eq!(number(&v["b"][1]), Some(f64::NEG_INFINITY));
        assert_eq!(number(&v["b"][2]), Some(1.5));
        assert_eq!(v["c"], "NaN in a string: Infinity");
    }

    #[test]
    fn strict_errors_stay_errors() {
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("{\"a\": NaN,}").is_err());
    }

    #[test]
    fn jsonpickle_wrappers_unwrap() {
        let v = parse(
            r#"{"x": {"py/object": "numpy.float64", "dtype": "float64", "value": 0.5},
                          "y": {"py/tuple": [1, 2]}, "z": {"py/object": "numpy.ndarray", "values": [1, 2]}}"#,
        )
        .unwrap();
        assert_eq!(number(&v["x"]), Some(0.5));
        let u = unpickle(v);
        assert_eq!(u["x"], 0.5);
        assert_eq!(u["y"], serde_json::json!([1, 2]));
        assert_eq!(u["z"], serde_json::json!([1, 2]));
    }

    #[test]
    fn flatten_joins_nested_keys() {
        let v = parse(r#"{"model": {"arch": "resnet", "depth": 18}, "lr": 0.1, "tags": ["a"]}"#).unwrap();
        let mut f = flatten(&v, ".");
        f.sort();
        assert_eq!(
            f,
            vec![
                ("lr".to_string(), "0.1".to_string()),
                ("model.arch".to_string(), "resnet".to_string()),
                ("model.depth".to_string(), "18".to_string()),
                ("tags".to_string(), "[\"a\"]".to_string()),
            ]
        );
    }
}
