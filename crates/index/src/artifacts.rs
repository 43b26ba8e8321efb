//! A run's artifact files, read for the artifact browser and `runlens cat`: the one place
//! a path from a run becomes a file read. A path is read only if the index lists it as
//! one of the run's files below its artifact folder, has no `..` and is not absolute, and
//! its canonical form (symlinks resolved) lies inside the run's store folder or a folder
//! the user added ([`Index::readable_roots`]); a file inside a log (TensorBoard images) is
//! read from its log, which must pass the same checks, by the store's reader
//! ([`runlens_sources::Reader::embedded_file`]). Anything else is a refusal that says why,
//! never a read. Previews read a bounded amount: text is paged from the end, tables stop
//! after [`TABLE_ROWS`] rows, binaries are hashed in a stream, nothing is ever executed or
//! unpickled.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use rusqlite::OptionalExtension;

use crate::{Index, IndexError};

/// The most text one preview page holds.
pub const TEXT_PAGE: u64 = 256 << 10;
/// Images larger than this are described, not shown.
pub const MAX_IMAGE: u64 = 25 << 20;
/// JSON larger than this is shown as it is written, not re-indented.
pub const MAX_PRETTY_JSON: u64 = 4 << 20;
/// Markdown, HTML and notebooks larger than this are shown as text, not rendered.
pub const MAX_DOCUMENT: u64 = 16 << 20;
/// Text with more lines than this is not offered folded.
pub const MAX_FOLD_LINES: usize = 20_000;
/// A table preview's rows at most.
pub const TABLE_ROWS: usize = 10_000;

/// Why a path the run does not list is not read.
const NOT_LISTED: &str = "is not one of the run's files";

/// What a preview of one artifact shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// An image to show as an image (SVG too: as an image, never inline markup).
    Image { mime: &'static str, bytes: Vec<u8> },
    /// Text: the bytes `start..end` of a file of `size` bytes (the last page unless an
    /// earlier one was asked for), cut at line starts and decoded leniently. `folds`:
    /// for a whole JSON or YAML file, the blocks that can be folded ([`folds`]).
    Text { text: String, start: u64, end: u64, size: u64, language: Option<&'static str>, folds: Vec<(u32, u32)> },
    /// A CSV or TSV file's header and first rows.
    Table { header: Vec<String>, rows: Vec<Vec<String>>, truncated: bool },
    /// Markdown rendered as sanitized HTML ([`crate::documents::markdown_html`]).
    Markdown { html: String, size: u64 },
    /// An HTML file as written, for a sandboxed frame with scripts off (never put into
    /// the app's own page).
    Html { html: String, size: u64 },
    /// A Jupyter notebook's cells ([`crate::documents::notebook`]).
    Notebook { notebook: crate::documents::Notebook, size: u64 },
    /// A file not shown: its size, what it looks like and its BLAKE3 hash.
    Binary { size: u64, kind: String, blake3: String },
}

/// Why an artifact path is not read.
fn refused(path: &str, why: impl Into<String>) -> IndexError {
    IndexError::Artifact { path: path.to_string(), why: why.into() }
}

/// A path a run's store recorded, relative and without `..`: the only kind joined to a folder.
fn relative(path: &str) -> Result<&Path, IndexError> {
    let p = Path::new(path);
    if path.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(refused(path, "is not a path inside the run's artifact folder"));
    }
    Ok(p)
}

/// `path` canonical, if it lies inside one of `allowed` (canonical folders).
pub(crate) fn contained(path: &Path, allowed: &[PathBuf]) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(path).map_err(|e| format!("cannot be opened: {e}"))?;
    if !allowed.iter().any(|root| real.starts_with(root)) {
        return Err("leads outside the run's store and the folders you added".into());
    }
    Ok(real)
}

