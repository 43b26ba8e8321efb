//! Compiling the tests of a filter (and sort keys) to parameterised SQL. Every literal
//! and key becomes a `?` parameter; only fixed SQL text from this file is concatenated.
//! `eval.rs` runs the tests and combines their results.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;

use super::lexer::CmpOp;
use super::{ArtifactKey, Attr, DatasetKey, Field, FilterError, Literal, Pred, SortKey, Span, Value};

/// SQL text and its parameters in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// The `ORDER BY` expressions for a sort key (without the direction), each with its own
/// parameters: params sort by their number first, then by their text.
pub fn compile_sort(key: &SortKey) -> Vec<Compiled> {
    let one = |sql: &str, key: &str| Compiled { sql: sql.to_string(), params: vec![SqlValue::Text(key.to_string())] };
    match &key.field {
        Field::Metric { key, agg } => {
            vec![one(&format!("(SELECT m.{} FROM metrics m WHERE m.rid = r.rid AND m.key = ?)", agg.column()), key)]
        }
        Field::Param(k) => vec![
            one("(SELECT p.num FROM params p WHERE p.rid = r.rid AND p.key = ?)", k),
            one("(SELECT p.value FROM params p WHERE p.rid = r.rid AND p.key = ?)", k),
        ],
        Field::Tag(k) => vec![one("(SELECT t.value FROM tags t WHERE t.rid = r.rid AND t.key = ?)", k)],
        Field::Attr(a) => vec![Compiled { sql: attr_sql(*a).to_string(), params: Vec::new() }],
        Field::Artifacts(k) => match artifacts_sql(*k) {
            Some(sql) => vec![Compiled { sql: sql.to_string(), params: Vec::new() }],
            // parse_sort refuses artifact paths.
            None => Vec::new(),
        },
        // parse_sort refuses dataset keys.
        Field::Dataset(_) => Vec::new(),
    }
}

/// The total size of the files the store lists for `runs r` (not those inside logs):
/// `artifacts.size`, and `RunRecord::artifact_bytes`.
pub(crate) const ARTIFACT_BYTES: &str = "coalesce((SELECT sum(a.size) FROM artifacts a WHERE a.rid = r.rid AND a.origin IS NULL), 0)";

/// SQL for a number about the files of `runs r` (`None`: paths, tested row by row).
fn artifacts_sql(k: ArtifactKey) -> Option<&'static str> {
    match k {
        ArtifactKey::Size => Some(ARTIFACT_BYTES),
        ArtifactKey::Count => Some("(SELECT count(*) FROM artifacts a WHERE a.rid = r.rid AND a.origin IS NULL)"),
        ArtifactKey::Path | ArtifactKey::Hash => None,
    }
}

const FILES_OF_RUN: &str = "SELECT 1 FROM artifacts a WHERE a.rid = r.rid AND a.origin IS NULL";
/// The run's files with a kept hash for their size (`Index::hash_all_artifacts` first).
const HASHES_OF_RUN: &str = "SELECT 1 FROM artifacts a JOIN file_hashes h ON h.path = r.artifact_dir || '/' || a.path AND h.size = a.size
     WHERE a.rid = r.rid AND a.origin IS NULL";

/// SQL for an attribute of `runs r`.
fn attr_sql(a: Attr) -> &'static str {
    match a {
        Attr::Id => "r.id",
        Attr::Name => "r.name",
        Attr::Status => "r.status",
        Attr::Experiment => "r.experiment",
        Attr::Source => "(SELECT s.source FROM stores s WHERE s.id = r.store_id)",
        Attr::Store => "(SELECT s.root FROM stores s WHERE s.id = r.store_id)",
        Attr::Started => "r.start_ms",
        Attr::Ended => "r.end_ms",
        Attr::Duration => "((r.end_ms - r.start_ms) / 1000.0)",
        Attr::User => "r.user",
        Attr::Commit => "r.git_commit",
        Attr::Deleted => "r.deleted",
        Attr::ArtifactUri => "rl_file_uri(r.artifact_dir)",
        Attr::Starred => {
            "coalesce((SELECT a.starred FROM user_annotations a WHERE a.identity = r.identity
                AND a.source = (SELECT s.source FROM stores s WHERE s.id = r.store_id)), 0)"
        }
        Attr::Note => {
            "coalesce((SELECT a.note FROM user_annotations a WHERE a.identity = r.identity
                AND a.source = (SELECT s.source FROM stores s WHERE s.id = r.store_id)), '')"
        }
        // Only in sorts (the first label); filters test every label (see `label_pred`).
        Attr::Label => {
            "(SELECT min(l.label) FROM user_labels l WHERE l.identity = r.identity
                AND l.source = (SELECT s.source FROM stores s WHERE s.id = r.store_id))"
        }
    }
}

