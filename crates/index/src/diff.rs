//! What two runs' stores recorded of their code and environment, side by side: the files
//! their provenance names (requirements, conda and Python environments, W&B's
//! `diff.patch`, Sacred's saved sources), paired by name, and a unified diff of each pair.
//! Files are read only inside the run's store folder or a folder the user added, only if
//! regular and at most [`MAX_FILE`] bytes, and only as UTF-8 text: anything else is a
//! note, never a read.

use std::path::{Path, PathBuf};

use crate::{Index, IndexError, RunRecord};

/// Files larger than this are not diffed.
pub const MAX_FILE: u64 = 2 << 20;

/// One recorded file of two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// The file's name (Sacred's content hash taken off: `train.py`).
    pub name: String,
    /// Where each run's copy is; `None`: that run has no such file.
    pub a: Option<String>,
    pub b: Option<String>,
    /// Both copies read and equal.
    pub identical: bool,
    /// The unified diff (`---`/`+++` headers naming the runs), empty when identical or unread.
    pub unified: String,
    /// Why a copy was not read (too large, not text, outside the store, gone).
    pub note: Option<String>,
}

/// `train_094bbb53883183e12c6422c6724a6134.py` → `train.py`: Sacred names saved sources
/// by their MD5, so two versions of one file pair up.
fn logical_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.').map_or((name, None), |(s, e)| (s, Some(e)));
    let stem = match stem.rsplit_once('_') {
        Some((base, hash)) if hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => base,
        _ => stem,
    };
    match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem.to_string(),
    }
}

fn recorded_files(run: &RunRecord) -> Vec<(String, String)> {
    let Some(p) = &run.provenance else { return Vec::new() };
    p.environment_files.iter().chain(&p.source_files).map(|f| (logical_name(f), f.clone())).collect()
}

impl Index {
    /// The recorded code and environment files of runs `a` and `b`, paired by name, with
    /// a unified diff of each pair.
    pub fn code_diff(&self, a: &str, b: &str) -> Result<Vec<FileDiff>, IndexError> {
        let runs = self.runs_by_id(&[a.to_string(), b.to_string()])?;
        self.code_diff_of(&runs[0], &runs[1])
    }

    /// [`Index::code_diff`] of runs already loaded with their provenance
    /// ([`Index::runs_by_id`]).
    pub fn code_diff_of(&self, a: &RunRecord, b: &RunRecord) -> Result<Vec<FileDiff>, IndexError> {
        let runs = [a, b];
        let allowed = self.readable_roots(runs.iter().map(|r| r.store.as_str()))?;
        let (fa, fb) = (recorded_files(a), recorded_files(b));
        let mut names: Vec<&String> = fa.iter().chain(&fb).map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for name in names {
            let pa = fa.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());
            let pb = fb.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());
            let (ta, na) = read_text(pa.as_deref(), &allowed);
            let (tb, nb) = read_text(pb.as_deref(), &allowed);
            out.push(file_diff(name, (&a.name, &b.name), (pa, ta, na), (pb, tb, nb)));
        }
        Ok(out)
    }
}

/// One copy of a file of two runs: where it is (`None`: that run has none), its text, and
/// why it was not read.
pub(crate) type Copy = (Option<String>, Option<String>, Option<String>);

/// Two runs' copies of the file `name` (the runs named `runs`), with their unified diff.
pub(crate) fn file_diff(name: &str, runs: (&str, &str), (pa, ta, na): Copy, (pb, tb, nb): Copy) -> FileDiff {
    let note = na.or(nb);
    let identical = note.is_none() && pa.is_some() && pb.is_some() && ta == tb;
    let unified = if identical || note.is_some() {
        String::new()
    } else {
        let (ta, tb) = (ta.unwrap_or_default(), tb.unwrap_or_default());
        similar::TextDiff::from_lines(&ta, &tb)
            .unified_diff()
            .context_radius(3)
            .header(&format!("{} {name}", runs.0), &format!("{} {name}", runs.1))
            .to_string()
    };
    FileDiff { name: name.to_string(), a: pa, b: pb, identical, unified, note }
}

/// A recorded file as text, or why not.
fn read_text(path: Option<&str>, allowed: &[PathBuf]) -> (Option<String>, Option<String>) {
    let Some(path) = path else { return (None, None) };
    match crate::artifacts::contained(Path::new(path), allowed) {
        Ok(real) => text_of(&real, path),
        Err(why) => (None, Some(format!("{path} {why}"))),
    }
}

/// The file at `real` (shown as `path`) as text if it is a regular UTF-8 file of at most
/// [`MAX_FILE`] bytes, or why not.
pub(crate) fn text_of(real: &Path, path: &str) -> (Option<String>, Option<String>) {
    let meta = match std::fs::metadata(real) {
        Ok(m) if m.is_file() => m,
        _ => return (None, Some(format!("{path} is not a regular file"))),
    };
    if meta.len() > MAX_FILE {
        return (None, Some(format!("{path} is {} bytes, more than the {} diffed", meta.len(), MAX_FILE)));
    }
    match runlens_sources::util::read_small(real).map(String::from_utf8) {
        Ok(Ok(text)) => (Some(text), None),
        Ok(Err(_)) => (None, Some(format!("{path} is not UTF-8 text"))),
        Err(e) => (None, Some(format!("cannot read {path}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_outside_the_allowed_folders_are_not_read() {
        let inside = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(inside.path().join("requirements.txt"), "numpy==2\n").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "key").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), inside.path().join("link.txt")).unwrap();
        let allowed = [std::fs::canonicalize(inside.path()).unwrap()];
        let read = |p: &Path| read_text(Some(p.to_str().unwrap()), &allowed);
        assert_eq!(read(&inside.path().join("requirements.txt")).0.as_deref(), Some("numpy==2\n"));
        for p in [outside.path().join("secret.txt"), inside.path().join("link.txt"), inside.path().join("../x")] {
            let (text, note) = read(&p);
            assert!(text.is_none() && note.is_some(), "{}", p.display());
        }
        std::fs::write(inside.path().join("bin.dat"), [0xff, 0xfe, 0x00]).unwrap();
        assert!(read(&inside.path().join("bin.dat")).1.unwrap().ends_with("is not UTF-8 text"));
    }

    #[test]
    fn sacred_sources_pair_by_their_name_without_the_hash() {
        assert_eq!(logical_name("/s/_sources/train_094bbb53883183e12c6422c6724a6134.py"), "train.py");
        assert_eq!(logical_name("/m/requirements.txt"), "requirements.txt");
        assert_eq!(logical_name("/m/run_fast.py"), "run_fast.py");
        assert_eq!(logical_name("/m/README"), "README");
    }
}