impl Index {
    /// The folders files of these runs' stores may be read from: each store's folder (a
    /// file store's parent) and the folders the user added, canonical.
    pub(crate) fn readable_roots<'a>(&self, stores: impl IntoIterator<Item = &'a str>) -> Result<Vec<PathBuf>, IndexError> {
        let mut roots: Vec<PathBuf> = self
            .conn
            .prepare("SELECT path FROM user_folders")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(PathBuf::from)
            .collect();
        for store in stores {
            roots.extend(std::fs::canonicalize(store_folder(Path::new(store))).ok());
        }
        Ok(roots)
    }

    /// Where artifact `path` of run `run_id` is, after every check in the module docs: a
    /// file on disk, or a place inside one of the store's logs (read only by those who
    /// need its bytes, [`extract`]).
    pub(crate) fn locate(&self, run_id: &str, path: &str) -> Result<Located, IndexError> {
        let run: Option<(i64, Option<String>, String, String)> = self
            .conn
            .query_row(
                "SELECT r.rid, r.artifact_dir, s.root, s.reader FROM runs r JOIN stores s ON s.id = r.store_id WHERE r.id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (rid, dir, store, reader) = run.ok_or_else(|| IndexError::UnknownRun(run_id.to_string()))?;
        let inside = relative(path)?;
        let listed: Option<Option<String>> = self
            .conn
            .query_row("SELECT origin FROM artifacts WHERE rid = ?1 AND path = ?2", rusqlite::params![rid, path], |r| r.get(0))
            .optional()?;
        let allowed = self.readable_roots([store.as_str()])?;
        match listed {
            None => match self.attached_file(run_id, inside)? {
                Some(found) => found.map(Located::File).map_err(|why| refused(path, why)),
                None => Err(refused(path, NOT_LISTED)),
            },
            Some(None) => {
                let dir = dir.ok_or_else(|| refused(path, "is not readable: the run has no artifact folder"))?;
                contained(&Path::new(&dir).join(inside), &allowed).map(Located::File).map_err(|why| refused(path, why))
            }
            Some(Some(origin)) => {
                // `<log relative to the store root>#<byte offset>`, the log inside the store.
                let (log, offset) = origin
                    .rsplit_once('#')
                    .and_then(|(log, at)| Some((log, at.parse::<u64>().ok()?)))
                    .ok_or_else(|| refused(path, format!("has an unreadable origin {origin}")))?;
                let inside_log = relative(log).map_err(|_| refused(path, format!("has an origin outside its store: {origin}")))?;
                let log_path = contained(&store_folder(Path::new(&store)).join(inside_log), &allowed)
                    .map_err(|why| refused(path, format!("is inside {log}, which {why}")))?;
                Ok(Located::InLog { log: log_path, offset, reader })
            }
        }
    }

    /// Where artifact `path` of run `run_id` is on disk, for another program to open or
    /// show in its folder: only a file of its own (not one inside a log), and never a
    /// program (executable, or a `.desktop` launcher).
    pub fn artifact_file(&self, run_id: &str, path: &str) -> Result<PathBuf, IndexError> {
        use std::os::unix::fs::PermissionsExt;
        match self.locate(run_id, path)? {
            Located::InLog { .. } => Err(refused(path, "is inside a log file, not a file of its own")),
            Located::File(real) => {
                let meta = std::fs::metadata(&real).map_err(|e| refused(path, format!("cannot be opened: {e}")))?;
                if meta.permissions().mode() & 0o111 != 0 || extension(path) == "desktop" {
                    return Err(refused(path, "is a program: Runlens does not start programs from a run"));
                }
                Ok(real)
            }
        }
    }

    /// Writes artifact `path` of run `run_id` to `out`, byte for byte (for `runlens cat`);
    /// the number of bytes written.
    pub fn copy_artifact(&self, run_id: &str, path: &str, out: &mut dyn std::io::Write) -> Result<u64, IndexError> {
        let io = |e: std::io::Error| refused(path, format!("cannot be copied: {e}"));
        match self.locate(run_id, path)? {
            Located::File(real) => std::io::copy(&mut open_regular(&real, path)?, out).map_err(io),
            Located::InLog { log, offset, reader } => {
                let bytes = extract(path, &log, offset, &reader)?;
                out.write_all(&bytes).map(|()| bytes.len() as u64).map_err(io)
            }
        }
    }

    /// A preview of artifact `path` of run `run_id`; for text, the page ending at byte
    /// `before` (default: the end of the file).
    pub fn preview_artifact(&self, run_id: &str, path: &str, before: Option<u64>) -> Result<Preview, IndexError> {
        let ext = extension(path);
        let real = match self.locate(run_id, path)? {
            Located::File(real) => real,
            // Extracted from a log (TensorBoard's images, audio): shown if an image.
            Located::InLog { log, offset, reader } => {
                let bytes = extract(path, &log, offset, &reader)?;
                return Ok(match image_mime(&ext) {
                    Some(mime) if bytes.len() as u64 <= MAX_IMAGE => Preview::Image { mime, bytes },
                    _ => Preview::Binary { size: bytes.len() as u64, kind: describe(&ext), blake3: blake3::hash(&bytes).to_hex().to_string() },
                });
            }
        };
        let mut file = open_regular(&real, path)?;
        let size = file.metadata().map_err(|e| refused(path, format!("cannot be read: {e}")))?.len();
        let io = |e: std::io::Error| refused(path, format!("cannot be read: {e}"));
        if let Some(mime) = image_mime(&ext)
            && size <= MAX_IMAGE
        {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(io)?;
            return Ok(Preview::Image { mime, bytes });
        }
        if matches!(ext.as_str(), "csv" | "tsv") {
            return table(file, if ext == "tsv" { b'\t' } else { b',' }).map_err(|e| refused(path, format!("is not a readable table: {e}")));
        }
        if matches!(ext.as_str(), "md" | "markdown" | "html" | "htm" | "ipynb") && size <= MAX_DOCUMENT && before.is_none() {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(io)?;
            let text = String::from_utf8_lossy(&bytes);
            match ext.as_str() {
                "md" | "markdown" => return Ok(Preview::Markdown { html: crate::documents::markdown_html(&text), size }),
                "html" | "htm" => return Ok(Preview::Html { html: text.into_owned(), size }),
                // Not a notebook after all: shown as the text it is.
                _ => {
                    if let Ok(notebook) = crate::documents::notebook(&bytes) {
                        return Ok(Preview::Notebook { notebook, size });
                    }
                }
            }
            file.seek(SeekFrom::Start(0)).map_err(io)?;
        }
        if ext == "json" && size <= MAX_PRETTY_JSON && before.is_none() {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).map_err(io)?;
            if let Some(text) = pretty_json(&bytes) {
                return Ok(Preview::Text { size, start: 0, end: size, folds: folds(&text), text, language: Some("json") });
            }
            file.seek(SeekFrom::Start(0)).map_err(io)?;
        }
        if !binary_kind(&ext) && looks_like_text(&mut file, size).map_err(io)? {
            return text_page(&mut file, size, before.unwrap_or(size).min(size), language(&ext)).map_err(io);
        }
        drop(file);
        Ok(Preview::Binary { size, kind: describe(&ext), blake3: self.file_hash(run_id, path)? })
    }

    /// The files both runs list under one path that may be text (not images, tables or
    /// model and archive formats, not inside logs), in path order.
    pub fn shared_text_artifacts(&self, a: &str, b: &str) -> Result<Vec<String>, IndexError> {
        let textual = |x: &crate::RunFile| {
            let ext = extension(&x.path);
            x.origin.is_none() && image_mime(&ext).is_none() && !binary_kind(&ext)
        };
        let of_a: std::collections::HashSet<String> = self.artifacts(a)?.into_iter().filter(textual).map(|x| x.path).collect();
        Ok(self.artifacts(b)?.into_iter().filter(|x| textual(x) && of_a.contains(&x.path)).map(|x| x.path).collect())
    }

    /// Artifact `path` of runs `a` and `b` as a unified diff (a run without it, or whose
    /// copy is not text of at most [`crate::diff::MAX_FILE`] bytes, is said so).
    pub fn artifact_diff(&self, a: &str, b: &str, path: &str) -> Result<crate::diff::FileDiff, IndexError> {
        let runs = self.runs_by_id(&[a.to_string(), b.to_string()])?;
        let copy = |run: &str| -> Result<crate::diff::Copy, IndexError> {
            Ok(match self.locate(run, path) {
                Ok(Located::File(real)) => {
                    let (text, note) = crate::diff::text_of(&real, path);
                    (Some(path.to_string()), text, note)
                }
                Ok(Located::InLog { .. }) => (Some(path.to_string()), None, Some(format!("{path} is inside a log file, not text"))),
                Err(IndexError::Artifact { why, .. }) if why == NOT_LISTED => (None, None, None),
                Err(IndexError::Artifact { path, why }) => (Some(path.clone()), None, Some(format!("{path} {why}"))),
                Err(e) => return Err(e),
            })
        };
        Ok(crate::diff::file_diff(path, (&runs[0].name, &runs[1].name), copy(a)?, copy(b)?))
    }
}