/// `label ...`: whether the run carries a label passing the test. A negative test holds
/// when no label passes its positive form (`label != 'x'`: the run does not carry `x`);
/// `label is null`: the run has no label.
fn label_pred(pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    any_row_pred(LABELS_OF_RUN, "l.label", pred, span, c)
}

/// A test of a run's rows `rows` (a `SELECT 1 ...` of them) by their column `col`:
/// whether one passes it; a negative test holds when none passes its positive form, and
/// `is null` when the run has no such row.
fn any_row_pred(rows: &str, col: &str, pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    let (positive, negative) = match pred {
        Pred::Cmp(CmpOp::Ne, v) => (Pred::Cmp(CmpOp::Eq, v.clone()), true),
        Pred::In { values, negated } => (Pred::In { values: values.clone(), negated: false }, *negated),
        Pred::Like { pattern, case_insensitive, negated } => {
            (Pred::Like { pattern: pattern.clone(), case_insensitive: *case_insensitive, negated: false }, *negated)
        }
        Pred::Regex { pattern, negated } => (Pred::Regex { pattern: pattern.clone(), negated: false }, *negated),
        Pred::IsNull { negated } => {
            c.sql.push_str(if *negated { "EXISTS (" } else { "NOT EXISTS (" });
            c.sql.push_str(rows);
            c.sql.push(')');
            return Ok(());
        }
        other => (other.clone(), false),
    };
    c.sql.push_str(if negative { "NOT EXISTS (" } else { "EXISTS (" });
    c.sql.push_str(rows);
    c.sql.push_str(" AND ");
    mixed_pred(col, "NULL", &positive, span, c)?;
    c.sql.push(')');
    Ok(())
}

const LABELS_OF_RUN: &str =
    "SELECT 1 FROM user_labels l WHERE l.identity = r.identity AND l.source = (SELECT s.source FROM stores s WHERE s.id = r.store_id)";

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}

/// How a [`Leaf`] selects runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// A `SELECT` of run ids (`rid`) from the metrics, params or tags table.
    RunIds,
    /// A condition over `runs r`.
    RunCondition,
}

/// One test of a filter as SQL on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub kind: LeafKind,
    pub compiled: Compiled,
}

impl Leaf {
    /// A `SELECT` of the ids of the runs that pass the test.
    pub fn select_rids(&self) -> String {
        match self.kind {
            LeafKind::RunIds => self.compiled.sql.clone(),
            LeafKind::RunCondition => format!("SELECT r.rid FROM runs r WHERE {}", self.compiled.sql),
        }
    }
}

