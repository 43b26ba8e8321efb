//! The filter language: a superset of MLflow's search syntax, compiled to parameterised
//! SQL over the index. No user text ever becomes SQL; this module does no IO.
//!
//! ```text
//! metrics.acc > 0.9 and params.optimizer = 'adam'
//! tags.mlflow.runName like '%bert%' or attributes.status = 'FAILED'
//! metrics.`val/loss`.min <= 0.2 and not (params.lr in (0.1, 0.01)) and name ~ '^resnet'
//! started > '2024-05-06' and duration > '5m' and source = 'tensorboard'
//! ```
//!
//! * Fields: `metrics.<key>[.<agg>]` (`agg` one of `latest` — the default: MLflow's latest
//!   value, the one at the highest step, the highest timestamp there, the largest value
//!   if several share both —, `last` — the last value logged —, `first`, `min`, `max`,
//!   `count`, `step`), `params.<key>`, `tags.<key>`, `datasets.<name|digest|context>`,
//!   `attributes.<name>` or just `<name>` for `id`, `name`, `status`, `experiment`,
//!   `source`, `store`, `started`, `ended`, `duration`, `user`, `commit`, `deleted`,
//!   `artifact_uri` (MLflow spellings `run_name`, `Run name`, `run_id`, `run_uuid`,
//!   `start_time`, `end_time`, `created`, `user_id` work too), and the user's own
//!   `starred`, `note` and `label` (`label = 'x'`: the run carries label `x`;
//!   `label != 'x'`: it does not; `label is null`: it has none); `artifacts.size` (the
//!   total bytes of the run's files, `artifacts.size > 1GB`), `artifacts.count` and
//!   `artifacts.path` (`artifacts.path ~ '\.ckpt$'`: it has such a file; `!=`: none) and
//!   `artifacts.hash` (a file with that BLAKE3 content hash, or one starting with it). Prefixes as MLflow spells
//!   them (`metric.`, `param.`, `parameter.`, `tag.`, `attr.`, `run.`, `dataset.`), also
//!   backquoted (`` `metrics`.acc ``). Keys may contain dots (`tags.mlflow.runName`);
//!   keys with other characters go in backquotes or quotes (`` metrics.`val acc` ``,
//!   `params."my key"`).
//! * Operators: `=`, `!=`/`<>`, `<`, `<=`, `>`, `>=`, `[not] in (...)`, `[not] like`,
//!   `[not] ilike` (`%` and `_` wildcards), `~` / `!~` (regular expression), `is [not] null`,
//!   combined with `and`, `or`, `not` and parentheses (at most [`MAX_DEPTH`] levels).
//!   Keywords are case-insensitive.
//! * Values: numbers, 'single-' or "double-quoted" text, `true`/`false`. Params compare
//!   as numbers when the value given is a number (`params.lr < 0.01`), as text otherwise.
//!   Statuses compare case-insensitively. `started`/`ended` take epoch ms or a UTC date
//!   (`'2024-05-06'`, `'2024-05-06 14:30'`); `duration` takes seconds or a string with
//!   units (`'90s'`, `'5m'`, `'1h30m'`, `'2d'`); `artifacts.size` takes bytes or a size
//!   (`'500MB'`, `'1.5GiB'`: KB, MB, GB, TB are powers of 1000, KiB … TiB of 1024). A
//!   quantity may go without quotes (`duration > 5m`, `artifacts.size > 1GB`).
//!   `commit = 'abc1234'` matches a prefix.
//! * `id` / `run_id` match a run's Runlens id or its tracker's own run id, in every test
//!   (`=`, `!=`, `in`, `not in`, `like`, ...): a negative test passes when neither matches.
//! * `<key> is null` means the run has no such metric, param or tag. A NaN metric is a
//!   value, and compares as IEEE says: it passes `!=` and `not in` whatever the number,
//!   and no other comparison.
//!
//! # Differences from MLflow
//!
//! `crates/index/tests/mlflow_search.rs` runs ~180 filters through MLflow's own
//! `search_runs` and through the index on the same stores and holds each difference below
//! to its list there. Extensions (MLflow rejects these; here they mean something):
//!
//! * `or`, `not` and parentheses (MLflow's filters are one `and` of comparisons).
//! * Regular expressions `~` / `!~`.
//! * Metric aggregates (`metrics.loss.min`). So a metric whose own name ends in
//!   `.min`, `.max`, ... needs backquotes here: `` metrics.`loss.min` ``.
//! * A number compares params as numbers (`params.lr < 0.01`, `params.lr = 0.10` matches
//!   `'0.1'`); MLflow takes only quoted text for params.
//! * `<`, `<=`, `>`, `>=` on params, tags and text attributes compare text (code point
//!   order).
//! * `in (...)` / `not in (...)` on every field (MLflow: `run_id` and datasets only).
//! * `is null` / `is not null` on metrics and on attributes that may be missing
//!   (`end_time is null`: still running); MLflow takes them on params and tags only.
//! * Statuses compare case-insensitively, and `completed`/`success` mean `FINISHED`,
//!   `interrupted` `KILLED` (MLflow: `status = 'finished'` matches nothing).
//! * Namespaces and attribute names are case-insensitive (`METRICS.acc`, `Status`).
//! * Dates and durations for times (`start_time > '2024-05-06'`); `'inf'`/`'-inf'` for
//!   metrics; `true`/`false` for params (matching the text in any case) and metrics (1
//!   and 0); `/`, `:` and `-` in bare keys
//!   (`metrics.train/loss`).
//! * Attributes MLflow does not have: `experiment`, `source`, `store`, `duration`,
//!   `commit`, `deleted`; and `id` also matches Runlens ids.
//! * `\` escapes `%` and `_` in `like` patterns (`'100\%'`); in MLflow a backslash is a
//!   plain character.
//!
//! Intentionally different (MLflow accepts these):
//!
//! * Malformed text is a positioned error, not a guess: MLflow's SQL tokenizer drops a
//!   dangling `and` (`metrics.acc > 0.5 and`) and inserts a missing one
//!   (`metrics.acc > 0.5 metrics.loss < 1`).
//! * `datasets.name` / `digest` / `context` take MLflow's syntax and give MLflow's
//!   errors; a run passes when one of the datasets it consumed does (MLflow's dataset
//!   inputs, as both MLflow readers index them).
//! * `artifact_uri` is the `file://` URI of where the run's artifact folder is now (a
//!   moved store's URIs name the new place), and runs whose artifact folder does not
//!   exist (an SQLite store's run that logged no artifact) have none, so they pass no
//!   test on it but `is null`. MLflow compares the URI the store recorded.
//!
//! Comparisons MLflow rejects because they can never match are errors here too, with
//! their position: a number (or `true`) against a tag, a dataset field or a text
//! attribute (`status = 1`, `run_id != 1`), text against a metric, `like` on a number,
//! `is null` on an attribute every run has, an unknown prefix, attribute or dataset field.
//!
//! A malformed filter is a [`FilterError`] with the character span to underline and what
//! was expected there. A parsed filter runs as [`eval::evaluate`]: each test is one SQL
//! query of run ids (its [`leaf`]), combined as sets.

