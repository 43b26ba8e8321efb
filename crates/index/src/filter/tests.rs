//! Table tests of the filter language through one `check` helper: the filter as one SQL
//! condition over `runs r` (each test's [`super::leaf`] in the boolean structure the
//! evaluator combines as sets) with its parameters, or the positioned error as the CLI
//! prints it. Update the snapshots with `UPDATE_EXPECT=1 cargo test -p runlens-index filter`.

use expect_test::{Expect, expect};
use rusqlite::types::Value as SqlValue;

use super::{Compiled, Expr, FilterError, LeafKind};

/// The filter as one condition: what `eval.rs` computes leaf by leaf.
fn condition(expr: &Expr, c: &mut Compiled) -> Result<(), FilterError> {
    match expr {
        Expr::And(parts) | Expr::Or(parts) => {
            let joiner = if matches!(expr, Expr::And(_)) { " AND " } else { " OR " };
            c.sql.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    c.sql.push_str(joiner);
                }
                condition(p, c)?;
            }
            c.sql.push(')');
        }
        Expr::Not(inner) => {
            c.sql.push_str("NOT ");
            condition(inner, c)?;
        }
        Expr::Test { field, pred, span } => {
            let leaf = super::leaf(field, pred, *span)?;
            match leaf.kind {
                LeafKind::RunIds => c.sql.push_str(&format!("r.rid IN ({})", leaf.compiled.sql)),
                LeafKind::RunCondition => c.sql.push_str(&leaf.compiled.sql),
            }
            c.params.extend(leaf.compiled.params);
        }
    }
    Ok(())
}

fn render(text: &str) -> String {
    let parsed = super::parse(text).and_then(|e| match e {
        Some(e) => {
            let mut c = Compiled { sql: String::new(), params: Vec::new() };
            condition(&e, &mut c).map(|()| Some(c))
        }
        None => Ok(None),
    });
    match parsed {
        Ok(None) => "(everything)".to_string(),
        Ok(Some(c)) => {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|p| match p {
                    SqlValue::Text(t) => format!("{t:?}"),
                    SqlValue::Real(r) => format!("{r}"),
                    SqlValue::Integer(i) => format!("{i}"),
                    other => format!("{other:?}"),
                })
                .collect();
            format!("{}\n[{}]", c.sql, params.join(", "))
        }
        Err(e) => e.render(text),
    }
}

fn check(text: &str, expected: Expect) {
    expected.assert_eq(&render(text));
}

