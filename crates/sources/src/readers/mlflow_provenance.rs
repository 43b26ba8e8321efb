//! A run's provenance as both MLflow readers find it: the tags MLflow's context providers
//! set (`mlflow.source.name` and `.type`, `mlflow.source.git.commit`, `.branch`,
//! `.repoURL`, or the older `mlflow.gitRepoURL`), and the environment files of the models
//! the run logged: `requirements.txt` (the packages), `python_env.yaml` (the Python
//! version) and `conda.yaml`. A model folder is one holding an `MLmodel` file: below the
//! run's artifacts (MLflow 2's `log_model`) or a logged model of its own (MLflow 3:
//! `<experiment>/models/<model id>/artifacts/` in a file store, `logged_models` rows in a
//! database). MLflow records neither the script's arguments nor the interpreter, the
//! working folder or whether the tree was dirty. A source that is not a local script (a
//! `PROJECT` URI, a `NOTEBOOK`, a `JOB`) is no program to run.

use std::path::Path;

use yaml_rust2::Yaml;

use crate::model::{Artifact, Provenance, Warning};
use crate::util::{load_yaml, read_text, yaml_str};

/// The files of an MLflow model folder that describe its environment.
pub(crate) const ENV_FILES: &[&str] = &["requirements.txt", "conda.yaml", "python_env.yaml"];
/// The file that makes a folder an MLflow model.
const MLMODEL: &str = "MLmodel";

/// The provenance a run's tags record (`tag` looks one up by key).
pub(crate) fn from_tags(tag: impl Fn(&str) -> Option<String>) -> Provenance {
    let tag = |k: &str| tag(k).filter(|v| !v.trim().is_empty());
    let mut p = Provenance::default();
    let local = tag("mlflow.source.type").is_none_or(|t| t.eq_ignore_ascii_case("LOCAL"));
    if local {
        p.program = tag("mlflow.source.name");
    }
    p.git.commit = tag("mlflow.source.git.commit");
    p.git.branch = tag("mlflow.source.git.branch");
    p.git.remote = tag("mlflow.source.git.repoURL").or_else(|| tag("mlflow.gitRepoURL"));
    p
}

/// Adds the environment files of one model folder `dir` (local): their paths, the
/// packages of `requirements.txt`, the Python version of `python_env.yaml`. `rel` names
/// the folder in warnings (relative to the store root, when it is below it).
pub(crate) fn add_model_folder(p: &mut Provenance, dir: &Path, rel: Option<&str>, warnings: &mut Vec<Warning>) {
    for name in ENV_FILES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        p.environment_files.push(path.to_string_lossy().into_owned());
        let text = match *name {
            "requirements.txt" | "python_env.yaml" => match read_text(&path) {
                Ok(text) => text,
                Err(e) => {
                    warnings.push(warning(&path, rel, name, format!("cannot read: {e}")));
                    continue;
                }
            },
            _ => continue,
        };
        if *name == "requirements.txt" {
            p.add_requirements(&text);
        } else if p.python.is_none() {
            match python_of_env(&text) {
                Ok(python) => p.python = python,
                Err(reason) => warnings.push(warning(&path, rel, name, reason)),
            }
        }
    }
}

/// Adds the model folders among a run's artifacts (MLflow 2's `log_model`): every folder
/// of the listing that holds an `MLmodel`.
pub(crate) fn add_artifact_models(p: &mut Provenance, artifact_dir: &Path, listing: &[Artifact], warnings: &mut Vec<Warning>) {
    for a in listing {
        let folder = match a.path.rsplit_once('/') {
            Some((folder, MLMODEL)) => folder,
            None if a.path == MLMODEL => "",
            _ => continue,
        };
        add_model_folder(p, &artifact_dir.join(folder), None, warnings);
    }
}

/// Whether an artifact path is one [`add_artifact_models`] reads: a change to one of
/// them changes the run's provenance.
pub(crate) fn is_model_env_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == MLMODEL || ENV_FILES.contains(&name)
}

/// The `python:` of a `python_env.yaml` (`python: 3.11.7`).
fn python_of_env(text: &str) -> Result<Option<String>, String> {
    let docs = load_yaml(text)?;
    Ok(match docs.first() {
        Some(doc @ Yaml::Hash(_)) => yaml_str(&doc["python"]).filter(|v| !v.trim().is_empty()),
        _ => None,
    })
}

fn warning(path: &Path, rel: Option<&str>, name: &str, reason: String) -> Warning {
    match rel {
        Some(rel) => Warning::new(format!("{rel}/{name}"), None, reason),
        None => Warning { file: None, location: None, message: format!("{}: {reason}", path.display()) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn a_local_script_is_the_program_and_other_sources_are_not() {
        let p = from_tags(tags(&[("mlflow.source.name", "/w/train.py"), ("mlflow.source.type", "LOCAL"), ("mlflow.gitRepoURL", "r")]));
        assert_eq!((p.program.as_deref(), p.git.remote.as_deref(), p.args), (Some("/w/train.py"), Some("r"), None));
        let p = from_tags(tags(&[("mlflow.source.name", "https://github.com/o/p"), ("mlflow.source.type", "PROJECT")]));
        assert_eq!(p.program, None, "a project URI is no script");
        assert!(from_tags(tags(&[("mlflow.source.git.commit", " ")])).is_empty(), "blank tags record nothing");
    }

    #[test]
    fn model_folders_give_files_packages_and_python() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model");
        std::fs::create_dir_all(&model).unwrap();
        std::fs::write(model.join("MLmodel"), "flavors: {}\n").unwrap();
        std::fs::write(model.join("requirements.txt"), "# pinned\nmlflow==2.9.0\n-r extra.txt\n\ntorch==2.1.0 # cuda\n").unwrap();
        std::fs::write(model.join("python_env.yaml"), "python: 3.10.4\nbuild_dependencies: [pip]\n").unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "not-a-model==1\n").unwrap();
        let listing: Vec<Artifact> = ["model/MLmodel", "model/python_env.yaml", "model/requirements.txt", "requirements.txt"]
            .iter()
            .map(|p| Artifact { path: p.to_string(), size: 1, origin: None })
            .collect();
        let mut p = Provenance::default();
        let mut warnings = Vec::new();
        add_artifact_models(&mut p, dir.path(), &listing, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p.packages, ["mlflow==2.9.0", "torch==2.1.0"]);
        assert_eq!(p.python.as_deref(), Some("3.10.4"));
        let files: Vec<String> = ["requirements.txt", "python_env.yaml"].iter().map(|f| model.join(f).to_string_lossy().into_owned()).collect();
        assert_eq!(p.environment_files, files, "only the model folder's files, in a fixed order");
        std::fs::write(model.join("python_env.yaml"), "python: [unclosed\n").unwrap();
        let mut p = Provenance::default();
        add_model_folder(&mut p, &model, Some("1/models/m-1/artifacts"), &mut warnings);
        assert_eq!(p.python, None);
        assert_eq!(warnings.len(), 1, "an unreadable python_env.yaml is a warning");
        assert_eq!(warnings[0].file.as_deref(), Some("1/models/m-1/artifacts/python_env.yaml"));
    }
}