pub mod eval;
mod lexer;
mod parser;
mod sql;

#[cfg(test)]
mod tests;

pub use lexer::CmpOp;
pub use parser::MAX_DEPTH;
pub(crate) use sql::{ARTIFACT_BYTES, register_functions};
pub use sql::{Compiled, Leaf, LeafKind, compile_sort, leaf, parse_size_bytes};

/// Characters `start..end` of the filter text (counted in Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }
}

/// A malformed filter: where, what is wrong, and what would have been valid there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub span: Span,
    pub message: String,
    pub expected: Vec<String>,
}

impl FilterError {
    pub(crate) fn new(span: Span, message: impl Into<String>, expected: &[&str]) -> FilterError {
        FilterError { span, message: message.into(), expected: expected.iter().map(|s| s.to_string()).collect() }
    }

    /// The error under the filter text with a caret line, for terminals:
    ///
    /// ```text
    /// metrics.acc >> 0.9
    ///              ^ expected a value: a number, a 'string'
    /// ```
    pub fn render(&self, text: &str) -> String {
        let width = (self.span.end - self.span.start).max(1);
        let mut out = format!("{text}\n{}{} {}", " ".repeat(self.span.start), "^".repeat(width), self.message);
        if !self.expected.is_empty() {
            out.push_str(&format!(" (expected {})", self.expected.join(", ")));
        }
        out
    }
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}..{}: {}", self.span.start, self.span.end, self.message)?;
        if !self.expected.is_empty() {
            write!(f, " (expected {})", self.expected.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterError {}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Test { field: Field, pred: Pred, span: Span },
}

/// What a test looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Metric {
        key: String,
        agg: Agg,
    },
    Param(String),
    Tag(String),
    Attr(Attr),
    /// `datasets.<name|digest|context>`: the run's dataset inputs (any of them matches).
    Dataset(DatasetKey),
    /// `artifacts.<size|count|path>`: the files the run's store lists for it.
    Artifacts(ArtifactKey),
}