#[test]
fn mlflow_syntax_works_unchanged() {
    check(
        "metrics.acc > 0.9 and params.optimizer = 'adam'",
        expect![[r#"
            (r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.latest > ?) AND r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND p.value = ?))
            ["acc", 0.9, "optimizer", "adam"]"#]],
    );
    check(
        "tags.mlflow.runName like '%bert%'",
        expect![[r#"
            r.rid IN (SELECT t.rid FROM tags t WHERE t.key = ? AND rl_like(t.value, ?, ?))
            ["mlflow.runName", "%bert%", 0]"#]],
    );
    check(
        "attributes.status = 'FINISHED'",
        expect![[r#"
            r.status = ?
            ["finished"]"#]],
    );
    check(
        "metrics.`val accuracy` >= 0.5 AND metrics.`train/loss` < 1",
        expect![[r#"
            (r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.latest >= ?) AND r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.latest < ?))
            ["val accuracy", 0.5, "train/loss", 1]"#]],
    );
    check(
        "attributes.start_time > 1714986000000 and attribute.run_name = 'x'",
        expect![[r#"
            (r.start_ms > ? AND r.name = ?)
            [1714986000000, "x"]"#]],
    );
}

#[test]
fn beyond_mlflow() {
    check(
        "(metrics.`val/loss`.min <= 0.2 or metrics.acc.max > 0.95) and not params.lr in (0.1, 0.01)",
        expect![[r#"
            ((r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.min <= ?) OR r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.max > ?)) AND NOT r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND p.num IN (?, ?)))
            ["val/loss", 0.2, "acc", 0.95, "lr", 0.1, 0.01]"#]],
    );
    check(
        "name ~ '^resnet' and experiment ilike 'IMAGE%' and source = 'tensorboard'",
        expect![[r#"
            (rl_regexp(r.name, ?) AND rl_like(r.experiment, ?, ?) AND (SELECT s.source FROM stores s WHERE s.id = r.store_id) = ?)
            ["^resnet", "IMAGE%", 1, "tensorboard"]"#]],
    );
    check(
        "params.lr < 0.01 and params.optimizer not in ('sgd', 'adam')",
        expect![[r#"
            (r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND p.num < ?) AND r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND NOT (p.value IN (?, ?))))
            ["lr", 0.01, "optimizer", "sgd", "adam"]"#]],
    );
    check(
        "started >= '2024-05-06 09:00' and duration > '1h30m' and status in ('RUNNING', 'failed')",
        expect![[r#"
            (r.start_ms >= ? AND ((r.end_ms - r.start_ms) / 1000.0) > ? AND r.status IN (?, ?))
            [1714986000000, 5400, "running", "failed"]"#]],
    );
    check(
        "commit = '3083e53' and user != 'alice' and tags.team is not null",
        expect![[r#"
            (substr(r.git_commit, 1, ?) = ? AND r.user <> ? AND r.rid IN (SELECT t.rid FROM tags t WHERE t.key = ?))
            [7, "3083e53", "alice", "team"]"#]],
    );
    check(
        "metrics.loss.count > 100 and metrics.loss.step >= 99 and metrics.loss.last < metrics_is_not_a_value",
        expect![[r#"
            metrics.loss.count > 100 and metrics.loss.step >= 99 and metrics.loss.last < metrics_is_not_a_value
                                                                                         ^^^^^^^^^^^^^^^^^^^^^^ `metrics_is_not_a_value` is not a value: put text in quotes ('metrics_is_not_a_value') (expected a number, a 'string')"#]],
    );
    check(
        "metrics.training.loss < 0.5",
        expect![[r#"
            r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.latest < ?)
            ["training.loss", 0.5]"#]],
    );
    check("   ", expect!["(everything)"]);
    check(
        "id = 'e1eca61a239941b493faea779cf81e6f'",
        expect![[r#"
            (r.id = ? OR r.native_id = ?)
            ["e1eca61a239941b493faea779cf81e6f", "e1eca61a239941b493faea779cf81e6f"]"#]],
    );
}

#[test]
fn malformed_filters_are_positioned_errors() {
    check(
        "metrics.acc >> 0.9",
        expect![[r#"
            metrics.acc >> 0.9
                         ^ expected a value (expected a number, a 'string')"#]],
    );
    check(
        "metrics.acc > 0.9 and",
        expect![[r#"
            metrics.acc > 0.9 and
                                 ^ the filter ends too early (expected `metrics.<key>`, `params.<key>`, `tags.<key>`, an attribute such as `name` or `status`, `(`, `not`)"#]],
    );
    check(
        "params.lr = 'unterminated",
        expect![[r#"
            params.lr = 'unterminated
                        ^^^^^^^^^^^^^ unterminated string (expected a closing ')"#]],
    );
    check(
        "(metrics.acc > 0.9",
        expect![[r#"
            (metrics.acc > 0.9
                              ^ missing `)` (expected `)`)"#]],
    );
    check(
        "metric.acc > 0.9)",
        expect![[r#"
            metric.acc > 0.9)
                            ^ unmatched `)` (expected `and`, `or`, the end)"#]],
    );
    check(
        "foo.bar = 1",
        expect![[r#"
            foo.bar = 1
            ^^^ unknown prefix `foo`: use `metrics.`, `params.`, `tags.`, `attributes.`, `datasets.` or `artifacts.` (expected `metrics.<key>`, `params.<key>`, `tags.<key>`, an attribute such as `name` or `status`, `(`, `not`)"#]],
    );
    check(
        "attributes.colour = 'red'",
        expect![[r#"
            attributes.colour = 'red'
                       ^^^^^^ unknown attribute `colour` (expected id, name, status, experiment, source, store, started, ended, duration, user, commit, deleted, artifact_uri, starred, note, label)"#]],
    );
    check(
        "metrics.acc = 'high'",
        expect![[r#"
            metrics.acc = 'high'
                          ^^^^^^ metrics compare with numbers, not text (expected a number)"#]],
    );
    check(
        "metrics.acc like '%1'",
        expect![[r#"
            metrics.acc like '%1'
            ^^^^^^^^^^^^^^^^^^^^^ metrics are numbers: use =, <, >, in (...) (expected `=`, `<`, `>`, `in`)"#]],
    );
    check(
        "name ~ '(unclosed'",
        expect![[r#"
            name ~ '(unclosed'
            ^^^^^^^^^^^^^^^^^^ invalid regular expression: error: unclosed group (expected a valid regular expression)"#]],
    );
    check(
        "started > 'last tuesday'",
        expect![[r#"
            started > 'last tuesday'
                      ^^^^^^^^^^^^^^ `last tuesday` is not a date (expected 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM', ms since the epoch)"#]],
    );
    check(
        "params.lr between 1",
        expect![[r#"
            params.lr between 1
                      ^^^^^^^ `between` is not an operator (expected `=`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `like`, `ilike`, `~`, `is null`, `not in`)"#]],
    );
    check(
        "name = 'Läufer' and ü",
        expect![[r#"
            name = 'Läufer' and ü
                                ^ unknown field `ü` (expected `metrics.<key>`, `params.<key>`, `tags.<key>`, an attribute such as `name` or `status`, `(`, `not`)"#]],
    );
}

#[test]
fn sort_keys() {
    let k = super::parse_sort("-metrics.`val/loss`.min").unwrap();
    assert!(k.descending);
    assert_eq!(k.field, super::Field::Metric { key: "val/loss".into(), agg: super::Agg::Min });
    assert!(super::parse_sort("params.lr desc").unwrap().descending);
    assert!(!super::parse_sort("started asc").unwrap().descending);
    let e = super::parse_sort("started sideways").unwrap_err();
    assert_eq!(e.span, super::Span::new(8, 16));
}

#[test]
fn mlflow_spellings_of_keys_and_run_names() {
    check(
        r#"params."my key" = 'v1' and `metrics`.`val acc` > 0.5 and tags."mlflow.runName" = "alpha""#,
        expect![[r#"
            (r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND p.value = ?) AND r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.latest > ?) AND r.rid IN (SELECT t.rid FROM tags t WHERE t.key = ? AND t.value = ?))
            ["my key", "v1", "val acc", 0.5, "mlflow.runName", "alpha"]"#]],
    );
    check(
        "`Run name` = 'alpha' or attributes.\"Run Name\" like 'a%' or run_name = 'b'",
        expect![[r#"
        (r.name = ? OR rl_like(r.name, ?, ?) OR r.name = ?)
        ["alpha", "a%", 0, "b"]"#]],
    );
    check(
        "attributes.artifact_uri like '%/artifacts' and parameter.lr = '0.1'",
        expect![[r#"
        (rl_like(rl_file_uri(r.artifact_dir), ?, ?) AND r.rid IN (SELECT p.rid FROM params p WHERE p.key = ? AND p.value = ?))
        ["%/artifacts", 0, "lr", "0.1"]"#]],
    );
}

#[test]
fn run_ids_match_either_id_in_every_test() {
    check(
        "attributes.run_id in ('a1', 'b2')",
        expect![[r#"
        (r.id IN (?, ?) OR r.native_id IN (?, ?))
        ["a1", "b2", "a1", "b2"]"#]],
    );
    check(
        "run_id not in ('a1') and run_id != 'b2' and run_id like 'c%'",
        expect![[r#"
        ((NOT (r.id IN (?)) AND NOT (r.native_id IN (?))) AND (r.id <> ? AND r.native_id <> ?) AND (rl_like(r.id, ?, ?) OR rl_like(r.native_id, ?, ?)))
        ["a1", "a1", "b2", "b2", "c%", 0, "c%", 0]"#]],
    );
}

#[test]
fn is_null_means_the_run_has_no_such_key() {
    check(
        "params.optimizer is null and tags.team is not null and metrics.acc is null",
        expect![[r#"
        (r.rid NOT IN (SELECT p.rid FROM params p WHERE p.key = ?) AND r.rid IN (SELECT t.rid FROM tags t WHERE t.key = ?) AND r.rid NOT IN (SELECT m.rid FROM metrics m WHERE m.key = ?))
        ["optimizer", "team", "acc"]"#]],
    );
    check(
        "attributes.end_time is null",
        expect![[r#"
        r.end_ms IS NULL
        []"#]],
    );
    check(
        "status is null",
        expect![[r#"
        status is null
        ^^^^^^^^^^^^^^ every run has a `status`: `is null` cannot select anything"#]],
    );
}

#[test]
fn nan_metrics_differ_from_every_number() {
    check(
        "metrics.loss != 0 and metrics.loss not in (1, 2) and metrics.loss.min != 3",
        expect![[r#"
        (r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND (m.latest <> ? OR m.latest IS NULL)) AND r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND (m.latest NOT IN (?, ?) OR m.latest IS NULL)) AND r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND (m.min <> ? OR m.min IS NULL)))
        ["loss", 0, "loss", 1, 2, "loss", 3]"#]],
    );
    check(
        "metrics.loss.count != 3",
        expect![[r#"
        r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND m.count <> ?)
        ["loss", 3]"#]],
    );
}

#[test]
fn comparisons_that_can_never_match_are_errors() {
    check(
        "status = 1",
        expect![[r#"
        status = 1
                 ^ `status` is text: put the value in quotes ('1') (expected a 'string')"#]],
    );
    check(
        "run_id != 1",
        expect![[r#"
        run_id != 1
                  ^ `id` is text: put the value in quotes ('1') (expected a 'string')"#]],
    );
    check(
        "tags.team = 1",
        expect![[r#"
        tags.team = 1
                    ^ tags are text: put the value in quotes ('1') (expected a 'string')"#]],
    );
    check(
        "tags.team in ('a', 2)",
        expect![[r#"
        tags.team in ('a', 2)
                           ^ tags are text: put the value in quotes ('2') (expected a 'string')"#]],
    );
    check(
        "attributes.artifact_uri = true",
        expect![[r#"
        attributes.artifact_uri = true
                                  ^^^^ `artifact_uri` is text: put the value in quotes ('true') (expected a 'string')"#]],
    );
    check(
        "datasets.name > 'a'",
        expect![[r#"
        datasets.name > 'a'
        ^^^^^^^^^^^^^^^^^^^ datasets compare with =, !=, like, ilike, in (...) and not in (...) (expected `=`, `!=`, `like`, `ilike`, `in`)"#]],
    );
    check(
        "datasets.name = 1",
        expect![[r#"
        datasets.name = 1
                        ^ dataset fields are text: put the value in quotes ('1') (expected a 'string')"#]],
    );
    check(
        "datasets.size = 'big'",
        expect![[r#"
        datasets.size = 'big'
                 ^^^^ unknown dataset field `size` (expected name, digest, context)"#]],
    );
}

#[test]
fn nesting_is_bounded_with_a_positioned_error() {
    // 10,000 levels once overflowed the stack: the process aborted with no message.
    let deep = format!("{}metrics.acc > 0{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = super::parse(&deep).unwrap_err();
    assert_eq!(e.span, super::Span::new(super::MAX_DEPTH, super::MAX_DEPTH + 1));
    let nots = format!("{}metrics.acc > 0", "not ".repeat(10_000));
    assert_eq!(super::parse(&nots).unwrap_err().span.start, 4 * super::MAX_DEPTH);
    expect!["the filter nests too deeply: at most 100 levels of parentheses and `not`"].assert_eq(&e.message);
    // The deepest filter allowed still parses.
    let ok = format!("{}metrics.acc > 0{}", "(".repeat(super::MAX_DEPTH), ")".repeat(super::MAX_DEPTH));
    assert!(super::parse(&ok).is_ok());
}
