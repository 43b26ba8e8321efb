//! The files of a run: file fields, file sets, tracked artifacts and image series.
//!
//! The log names files by their absolute path on the writing machine (formats notes
//! 13.9), or by their copy in `upload_path/`. Artifact paths are relative to the project
//! folder (the folder holding `.neptune/`, the training script's working directory):
//! recorded paths that no longer exist are resolved below it (the store was copied or
//! moved), and files outside it are not listed. Images embedded in the log are listed as
//! `<attribute path>/<index>.png` with their origin in the log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::replay::{Replay, Upload};
use crate::model::{Artifact, Warning};
use crate::util::{resolve_moved, slash_path, walk_files};

/// At most this many files per run are listed (a glob may name a huge tree).
const MAX_FILES: usize = 10_000;

/// Where a run's files are.
pub(super) struct Places<'a> {
    /// The folder holding `.neptune/`: the artifact folder.
    pub project: &'a Path,
    /// The run folder (holds `upload_path/`).
    pub run_dir: &'a Path,
    /// The first log file relative to the store root, for warnings.
    pub log_rel: &'a str,
}

/// Every file of the run that can be found, sorted by path.
pub(super) fn artifacts(state: &Replay, places: &Places, warnings: &mut Vec<Warning>) -> Vec<Artifact> {
    let mut out = Listing { project: places.project, files: BTreeMap::new(), truncated: false };
    for (key, upload) in &state.files {
        match upload {
            Upload::Referenced(path) => out.add_path(locate(path, places.project)),
            Upload::Stored(name) => out.add_path(Some(places.run_dir.join("upload_path").join(name))),
            Upload::Embedded { origin, size, ext } => {
                let path = if ext.is_empty() { key.clone() } else { format!("{key}.{ext}") };
                out.add(Artifact { path, size: *size, origin: Some(origin.clone()) });
            }
        }
    }
    for pattern in state.file_sets.values().flatten() {
        for path in expand_glob(pattern, places.project) {
            out.add_path(Some(path));
        }
    }
    for entry in state.tracked.values().flatten() {
        if !entry.contains("://") {
            out.add_path(locate(entry, places.project));
        }
    }
    for (key, images) in &state.images {
        for (i, image) in images.iter().enumerate() {
            out.add(Artifact { path: format!("{key}/{i}.png"), size: image.size, origin: Some(image.origin.clone()) });
        }
    }
    if out.truncated {
        warnings.push(Warning::new(places.log_rel, None, format!("more than {MAX_FILES} uploaded files: the rest are not listed")));
    }
    out.files.into_values().collect()
}

struct Listing<'a> {
    project: &'a Path,
    files: BTreeMap<String, Artifact>,
    truncated: bool,
}

impl Listing<'_> {
    fn add(&mut self, artifact: Artifact) {
        if self.files.len() >= MAX_FILES {
            self.truncated = true;
        } else {
            self.files.insert(artifact.path.clone(), artifact);
        }
    }

    /// A file, or every file below a folder, when inside the project folder.
    fn add_path(&mut self, path: Option<PathBuf>) {
        let Some(path) = path else { return };
        let Ok(rel) = path.strip_prefix(self.project) else { return };
        let Ok(meta) = std::fs::metadata(&path) else { return };
        if meta.is_file() {
            self.add(Artifact { path: slash_path(rel), size: meta.len(), origin: None });
        } else if meta.is_dir() {
            let prefix = slash_path(rel);
            for f in walk_files(&path) {
                let path = if prefix.is_empty() { f.rel } else { format!("{prefix}/{}", f.rel) };
                self.add(Artifact { path, size: f.mark.size, origin: None });
                if self.truncated {
                    return;
                }
            }
        }
    }
}

/// A recorded path on this machine: relative paths are relative to the project folder;
/// absolute ones are taken as they are if they exist, else resolved below the project.
fn locate(recorded: &str, project: &Path) -> Option<PathBuf> {
    let path = Path::new(recorded);
    if path.is_relative() {
        let joined = project.join(path);
        return joined.exists().then_some(joined);
    }
    resolve_moved(path, project, None)
}

/// The files and folders a `upload_files` glob names (Python's `glob(recursive=True)`:
/// `*` stays within a folder, `**` crosses folders, dot files need a literal dot). The
/// literal folder the pattern starts with is located like any recorded path.
fn expand_glob(pattern: &str, project: &Path) -> Vec<PathBuf> {
    let parts: Vec<&str> = pattern.split('/').collect();
    let Some(first_glob) = parts.iter().position(|p| p.contains(['*', '?', '['])) else {
        return locate(pattern, project).into_iter().collect();
    };
    let literal = parts.get(..first_glob).unwrap_or_default().join("/");
    let rest = parts.get(first_glob..).unwrap_or_default().join("/");
    let base = if literal.is_empty() { Some(project.to_path_buf()) } else { locate(&literal, project) };
    let Some(base) = base.filter(|b| b.is_dir()) else { return Vec::new() };
    let full = format!("{}/{rest}", glob::Pattern::escape(&base.to_string_lossy()));
    let options = glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: true };
    match glob::glob_with(&full, options) {
        Ok(paths) => paths.flatten().take(MAX_FILES).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::replay::Replay;
    use super::*;
    use crate::model::SeriesMode;

    #[test]
    fn recorded_paths_resolve_below_the_project_and_globs_expand() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("proj");
        let run_dir = project.join(".neptune/offline/run__x");
        std::fs::create_dir_all(project.join("out/model/sub")).unwrap();
        std::fs::create_dir_all(run_dir.join("upload_path")).unwrap();
        std::fs::write(project.join("out/plot.png"), b"png").unwrap();
        std::fs::write(project.join("out/model/a.txt"), b"a").unwrap();
        std::fs::write(project.join("out/model/.hidden"), b"h").unwrap();
        std::fs::write(project.join("out/model/sub/b.txt"), b"bb").unwrap();
        std::fs::write(run_dir.join("upload_path/fig-1.png"), b"figure").unwrap();

        let mut state = Replay::new(SeriesMode::Replace, 0);
        state.files.insert("a/plot".into(), Upload::Referenced("/elsewhere/proj/out/plot.png".into()));
        state.files.insert("a/fig".into(), Upload::Stored("fig-1.png".into()));
        state.files.insert("a/gone".into(), Upload::Referenced("/elsewhere/proj/out/gone.png".into()));
        state.file_sets.insert("model".into(), vec!["/elsewhere/proj/out/model/*".into()]);
        state.tracked.insert("data".into(), vec!["out/plot.png".into(), "s3://bucket/x".into()]);
        let places = Places { project: &project, run_dir: &run_dir, log_rel: "offline/run__x/data-1.log" };
        let mut warnings = Vec::new();
        let listed: Vec<(String, u64)> = artifacts(&state, &places, &mut warnings).into_iter().map(|a| (a.path, a.size)).collect();
        assert!(warnings.is_empty());
        assert_eq!(
            listed,
            vec![
                (".neptune/offline/run__x/upload_path/fig-1.png".to_string(), 6),
                ("out/model/a.txt".to_string(), 1),
                ("out/model/sub/b.txt".to_string(), 2),
                ("out/plot.png".to_string(), 3),
            ],
            "`*` matches the folder `sub` (listed whole) but not the dot file"
        );
    }
}
