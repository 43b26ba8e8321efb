//! Files W&B writes into a run's `files/` folder besides the log, used where the log
//! lacks something: `wandb-metadata.json` (environment: host, program, python, git) and
//! `config.yaml` (every top-level key wrapped as `{value: ...}`). wandb-core writes
//! neither for offline runs, and `config.yaml` only at the end of online runs. And the
//! files of the run's environment, which the log never holds: `requirements.txt` (the
//! installed packages), `conda-environment.yaml` and `diff.patch` (the uncommitted
//! changes of the git tree, written only when there are some).

use std::path::Path;

use serde_json::{Map, Number, Value};
use yaml_rust2::Yaml;

use super::state::Environment;
use crate::lenient_json;
use crate::util::{load_yaml, read_text, yaml_str};

pub const METADATA: &str = "wandb-metadata.json";
pub const CONFIG: &str = "config.yaml";
pub const REQUIREMENTS: &str = "requirements.txt";
pub const CONDA: &str = "conda-environment.yaml";
pub const DIFF: &str = "diff.patch";
/// The files of `files/` the run's fields depend on: a change to one rereads the run.
pub const DESCRIPTIVE: &[&str] = &[METADATA, CONFIG, REQUIREMENTS, CONDA, DIFF];

/// The environment recorded in `wandb-metadata.json`.
pub fn read_metadata(path: &Path) -> Result<Environment, String> {
    let text = read_text(path).map_err(|e| format!("cannot read: {e}"))?;
    parse_metadata(&text)
}

/// The environment in the text of a `wandb-metadata.json`.
pub fn parse_metadata(text: &str) -> Result<Environment, String> {
    if text.trim().is_empty() {
        return Err("empty file (being written?)".into());
    }
    let doc = lenient_json::parse(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if !doc.is_object() {
        return Err("not a JSON object".into());
    }
    let text_at = |path: &[&str]| -> String {
        let mut v = &doc;
        for p in path {
            v = &v[*p];
        }
        v.as_str().unwrap_or_default().to_string()
    };
    let mut git_remote = text_at(&["git", "remote"]);
    if git_remote.is_empty() {
        git_remote = text_at(&["git", "remoteUrl"]);
    }
    let program = text_at(&["program"]);
    let args = doc["args"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    Ok(Environment {
        host: text_at(&["host"]),
        args: (!program.is_empty()).then_some(args),
        program,
        executable: text_at(&["executable"]),
        python: text_at(&["python"]),
        os: text_at(&["os"]),
        username: text_at(&["username"]),
        git_remote,
        git_commit: text_at(&["git", "commit"]),
    })
}

/// The config in `config.yaml`, with the `{value: ...}` wrappers (and `desc`) removed.
pub fn read_config_yaml(path: &Path) -> Result<Map<String, Value>, String> {
    let text = read_text(path).map_err(|e| format!("cannot read: {e}"))?;
    parse_config_yaml(&text)
}

/// The config in the text of a `config.yaml` (see [`read_config_yaml`]).
pub fn parse_config_yaml(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Err("empty file (being written?)".into());
    }
    let docs = load_yaml(text)?;
    let Some(Yaml::Hash(top)) = docs.into_iter().next() else {
        return Err("config.yaml is not a mapping".into());
    };
    let mut out = Map::new();
    for (k, v) in &top {
        let Some(key) = yaml_str(k) else { continue };
        let inner = match v {
            Yaml::Hash(h) => h.get(&Yaml::String("value".into())).unwrap_or(v),
            other => other,
        };
        out.insert(key, to_json(inner, false));
    }
    Ok(out)
}

/// YAML to JSON. Reals keep their text where they are param leaves (`5.521e-05`), and
/// become numbers inside lists, whose JSON text is the param.
fn to_json(y: &Yaml, in_list: bool) -> Value {
    match y {
        Yaml::Real(s) if in_list => s.parse::<f64>().ok().and_then(Number::from_f64).map_or_else(|| Value::String(s.clone()), Value::Number),
        Yaml::Real(s) | Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(|v| to_json(v, true)).collect()),
        Yaml::Hash(h) => Value::Object(h.iter().filter_map(|(k, v)| Some((yaml_str(k)?, to_json(v, false)))).collect()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::wandb::state::config_params;

    #[test]
    fn config_yaml_nested_too_deeply_is_an_error_not_a_stack_overflow() {
        let text = format!("lr:\n  value: {}[1{}\n", "[".repeat(200), "]".repeat(201));
        assert!(parse_config_yaml(&text).unwrap_err().contains("nested deeper"));
        let text = format!("layers:\n  value:\n  {}1\n", "- ".repeat(30_000));
        let result = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || parse_config_yaml(&text)).unwrap().join().unwrap();
        assert!(result.unwrap_err().contains("nested deeper"));
    }

    #[test]
    fn config_yaml_wrappers_are_removed_in_both_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG);
        // Legacy writer: `wandb_version` first, `desc` next to `value`.
        std::fs::write(
            &path,
            "wandb_version: 1\n_wandb:\n  desc: null\n  value:\n    cli_version: 0.15.0\nlr:\n  desc: null\n  value: 5.521e-05\n\
             model:\n  desc: null\n  value:\n    arch: resnet\n    sizes: [1.5, 2]\n",
        )
        .unwrap();
        let mut params = config_params(&read_config_yaml(&path).unwrap());
        params.sort();
        let expected = [("lr", "5.521e-05"), ("model.arch", "resnet"), ("model.sizes", "[1.5,2]")];
        assert_eq!(params, expected.map(|(k, v)| (k.to_string(), v.to_string())));
        // wandb-core (yaml.v3, 4-space indents, no wandb_version).
        std::fs::write(&path, "batch_size:\n    value: 256\nname:\n    value: run 1\n").unwrap();
        let params = config_params(&read_config_yaml(&path).unwrap());
        assert_eq!(params, [("batch_size".to_string(), "256".to_string()), ("name".to_string(), "run 1".to_string())]);
        std::fs::write(&path, "").unwrap();
        assert!(read_config_yaml(&path).unwrap_err().contains("empty"));
    }

    #[test]
    fn metadata_gives_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(METADATA);
        std::fs::write(
            &path,
            r#"{"host": "gpu-1", "program": "train.py", "args": ["--lr", "0.1"], "python": "CPython 3.11.7", "git": {"remote": "r", "commit": "c"}, "gpu_count": NaN}"#,
        )
        .unwrap();
        let env = read_metadata(&path).unwrap();
        assert_eq!((env.host.as_str(), env.program.as_str(), env.git_commit.as_str()), ("gpu-1", "train.py", "c"));
        assert_eq!(env.args, Some(vec!["--lr".to_string(), "0.1".to_string()]));
        std::fs::write(&path, r#"{"program": "train.py"}"#).unwrap();
        assert_eq!(read_metadata(&path).unwrap().args, Some(Vec::new()), "a program without arguments");
        std::fs::write(&path, r#"{"host": "h"}"#).unwrap();
        assert_eq!(read_metadata(&path).unwrap().args, None, "no program, no arguments recorded");
        std::fs::write(&path, "{\"host\": ").unwrap();
        assert!(read_metadata(&path).is_err());
    }
}
