//! Table tests of the filter language through one `check` helper: the filter as one SQL
//! condition over `runs r` (each test's [`super::leaf`] in the boolean structure the
//! evaluator combines as sets) with its parameters, or the positioned error as the CLI
//! prints it. Update the snapshots with `UPDATE_EXPECT=1 cargo test -p runlens-index filter`.

use expect_test::{expect, Expect};
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
            (substr(r.git_commit, 1, ?) = ? AND r.user <> ? AND r.rid IN (SELECT t.rid FROM tags t WHERE t.key = ? AND t.value IS NOT NULL))
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
            ^^^ unknown prefix `foo`: use `metrics.`, `params.`, `tags.` or `attributes.` (expected `metrics.<key>`, `params.<key>`, `tags.<key>`, an attribute such as `name` or `status`, `(`, `not`)"#]],
    );
    check(
        "attributes.colour = 'red'",
        expect![[r#"
            attributes.colour = 'red'
                       ^^^^^^ unknown attribute `colour` (expected id, name, status, experiment, source, store, started, ended, duration, user, commit, deleted)"#]],
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
