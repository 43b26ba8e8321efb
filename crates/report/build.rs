//! The commit Runlens is built from, for the reports' provenance footer: `RUNLENS_COMMIT`
//! if set (a packager's), else `git rev-parse HEAD`, else `unknown`.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUNLENS_COMMIT");
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
    let commit = std::env::var("RUNLENS_COMMIT").ok().filter(|c| !c.is_empty()).unwrap_or_else(|| {
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    });
    println!("cargo:rustc-env=RUNLENS_COMMIT={commit}");
}