/// The SQL of one test.
pub fn leaf(field: &Field, pred: &Pred, span: Span) -> Result<Leaf, FilterError> {
    let mut c = Compiled { sql: String::new(), params: Vec::new() };
    // `is null` on a key means "the run has no such key", as MLflow has it for params and
    // tags: the runs outside the rows of that key.
    let (table, alias) = match field {
        Field::Metric { .. } => ("metrics", "m"),
        Field::Param(_) => ("params", "p"),
        Field::Tag(_) => ("tags", "t"),
        _ => ("", ""),
    };
    if let (Field::Metric { key, .. } | Field::Param(key) | Field::Tag(key), Pred::IsNull { negated }) = (field, pred) {
        c.params.push(text(key));
        return Ok(if *negated {
            c.sql = format!("SELECT {alias}.rid FROM {table} {alias} WHERE {alias}.key = ?");
            Leaf { kind: LeafKind::RunIds, compiled: c }
        } else {
            c.sql = format!("r.rid NOT IN (SELECT {alias}.rid FROM {table} {alias} WHERE {alias}.key = ?)");
            Leaf { kind: LeafKind::RunCondition, compiled: c }
        });
    }
    let kind = match field {
        Field::Metric { key, agg } => {
            // A run passes when it has the metric and its summary passes.
            c.sql.push_str("SELECT m.rid FROM metrics m WHERE m.key = ? AND ");
            c.params.push(text(key));
            numeric_pred(&format!("m.{}", agg.column()), pred, span, &mut c, "metrics")?;
            LeafKind::RunIds
        }
        Field::Param(key) => {
            c.sql.push_str("SELECT p.rid FROM params p WHERE p.key = ? AND ");
            c.params.push(text(key));
            mixed_pred("p.value", "p.num", pred, span, &mut c)?;
            LeafKind::RunIds
        }
        Field::Tag(key) => {
            text_only(pred, "tags are text")?;
            c.sql.push_str("SELECT t.rid FROM tags t WHERE t.key = ? AND ");
            c.params.push(text(key));
            mixed_pred("t.value", "NULL", pred, span, &mut c)?;
            LeafKind::RunIds
        }
        Field::Attr(attr) => {
            attr_pred(*attr, pred, span, &mut c)?;
            LeafKind::RunCondition
        }
        Field::Dataset(key) => {
            dataset_pred(*key, pred, span, &mut c)?;
            LeafKind::RunCondition
        }
        Field::Artifacts(key) => {
            artifacts_pred(*key, pred, span, &mut c)?;
            LeafKind::RunCondition
        }
    };
    Ok(Leaf { kind, compiled: c })
}

/// Refuses numbers (and `true`/`false`) compared with text that can never equal them, as
/// MLflow refuses them: `tags.team = 1` is a mistake, not a filter of nothing.
fn text_only(pred: &Pred, what: &str) -> Result<(), FilterError> {
    let values: &[Value] = match pred {
        Pred::Cmp(_, v) => std::slice::from_ref(v),
        Pred::In { values, .. } => values,
        _ => &[],
    };
    for v in values {
        let written = match &v.kind {
            Literal::Str(_) => continue,
            Literal::Num(n) => n.to_string(),
            Literal::Bool(b) => b.to_string(),
        };
        return Err(FilterError::new(v.span, format!("{what}: put the value in quotes ('{written}')"), &["a 'string'"]));
    }
    Ok(())
}

/// `artifacts.size` (bytes or a size with its unit), `artifacts.count`, `artifacts.path`.
fn artifacts_pred(key: ArtifactKey, pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    match (key, artifacts_sql(key)) {
        (ArtifactKey::Hash, _) => {
            text_only(pred, "hashes are text")?;
            // A short hash (as people copy them) matches the hashes it starts.
            let pred = match pred {
                Pred::Cmp(CmpOp::Eq, Value { kind: Literal::Str(s), .. })
                    if (8..64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Pred::Like { pattern: format!("{}%", s.to_ascii_lowercase()), case_insensitive: false, negated: false }
                }
                other => other.clone(),
            };
            any_row_pred(HASHES_OF_RUN, "h.blake3", &pred, span, c)
        }
        (ArtifactKey::Path, _) | (_, None) => {
            text_only(pred, "artifact paths are text")?;
            any_row_pred(FILES_OF_RUN, "a.path", pred, span, c)
        }
        (ArtifactKey::Size, Some(col)) => {
            if matches!(pred, Pred::IsNull { .. }) {
                return Err(FilterError::new(span, "every run has an artifact size (0 without files): `is null` cannot select anything", &[]));
            }
            let pred = convert_values(pred, |v| match &v.kind {
                Literal::Num(n) => Ok(*n),
                Literal::Str(s) => {
                    parse_size_bytes(s).ok_or_else(|| FilterError::new(v.span, format!("`{s}` is not a size"), &["bytes", "'500MB'", "'1.5GiB'"]))
                }
                Literal::Bool(_) => Err(FilterError::new(v.span, "expected a size", &["bytes", "'1GB'"])),
            })?;
            numeric_pred(col, &pred, span, c, "sizes")
        }
        (ArtifactKey::Count, Some(col)) => {
            if matches!(pred, Pred::IsNull { .. }) {
                return Err(FilterError::new(span, "every run has an artifact count: `is null` cannot select anything", &[]));
            }
            numeric_pred(col, pred, span, c, "counts")
        }
    }
}

