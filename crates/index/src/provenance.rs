//! A run's provenance, once it is indexed: the rules that turn what a tracker recorded
//! ([`Provenance`], filled by each reader) into the command that ran and the command that
//! runs it again, and its storage in the `runs.provenance` column (JSON).
//!
//! * [`command`]: the program and its arguments as one shell command line, after the
//!   interpreter that ran them (a `.py` program with no recorded interpreter is run with
//!   `python`, as `mlflow run` runs a `.py` entry point).
//! * [`reproduce`]: `cd <workdir> && git checkout <commit> && <command>` (without the `cd`
//!   when no folder is recorded), or what the store did not record that it needs.
//!
//! Every word is quoted for a POSIX shell by `shlex` (whose quoting is hardened against
//! the shell's special characters, `{` and `!` included); a word holding a NUL byte
//! cannot be a shell word, and leaves the command unknown.

use runlens_sources::{GitState, Provenance};
use serde_json::{Map, Value, json};

/// How to run a run again, or why that is not known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reproduce {
    /// `cd <workdir> && git checkout <commit> && <command>`, when the commit and the
    /// command are known.
    pub command: Option<String>,
    /// What the store did not record that an exact re-run needs, in this order. Not
    /// empty with a `command` when it may still differ from what ran (arguments not
    /// recorded, uncommitted changes).
    pub missing: Vec<Missing>,
}

/// One thing a re-run needs that its store did not record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Missing {
    /// No git commit (or one that is not a hexadecimal object name).
    Commit,
    /// No program, so no command.
    Command,
    /// The tracker does not record arguments (MLflow, Neptune): the program may have had some.
    Arguments,
    /// The working tree had uncommitted changes, which the commit does not hold.
    UncommittedChanges,
}

impl Missing {
    /// The stable code used in the CLI's JSON.
    pub fn code(self) -> &'static str {
        match self {
            Missing::Commit => "commit",
            Missing::Command => "command",
            Missing::Arguments => "arguments",
            Missing::UncommittedChanges => "uncommitted_changes",
        }
    }

    /// A short sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            Missing::Commit => "no git commit recorded",
            Missing::Command => "no command recorded",
            Missing::Arguments => "the tracker does not record the arguments",
            Missing::UncommittedChanges => "the working tree had uncommitted changes",
        }
    }
}

/// The command line that ran: the interpreter, the program and its arguments, each word
/// shell-quoted. `None` without a program.
pub fn command(p: &Provenance) -> Option<String> {
    let program = p.program.as_deref()?;
    let interpreter = p.interpreter.as_deref().or_else(|| program.ends_with(".py").then_some("python"));
    let words = interpreter.into_iter().chain([program]).chain(p.args.iter().flatten().map(String::as_str));
    shlex::try_join(words).ok()
}

/// The command that runs the run again from its recorded commit, or what is missing.
pub fn reproduce(p: &Provenance) -> Reproduce {
    let mut missing = Vec::new();
    let commit = p.git.commit.as_deref().filter(|c| is_object_name(c));
    if commit.is_none() {
        missing.push(Missing::Commit);
    }
    let command = command(p);
    match &command {
        None => missing.push(Missing::Command),
        Some(_) if p.args.is_none() => missing.push(Missing::Arguments),
        Some(_) => {}
    }
    if p.git.dirty == Some(true) {
        missing.push(Missing::UncommittedChanges);
    }
    let (Some(commit), Some(command)) = (commit, command) else { return Reproduce { command: None, missing } };
    let cd = match p.workdir.as_deref().map(shlex::try_quote) {
        None => String::new(),
        Some(Ok(dir)) => format!("cd {dir} && "),
        Some(Err(_)) => return Reproduce { command: None, missing: vec![Missing::Command] },
    };
    Reproduce { command: Some(format!("{cd}git checkout {commit} && {command}")), missing }
}