/// What `artifacts.<key>` looks at: the run's own files as its store lists them (not
/// those inside logs, nor those of folders attached to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKey {
    /// Their total size in bytes (`artifacts.size > 1GB`; 0 for a run without files).
    Size,
    /// How many there are.
    Count,
    /// Their paths: `artifacts.path = 'model/model.pt'` holds when the run has that file,
    /// `!=` when it has none such, `is null` when it has no file at all.
    Path,
    /// Their BLAKE3 content hashes (`hashes.rs`), tested as paths are; `=` with 8 to 63
    /// hex digits matches the hashes they start.
    Hash,
}

impl ArtifactKey {
    pub(crate) fn parse(word: &str) -> Option<ArtifactKey> {
        Some(match word {
            "size" | "bytes" => ArtifactKey::Size,
            "count" | "files" => ArtifactKey::Count,
            "path" | "paths" => ArtifactKey::Path,
            "hash" | "blake3" => ArtifactKey::Hash,
            _ => return None,
        })
    }
}

/// What `datasets.<key>` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKey {
    Name,
    Digest,
    Context,
}

impl DatasetKey {
    pub(crate) fn parse(word: &str) -> Option<DatasetKey> {
        Some(match word {
            "name" => DatasetKey::Name,
            "digest" => DatasetKey::Digest,
            "context" => DatasetKey::Context,
            _ => return None,
        })
    }
}

/// Which number of a metric's summary a test compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Latest,
    Last,
    First,
    Min,
    Max,
    Count,
    Step,
}

impl Agg {
    /// `latest`, `last`, `first`, `min`, `max`, `count`, `step` (any case).
    pub fn parse(word: &str) -> Option<Agg> {
        Some(match word.to_ascii_lowercase().as_str() {
            "latest" => Agg::Latest,
            "last" => Agg::Last,
            "first" => Agg::First,
            "min" => Agg::Min,
            "max" => Agg::Max,
            "count" => Agg::Count,
            "step" | "max_step" => Agg::Step,
            _ => return None,
        })
    }

    /// The column of the `metrics` table holding it (and its name: `max_step` for `step`).
    pub fn column(self) -> &'static str {
        match self {
            Agg::Latest => "latest",
            Agg::Last => "last",
            Agg::First => "first",
            Agg::Min => "min",
            Agg::Max => "max",
            Agg::Count => "count",
            Agg::Step => "max_step",
        }
    }
}

/// Attributes of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Id,
    Name,
    Status,
    Experiment,
    Source,
    Store,
    Started,
    Ended,
    Duration,
    User,
    Commit,
    Deleted,
    /// MLflow's `artifact_uri`: the `file://` URI of the run's artifact folder.
    ArtifactUri,
    /// The user's star (`starred = true`).
    Starred,
    /// The user's note.
    Note,
    /// One of the user's labels: `label = 'x'` holds when the run carries `x`;
    /// `label != 'x'` and `label not in (...)` when it carries none of them.
    Label,
}

