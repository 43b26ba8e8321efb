//! Small helpers shared by readers: file walking with marks, fingerprints, moved-path
//! resolution, YAML access.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::model::{Artifact, FileMark, SeriesMode};

/// FNV-1a, 64 bit: a fingerprint that is stable across builds and platforms.
#[derive(Clone, Copy)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// How to read an append-only file (metric text, event file, `.wandb` log, CSV log) on
/// this scan, given its mark from the previous one. See [`resume`].
#[derive(Debug)]
pub enum Resume {
    /// Same size, mtime and inode as last time: read nothing, keep this mark.
    Unchanged(FileMark),
    /// New bytes to parse. They start at byte `from` of the file; `mode` is `Append` when
    /// they continue what was read before, `Replace` when the file was replaced or
    /// truncated and is read again from its start.
    Read { mode: SeriesMode, from: u64, bytes: Vec<u8>, mark: FileMark },
}

impl Resume {
    /// The mark to record after consuming `consumed` of the new bytes (a partial record at
    /// the end is left unconsumed, to be read again once complete).
    pub fn mark_after(&self, consumed: u64) -> FileMark {
        match self {
            Resume::Unchanged(m) => m.clone(),
            Resume::Read { from, mark, .. } => FileMark { offset: from + consumed, ..mark.clone() },
        }
    }
}

/// Decides how to read an append-only file: unchanged, appended (read from the previous
/// offset) or replaced (read from 0), and reads the new bytes.
pub fn resume(previous: Option<&FileMark>, path: &Path) -> std::io::Result<Resume> {
    resume_stat(previous, path, FileMark::of(&std::fs::metadata(path)?), u64::MAX)
}

/// [`resume`] for a file found by [`walk_files`], whose stat is already known.
pub fn resume_walked(previous: Option<&FileMark>, file: &WalkedFile) -> std::io::Result<Resume> {
    resume_stat(previous, &file.path, file.mark.clone(), u64::MAX)
}

/// [`resume_walked`] reading at most `window` bytes: the caller reads the rest with
/// [`read_window`] (while `from + bytes.len()` is short of the mark's size), so a file of
/// gigabytes never sits in memory whole.
pub fn resume_walked_window(previous: Option<&FileMark>, file: &WalkedFile, window: u64) -> std::io::Result<Resume> {
    resume_stat(previous, &file.path, file.mark.clone(), window)
}

/// At most `len` bytes of the regular file `path` from byte `from`.
pub fn read_window(path: &Path, from: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::with_capacity(len.min(MAX_SMALL_FILE) as usize);
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn resume_stat(previous: Option<&FileMark>, path: &Path, stat: FileMark, window: u64) -> std::io::Result<Resume> {
    // A stat decides; an unchanged file is not even opened.
    if let Some(p) = previous.filter(|p| p.same_file(&stat)) {
        return Ok(Resume::Unchanged(p.clone()));
    }
    // The stat taken before opening is the mark: if the file grows in between, the extra
    // bytes are read now and the next scan (seeing a larger size) reads from the offset.
    let mark = stat;
    let (mode, from) = match previous {
        Some(p) if p.inode == mark.inode && mark.size >= p.size && p.offset <= mark.size => (SeriesMode::Append, p.offset),
        _ => (SeriesMode::Replace, 0),
    };
    let bytes = read_window(path, from, mark.size.saturating_sub(from).min(window))?;
    Ok(Resume::Read { mode, from, bytes, mark })
}

/// Sub-folder and file names of `dir`, each sorted. Symlinks are neither: following them
/// creates cycles and duplicates (W&B's `latest-run`). Names that are not UTF-8 are left
/// out (see [`list_dir_odd`]).
pub fn list_dir(dir: &Path) -> std::io::Result<(Vec<String>, Vec<String>)> {
    list_dir_odd(dir).map(|(dirs, files, _)| (dirs, files))
}

/// [`list_dir`], plus the names it left out because they are not UTF-8 (shown lossily),
/// for readers that warn about them: such a folder cannot be named in the index.
pub fn list_dir_odd(dir: &Path) -> std::io::Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut odd = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = match entry.file_name().into_string() {
            Ok(name) => name,
            Err(raw) => {
                odd.push(raw.to_string_lossy().into_owned());
                continue;
            }
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => dirs.push(name),
            Ok(t) if t.is_file() => files.push(name),
            _ => {}
        }
    }
    dirs.sort();
    files.sort();
    odd.sort();
    Ok((dirs, files, odd))
}

/// One regular file found by [`walk_files`].
pub struct WalkedFile {
    /// Path relative to the walked folder, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub mark: FileMark,
}

/// Every regular file below `dir` (recursively, symlinks not followed), sorted by path.
/// A missing folder yields nothing.
pub fn walk_files(dir: &Path) -> Vec<WalkedFile> {
    walk_files_upto(dir, usize::MAX).0
}