/// `'1.5GiB'`, `'500 MB'`, `'2048'` in bytes: KB, MB, GB, TB are powers of 1000, KiB,
/// MiB, GiB, TiB of 1024, `B` or no unit bytes (any case).
pub fn parse_size_bytes(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(s.len());
    let number: f64 = s[..split].replace('_', "").parse().ok()?;
    let unit = match s[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * unit)
}

/// A number with a unit of size or duration (`1GB`, `5m`, `1h30m`), written without quotes.
pub(crate) fn is_quantity(word: &str) -> bool {
    parse_size_bytes(word).is_some() || parse_duration_s(word).is_some()
}

/// Dataset tests, with MLflow's syntax and errors (`=`, `!=`, `like`, `ilike`, `in`,
/// `not in` with text): a run passes when one of the datasets it consumed does.
fn dataset_pred(key: DatasetKey, pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    let allowed = match pred {
        Pred::Cmp(op, _) => matches!(op, CmpOp::Eq | CmpOp::Ne),
        Pred::In { .. } | Pred::Like { .. } => true,
        Pred::Regex { .. } | Pred::IsNull { .. } => false,
    };
    if !allowed {
        return Err(FilterError::new(
            span,
            "datasets compare with =, !=, like, ilike, in (...) and not in (...)",
            &["`=`", "`!=`", "`like`", "`ilike`", "`in`"],
        ));
    }
    text_only(pred, "dataset fields are text")?;
    let col = match key {
        DatasetKey::Name => "d.name",
        DatasetKey::Digest => "d.digest",
        DatasetKey::Context => "d.context",
    };
    c.sql.push_str("EXISTS (SELECT 1 FROM datasets d WHERE d.rid = r.rid AND ");
    mixed_pred(col, "NULL", pred, span, c)?;
    c.sql.push(')');
    Ok(())
}

/// A predicate on a number column: only numbers (and NULL tests) make sense. A NULL in a
/// metric summary column is NaN, which (as IEEE has it) differs from every number and
/// equals, precedes and follows none.
fn numeric_pred(col: &str, pred: &Pred, span: Span, c: &mut Compiled, what: &str) -> Result<(), FilterError> {
    let number = |v: &Value| match v.kind {
        Literal::Num(n) => Ok(n),
        Literal::Bool(b) => Ok(if b { 1.0 } else { 0.0 }),
        Literal::Str(ref s) => match s.trim().to_ascii_lowercase().as_str() {
            "inf" | "infinity" => Ok(f64::INFINITY),
            "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(FilterError::new(v.span, format!("{what} compare with numbers, not text"), &["a number"])),
        },
    };
    // Counts and steps are never NaN.
    let nan_passes = what == "metrics" && !col.ends_with(".count") && !col.ends_with(".max_step");
    match pred {
        Pred::Cmp(op, v) => {
            if nan_passes && *op == CmpOp::Ne {
                c.sql.push_str(&format!("({col} <> ? OR {col} IS NULL)"));
            } else {
                c.sql.push_str(&format!("{col} {} ?", op.sql()));
            }
            c.params.push(SqlValue::Real(number(v)?));
        }
        Pred::In { values, negated } => {
            let list = placeholders(values.len());
            c.sql.push_str(&match (*negated, nan_passes) {
                (false, _) => format!("{col} IN ({list})"),
                (true, false) => format!("{col} NOT IN ({list})"),
                (true, true) => format!("({col} NOT IN ({list}) OR {col} IS NULL)"),
            });
            for v in values {
                c.params.push(SqlValue::Real(number(v)?));
            }
        }
        Pred::IsNull { negated } => c.sql.push_str(&format!("{col} IS {}NULL", if *negated { "NOT " } else { "" })),
        Pred::Like { .. } | Pred::Regex { .. } => {
            return Err(FilterError::new(span, format!("{what} are numbers: use =, <, >, in (...)"), &["`=`", "`<`", "`>`", "`in`"]));
        }
    }
    Ok(())
}