impl Attr {
    pub(crate) fn parse(word: &str) -> Option<Attr> {
        Some(match word.to_ascii_lowercase().as_str() {
            "id" | "run_id" | "run_uuid" => Attr::Id,
            "name" | "run_name" | "run name" => Attr::Name,
            "status" => Attr::Status,
            "experiment" | "experiment_name" => Attr::Experiment,
            "source" | "kind" => Attr::Source,
            "store" => Attr::Store,
            "started" | "start_time" | "created" | "start" => Attr::Started,
            "ended" | "end_time" | "end" => Attr::Ended,
            "duration" => Attr::Duration,
            "user" | "user_id" => Attr::User,
            "commit" | "git_commit" => Attr::Commit,
            "deleted" => Attr::Deleted,
            "artifact_uri" => Attr::ArtifactUri,
            "starred" | "star" => Attr::Starred,
            "note" => Attr::Note,
            "label" | "labels" => Attr::Label,
            _ => return None,
        })
    }

    pub(crate) const NAMES: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "experiment",
        "source",
        "store",
        "started",
        "ended",
        "duration",
        "user",
        "commit",
        "deleted",
        "artifact_uri",
        "starred",
        "note",
        "label",
    ];

    /// The attribute's name in messages.
    pub(crate) fn name(self) -> &'static str {
        Attr::NAMES[self as usize]
    }

    /// Attributes every run has: `is null` can never match them.
    pub(crate) fn always_set(self) -> bool {
        matches!(self, Attr::Id | Attr::Name | Attr::Status | Attr::Source | Attr::Store | Attr::Deleted | Attr::Starred | Attr::Note)
    }

    /// Attributes that hold text, so a number (or `true`) can never equal them.
    pub(crate) fn is_text(self) -> bool {
        matches!(
            self,
            Attr::Id
                | Attr::Name
                | Attr::Status
                | Attr::Experiment
                | Attr::Source
                | Attr::Store
                | Attr::User
                | Attr::Commit
                | Attr::ArtifactUri
                | Attr::Note
                | Attr::Label
        )
    }
}

/// What a test asks of its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    Cmp(CmpOp, Value),
    In { values: Vec<Value>, negated: bool },
    Like { pattern: String, case_insensitive: bool, negated: bool },
    Regex { pattern: String, negated: bool },
    IsNull { negated: bool },
}

/// A literal, with its span for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Num(f64),
    Str(String),
    Bool(bool),
}

impl Expr {
    /// Whether a test of the expression looks at `field`-s `f` accepts.
    pub fn mentions(&self, f: &dyn Fn(&Field) -> bool) -> bool {
        match self {
            Expr::And(parts) | Expr::Or(parts) => parts.iter().any(|p| p.mentions(f)),
            Expr::Not(e) => e.mentions(f),
            Expr::Test { field, .. } => f(field),
        }
    }
}

/// Parses a filter. An empty (or blank) filter is `None`: everything matches.
pub fn parse(text: &str) -> Result<Option<Expr>, FilterError> {
    let tokens = lexer::lex(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    parser::Parser::new(&tokens, text.chars().count()).parse().map(Some)
}

/// One sort key: a field (metric aggregates included) and a direction.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub field: Field,
    pub descending: bool,
}

/// Parses `field [asc|desc]` or `-field` (descending), e.g. `metrics.val_loss.min`,
/// `-started`, `params.lr desc`.
pub fn parse_sort(text: &str) -> Result<SortKey, FilterError> {
    let trimmed = text.trim_start();
    let offset = text.chars().count() - trimmed.chars().count();
    let (descending_prefix, rest, shift) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest, offset + 1),
        None => (false, trimmed, offset),
    };
    let mut tokens = lexer::lex(rest)?;
    for t in &mut tokens {
        t.span = Span::new(t.span.start + shift, t.span.end + shift);
    }
    let mut key = parser::Parser::new(&tokens, text.chars().count()).parse_sort()?;
    key.descending ^= descending_prefix;
    Ok(key)
}
