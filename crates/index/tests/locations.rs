//! Stores that are not folders: a URL the user adds reaches the reader that accepts it,
//! is kept without credentials, is rescanned by `scan`, and the reader's own cursor in
//! its marks comes back to it on the next scan (no state squeezed into file fields).
//! The reader here is a test's: it serves runs from memory, as a tracking server's reader
//! serves them from its REST API.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use runlens_index::kinds::ErrorKind;
use runlens_index::{Index, IndexError, Location, RunsQuery};
use runlens_sources::{
    Detected, DirView, FileMark, Point, ReadError, Reader, RunInfo, RunUpdate, ScanContext, SeriesMode, SeriesUpdate, Update, Url,
};

/// What the pretend server holds, and what its reader saw.
#[derive(Default)]
struct Server {
    /// Loss values per run, in logging order.
    runs: BTreeMap<String, Vec<f64>>,
    /// The URL of every scan (with credentials, as the reader got it) and the cursors it
    /// was given, per run.
    scans: Vec<(String, BTreeMap<String, Option<String>>)>,
    /// When set, the server does not answer.
    down: bool,
}

struct ServerReader(Arc<Mutex<Server>>);

impl Reader for ServerReader {
    fn id(&self) -> &'static str {
        "test-server"
    }
    fn source(&self) -> &'static str {
        "test-server"
    }
    fn detect(&self, _dir: &DirView) -> Vec<Detected> {
        Vec::new()
    }
    fn accepts_url(&self, url: &Url) -> bool {
        url.scheme() == "http" && url.host_str() == Some("runs.test")
    }
    fn scan(&self, ctx: &ScanContext) -> Result<(), ReadError> {
        let url = ctx.url.expect("a URL store is scanned with its URL");
        assert_eq!(ctx.root, std::path::Path::new(""), "a URL store has no local root");
        let mut server = self.0.lock().unwrap();
        if server.down {
            return Err(ReadError::Database { path: url.as_str().into(), message: "connection refused".into() });
        }
        let cursors: BTreeMap<String, Option<String>> =
            server.runs.keys().map(|id| (id.clone(), ctx.previous(&format!("#run/{id}")).and_then(|m| m.cursor.clone()))).collect();
        server.scans.push((url.to_string(), cursors.clone()));
        ctx.send_experiment("0", "Default");
        for (id, values) in &server.runs {
            // The cursor: how many points of this run are already indexed.
            let from: usize = cursors[id].as_deref().map_or(0, |c| c.strip_prefix("points=").unwrap().parse().unwrap());
            let points: Vec<Point> =
                values[from..].iter().enumerate().map(|(i, &value)| Point { step: (from + i) as i64, time_ms: 0, value }).collect();
            let mark = FileMark { cursor: Some(format!("points={}", values.len())), ..Default::default() };
            ctx.send(Update::Run(RunUpdate {
                native_id: id.clone(),
                info: (from == 0).then(|| RunInfo { experiment: Some("0".into()), name: format!("run {id}"), ..Default::default() }),
                series: vec![SeriesUpdate { key: "loss".into(), mode: if from == 0 { SeriesMode::Replace } else { SeriesMode::Append }, points }],
                marks: Some(vec![(format!("#run/{id}"), mark)]),
                ..Default::default()
            }));
        }
        Ok(())
    }
}

fn server_with(runs: &[(&str, &[f64])]) -> Arc<Mutex<Server>> {
    let mut s = Server::default();
    for (id, values) in runs {
        s.runs.insert(id.to_string(), values.to_vec());
    }
    Arc::new(Mutex::new(s))
}

fn open(dir: &tempfile::TempDir, server: &Arc<Mutex<Server>>) -> Index {
    Index::open(&dir.path().join("index.sqlite")).unwrap().with_reader(Box::new(ServerReader(server.clone())))
}

fn losses(index: &Index) -> BTreeMap<String, Vec<f64>> {
    let runs = index.runs(&RunsQuery::default()).unwrap();
    runs.iter().map(|r| (r.native_id.clone(), index.series(&r.id, "loss").unwrap().unwrap().iter().map(|p| p.value).collect())).collect()
}

