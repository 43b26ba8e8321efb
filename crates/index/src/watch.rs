//! Watching stores for writes, so the app can rescan a store moments after a training run
//! appends to it. OS file events (notify: inotify, FSEvents, ...) where they work; a
//! periodic poll for stores on network filesystems, where events from other machines never
//! arrive, and for stores the OS refused to watch (inotify limits).
//!
//! The watcher only says *which* stores changed; rescanning them is [`crate::Index::rescan`],
//! which reads only what changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::StoreInfo;

/// Timing of a [`StoreWatcher`].
#[derive(Debug, Clone, Copy)]
pub struct WatchConfig {
    /// Changes closer together than this are reported together.
    pub debounce: Duration,
    /// How often polled stores are reported for a rescan.
    pub poll_interval: Duration,
    /// Poll every store, even where file events work (for filesystems that look local but
    /// do not deliver events, and for tests of the fallback).
    pub always_poll: bool,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig { debounce: Duration::from_millis(400), poll_interval: Duration::from_secs(2), always_poll: false }
    }
}

/// How a store is being watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    Events,
    Polling,
}

/// Watches a set of stores; calls back with the ids of stores that changed. Stops when
/// dropped.
pub struct StoreWatcher {
    _os: Option<notify::RecommendedWatcher>,
    modes: Vec<(i64, WatchMode)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Watched {
    id: i64,
    root: PathBuf,
    is_file: bool,
}

impl Watched {
    /// Does a change at `path` concern this store? A file store (a database) also
    /// changes through its `-wal` and `-journal` siblings.
    fn covers(&self, path: &Path) -> bool {
        if self.is_file {
            let (Some(dir), Some(name)) = (self.root.parent(), self.root.file_name()) else { return false };
            path.parent() == Some(dir) && path.file_name().is_some_and(|n| n.as_encoded_bytes().starts_with(name.as_encoded_bytes()))
        } else {
            path.starts_with(&self.root)
        }
    }
}

impl StoreWatcher {
    /// Starts watching `stores`. `on_change` runs on a background thread with the ids of
    /// the stores that changed (at most once per `debounce`; polled stores every
    /// `poll_interval`). Stores at a URL have no files to watch and are left out.
    pub fn start(stores: &[StoreInfo], config: WatchConfig, on_change: impl Fn(Vec<i64>) + Send + 'static) -> StoreWatcher {
        let watched: Vec<Watched> = stores
            .iter()
            .filter_map(|s| match runlens_sources::Location::from_stored(&s.root) {
                runlens_sources::Location::Path(root) => Some(Watched { id: s.id, is_file: root.is_file(), root }),
                runlens_sources::Location::Url(_) => None,
            })
            .collect();
        let (tx, rx) = channel::<PathBuf>();
        let mut os = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(event) = res
                && matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_))
            {
                for p in event.paths {
                    let _ = tx.send(p);
                }
            }
        })
        .ok();
        let mut modes = Vec::new();
        for w in &watched {
            let events = !config.always_poll
                && !on_network_filesystem(&w.root)
                && os.as_mut().is_some_and(|os| {
                    let (target, mode) = match (w.is_file, w.root.parent()) {
                        (true, Some(dir)) => (dir, RecursiveMode::NonRecursive),
                        _ => (w.root.as_path(), RecursiveMode::Recursive),
                    };
                    os.watch(target, mode).is_ok()
                });
            modes.push((w.id, if events { WatchMode::Events } else { WatchMode::Polling }));
        }
        let polled: Vec<i64> = modes.iter().filter(|(_, m)| *m == WatchMode::Polling).map(|(id, _)| *id).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let on_change = Mutex::new(on_change);
        let thread = std::thread::Builder::new()
            .name("runlens-watch".into())
            .spawn(move || {
                let mut dirty = BTreeSet::new();
                let mut first_dirty: Option<Instant> = None;
                let mut last_poll = Instant::now();
                while !stop_flag.load(Ordering::Relaxed) {
                    match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(path) => {
                            for w in watched.iter().filter(|w| w.covers(&path)) {
                                dirty.insert(w.id);
                                first_dirty.get_or_insert_with(Instant::now);
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            // No OS watcher (it failed to start, or stopped): keep polling.
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                    if !polled.is_empty() && last_poll.elapsed() >= config.poll_interval {
                        last_poll = Instant::now();
                        dirty.extend(polled.iter().copied());
                        first_dirty.get_or_insert_with(Instant::now);
                    }
                    if first_dirty.is_some_and(|t| t.elapsed() >= config.debounce) {
                        let ids: Vec<i64> = std::mem::take(&mut dirty).into_iter().collect();
                        first_dirty = None;
                        if let Ok(f) = on_change.lock() {
                            f(ids);
                        }
                    }
                }
            })
            .ok();
        StoreWatcher { _os: os, modes, stop, thread }
    }

    /// How each store is watched.
    pub fn modes(&self) -> &[(i64, WatchMode)] {
        &self.modes
    }
}

