//! The app under test, for the end-to-end tests (`tests/app.rs`) and the Compare view's
//! render benchmark (`examples/compare_render.rs`): the real `runlens-app` binary with an
//! index of its own, behind its own tauri-driver + WebKitWebDriver.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use thirtyfour::prelude::*;

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn fixture(name: &str) -> String {
    repo_root().join("tests/fixtures").join(name).to_string_lossy().into_owned()
}

pub fn app_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("RUNLENS_APP") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let target = if target.is_relative() { repo_root().join(target) } else { target };
    target.join("debug/runlens-app")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The app under test, with its own empty index, behind its own tauri-driver.
pub struct App {
    driver: Option<WebDriver>,
    tauri_driver: Child,
    _index_dir: tempfile::TempDir,
}

impl App {
    pub async fn start(args: &[String]) -> App {
        let binary = app_binary();
        assert!(binary.exists(), "build the app first: {} is missing", binary.display());
        let index_dir = tempfile::tempdir().unwrap();
        let (port, native_port) = (free_port(), free_port());
        let tauri_driver = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            // Inherited by WebKitWebDriver and the app: an index of this test's own.
            .env("RUNLENS_DB", index_dir.path().join("index.sqlite"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver --version 2.1.0)");
        // tauri-driver listens before WebKitWebDriver does: wait for both.
        let deadline = Instant::now() + TIMEOUT;
        while [port, native_port].iter().any(|p| TcpStream::connect(("127.0.0.1", *p)).is_err()) {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert("tauri:options".into(), json!({ "application": binary, "args": args }));
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await.expect("WebDriver session");
        let app = App { driver: Some(driver), tauri_driver, _index_dir: index_dir };
        app.wait_css("main[data-ready='true']").await;
        app
    }

    pub fn d(&self) -> &WebDriver {
        self.driver.as_ref().unwrap()
    }

    pub async fn wait_css(&self, css: &str) -> WebElement {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(e) = self.d().find(By::Css(css)).await {
                return e;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {css}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Texts of every element matching `css`, once there are at least `min` of them.
    pub async fn texts(&self, css: &str, min: usize) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let found = self.d().find_all(By::Css(css)).await.unwrap_or_default();
            if found.len() >= min {
                let mut out = Vec::new();
                for e in found {
                    out.push(e.text().await.unwrap());
                }
                return out;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {min} × {css} (have {})", found.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The rendered text (`innerText`) of the first element matching `css`, once it
    /// contains `needle`. (WebKitWebDriver's element text is empty for some ellipsised
    /// spans that are plainly visible in screenshots.)
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = None;
        loop {
            let script = "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;";
            if let Ok(ret) = self.d().execute(script, vec![json!(css)]).await {
                if let Some(text) = ret.json().as_str() {
                    if text.contains(needle) {
                        return text.to_string();
                    }
                    last = Some(text.to_string());
                }
            }
            assert!(Instant::now() < deadline, "timed out waiting for {needle:?} in {css} (last seen: {last:?})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The run names shown, once they are `n` and sorted (descending if asked).
    pub async fn wait_sorted_names(&self, n: usize, descending: bool) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let names = self.texts("[data-testid='run-name']", n).await;
            let mut sorted = names.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            if names == sorted {
                return names;
            }
            assert!(Instant::now() < deadline, "never sorted by name (descending: {descending}): {names:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What a script returns, as text ("" for anything else).
    pub async fn script_text(&self, script: &str) -> String {
        let ret = self.d().execute(script, vec![]).await.unwrap();
        ret.json().as_str().unwrap_or_default().to_string()
    }

    /// Delivers a folder drop exactly as Tauri does: the `tauri://drag-drop` event, which
    /// the UI's real drop listener turns into the `add_paths` command.
    pub async fn drop_paths(&self, paths: &[String]) {
        // The top bar: never a run, so the folders are searched for stores.
        self.drag("tauri://drag-drop", paths, (10.0, 10.0)).await;
    }

    /// Sends the window's drag-and-drop event `event` (`tauri://drag-over`,
    /// `tauri://drag-drop`) as the system would for `paths` with the pointer at `at`, in
    /// CSS pixels of the page (the event carries physical pixels).
    pub async fn drag(&self, event: &str, paths: &[String], at: (f64, f64)) {
        self.d()
            .execute(
                "const r = devicePixelRatio; return window.__TAURI_INTERNALS__.invoke('plugin:event|emit', \
                 {event: arguments[0], payload: {paths: arguments[1], position: {x: arguments[2] * r, y: arguments[3] * r}}});",
                vec![json!(event), json!(paths), json!(at.0), json!(at.1)],
            )
            .await
            .unwrap();
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // Let the web view paint the last DOM change first.
        self.d().execute_async("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));", vec![]).await.unwrap();
        let dir =
            std::env::var_os("RUNLENS_E2E_SHOTS").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        self.d().screenshot(&path).await.unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 10_000, "a real picture");
        path
    }

    pub async fn quit(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // SIGTERM makes tauri-driver stop its WebKitWebDriver too (SIGKILL would orphan it).
        let _ = Command::new("kill").arg("-TERM").arg(self.tauri_driver.id().to_string()).status();
        let _ = self.tauri_driver.wait();
    }
}