/// [`walk_files`], stopping after `max` files; true when it stopped before the end.
pub fn walk_files_upto(dir: &Path, max: usize) -> (Vec<WalkedFile>, bool) {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name().into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        if out.len() == max {
            return (out, true);
        }
        let Ok(meta) = entry.metadata() else { continue };
        let Ok(rel) = entry.path().strip_prefix(dir) else { continue };
        out.push(WalkedFile { rel: slash_path(rel), path: entry.path().to_path_buf(), mark: FileMark::of(&meta) });
    }
    (out, false)
}

/// The last component of `path` (the whole path when it has none, as `/`).
pub fn folder_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// `rel` with `/` separators, whatever the platform.
pub fn slash_path(rel: &Path) -> String {
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect();
    parts.join("/")
}

/// Lists an artifact folder and fingerprints the listing (paths, sizes, mtimes), so a
/// rescan can tell whether anything changed.
pub fn list_artifacts(dir: &Path) -> (Vec<Artifact>, u64) {
    let mut fp = Fingerprint::default();
    let files = walk_files(dir);
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        fp.bytes(f.rel.as_bytes()).u64(f.mark.size).u64(f.mark.mtime_ns as u64);
        out.push(Artifact { path: f.rel, size: f.mark.size, origin: None });
    }
    (out, fp.finish())
}

/// Turns a `file://` URI or a plain path into a local path (no other schemes).
pub fn local_path_of_uri(uri: &str) -> Option<PathBuf> {
    if let Some(rest) = uri.strip_prefix("file://") {
        // file:///abs/path or file://localhost/abs/path
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(percent_decode(rest)));
    }
    if uri.contains("://") || uri.starts_with("mlflow-artifacts:") || uri.starts_with("dbfs:") {
        return None;
    }
    Some(PathBuf::from(uri))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves a path recorded on another machine (or before the store was moved) against
/// the store's current location: the path itself if it exists, else the longest tail of
/// it that exists below `base`. A tail must keep the component `anchor` (a run id, say),
/// so a short tail like `artifacts` cannot match an unrelated folder.
pub fn resolve_moved(recorded: &Path, base: &Path, anchor: Option<&str>) -> Option<PathBuf> {
    if recorded.is_absolute() && recorded.exists() {
        return Some(recorded.to_path_buf());
    }
    let parts: Vec<_> = recorded
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for start in 0..parts.len() {
        let tail = &parts[start..];
        if let Some(anchor) = anchor
            && !tail.iter().any(|p| p == anchor)
        {
            break;
        }
        let candidate = tail.iter().fold(base.to_path_buf(), |p, c| p.join(c));
        if candidate.exists() {
            return Some(candidate);
        }
    }
    None
}

/// Opens a file for reading only if it is a regular file. A FIFO, socket or device where a
/// store has a known file name (`meta.yaml`, `data-1.log`) would block a plain open
/// forever or read without end (`/dev/zero`); here the open cannot block and anything but
/// a regular file is an error.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Files read whole ([`read_small`], [`read_text`]: configs, metadata, JSON summaries)
/// larger than this are refused instead of filling memory.
pub const MAX_SMALL_FILE: u64 = 64 << 20;

/// Reads a small regular file whole; larger than [`MAX_SMALL_FILE`] is an error.
pub fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let size = file.metadata()?.len();
    if size > MAX_SMALL_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{size} bytes is too large for this kind of file (at most {MAX_SMALL_FILE})"),
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_SMALL_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SMALL_FILE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("larger than {MAX_SMALL_FILE} bytes")));
    }
    Ok(bytes)
}

/// Reads a small text file ([`read_small`]), replacing invalid UTF-8.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = read_small(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// A run identity from content (see `RunInfo::identity`): the run folder's own name and a
/// fingerprint of the first 4 KiB of its oldest append-only log, which never change once
/// written and do not depend on where the store is. `None` when the file cannot be read.
pub fn content_identity(name: &str, log: &Path) -> Option<String> {
    let head = read_window(log, 0, 4096).ok().filter(|h| !h.is_empty())?;
    Some(format!("{name}:{:016x}", Fingerprint::default().bytes(&head).finish()))
}

/// The warning for a location a store points to outside the folders the user added.
pub fn outside_warning(file: &str, location: &Path) -> crate::model::Warning {
    crate::model::Warning::new(
        file,
        None,
        format!("artifacts at {} are outside the folders you added: add that folder to list them", location.display()),
    )
}

/// Nesting deeper than this is refused by [`load_yaml`]: `yaml-rust2` builds documents
/// recursively, and `- - - - ...` nests one level per two bytes (a stack overflow within
/// 64 KiB of text). Real stores' YAML files nest a few levels.
const MAX_YAML_DEPTH: usize = 128;