/// A predicate on a text value that may also hold a number (`num_col`): numbers given
/// compare numerically, text compares as text.
fn mixed_pred(text_col: &str, num_col: &str, pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    match pred {
        Pred::Cmp(op, Value { kind: Literal::Num(n), .. }) => {
            c.sql.push_str(&format!("{num_col} {} ?", op.sql()));
            c.params.push(SqlValue::Real(*n));
        }
        Pred::Cmp(op, Value { kind: Literal::Str(s), .. }) => {
            c.sql.push_str(&format!("{text_col} {} ?", op.sql()));
            c.params.push(text(s));
        }
        Pred::Cmp(op, Value { kind: Literal::Bool(b), .. }) => {
            // Python writes True/False; JSON and YAML true/false.
            c.sql.push_str(&format!("lower({text_col}) {} ?", op.sql()));
            c.params.push(text(if *b { "true" } else { "false" }));
        }
        Pred::In { values, negated } => {
            let nums: Vec<f64> = values.iter().filter_map(|v| if let Literal::Num(n) = v.kind { Some(n) } else { None }).collect();
            let texts: Vec<String> = values
                .iter()
                .filter_map(|v| match &v.kind {
                    Literal::Str(s) => Some(s.clone()),
                    Literal::Bool(b) => Some(b.to_string()),
                    Literal::Num(_) => None,
                })
                .collect();
            let mut parts = Vec::new();
            if !nums.is_empty() {
                parts.push(format!("{num_col} IN ({})", placeholders(nums.len())));
            }
            if !texts.is_empty() {
                parts.push(format!("{text_col} IN ({})", placeholders(texts.len())));
            }
            let joined = parts.join(" OR ");
            c.sql.push_str(&match (*negated, parts.len()) {
                (false, 1) => joined,
                (false, _) => format!("({joined})"),
                (true, _) => format!("NOT ({joined})"),
            });
            c.params.extend(nums.into_iter().map(SqlValue::Real));
            c.params.extend(texts.into_iter().map(SqlValue::Text));
        }
        Pred::Like { pattern, case_insensitive, negated } => {
            c.sql.push_str(&format!("{}rl_like({text_col}, ?, ?)", if *negated { "NOT " } else { "" }));
            c.params.push(text(pattern));
            c.params.push(SqlValue::Integer(i64::from(*case_insensitive)));
        }
        Pred::Regex { pattern, negated } => {
            check_regex(pattern, span)?;
            c.sql.push_str(&format!("{}rl_regexp({text_col}, ?)", if *negated { "NOT " } else { "" }));
            c.params.push(text(pattern));
        }
        Pred::IsNull { negated } => c.sql.push_str(&format!("{text_col} IS {}NULL", if *negated { "NOT " } else { "" })),
    }
    Ok(())
}

