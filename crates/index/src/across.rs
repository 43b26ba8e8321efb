//! The same artifact across runs: patterns that name "one file per run and step"
//! (`plots/images/samples/step_{N}.png`, TensorBoard's `images/<tag>/{N}.png`, W&B's
//! `media/images/examples_{N}_*.png`), found among runs' files, and the grid of which
//! file of each run stands for each step. `{N}` is the step (digits), `*` anything
//! within one path segment (a hash, a timestamp). The files themselves are read through
//! [`crate::artifacts`], like any other.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

use crate::{Index, IndexError};

/// A pattern found among runs' files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactPattern {
    pub pattern: String,
    /// How many of the runs have a file it matches, and how many files it matches.
    pub runs: usize,
    pub files: usize,
}

/// Which file of each run stands for each step of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactGrid {
    /// The steps, ascending (one `None` row for a pattern without `{N}`).
    pub steps: Vec<Option<i64>>,
    /// Per step, per run (in the order asked): the file's path, if the run has one.
    pub cells: Vec<Vec<Option<String>>>,
}

/// Image files (those a preview shows as images): what the grid shows.
fn is_image(path: &str) -> bool {
    crate::artifacts::image_mime(&crate::artifacts::extension(path)).is_some()
}

/// The pattern a file's path belongs to: in its file name, the step (the number after a
/// `step` word, else the first number) becomes `{N}`; other numbers, hashes (8 or more hex
/// digits with a digit and a letter) and UUIDs become `*`. Folders are kept as they are,
/// except that a folder named by a number alone is the step when the name has none
/// (TensorBoard's `images/<tag>/{N}.png` has it in the name; `0/<uuid>.png` in the folder).
pub fn pattern_of(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
    let (stem, ext) = name.rsplit_once('.').map_or((name, None), |(s, e)| (s, Some(e)));
    // Tokens and the separators between them (`-` is not one: UUIDs stay whole).
    let mut tokens: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in stem.char_indices() {
        if matches!(c, '_' | '+' | ' ' | '.') {
            tokens.push(&stem[start..i]);
            tokens.push(&stem[i..i + 1]);
            start = i + 1;
        }
    }
    tokens.push(&stem[start..]);
    let number = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let hashlike = |t: &str| {
        let hex = t.bytes().filter(u8::is_ascii_hexdigit).count();
        t.len() >= 8
            && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            && hex >= 8
            && t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes().any(|b| b.is_ascii_alphabetic())
    };
    let words: Vec<usize> = (0..tokens.len()).step_by(2).collect();
    let after_step = words.windows(2).find(|w| tokens[w[0]].eq_ignore_ascii_case("step") && number(tokens[w[1]])).map(|w| w[1]);
    let step = after_step.or_else(|| words.iter().copied().find(|&i| number(tokens[i])));
    let mut out = String::new();
    let dirs: Vec<&str> = if dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
    let step_dir = if step.is_none() { dirs.iter().rposition(|d| number(d)) } else { None };
    for (i, d) in dirs.iter().enumerate() {
        out.push_str(if Some(i) == step_dir { "{N}" } else { d });
        out.push('/');
    }
    for (i, t) in tokens.iter().enumerate() {
        if Some(i) == step {
            out.push_str("{N}");
        } else if i % 2 == 0 && (number(t) || hashlike(t)) {
            out.push('*');
        } else {
            out.push_str(t);
        }
    }
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    out
}

/// The regex of a pattern: the first `{N}` captures the step (later ones match digits),
/// `*` is anything within one path segment, the rest is literal.
fn matcher(pattern: &str) -> Result<Regex, IndexError> {
    let mut re = String::from("^");
    for (i, part) in pattern.split("{N}").enumerate() {
        match i {
            0 => {}
            1 => re.push_str(r"(?P<n>\d+)"),
            _ => re.push_str(r"\d+"),
        }
        re.push_str(&part.split('*').map(regex::escape).collect::<Vec<_>>().join(r"[^/]*?"));
    }
    re.push('$');
    Regex::new(&re).map_err(|e| IndexError::Artifact { path: pattern.to_string(), why: format!("is not a usable pattern: {e}") })
}