/// Where an artifact's bytes are: a file, or the record at `offset` of a store's log that
/// its `reader` takes them out of.
pub(crate) enum Located {
    File(PathBuf),
    InLog { log: PathBuf, offset: u64, reader: String },
}

/// The bytes of an artifact `Index::locate` found inside a log, taken out by the
/// store's reader.
pub(crate) fn extract(path: &str, log: &Path, offset: u64, reader: &str) -> Result<Vec<u8>, IndexError> {
    let shown = log.display();
    match runlens_sources::reader_by_id(reader).and_then(|r| r.embedded_file(log, offset, path)) {
        Some(Ok(bytes)) => Ok(bytes),
        Some(Err(why)) => Err(refused(path, format!("cannot be taken out of {shown}: {why}"))),
        None => Err(refused(path, format!("is inside the log file {shown}; files inside {reader} logs are not extracted yet"))),
    }
}

/// The folder of a store: its root, or a file store's parent (`mlflow.db`).
pub(crate) fn store_folder(root: &Path) -> &Path {
    if root.is_file() { root.parent().unwrap_or(root) } else { root }
}

/// `real` opened without blocking (a FIFO named like a log), if it is a regular file.
fn open_regular(real: &Path, path: &str) -> Result<std::fs::File, IndexError> {
    runlens_sources::util::open_regular(real).map_err(|e| refused(path, format!("cannot be opened: {e}")))
}