fn attr_pred(attr: Attr, pred: &Pred, span: Span, c: &mut Compiled) -> Result<(), FilterError> {
    let col = attr_sql(attr);
    if attr.is_text() {
        text_only(pred, &format!("`{}` is text", attr.name()))?;
    }
    if attr.always_set() && matches!(pred, Pred::IsNull { .. }) {
        return Err(FilterError::new(span, format!("every run has a `{}`: `is null` cannot select anything", attr.name()), &[]));
    }
    match attr {
        Attr::Started | Attr::Ended => {
            let pred = convert_values(pred, |v| match &v.kind {
                Literal::Num(n) => Ok(*n),
                Literal::Str(s) => parse_date_ms(s).map(|ms| ms as f64).ok_or_else(|| {
                    FilterError::new(v.span, format!("`{s}` is not a date"), &["'YYYY-MM-DD'", "'YYYY-MM-DD HH:MM'", "ms since the epoch"])
                }),
                Literal::Bool(_) => Err(FilterError::new(v.span, "expected a date", &["'YYYY-MM-DD'"])),
            })?;
            numeric_pred(col, &pred, span, c, "times")
        }
        Attr::Duration => {
            let pred = convert_values(pred, |v| match &v.kind {
                Literal::Num(n) => Ok(*n),
                Literal::Str(s) => parse_duration_s(s)
                    .ok_or_else(|| FilterError::new(v.span, format!("`{s}` is not a duration"), &["seconds", "'90s'", "'5m'", "'1h30m'", "'2d'"])),
                Literal::Bool(_) => Err(FilterError::new(v.span, "expected a duration", &["seconds"])),
            })?;
            numeric_pred(col, &pred, span, c, "durations")
        }
        Attr::Deleted => numeric_pred(col, pred, span, c, "deleted"),
        Attr::Starred => numeric_pred(col, pred, span, c, "starred"),
        Attr::Label => label_pred(pred, span, c),
        Attr::Status => match pred {
            // Statuses are stored lower-case; MLflow users write FINISHED.
            Pred::Cmp(op, Value { kind: Literal::Str(s), .. }) => {
                c.sql.push_str(&format!("{col} {} ?", op.sql()));
                c.params.push(text(&normalise_status(s)));
                Ok(())
            }
            Pred::In { values, negated } => {
                let values: Vec<Value> = values
                    .iter()
                    .map(|v| match &v.kind {
                        Literal::Str(s) => Value { kind: Literal::Str(normalise_status(s)), span: v.span },
                        _ => v.clone(),
                    })
                    .collect();
                mixed_pred(col, "NULL", &Pred::In { values, negated: *negated }, span, c)
            }
            other => mixed_pred(col, "NULL", other, span, c),
        },
        Attr::Commit => match pred {
            // A short hash matches the commits it starts.
            Pred::Cmp(CmpOp::Eq, Value { kind: Literal::Str(s), .. }) if s.len() < 40 && !s.is_empty() => {
                c.sql.push_str(&format!("substr({col}, 1, ?) = ?"));
                c.params.push(SqlValue::Integer(s.chars().count() as i64));
                c.params.push(text(s));
                Ok(())
            }
            other => mixed_pred(col, "NULL", other, span, c),
        },
        Attr::Id => {
            // Runlens ids and the tracker's own run ids both work: a run passes a positive
            // test when either id does, a negative one (`!=`, `not in`, `not like`, `!~`)
            // when both do.
            let negative = match pred {
                Pred::Cmp(op, _) => *op == CmpOp::Ne,
                Pred::In { negated, .. } | Pred::Like { negated, .. } | Pred::Regex { negated, .. } => *negated,
                Pred::IsNull { .. } => false,
            };
            c.sql.push('(');
            mixed_pred("r.id", "NULL", pred, span, c)?;
            c.sql.push_str(if negative { " AND " } else { " OR " });
            mixed_pred("r.native_id", "NULL", pred, span, c)?;
            c.sql.push(')');
            Ok(())
        }
        _ => mixed_pred(col, "NULL", pred, span, c),
    }
}

/// The same predicate with its values turned into numbers.
fn convert_values(pred: &Pred, f: impl Fn(&Value) -> Result<f64, FilterError>) -> Result<Pred, FilterError> {
    let conv = |v: &Value| f(v).map(|n| Value { kind: Literal::Num(n), span: v.span });
    Ok(match pred {
        Pred::Cmp(op, v) => Pred::Cmp(*op, conv(v)?),
        Pred::In { values, negated } => Pred::In { values: values.iter().map(conv).collect::<Result<_, _>>()?, negated: *negated },
        other => other.clone(),
    })
}

fn normalise_status(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "completed" | "success" => "finished".into(),
        "interrupted" => "killed".into(),
        other => other.to_string(),
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn check_regex(pattern: &str, span: Span) -> Result<(), FilterError> {
    regex::Regex::new(pattern).map(|_| ()).map_err(|e| {
        let first_line = e.to_string().lines().last().unwrap_or("").trim().to_string();
        FilterError::new(span, format!("invalid regular expression: {first_line}"), &["a valid regular expression"])
    })
}

/// `YYYY-MM-DD`, optionally followed by ` HH:MM[:SS]` (or `T`), as UTC ms.
fn parse_date_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_end_matches('Z'))),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = days_from_civil(y, m, day) * 86_400;
    if let Some(t) = time {
        let mut parts = t.split(':');
        let h: i64 = parts.next()?.parse().ok()?;
        let min: i64 = parts.next().unwrap_or("0").parse().ok()?;
        let sec: f64 = parts.next().unwrap_or("0").parse().ok()?;
        if h > 23 || min > 59 || !(0.0..61.0).contains(&sec) {
            return None;
        }
        secs += h * 3600 + min * 60;
        return Some(secs * 1000 + (sec * 1000.0) as i64);
    }
    Some(secs * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `90`, `90s`, `5m`, `1h30m`, `2d`, `1.5h` as seconds.
fn parse_duration_s(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut any = false;
    for ch in s.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            number.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            'w' => 604_800.0,
            ' ' => continue,
            _ => return None,
        };
        total += number.parse::<f64>().ok()? * unit;
        number.clear();
        any = true;
    }
    (any && number.is_empty()).then_some(total)
}