impl Index {
    /// The image patterns among these runs' files ([`pattern_of`]), the most shared first
    /// (then the most files, then by name).
    pub fn artifact_patterns(&self, run_ids: &[String]) -> Result<Vec<ArtifactPattern>, IndexError> {
        let mut found: HashMap<String, (std::collections::HashSet<usize>, usize)> = HashMap::new();
        for (i, id) in run_ids.iter().enumerate() {
            for a in self.artifacts(id)? {
                if is_image(&a.path) {
                    let entry = found.entry(pattern_of(&a.path)).or_default();
                    entry.0.insert(i);
                    entry.1 += 1;
                }
            }
        }
        let mut out: Vec<ArtifactPattern> =
            found.into_iter().map(|(pattern, (runs, files))| ArtifactPattern { pattern, runs: runs.len(), files }).collect();
        out.sort_by(|a, b| b.runs.cmp(&a.runs).then(b.files.cmp(&a.files)).then(a.pattern.cmp(&b.pattern)));
        Ok(out)
    }

    /// Which file of each run stands for each step of `pattern` (for a run with several
    /// files of one step, the first by path).
    pub fn artifact_grid(&self, run_ids: &[String], pattern: &str) -> Result<ArtifactGrid, IndexError> {
        let re = matcher(pattern)?;
        let mut by_step: BTreeMap<Option<i64>, Vec<Option<String>>> = BTreeMap::new();
        for (i, id) in run_ids.iter().enumerate() {
            for a in self.artifacts(id)? {
                let Some(m) = re.captures(&a.path) else { continue };
                let step = m.name("n").and_then(|n| n.as_str().parse::<i64>().ok());
                let row = by_step.entry(step).or_insert_with(|| vec![None; run_ids.len()]);
                if row[i].is_none() {
                    row[i] = Some(a.path);
                }
            }
        }
        let (steps, cells) = by_step.into_iter().unzip();
        Ok(ArtifactGrid { steps, cells })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pattern_per_file_of_a_run_and_step() {
        for (path, want) in [
            ("plots/images/samples/step_49.png", "plots/images/samples/step_{N}.png"),
            ("images/samples/input/119.png", "images/samples/input/{N}.png"),
            ("media/images/examples_118_bab168a8d4c2b28930ff.png", "media/images/examples_{N}_*.png"),
            (
                "images/predictions+step+10+timestamp+1714986015000+2feee0fe-9457-4c6f-b126-3546b5fbdb09.png",
                "images/predictions+step+{N}+timestamp+*+*.png",
            ),
            ("99/21c1531d-7be9-482c-9927-5dbfed583a57.png", "{N}/*.png"),
            ("plots/loss_curve.png", "plots/loss_curve.png"),
            ("eval/predictions/1.png", "eval/predictions/{N}.png"),
        ] {
            assert_eq!(pattern_of(path), want, "{path}");
        }
    }

    #[test]
    fn patterns_match_what_they_were_made_from_and_capture_the_step() {
        for (path, step) in [
            ("plots/images/samples/step_49.png", Some(49)),
            ("media/images/examples_118_bab168a8d4c2b28930ff.png", Some(118)),
            ("images/predictions+step+10+timestamp+1714986015000+2feee0fe-9457-4c6f-b126-3546b5fbdb09.png", Some(10)),
            ("99/21c1531d-7be9-482c-9927-5dbfed583a57.png", Some(99)),
            ("plots/loss (1).png", None),
        ] {
            let re = matcher(&pattern_of(path)).unwrap();
            let m = re.captures(path).unwrap_or_else(|| panic!("{path} vs {}", pattern_of(path)));
            assert_eq!(m.name("n").map(|n| n.as_str().parse::<i64>().unwrap()), step, "{path}");
        }
        // A typed pattern: literal parts are literal, `*` stays within a folder.
        let re = matcher("samples/step_{N}.png").unwrap();
        assert!(re.is_match("samples/step_3.png") && !re.is_match("samples/stepX3.png") && !re.is_match("a/samples/step_3.png"));
        assert!(!matcher("*.png").unwrap().is_match("a/b.png"));
    }
}
