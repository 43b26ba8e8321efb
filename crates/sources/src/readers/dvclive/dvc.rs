//! The data versions the DVC project around a DVCLive run records, as the run's
//! datasets: every output DVC tracks, with DVC's md5 — the `dvc add`ed files
//! (`<name>.dvc`, context `dvc add`) and the outputs of the pipeline's stages
//! (`dvc.lock`, context `stage <name>`). A folder's md5 keeps DVC's `.dir` suffix.
//!
//! The project is the nearest folder above the run folder, inside the store root, that
//! holds `dvc.lock` or `.dvc/` (a run folder that is the store root has none: nothing
//! outside a registered root is read). `.dvc` files are looked for at most
//! [`MAX_DEPTH`] folders down, among at most [`MAX_ENTRIES`] entries, outside hidden,
//! skipped and DVCLive folders. These are what the project records now, not what the run
//! read when it ran: DVC keeps earlier versions in git, which Runlens does not read.

use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use crate::discover::skipped_dir;
use crate::model::{DatasetInput, FileMark, Warning};
use crate::util::{Fingerprint, load_yaml, read_text, slash_path, yaml_str};

/// How far below the project folder `.dvc` files are looked for.
const MAX_DEPTH: usize = 4;
/// At most this many folder entries are looked at for `.dvc` files.
const MAX_ENTRIES: usize = 10_000;
/// A lock or `.dvc` file larger than this is not read (a warning).
const MAX_FILE_BYTES: u64 = 8 << 20;

/// The files of a DVC project that record its data versions.
pub(super) struct Project {
    /// The project folder, relative to the store root (`""` for the root).
    pub rel: String,
    /// `dvc.lock` (if there) first, then the `.dvc` files, as paths inside the project.
    files: Vec<String>,
    dir: PathBuf,
}

impl Project {
    /// The project around the run in folder `run_rel` of `root`, if there is one.
    pub fn around(root: &Path, run_rel: &str) -> Option<Project> {
        let mut rel = run_rel;
        while !rel.is_empty() {
            rel = rel.rsplit_once('/').map_or("", |(parent, _)| parent);
            let dir = root.join(rel);
            if dir.join("dvc.lock").is_file() || dir.join(".dvc").is_dir() {
                let files = tracking_files(&dir);
                return Some(Project { rel: rel.to_string(), files, dir });
            }
        }
        None
    }

    /// A mark that changes when any of the project's tracking files changes, appears or
    /// goes (their paths, sizes and modification times).
    pub fn mark(&self) -> FileMark {
        let mut fp = Fingerprint::default();
        for rel in &self.files {
            let meta = std::fs::metadata(self.dir.join(rel)).ok().map(|m| FileMark::of(&m)).unwrap_or_default();
            fp.bytes(rel.as_bytes()).u64(meta.size).u64(meta.mtime_ns as u64).u64(meta.inode);
        }
        FileMark { size: self.files.len() as u64, hash: fp.finish(), ..Default::default() }
    }

    /// Every output the project's files record. A file that cannot be read or parsed is
    /// a warning (keyed by its path inside the store) and adds nothing.
    pub fn datasets(&self, warnings: &mut Vec<Warning>) -> Vec<DatasetInput> {
        let mut out = Vec::new();
        for rel in &self.files {
            let key = if self.rel.is_empty() { rel.clone() } else { format!("{}/{rel}", self.rel) };
            let parsed = read_small(&self.dir.join(rel)).and_then(|text| {
                let docs = load_yaml(&text)?;
                let doc = docs.first().cloned().unwrap_or(Yaml::Null);
                Ok(if rel.ends_with(".dvc") { dvc_file_outs(&doc, rel) } else { lock_outs(&doc, rel) })
            });
            match parsed {
                Ok(found) => out.extend(found),
                Err(reason) => warnings.push(Warning::new(key, None, reason)),
            }
        }
        out
    }
}

fn read_small(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("not read: {size} bytes is more than {MAX_FILE_BYTES}"));
    }
    read_text(path).map_err(|e| format!("cannot read: {e}"))
}