/// Registers the SQL functions compiled filters use: `rl_like(value, pattern,
/// case_insensitive)`, `rl_regexp(value, pattern)` and `rl_file_uri(path)` (MLflow's
/// `artifact_uri` of a folder).
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("rl_regexp", 2, flags, |ctx| {
        let re: std::sync::Arc<regex::Regex> = ctx.get_or_create_aux(1, |v| {
            regex::Regex::new(v.as_str().unwrap_or("")).map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })?;
        Ok(ctx.get::<Option<String>>(0)?.is_some_and(|s| re.is_match(&s)))
    })?;
    conn.create_scalar_function("rl_like", 3, flags, |ctx| {
        let ci = ctx.get::<i64>(2)? != 0;
        let re: std::sync::Arc<regex::Regex> = ctx.get_or_create_aux(1, |v| {
            let pattern = v.as_str().unwrap_or("");
            like_regex(pattern, ci).map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })?;
        Ok(ctx.get::<Option<String>>(0)?.is_some_and(|s| re.is_match(&s)))
    })?;
    conn.create_scalar_function("rl_file_uri", 1, flags, |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|p| file_uri(&p))))?;
    Ok(())
}

/// The `file://` URI of an absolute path as MLflow writes it (Python's `Path.as_uri`):
/// bytes other than ASCII letters, digits, `/`, `-`, `.`, `_` and `~` percent-encoded.
fn file_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len() + 7);
    uri.push_str("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// SQL `LIKE` (`%` any run, `_` one character, `\` escapes) as an anchored regex.
fn like_regex(pattern: &str, case_insensitive: bool) -> Result<regex::Regex, regex::Error> {
    let mut re = String::from(if case_insensitive { "(?is)^" } else { "(?s)^" });
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '\\' => {
                if let Some(next) = chars.next() {
                    re.push_str(&regex::escape(&next.to_string()));
                }
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn dates_and_durations() {
        assert_eq!(parse_date_ms("1970-01-01"), Some(0));
        assert_eq!(parse_date_ms("2024-05-06"), Some(1_714_953_600_000));
        assert_eq!(parse_date_ms("2024-05-06 09:00"), Some(1_714_986_000_000));
        assert_eq!(parse_date_ms("2024-05-06T09:00:00Z"), Some(1_714_986_000_000));
        assert_eq!(parse_date_ms("2024-13-06"), None);
        assert_eq!(parse_date_ms("yesterday"), None);
        assert_eq!(parse_duration_s("90"), Some(90.0));
        assert_eq!(parse_duration_s("1h30m"), Some(5400.0));
        assert_eq!(parse_duration_s("2d"), Some(172_800.0));
        assert_eq!(parse_duration_s("5 minutes"), None);
    }

    #[test]
    fn like_patterns() {
        let re = like_regex("%bert%", false).unwrap();
        assert!(re.is_match("distilbert-base"));
        assert!(!re.is_match("DistilBERT"));
        assert!(like_regex("%bert%", true).unwrap().is_match("DistilBERT"));
        assert!(like_regex("ÜN_CODE", true).unwrap().is_match("ünicode"), "Unicode case folding");
        assert!(like_regex("100\\%", false).unwrap().is_match("100%"));
        assert!(!like_regex("100\\%", false).unwrap().is_match("1000"));
        assert!(like_regex("a.b", false).unwrap().is_match("a.b") && !like_regex("a.b", false).unwrap().is_match("axb"));
    }
}