/// A git object name: 4 to 64 hexadecimal digits (a full or abbreviated SHA-1 or SHA-256).
fn is_object_name(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored form of a provenance: `None` when nothing is recorded.
pub(crate) fn to_json(p: &Provenance) -> Option<String> {
    if p.is_empty() {
        return None;
    }
    let mut out = Map::new();
    // `args` is kept even when empty: `[]` (recorded, none) is not a missing `args`.
    if let Some(args) = &p.args {
        out.insert("args".into(), json!(args));
    }
    let mut put = |key: &str, value: Value| {
        if !value.is_null() && value.as_array().is_none_or(|a| !a.is_empty()) {
            out.insert(key.to_string(), value);
        }
    };
    put("program", json!(p.program));
    put("interpreter", json!(p.interpreter));
    put("workdir", json!(p.workdir));
    put("commit", json!(p.git.commit));
    put("branch", json!(p.git.branch));
    put("remote", json!(p.git.remote));
    put("dirty", json!(p.git.dirty));
    put("python", json!(p.python));
    put("packages", json!(p.packages));
    put("environment_files", json!(p.environment_files));
    put("source_files", json!(p.source_files));
    put("host", json!(p.host));
    put("os", json!(p.os));
    Some(Value::Object(out).to_string())
}

/// Reads back [`to_json`]'s text; anything unreadable reads as not recorded.
pub(crate) fn from_json(text: &str) -> Provenance {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return Provenance::default() };
    let text = |key: &str| v[key].as_str().map(str::to_string);
    let list = |key: &str| v[key].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect::<Vec<_>>());
    Provenance {
        program: text("program"),
        args: list("args"),
        interpreter: text("interpreter"),
        workdir: text("workdir"),
        git: GitState { commit: text("commit"), branch: text("branch"), remote: text("remote"), dirty: v["dirty"].as_bool() },
        python: text("python"),
        packages: list("packages").unwrap_or_default(),
        environment_files: list("environment_files").unwrap_or_default(),
        source_files: list("source_files").unwrap_or_default(),
        host: text("host"),
        os: text("os"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "3083e5309fb6b8b533dd45c668504fbd6fd3f396";

    fn run(program: Option<&str>, args: Option<&[&str]>, commit: Option<&str>) -> Provenance {
        Provenance {
            program: program.map(str::to_string),
            args: args.map(|a| a.iter().map(|s| s.to_string()).collect()),
            git: GitState { commit: commit.map(str::to_string), ..Default::default() },
            ..Default::default()
        }
    }

    #[test]
    fn every_word_is_quoted_for_the_shell() {
        let p = Provenance {
            interpreter: Some("/opt/my env/bin/python".into()),
            ..run(Some("train.py"), Some(&["--name", "it's a run", "$HOME", "", "a;b", "{x,y}", "ü"]), Some(COMMIT))
        };
        let line = command(&p).unwrap();
        assert_eq!(line, r#"'/opt/my env/bin/python' train.py --name "it's a run" '$HOME' '' 'a;b' '{x,y}' 'ü'"#);
        let back = shlex::split(&line).unwrap();
        assert_eq!(
            back,
            ["/opt/my env/bin/python", "train.py", "--name", "it's a run", "$HOME", "", "a;b", "{x,y}", "ü"],
            "the shell reads back the words"
        );
        let r = reproduce(&Provenance { workdir: Some("/w/my project".into()), ..p });
        assert_eq!(r.command.unwrap(), format!("cd '/w/my project' && git checkout {COMMIT} && {line}"));
        assert!(r.missing.is_empty());
    }

    #[test]
    fn a_python_script_without_an_interpreter_runs_with_python() {
        assert_eq!(command(&run(Some("/w/train.py"), Some(&[]), None)).as_deref(), Some("python /w/train.py"));
        assert_eq!(command(&run(Some("./train.sh"), Some(&["-v"]), None)).as_deref(), Some("./train.sh -v"), "other programs run as they are");
        assert_eq!(command(&run(None, Some(&["-v"]), None)), None, "arguments alone are no command");
        assert_eq!(command(&run(Some("t.py"), Some(&["a\0b"]), None)), None, "a NUL byte cannot be quoted");
    }

    #[test]
    fn what_is_missing_is_said() {
        let missing = |p: &Provenance| reproduce(p).missing;
        assert_eq!(reproduce(&Provenance::default()), Reproduce { command: None, missing: vec![Missing::Commit, Missing::Command] });
        let no_args = reproduce(&run(Some("/w/train.py"), None, Some(COMMIT)));
        assert_eq!(no_args.command.as_deref(), Some(format!("git checkout {COMMIT} && python /w/train.py").as_str()));
        assert_eq!(no_args.missing, [Missing::Arguments], "a command, but its arguments are unknown");
        assert_eq!(missing(&run(Some("t.py"), Some(&[]), None)), [Missing::Commit]);
        assert_eq!(reproduce(&run(Some("t.py"), Some(&[]), Some("main; rm -rf /"))).command, None, "a commit must be an object name");
        let mut dirty = run(Some("t.py"), Some(&[]), Some("abc1234"));
        dirty.git.dirty = Some(true);
        let r = reproduce(&dirty);
        assert_eq!(r.command.as_deref(), Some("git checkout abc1234 && python t.py"));
        assert_eq!(r.missing, [Missing::UncommittedChanges]);
        assert_eq!(Missing::UncommittedChanges.code(), "uncommitted_changes");
    }

    #[test]
    fn stored_form_reads_back_the_same() {
        let full = Provenance {
            program: Some("train.py".into()),
            args: Some(vec!["main".into(), "with".into(), "lr=0.1".into()]),
            interpreter: Some("/usr/bin/python3".into()),
            workdir: Some("/w".into()),
            git: GitState { commit: Some(COMMIT.into()), branch: Some("main".into()), remote: Some("https://x/y.git".into()), dirty: Some(false) },
            python: Some("3.11.7".into()),
            packages: vec!["numpy==2.4.6".into()],
            environment_files: vec!["/s/requirements.txt".into()],
            source_files: vec!["/s/_sources/train_1.py".into()],
            host: Some("workstation".into()),
            os: Some("Linux".into()),
        };
        for p in [full, run(Some("t.py"), Some(&[]), None), run(Some("t.py"), None, None)] {
            assert_eq!(from_json(&to_json(&p).unwrap()), p);
        }
        assert_eq!(to_json(&Provenance::default()), None);
        assert_eq!(from_json("{not json"), Provenance::default());
        assert_eq!(from_json(r#"{"program": 3, "args": "x", "dirty": "yes"}"#), Provenance::default(), "wrong types read as not recorded");
    }
}
