//! The reader end to end on a synthetic store, and random damage through the framing and decoder.

use std::sync::Mutex;

use super::proto::{HistoryRecord, HistoryStep, Item, RunExitRecord, RunRecord};
use super::*;

fn item(key: &str, json: &str) -> Item {
    Item { key: key.into(), nested_key: Vec::new(), value_json: json.into() }
}

fn row(step: i64, loss: &str) -> Vec<u8> {
    let items = vec![item("_step", &step.to_string()), item("_timestamp", &format!("{}.5", 1_700_000_000 + step)), item("loss", loss)];
    Record { history: Some(HistoryRecord { item: items, step: Some(HistoryStep { num: step }) }), ..Default::default() }.encode_to_vec()
}

/// A store with one offline run `abc` in project `proj`, logging `losses`.
fn store(losses: &[&str], exit: Option<i32>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("offline-run-20240101_000000-abc");
    std::fs::create_dir_all(run_dir.join("files/media")).unwrap();
    std::fs::write(run_dir.join("files/media/a.png"), b"png").unwrap();
    let run = RunRecord { run_id: "abc".into(), project: "proj".into(), display_name: "my run".into(), tags: vec!["x".into()], ..Default::default() };
    let mut records = vec![Record { run: Some(run), ..Default::default() }.encode_to_vec()];
    records.extend(losses.iter().enumerate().map(|(i, l)| row(i as i64, l)));
    if let Some(code) = exit {
        records.push(Record { exit: Some(RunExitRecord { exit_code: code, runtime: 3 }), ..Default::default() }.encode_to_vec());
    }
    std::fs::write(run_dir.join("run-abc.wandb"), log::tests::write_log(&records)).unwrap();
    dir
}

fn scan(root: &Path, previous: &HashMap<String, FileMark>) -> Vec<Update> {
    let updates = Mutex::new(Vec::new());
    let sink = |u: Update| updates.lock().unwrap().push(u);
    Wandb.scan(&ScanContext::new(root, previous, &sink)).unwrap();
    updates.into_inner().unwrap()
}

fn the_run(updates: &[Update]) -> &RunUpdate {
    updates.iter().find_map(|u| if let Update::Run(r) = u { Some(r) } else { None }).unwrap()
}

#[test]
fn a_synthetic_run_keeps_non_finite_points_and_its_fields() {
    let dir = store(&["1.5", "NaN", "Infinity", "-Infinity"], Some(0));
    let updates = scan(dir.path(), &HashMap::new());
    let run = the_run(&updates);
    let info = run.info.as_ref().unwrap();
    assert_eq!((info.name.as_str(), info.status, info.experiment.as_deref()), ("my run", Status::Finished, Some("proj")));
    let loss = &run.series[0];
    assert_eq!((loss.key.as_str(), loss.mode, loss.points.len()), ("loss", SeriesMode::Replace, 4));
    assert_eq!(loss.points[0], Point { step: 0, time_ms: 1_700_000_000_500, value: 1.5 });
    assert!(loss.points[1].value.is_nan());
    assert_eq!((loss.points[2].value, loss.points[3].value), (f64::INFINITY, f64::NEG_INFINITY));
    assert!(run.tags.as_ref().unwrap().contains(&("x".to_string(), String::new())));
    assert_eq!(run.artifacts.as_ref().unwrap()[0].path, "media/a.png");
    assert!(run.warnings.is_empty());
    let experiment = updates.iter().find_map(|u| if let Update::Experiment(e) = u { Some(e) } else { None }).unwrap();
    assert_eq!(experiment.native_id, "proj");

    // A rescan with the marks reads nothing and still names the project.
    let marks: HashMap<String, FileMark> = updates
        .iter()
        .flat_map(|u| match u {
            Update::Run(r) => r.marks.clone().unwrap_or_default(),
            Update::Experiment(e) => e.marks.clone().unwrap_or_default(),
            _ => Vec::new(),
        })
        .collect();
    let again = scan(dir.path(), &marks);
    assert_eq!(the_run(&again), &RunUpdate { native_id: "abc".into(), ..Default::default() });
    assert!(again.iter().any(|u| matches!(u, Update::Experiment(e) if e.native_id == "proj")));
}

#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let good = std::fs::read(store(&["1", "2", "NaN"], None).path().join("offline-run-20240101_000000-abc/run-abc.wandb")).unwrap();
    for round in 0..300 {
        // Random payloads through the protobuf decoder and the record folding.
        let payload: Vec<u8> = (0..(next() % 200)).map(|_| next() as u8).collect();
        if let Ok(r) = Record::decode(payload.as_slice()) {
            let mut state = RunState::default();
            state.apply(&r, &mut |_| {});
            add_points(&r, 0, &mut BTreeMap::new(), &mut Vec::new());
        }
        // Damaged, cut logs through the framing.
        let mut bytes = good.clone();
        for _ in 0..=(round % 8) {
            let i = (next() as usize) % bytes.len();
            bytes[i] = next() as u8;
        }
        let cut = (next() as usize) % (bytes.len() + 1);
        let read = log::read_log(&bytes[..cut], 0);
        assert!(read.consumed as usize <= cut);
    }
}