/// What kind of file `path` is, by its name, as the browser labels it: `image`, `table`,
/// `markdown`, `html`, `notebook`, `json`, `yaml`, `text`, `code`, `model`, `archive`,
/// `data` or `file`. (A preview decides by the content too: this is a label.)
pub fn file_type(path: &str) -> &'static str {
    let ext = extension(path);
    if image_mime(&ext).is_some() {
        return "image";
    }
    match ext.as_str() {
        "csv" | "tsv" => "table",
        "md" | "markdown" => "markdown",
        "html" | "htm" => "html",
        "ipynb" => "notebook",
        "json" | "jsonl" => "json",
        "yaml" | "yml" => "yaml",
        "txt" | "log" | "out" | "err" | "toml" | "cfg" | "ini" | "patch" | "diff" => "text",
        "py" | "sh" | "r" | "jl" | "c" | "cpp" | "h" | "rs" | "js" | "ts" => "code",
        "pt" | "pth" | "ckpt" | "pkl" | "pickle" | "joblib" | "safetensors" | "onnx" | "h5" | "hdf5" | "bin" => "model",
        "gz" | "tgz" | "zip" | "tar" | "xz" | "zst" => "archive",
        "npy" | "npz" | "parquet" | "arrow" | "feather" => "data",
        _ if path.rsplit('/').next() == Some("MLmodel") => "model",
        _ => "file",
    }
}

pub(crate) fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