#[test]
fn a_url_reaches_its_reader_and_the_cursor_comes_back() {
    let server = server_with(&[("a", &[0.9, 0.7]), ("b", &[1.2])]);
    let dir = tempfile::tempdir().unwrap();
    let mut index = open(&dir, &server);

    let url = Location::parse("http://alice:s3cret@runs.test/api/").unwrap();
    let report = index.add(&[url], &mut |_| {}).unwrap();
    assert_eq!(report.stores.len(), 1);
    let store = &report.stores[0].store;
    assert_eq!((store.reader.as_str(), store.root.as_str(), store.runs, store.error.as_deref()), ("test-server", "http://runs.test/api/", 2, None));
    assert_eq!(losses(&index), BTreeMap::from([("a".into(), vec![0.9, 0.7]), ("b".into(), vec![1.2])]));
    {
        let s = server.lock().unwrap();
        assert_eq!(s.scans.len(), 1);
        assert_eq!(s.scans[0].0, "http://alice:s3cret@runs.test/api/", "the add reads with the credentials given");
        assert!(s.scans[0].1.values().all(Option::is_none), "a first scan has no cursors: {:?}", s.scans[0].1);
    }
    let raw = rusqlite::Connection::open(dir.path().join("index.sqlite")).unwrap();
    let leaked: i64 = raw.query_row("SELECT count(*) FROM stores WHERE root LIKE '%s3cret%' OR root LIKE '%alice%'", [], |r| r.get(0)).unwrap();
    assert_eq!(leaked, 0, "credentials are never written into the index");

    // The server gets more points; a rescan (another process, as `runlens scan` is)
    // gives the reader its cursors back and appends only what is new.
    server.lock().unwrap().runs.get_mut("a").unwrap().extend([0.5, 0.4]);
    drop(index);
    let mut index = open(&dir, &server);
    index.scan(&mut |_| {}).unwrap();
    {
        let s = server.lock().unwrap();
        assert_eq!(s.scans.len(), 2);
        assert_eq!(s.scans[1].0, "http://runs.test/api/", "a later scan has only what the index keeps");
        assert_eq!(s.scans[1].1, BTreeMap::from([("a".into(), Some("points=2".into())), ("b".into(), Some("points=1".into()))]));
    }
    assert_eq!(losses(&index), BTreeMap::from([("a".into(), vec![0.9, 0.7, 0.5, 0.4]), ("b".into(), vec![1.2])]));

    // Adding the same URL again is the same store, not a second one.
    index.add(&[Location::parse("http://runs.test/api/").unwrap()], &mut |_| {}).unwrap();
    assert_eq!(index.stores().unwrap().len(), 1);
    assert_eq!(losses(&index)["a"].len(), 4, "nothing read twice");
}

#[test]
fn an_unreachable_server_keeps_its_runs_and_says_why() {
    let server = server_with(&[("a", &[0.9])]);
    let dir = tempfile::tempdir().unwrap();
    let mut index = open(&dir, &server);
    index.add(&[Location::parse("http://runs.test/").unwrap()], &mut |_| {}).unwrap();
    server.lock().unwrap().down = true;
    let report = index.scan(&mut |_| {}).unwrap();
    let store = &report.stores[0].store;
    assert!(store.error.as_deref().is_some_and(|e| e.contains("connection refused")), "{store:?}");
    assert_eq!(losses(&index), BTreeMap::from([("a".into(), vec![0.9])]), "the runs stay browsable");

    // An index without that reader (another build) leaves the store as it is.
    drop(index);
    let mut plain = Index::open(&dir.path().join("index.sqlite")).unwrap();
    plain.scan(&mut |_| {}).unwrap();
    assert_eq!(plain.runs(&RunsQuery::default()).unwrap().len(), 1);
}

#[test]
fn a_url_no_reader_reads_is_an_error_before_anything_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    let folder = tempfile::tempdir().unwrap();
    let locations = [Location::Path(folder.path().to_path_buf()), Location::parse("http://mlflow.lab:5000").unwrap()];
    let e = index.add(&locations, &mut |_| {}).unwrap_err();
    assert!(matches!(&e, IndexError::NoReaderForUrl(u) if u == "http://mlflow.lab:5000/"), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().starts_with("no reader reads stores at http://mlflow.lab:5000/"), "{e}");
    assert!(index.stores().unwrap().is_empty());
    let folders: i64 = rusqlite::Connection::open(dir.path().join("index.sqlite"))
        .unwrap()
        .query_row("SELECT count(*) FROM user_folders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(folders, 0, "the folder beside the bad URL is not recorded either");
}

#[test]
fn a_url_store_reads_no_local_file_outside_the_added_folders() {
    let previous = std::collections::HashMap::new();
    let sink = |_: Update| {};
    let url = Url::parse("http://runs.test/").unwrap();
    let added = tempfile::tempdir().unwrap();
    let allowed = [std::fs::canonicalize(added.path()).unwrap()];
    let ctx = ScanContext::for_url(&url, &previous, &sink).with_allowed(&allowed);
    assert!(!ctx.may_read(std::path::Path::new("/etc")));
    assert!(!ctx.may_read(&std::env::current_dir().unwrap()));
    assert!(ctx.may_read(added.path()));
}