/// `dvc.lock` (if present) and the `.dvc` files below `dir`, as slash paths inside it.
fn tracking_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    if dir.join("dvc.lock").is_file() {
        files.push("dvc.lock".to_string());
    }
    let mut walk = walkdir::WalkDir::new(dir).max_depth(MAX_DEPTH).sort_by_file_name().into_iter();
    let mut seen = 0usize;
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else { continue };
        seen += 1;
        if seen > MAX_ENTRIES {
            break;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.depth() == 0 {
            continue;
        }
        if entry.file_type().is_dir() {
            if name.starts_with('.') || skipped_dir(&name) || entry.path().join("metrics.json").is_file() {
                walk.skip_current_dir();
            }
        } else if entry.file_type().is_file()
            && name.ends_with(".dvc")
            && let Ok(rel) = entry.path().strip_prefix(dir)
        {
            files.push(slash_path(rel));
        }
    }
    files
}

/// The outputs of each stage of a `dvc.lock` (schema 2.0: `stages: {name: {outs: [...]}}`).
fn lock_outs(doc: &Yaml, file: &str) -> Vec<DatasetInput> {
    let Yaml::Hash(stages) = &doc["stages"] else { return Vec::new() };
    let mut out = Vec::new();
    for (name, stage) in stages {
        let Some(name) = yaml_str(name) else { continue };
        out.extend(outs(&stage["outs"], "", file, &format!("stage {name}")));
    }
    out
}

/// The outputs of a `.dvc` file, their paths made relative to the project.
fn dvc_file_outs(doc: &Yaml, file: &str) -> Vec<DatasetInput> {
    let folder = file.rsplit_once('/').map_or("", |(parent, _)| parent);
    outs(&doc["outs"], folder, file, "dvc add")
}

/// One dataset per entry of an `outs` list that has a path: name = the path (under
/// `folder`), digest = `md5` (or a cloud `etag`), source = the recording file, size and
/// file count as JSON.
fn outs(list: &Yaml, folder: &str, file: &str, context: &str) -> Vec<DatasetInput> {
    let Yaml::Array(items) = list else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            let path = yaml_str(&item["path"])?;
            let name = if folder.is_empty() { path } else { format!("{folder}/{path}") };
            let digest = yaml_str(&item["md5"]).or_else(|| yaml_str(&item["etag"])).unwrap_or_default();
            let mut source = serde_json::Map::new();
            source.insert("file".into(), file.into());
            for key in ["size", "nfiles"] {
                if let Yaml::Integer(n) = &item[key] {
                    source.insert(key.into(), (*n).into());
                }
            }
            Some(DatasetInput {
                name,
                digest,
                context: Some(context.to_string()),
                source_type: Some("dvc".into()),
                source: Some(serde_json::Value::Object(source).to_string()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Yaml {
        load_yaml(text).unwrap().remove(0)
    }

    #[test]
    fn lock_outputs_carry_their_stage_and_md5_and_entries_without_a_path_are_skipped() {
        let doc = parse(
            "schema: '2.0'\nstages:\n  prep:\n    outs:\n    - path: data/p\n      md5: abc.dir\n      size: 20\n      nfiles: 2\n    - md5: nopath\n",
        );
        let found = lock_outs(&doc, "dvc.lock");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].name.as_str(), found[0].digest.as_str(), found[0].context.as_deref()), ("data/p", "abc.dir", Some("stage prep")));
        assert_eq!(found[0].source.as_deref(), Some(r#"{"file":"dvc.lock","nfiles":2,"size":20}"#));
    }

    #[test]
    fn a_dvc_file_names_its_output_from_its_own_folder() {
        let doc = parse("outs:\n- md5: e15\n  path: raw.csv\n");
        let found = dvc_file_outs(&doc, "data/raw.csv.dvc");
        assert_eq!((found[0].name.as_str(), found[0].context.as_deref()), ("data/raw.csv", Some("dvc add")));
    }

    #[test]
    fn a_lock_without_stages_or_of_another_shape_records_nothing() {
        assert!(lock_outs(&parse("stages: [1, 2]"), "dvc.lock").is_empty());
        assert!(lock_outs(&parse("just text"), "dvc.lock").is_empty());
    }
}