impl Drop for StoreWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// True for NFS, SMB/CIFS, FUSE (sshfs, rclone...) and similar mounts, where file events
/// written by other machines are never delivered.
#[cfg(target_os = "linux")]
pub fn on_network_filesystem(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const NETWORK: &[i64] = &[
        0x6969,      // NFS
        0x517b,      // SMB
        0xff53_4d42, // CIFS
        0xfe53_4d42, // SMB2
        0x6573_5546, // FUSE
        0x0102_1997, // 9P (WSL shares, VMs)
        0x0bd0_0bd0, // Lustre
    ];
    let probe = if path.is_file() { path.parent().unwrap_or(path) } else { path };
    let Ok(c) = std::ffi::CString::new(probe.as_os_str().as_bytes()) else { return false };
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `buf` a properly sized out-parameter.
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut buf) };
    rc == 0 && NETWORK.contains(&(buf.f_type as i64))
}

#[cfg(not(target_os = "linux"))]
pub fn on_network_filesystem(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn store(id: i64, root: &Path) -> StoreInfo {
        StoreInfo {
            id,
            reader: "test".into(),
            source: "test".into(),
            root: root.to_string_lossy().into_owned(),
            runs: 0,
            warnings: 0,
            scanned_ms: None,
            error: None,
            error_kind: None,
        }
    }

    #[test]
    fn a_write_below_a_store_reports_that_store_only() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir_all(a.join("run/metrics")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("mlflow.db"), "x").unwrap();
        let (tx, rx) = channel();
        let config = WatchConfig { debounce: Duration::from_millis(50), poll_interval: Duration::from_secs(60), always_poll: false };
        let w = StoreWatcher::start(&[store(1, &a), store(2, &b.join("mlflow.db"))], config, move |ids| {
            let _ = tx.send(ids);
        });
        assert!(w.modes().iter().all(|(_, m)| *m == WatchMode::Events), "{:?}", w.modes());
        std::fs::write(a.join("run/metrics/loss"), "1 0.5 0\n").unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), vec![1]);
        std::fs::write(b.join("mlflow.db-wal"), "y").unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), vec![2]);
        std::fs::write(b.join("unrelated.txt"), "z").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(500)).is_err(), "a neighbour of a database is not the database");
    }

    #[test]
    fn polled_stores_are_reported_every_interval_without_events() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = channel();
        let config = WatchConfig { debounce: Duration::from_millis(10), poll_interval: Duration::from_millis(200), always_poll: true };
        let w = StoreWatcher::start(&[store(7, dir.path())], config, move |ids| {
            let _ = tx.send(ids);
        });
        assert_eq!(w.modes(), &[(7, WatchMode::Polling)]);
        // Nothing is written, yet the store is offered for a (cheap, incremental) rescan.
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), vec![7]);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), vec![7]);
    }
}