pub(crate) fn image_mime(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// Model and archive formats: described and hashed, never read as text or loaded.
fn binary_kind(ext: &str) -> bool {
    matches!(
        ext,
        "pt" | "pth"
            | "ckpt"
            | "bin"
            | "safetensors"
            | "onnx"
            | "pkl"
            | "pickle"
            | "joblib"
            | "h5"
            | "hdf5"
            | "npy"
            | "npz"
            | "gz"
            | "tgz"
            | "zip"
            | "tar"
            | "xz"
            | "zst"
            | "pb"
            | "tflite"
            | "parquet"
            | "feather"
            | "arrow"
    )
}

fn describe(ext: &str) -> String {
    match ext {
        "pt" | "pth" | "ckpt" => "PyTorch checkpoint (not unpickled)".into(),
        "pkl" | "pickle" | "joblib" => "Python pickle (never unpickled)".into(),
        "safetensors" => "safetensors weights".into(),
        "onnx" => "ONNX model".into(),
        "h5" | "hdf5" => "HDF5 file".into(),
        "npy" | "npz" => "NumPy array".into(),
        "bin" => "binary weights".into(),
        "gz" | "tgz" | "zip" | "tar" | "xz" | "zst" => "archive".into(),
        "" => "binary file".into(),
        e => format!("binary .{e} file"),
    }
}

fn language(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "json" | "jsonl" => "json",
        "yaml" | "yml" => "yaml",
        "py" => "python",
        "md" | "markdown" => "markdown",
        "html" | "htm" => "html",
        "ipynb" => "json",
        "toml" => "toml",
        "log" | "txt" | "out" | "err" => "log",
        _ => return None,
    })
}

/// Text, unless the first 8 KB hold a NUL byte or are not UTF-8 (a multi-byte character
/// cut at the end of the sample is fine).
fn looks_like_text(file: &mut std::fs::File, size: u64) -> std::io::Result<bool> {
    let mut sample = vec![0u8; size.min(8192) as usize];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut sample)?;
    if sample.contains(&0) {
        return Ok(false);
    }
    Ok(match std::str::from_utf8(&sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    })
}

/// The bytes before `end`, at most [`TEXT_PAGE`], starting at a line start (unless at the
/// top of the file): only those are read, whatever the file's size.
fn text_page(file: &mut std::fs::File, size: u64, end: u64, language: Option<&'static str>) -> std::io::Result<Preview> {
    let from = end.saturating_sub(TEXT_PAGE);
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = vec![0u8; (end - from) as usize];
    file.read_exact(&mut bytes)?;
    let skip = if from == 0 { 0 } else { bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1) };
    let text = String::from_utf8_lossy(&bytes[skip..]).into_owned();
    let whole = from == 0 && end == size;
    let folds = if whole && matches!(language, Some("json" | "yaml")) { folds(&text) } else { Vec::new() };
    Ok(Preview::Text { text, start: from + skip as u64, end, size, language, folds })
}

/// The blocks of indented text (pretty JSON, YAML) that can be folded: `(first, last)`
/// line numbers (from 0), the first line the block's head (`"optimizer": {`, `model:`),
/// shown when folded, and the last its most indented line before the indentation comes
/// back (a closing `}` stays shown). Sorted by first line; none for text of more than
/// [`MAX_FOLD_LINES`] lines.
pub fn folds(text: &str) -> Vec<(u32, u32)> {
    if text.lines().count() > MAX_FOLD_LINES {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Heads still open: their line and indentation.
    let mut open: Vec<(u32, usize)> = Vec::new();
    let mut last = 0u32;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let (i, indent) = (i as u32, line.len() - trimmed.len());
        while let Some(&(head, d)) = open.last() {
            if d < indent {
                break;
            }
            open.pop();
            if last > head {
                out.push((head, last));
            }
        }
        open.push((i, indent));
        last = i;
    }
    out.extend(open.into_iter().filter(|&(head, _)| last > head).map(|(head, _)| (head, last)));
    out.sort_unstable();
    out
}

/// JSON re-indented with its keys in the order written; `None` if it is not JSON.
fn pretty_json(bytes: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut ser = serde_json::Serializer::pretty(&mut out);
    serde_transcode::transcode(&mut de, &mut ser).ok()?;
    de.end().ok()?;
    String::from_utf8(out).ok()
}

