//! A folder attached to a run: its files are the run's (listed, previewed, read, lined up
//! across runs), only what is inside it is read, the attachment is the user's (it
//! survives a rebuild of the cache), and nothing in it is written.

mod common;

use std::path::{Path, PathBuf};

use common::{TestIndex, fixture};
use runlens_index::artifacts::Preview;
use runlens_index::{Index, IndexError, RunsQuery};

fn id(index: &Index, name: &str) -> String {
    let q = RunsQuery { filter: Some(format!("name = '{name}'")), ..RunsQuery::default() };
    index.runs(&q).unwrap().into_iter().next().unwrap_or_else(|| panic!("no run {name}")).id
}

/// An output folder as a training script leaves it: samples per step, a log, and a file
/// whose path the run's store lists too.
fn outputs(at: &Path, steps: &[u64]) -> PathBuf {
    let png = std::fs::read(fixture("sacred/mnist_cnn/1/loss_curve.png")).unwrap();
    std::fs::create_dir_all(at.join("samples")).unwrap();
    for step in steps {
        std::fs::write(at.join(format!("samples/step_{step}.png")), &png).unwrap();
    }
    std::fs::write(at.join("stdout.txt"), "epoch 1 loss 0.5\nepoch 2 loss 0.25\n").unwrap();
    std::fs::create_dir_all(at.join("eval")).unwrap();
    std::fs::write(at.join("eval/summary.json"), "{\"not\": \"the store's\"}").unwrap();
    std::fs::canonicalize(at).unwrap()
}