/// Parses YAML text into its documents, like `YamlLoader::load_from_str` (the error is a
/// message), but refuses documents nested deeper than [`MAX_YAML_DEPTH`] and documents
/// whose aliases expand to more nodes than the text could hold without them (`yaml-rust2`
/// copies the anchored node for every alias: a 500-byte "billion laughs" file takes
/// gigabytes). A first pass over the parser's events checks both without building
/// anything.
pub fn load_yaml(text: &str) -> Result<Vec<yaml_rust2::Yaml>, String> {
    use std::collections::HashMap;
    use yaml_rust2::parser::{Event, Parser};

    let max_nodes = text.len().saturating_mul(4).max(1024);
    let mut parser = Parser::new_from_str(text);
    // Nodes so far with aliases expanded, each open collection's anchor and node count at
    // its start, each anchor's expanded size.
    let mut nodes = 0usize;
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut anchored: HashMap<usize, usize> = HashMap::new();
    loop {
        let (event, _) = parser.next_token().map_err(|e| format!("invalid YAML: {e}"))?;
        match event {
            Event::StreamEnd => break,
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_YAML_DEPTH {
                    return Err(format!("invalid YAML: nested deeper than {MAX_YAML_DEPTH} levels"));
                }
                nodes += 1;
                open.push((anchor, nodes - 1));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop().filter(|(anchor, _)| *anchor > 0) {
                    anchored.insert(anchor, nodes - start);
                }
            }
            Event::Scalar(_, _, anchor, _) => {
                nodes += 1;
                if anchor > 0 {
                    anchored.insert(anchor, 1);
                }
            }
            Event::Alias(anchor) => nodes = nodes.saturating_add(anchored.get(&anchor).copied().unwrap_or(1)),
            _ => {}
        }
        if nodes > max_nodes {
            return Err(format!("invalid YAML: aliases expand to more than {max_nodes} nodes"));
        }
    }
    yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))
}

/// A YAML scalar as text (`null` and collections give `None`).
pub fn yaml_str(v: &yaml_rust2::Yaml) -> Option<String> {
    use yaml_rust2::Yaml;
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML scalar as an integer (accepts quoted integers).
pub fn yaml_i64(v: &yaml_rust2::Yaml) -> Option<i64> {
    use yaml_rust2::Yaml;
    match v {
        Yaml::Integer(i) => Some(*i),
        Yaml::String(s) | Yaml::Real(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_moved_keeps_the_anchor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("artifacts/abc/run1/artifacts")).unwrap();
        let recorded = Path::new("/elsewhere/store/artifacts/abc/run1/artifacts");
        assert_eq!(resolve_moved(recorded, dir.path(), Some("run1")), Some(dir.path().join("artifacts/abc/run1/artifacts")));
        // run2 has no folder: the bare `artifacts` tail must not be taken for it.
        let recorded = Path::new("/elsewhere/store/artifacts/abc/run2/artifacts");
        assert_eq!(resolve_moved(recorded, dir.path(), Some("run2")), None);
    }

    #[test]
    fn resume_reads_only_what_was_appended() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, b"abc\nde").unwrap();
        let Resume::Read { mode, from, bytes, .. } = resume(None, &path).unwrap() else { panic!() };
        assert_eq!((mode, from, bytes.as_slice()), (SeriesMode::Replace, 0, &b"abc\nde"[..]));
        let first = resume(None, &path).unwrap().mark_after(4);
        assert!(matches!(resume(Some(&first), &path).unwrap(), Resume::Unchanged(_)), "no growth: the partial tail waits");
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"f\n").unwrap();
        let Resume::Read { mode, from, bytes, .. } = resume(Some(&first), &path).unwrap() else { panic!() };
        assert_eq!((mode, from, bytes.as_slice()), (SeriesMode::Append, 4, &b"def\n"[..]));
        let done = resume(Some(&first), &path).unwrap().mark_after(4);
        assert!(matches!(resume(Some(&done), &path).unwrap(), Resume::Unchanged(_)));
        std::fs::write(&path, b"x\n").unwrap();
        let Resume::Read { mode, from, .. } = resume(Some(&done), &path).unwrap() else { panic!() };
        assert_eq!((mode, from), (SeriesMode::Replace, 0), "truncated: read again from the start");
    }

    #[test]
    fn yaml_nested_too_deeply_is_refused_instead_of_overflowing_the_stack() {
        let deep = format!("a:\n  {}x\n", "- ".repeat(30_000));
        let err = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || load_yaml(&deep).unwrap_err()).unwrap().join().unwrap();
        assert!(err.contains("nested deeper than 128 levels"), "{err}");
        let fine = format!("a:\n  {}x\n", "- ".repeat(20));
        assert_eq!(load_yaml(&fine).unwrap().len(), 1);
    }

    #[test]
    fn yaml_aliases_expanding_beyond_the_text_are_refused() {
        let mut laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 1..9 {
            laughs += &format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", "));
        }
        let err = load_yaml(&laughs).unwrap_err();
        assert!(err.contains("aliases expand to more than"), "{err}");
        // Ordinary aliases (a shared default block) still load.
        let docs = load_yaml("base: &base {lr: 0.1, wd: 0.01}\nrun1: *base\nrun2: *base\n").unwrap();
        assert_eq!(yaml_str(&docs[0]["run2"]["lr"]).as_deref(), Some("0.1"));
    }

    #[test]
    fn file_uris_are_decoded() {
        assert_eq!(local_path_of_uri("file:///a/b%20c"), Some(PathBuf::from("/a/b c")));
        assert_eq!(local_path_of_uri("s3://bucket/x"), None);
        assert_eq!(local_path_of_uri("/plain/path"), Some(PathBuf::from("/plain/path")));
    }
}