/// The header and the first [`TABLE_ROWS`] rows of a CSV or TSV file.
fn table(file: std::fs::File, delimiter: u8) -> Result<Preview, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(std::io::BufReader::new(file));
    let header = reader.headers()?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    let mut records = reader.records();
    for record in records.by_ref().take(TABLE_ROWS) {
        rows.push(record?.iter().map(String::from).collect());
    }
    let truncated = records.next().is_some();
    Ok(Preview::Table { header, rows, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_joined() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "", "a/../b"] {
            assert!(relative(bad).is_err(), "{bad}");
        }
        assert!(relative("images/a.png").is_ok());
        assert!(relative("./a.txt").is_ok());
    }

    #[test]
    fn a_symlink_out_of_the_allowed_folders_is_refused() {
        let inside = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(inside.path().join("ok.txt"), "fine").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "key").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), inside.path().join("link.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path(), inside.path().join("dir")).unwrap();
        let allowed = [std::fs::canonicalize(inside.path()).unwrap()];
        assert!(contained(&inside.path().join("ok.txt"), &allowed).is_ok());
        for p in [inside.path().join("link.txt"), inside.path().join("dir/secret.txt"), outside.path().join("secret.txt")] {
            assert!(contained(&p, &allowed).unwrap_err().contains("outside"), "{}", p.display());
        }
    }

    #[test]
    fn a_gigabyte_log_is_paged_from_its_end_reading_one_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.log");
        let file = std::fs::File::create(&path).unwrap();
        // Sparse: text at the start (what the text sniffing reads) and at the end, holes
        // (NULs) between that no page may touch.
        file.set_len(1 << 30).unwrap();
        use std::os::unix::fs::FileExt;
        let head: String = (0..1000).map(|i| format!("warm-up {i}\n")).collect();
        file.write_all_at(head.as_bytes(), 0).unwrap();
        let tail: String = (0..20_000).map(|i| format!("step {i} loss {}\n", 1.0 / (i + 1) as f64)).collect();
        file.write_all_at(tail.as_bytes(), (1 << 30) - tail.len() as u64).unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        let size = 1u64 << 30;
        assert!(looks_like_text(&mut file, size).unwrap());
        let Preview::Text { text, start, end, size: total, .. } = text_page(&mut file, size, size, Some("log")).unwrap() else { panic!() };
        assert_eq!((end, total), (size, size));
        assert!(text.len() as u64 <= TEXT_PAGE && text.ends_with("step 19999 loss 0.00005\n"), "{}", &text[text.len() - 40..]);
        assert!(text.starts_with("step "), "cut at a line start: {}", &text[..20]);
        assert_eq!(start + text.len() as u64, end);
        // The page before it ends where this one starts.
        let Preview::Text { end: earlier_end, text: earlier, .. } = text_page(&mut file, size, start, None).unwrap() else { panic!() };
        assert_eq!(earlier_end, start);
        assert!(earlier.len() as u64 <= TEXT_PAGE);
    }

    #[test]
    fn indented_blocks_fold_up_to_where_their_indentation_ends() {
        let json = pretty_json(br#"{"a":{"b":[1,2],"c":3},"d":4}"#).unwrap();
        // {            0
        //   "a": {     1
        //     "b": [   2
        //       1,     3
        //       2      4
        //     ],       5
        //     "c": 3   6
        //   },         7
        //   "d": 4     8
        // }            9
        assert_eq!(folds(&json), [(0, 8), (1, 6), (2, 4)]);
        let yaml = "model:\n  layers: 4\n  head:\n    size: 10\n\n    drop: 0.1\nlr: 0.1\nlist:\n- a\n";
        assert_eq!(folds(yaml), [(0, 5), (2, 5)]);
        assert!(folds(&"x\n  y\n".repeat(MAX_FOLD_LINES)).is_empty());
    }

    #[test]
    fn json_keeps_its_key_order_and_tables_stop_at_the_row_cap() {
        assert_eq!(pretty_json(br#"{"b":1,"a":[1,2]}"#).unwrap(), "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}");
        assert!(pretty_json(b"{not json").is_none());
        assert!(pretty_json(br#"{"a":1} trailing"#).is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let body: String = std::iter::once("x,y\n".to_string()).chain((0..TABLE_ROWS + 5).map(|i| format!("{i},\"a,{i}\"\n"))).collect();
        std::fs::write(&path, body).unwrap();
        let Preview::Table { header, rows, truncated } = table(std::fs::File::open(&path).unwrap(), b',').unwrap() else { panic!() };
        assert_eq!(header, ["x", "y"]);
        assert_eq!((rows.len(), truncated), (TABLE_ROWS, true));
        assert_eq!(rows[3], ["3", "a,3"]);
    }
}