/// Every file below `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| (std::fs::read(&p).unwrap(), std::fs::metadata(&p).unwrap().modified().unwrap(), p))
        .map(|(b, m, p)| (p, b, m))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let t = e.file_type().unwrap();
        if t.is_dir() {
            out.extend(walk(&e.path()));
        } else if t.is_file() {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn an_attached_folders_files_are_the_runs_and_only_they_are_read() {
    let mut t = TestIndex::new();
    t.add(&fixture("mlflow-file"));
    let run = id(&t.index, "resnet18-baseline");
    let folder = outputs(&t.dir.path().join("out/baseline"), &[0, 10]);
    let outside = t.dir.path().join("secret.txt");
    std::fs::write(&outside, "key").unwrap();
    std::os::unix::fs::symlink(&outside, folder.join("leak.txt")).unwrap();
    let before_files = t.index.artifacts(&run).unwrap();
    let store_summary = before_files.iter().find(|f| f.path == "eval/summary.json").expect("the store lists eval/summary.json").clone();
    let before = snapshot(&folder);

    let attached = t.index.attach_folder(&run, &folder).unwrap();
    // samples ×2 and stdout.txt (not the symlink); eval/summary.json stays the store's.
    assert_eq!((attached.files, attached.shadowed, attached.truncated), (3, 1, false));
    assert_eq!(attached.folder, folder.to_string_lossy());
    let files = t.index.artifacts(&run).unwrap();
    let from_folder: Vec<&str> = files.iter().filter(|f| f.attached.is_some()).map(|f| f.path.as_str()).collect();
    assert_eq!(from_folder, ["samples/step_0.png", "samples/step_10.png", "stdout.txt"]);
    assert!(files.windows(2).all(|w| w[0].path < w[1].path), "in path order");
    assert_eq!(files.iter().find(|f| f.path == "eval/summary.json").unwrap(), &store_summary, "the store's file keeps its path");
    assert_eq!(files.len(), before_files.len() + 3);

    // Previewed and read like the store's own files.
    let Preview::Image { mime, bytes } = t.index.preview_artifact(&run, "samples/step_10.png", None).unwrap() else { panic!("an image") };
    assert_eq!((mime, bytes), ("image/png", std::fs::read(folder.join("samples/step_10.png")).unwrap()));
    let Preview::Text { text, .. } = t.index.preview_artifact(&run, "stdout.txt", None).unwrap() else { panic!("text") };
    assert_eq!(text, std::fs::read_to_string(folder.join("stdout.txt")).unwrap());
    let mut out = Vec::new();
    t.index.copy_artifact(&run, "stdout.txt", &mut out).unwrap();
    assert_eq!(out, std::fs::read(folder.join("stdout.txt")).unwrap());
    assert_eq!(t.index.artifact_file(&run, "samples/step_0.png").unwrap(), folder.join("samples/step_0.png"));

    // Nothing outside the folder: a symlink out of it, `..`, absolute paths.
    for bad in ["leak.txt", "../secret.txt", "samples/../../secret.txt", outside.to_str().unwrap()] {
        match t.index.preview_artifact(&run, bad, None) {
            Err(IndexError::Artifact { path, why }) => assert_eq!(path, bad, "{why}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Another run does not see them.
    let other = id(&t.index, "Läufer № 1 (σ=0.5)");
    assert!(t.index.artifacts(&other).unwrap().iter().all(|f| f.attached.is_none()));
    assert!(t.index.preview_artifact(&other, "stdout.txt", None).is_err());

    assert_eq!(snapshot(&folder), before, "nothing in the folder was written");
    t.index.detach_folder(&run, &folder).unwrap();
    assert_eq!(t.index.artifacts(&run).unwrap(), before_files);
    assert!(t.index.preview_artifact(&run, "stdout.txt", None).is_err(), "detached: not read");
    assert!(matches!(t.index.detach_folder(&run, &folder), Err(IndexError::Attach { .. })), "detached already");
}

#[test]
fn only_a_folder_that_is_there_can_be_attached() {
    let mut t = TestIndex::new();
    t.add(&fixture("sacred"));
    let run = t.index.runs(&RunsQuery::default()).unwrap()[0].id.clone();
    let file = t.dir.path().join("a.txt");
    std::fs::write(&file, "x").unwrap();
    for bad in [t.dir.path().join("no/such/folder"), file] {
        match t.index.attach_folder(&run, &bad) {
            Err(e @ IndexError::Attach { .. }) => assert!(e.to_string().starts_with(&bad.display().to_string()), "{e}"),
            other => panic!("{}: {other:?}", bad.display()),
        }
    }
    assert!(matches!(t.index.attach_folder("no-such-run", t.dir.path()), Err(IndexError::UnknownRun(_))));
    // A folder that goes away lists nothing and says so.
    let gone = t.dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    std::fs::write(gone.join("x.txt"), "x").unwrap();
    t.index.attach_folder(&run, &gone).unwrap();
    std::fs::remove_dir_all(&gone).unwrap();
    let folders = t.index.attached_folders(&run).unwrap();
    assert_eq!((folders.len(), folders[0].present), (1, false));
    assert!(t.index.artifacts(&run).unwrap().iter().all(|f| f.attached.is_none()));
    // It can still be detached by the path it had.
    t.index.detach_folder(&run, &gone).unwrap();
    assert!(t.index.attached_folders(&run).unwrap().is_empty());
}

#[test]
fn attached_outputs_line_up_across_runs_and_survive_a_rebuild_of_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("index.sqlite");
    let (a, b) = (outputs(&dir.path().join("runs/a"), &[0, 10, 20]), outputs(&dir.path().join("runs/b"), &[10, 20, 30]));
    let ids = {
        let mut index = Index::open(&db).unwrap();
        index.add(&[fixture("sacred")], &mut |_| {}).unwrap();
        let ids = vec![id(&index, "mnist_cnn #1"), id(&index, "mnist_cnn #2")];
        index.attach_folder(&ids[0], &a).unwrap();
        index.attach_folder(&ids[1], &b).unwrap();
        ids
    };
    // A new release with another cache layout: the cache is dropped and rebuilt.
    rusqlite::Connection::open(&db).unwrap().execute("UPDATE meta SET value = value - 1 WHERE key = 'cache_version'", []).unwrap();
    let mut index = Index::open(&db).unwrap();
    index.scan(&mut |_| {}).unwrap();
    let ids = vec![id(&index, "mnist_cnn #1"), id(&index, "mnist_cnn #2")].into_iter().zip(ids).map(|(now, then)| {
        assert_eq!(now, then, "the same runs");
        now
    });
    let ids: Vec<String> = ids.collect();
    assert_eq!(index.attached_folders(&ids[0]).unwrap()[0].folder, a.to_string_lossy());

    let patterns = index.artifact_patterns(&ids).unwrap();
    let samples = patterns.iter().find(|p| p.pattern == "samples/step_{N}.png").unwrap_or_else(|| panic!("{patterns:?}"));
    assert_eq!((samples.runs, samples.files), (2, 6));
    let grid = index.artifact_grid(&ids, "samples/step_{N}.png").unwrap();
    assert_eq!(grid.steps, [Some(0), Some(10), Some(20), Some(30)]);
    let has = |row: usize, run: usize| grid.cells[row][run].is_some();
    assert_eq!([has(0, 0), has(0, 1), has(1, 0), has(1, 1), has(3, 0), has(3, 1)], [true, false, true, true, false, true]);
    // Each run's cell is its own folder's file.
    let Preview::Image { bytes, .. } = index.preview_artifact(&ids[1], grid.cells[3][1].as_deref().unwrap(), None).unwrap() else { panic!() };
    assert_eq!(bytes, std::fs::read(b.join("samples/step_30.png")).unwrap());
}

#[test]
fn documents_of_an_attached_folder_preview_as_documents() {
    let mut t = TestIndex::new();
    t.add(&fixture("sacred"));
    let run = id(&t.index, "mnist_cnn #2");
    let documents = fixture("documents");
    t.index.attach_folder(&run, &documents).unwrap();

    let Preview::Markdown { html, size } = t.index.preview_artifact(&run, "NOTES.md", None).unwrap() else { panic!("Markdown") };
    assert_eq!(size, std::fs::metadata(documents.join("NOTES.md")).unwrap().len());
    assert!(html.contains("<h1>Sweep notes</h1>") && html.contains("<td><strong>0.9811</strong></td>") && html.contains("☑ baseline"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("javascript:"), "{html}");

    let Preview::Notebook { notebook, .. } = t.index.preview_artifact(&run, "analysis.ipynb", None).unwrap() else { panic!("a notebook") };
    assert_eq!((notebook.language.as_deref(), notebook.cells.len()), (Some("python"), 5));
    let figure = notebook.cells[3].outputs.iter().find_map(|o| match o {
        runlens_index::documents::Output::Image { mime, bytes } => Some((*mime, bytes.clone())),
        _ => None,
    });
    assert_eq!(figure, Some(("image/png", std::fs::read(fixture("sacred/mnist_cnn/1/loss_curve.png")).unwrap())));

    // An HTML page comes as it is written: only a sandboxed frame gets it.
    let Preview::Html { html, .. } = t.index.preview_artifact(&run, "report.html", None).unwrap() else { panic!("HTML") };
    assert_eq!(html, std::fs::read_to_string(documents.join("report.html")).unwrap());
}

#[test]
fn images_are_scaled_once_and_kept_beside_the_index() {
    let mut t = TestIndex::new();
    t.add(&fixture("sacred"));
    t.add(&fixture("tensorboard"));
    let run = id(&t.index, "mnist_cnn #1");
    let original = image::load_from_memory(&std::fs::read(fixture("sacred/mnist_cnn/1/loss_curve.png")).unwrap()).unwrap();
    let thumb = t.index.thumbnail(&run, "loss_curve.png", 128).unwrap();
    let small = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!((thumb.width, thumb.height), (Some(small.width()), Some(small.height())));
    assert_eq!(small.width().max(small.height()), 128, "fits 128 px");
    let (ratio, was) = (small.width() as f64 / small.height() as f64, original.width() as f64 / original.height() as f64);
    assert!((ratio - was).abs() < 0.05, "{ratio} vs {was}");
    // Kept beside the index, named by the image's hash, and given from there next time.
    let kept: Vec<_> = std::fs::read_dir(t.dir.path().join("thumbnails")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].to_string_lossy().ends_with("-128.png"));
    assert_eq!(t.index.thumbnail(&run, "loss_curve.png", 128).unwrap(), thumb);
    // A TensorBoard image (inside its event file) smaller than asked is not scaled up.
    let tb = id(&t.index, "cifar-cnn/augmented");
    let tiny = t.index.thumbnail(&tb, "images/samples/input/0.png", 256).unwrap();
    assert!(tiny.width.unwrap() <= 256 && tiny.width.unwrap() < 100, "{:?}", tiny.width);
    // Not an image, or not the run's: refused.
    assert!(t.index.thumbnail(&run, "train.log", 128).is_err());
    assert!(t.index.thumbnail(&run, "../../etc/x.png", 128).is_err());
}

/// Every file a run lists, the store's and an attached folder's, says when it was last
/// modified (as on disk now) and what kind of file it is; a file inside a log has no time.
#[test]
fn listed_files_carry_their_modification_time_and_kind() {
    let mut t = TestIndex::new();
    let store = t.copy_of("mlflow-file");
    t.add(&store);
    t.add(&fixture("tensorboard"));
    let runs = t.index.runs(&RunsQuery::default()).unwrap();
    let mut own = 0;
    let mut embedded = 0;
    for run in &runs {
        let dir = run.artifact_dir.clone();
        for f in t.index.artifacts(&run.id).unwrap() {
            assert_eq!(f.kind, runlens_index::artifacts::file_type(&f.path));
            match (&f.origin, &dir) {
                (Some(_), _) => {
                    assert_eq!(f.modified_ms, None, "{}", f.path);
                    embedded += 1;
                }
                (None, Some(dir)) => {
                    let on_disk = std::fs::metadata(Path::new(dir).join(&f.path)).unwrap().modified().unwrap();
                    let ms = on_disk.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
                    assert_eq!(f.modified_ms, Some(ms), "{}", f.path);
                    own += 1;
                }
                (None, None) => {}
            }
        }
    }
    assert!(own > 10 && embedded > 0, "{own} files, {embedded} in logs");

    let run = &runs[0];
    let folder = outputs(&t.dir.path().join("out"), &[0]);
    t.index.attach_folder(&run.id, &folder).unwrap();
    let log = t.index.artifacts(&run.id).unwrap().into_iter().find(|f| f.attached.is_some() && f.path == "stdout.txt").unwrap();
    let on_disk = std::fs::metadata(folder.join("stdout.txt")).unwrap().modified().unwrap();
    assert_eq!(log.modified_ms, Some(on_disk.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64));
    let kinds: Vec<&str> =
        ["samples/step_0.png", "model.safetensors", "m/MLmodel", "eval.csv"].iter().map(|p| runlens_index::artifacts::file_type(p)).collect();
    assert_eq!((log.kind, kinds), ("text", vec!["image", "model", "model", "table"]));
}
