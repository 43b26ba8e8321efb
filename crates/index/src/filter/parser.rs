//! Recursive descent over the tokens: `or` binds loosest, then `and`, then `not`.
//! Nesting (parentheses and `not`) is bounded by [`MAX_DEPTH`], so no filter text can
//! exhaust the stack of the parser, the evaluator or anything else that walks an [`Expr`].

use super::lexer::{Tok, Token};
use super::{Agg, ArtifactKey, Attr, DatasetKey, Expr, Field, FilterError, Literal, Pred, SortKey, Span, Value};

/// How deeply parentheses and `not` may nest. Real filters nest a few levels; each level
/// costs a few stack frames here and in every walk of the parsed filter.
pub const MAX_DEPTH: usize = 100;

const FIELD_EXPECTED: &[&str] = &["`metrics.<key>`", "`params.<key>`", "`tags.<key>`", "an attribute such as `name` or `status`", "`(`", "`not`"];
const OP_EXPECTED: &[&str] = &["`=`", "`!=`", "`<`", "`<=`", "`>`", "`>=`", "`in`", "`like`", "`ilike`", "`~`", "`is null`", "`not in`"];
const VALUE_EXPECTED: &[&str] = &["a number", "a 'string'"];

pub struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    /// Length of the text in characters, for errors at the end.
    len: usize,
    /// Parentheses and `not`s open around the current position.
    depth: usize,
}

impl<'t> Parser<'t> {
    pub fn new(tokens: &'t [Token], len: usize) -> Parser<'t> {
        Parser { tokens, pos: 0, len, depth: 0 }
    }

    pub fn parse(mut self) -> Result<Expr, FilterError> {
        let expr = self.or()?;
        match self.peek() {
            None => Ok(expr),
            Some(t) if matches!(t.tok, Tok::RParen) => Err(FilterError::new(t.span, "unmatched `)`", &["`and`", "`or`", "the end"])),
            Some(t) => Err(FilterError::new(t.span, "expected `and`, `or` or the end of the filter", &["`and`", "`or`"])),
        }
    }

    pub fn parse_sort(mut self) -> Result<SortKey, FilterError> {
        let (field, span) = self.field()?;
        if matches!(field, Field::Dataset(_) | Field::Artifacts(super::ArtifactKey::Path | super::ArtifactKey::Hash)) {
            return Err(FilterError::new(
                span,
                "runs cannot be sorted by their datasets or artifact paths and hashes",
                &["a metric, param, tag or attribute"],
            ));
        }
        let descending = match self.next() {
            None => false,
            Some(t) if word_is(&t.tok, "asc") => false,
            Some(t) if word_is(&t.tok, "desc") => true,
            Some(t) => return Err(FilterError::new(t.span, "unexpected text after the sort key", &["`asc`", "`desc`", "the end"])),
        };
        match self.peek() {
            None => Ok(SortKey { field, descending }),
            Some(t) => Err(FilterError::new(t.span, "unexpected text after the sort key", &["the end"])),
        }
    }

    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'t Token> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    fn end_span(&self) -> Span {
        Span::new(self.len, self.len + 1)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(t) if word_is(&t.tok, word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.and()?];
        while self.eat_word("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.not()?];
        while self.eat_word("and") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    /// Enters one level of nesting at `span` (a `(` or a `not`), refusing the level
    /// beyond [`MAX_DEPTH`].
    fn enter(&mut self, span: Span) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(span, format!("the filter nests too deeply: at most {MAX_DEPTH} levels of parentheses and `not`"), &[]));
        }
        Ok(())
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if let Some(t) = self.peek()
            && word_is(&t.tok, "not")
        {
            self.pos += 1;
            self.enter(t.span)?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        if let Some(t) = self.peek()
            && matches!(t.tok, Tok::LParen)
        {
            self.pos += 1;
            self.enter(t.span)?;
            let inner = self.or()?;
            self.depth -= 1;
            return match self.next() {
                Some(t) if matches!(t.tok, Tok::RParen) => Ok(inner),
                Some(t) => Err(FilterError::new(t.span, "expected `)`", &["`)`", "`and`", "`or`"])),
                None => Err(FilterError::new(self.end_span(), "missing `)`", &["`)`"])),
            };
        }
        let (field, field_span) = self.field()?;
        let pred = self.predicate()?;
        let end = self.tokens.get(self.pos.saturating_sub(1)).map(|t| t.span.end).unwrap_or(field_span.end);
        Ok(Expr::Test { field, pred, span: Span::new(field_span.start, end) })
    }

    /// `namespace.key.segments` or a bare attribute. As in MLflow, the namespace may be
    /// backquoted (`` `metrics`.acc ``) and a bare attribute backquoted or double-quoted
    /// (`` `Run name` ``); namespaces and attribute names are case-insensitive here.
    fn field(&mut self) -> Result<(Field, Span), FilterError> {
        let first = match self.next() {
            Some(t) => t,
            None => return Err(FilterError::new(self.end_span(), "the filter ends too early", FIELD_EXPECTED)),
        };
        let word = match &first.tok {
            Tok::Word(w) | Tok::Quoted(w) | Tok::DStr(w) => w,
            _ => return Err(FilterError::new(first.span, "expected a key or an attribute", FIELD_EXPECTED)),
        };
        let has_key = matches!(self.peek(), Some(t) if matches!(t.tok, Tok::Dot));
        if !has_key {
            return match Attr::parse(word) {
                Some(attr) => Ok((Field::Attr(attr), first.span)),
                None => Err(FilterError::new(first.span, format!("unknown field `{word}`"), FIELD_EXPECTED)),
            };
        }
        let namespace = word.to_ascii_lowercase();
        let known = [
            "metrics",
            "metric",
            "params",
            "param",
            "parameter",
            "parameters",
            "tags",
            "tag",
            "attributes",
            "attribute",
            "attr",
            "run",
            "datasets",
            "dataset",
            "artifacts",
            "artifact",
        ];
        if !known.contains(&namespace.as_str()) {
            return Err(FilterError::new(
                first.span,
                format!("unknown prefix `{word}`: use `metrics.`, `params.`, `tags.`, `attributes.`, `datasets.` or `artifacts.`"),
                FIELD_EXPECTED,
            ));
        }
        self.pos += 1; // the dot
        let (mut segments, span) = self.key_segments(first.span)?;
        let key_span = Span::new(first.span.end + 1, span.end);
        let field = match namespace.as_str() {
            "metrics" | "metric" => {
                let mut agg = Agg::Latest;
                if segments.len() > 1
                    && let Some((last, false)) = segments.last()
                    && let Some(a) = Agg::parse(last)
                {
                    agg = a;
                    segments.pop();
                }
                Field::Metric { key: join(&segments), agg }
            }
            "params" | "param" | "parameter" | "parameters" => Field::Param(join(&segments)),
            "tags" | "tag" => Field::Tag(join(&segments)),
            "datasets" | "dataset" => {
                let name = join(&segments);
                let key = DatasetKey::parse(&name.to_ascii_lowercase())
                    .ok_or_else(|| FilterError::new(key_span, format!("unknown dataset field `{name}`"), &["name", "digest", "context"]))?;
                Field::Dataset(key)
            }
            "artifacts" | "artifact" => {
                let name = join(&segments);
                let key = ArtifactKey::parse(&name.to_ascii_lowercase())
                    .ok_or_else(|| FilterError::new(key_span, format!("unknown artifacts field `{name}`"), &["size", "count", "path", "hash"]))?;
                Field::Artifacts(key)
            }
            _ => {
                let name = join(&segments);
                let attr = Attr::parse(&name).ok_or_else(|| FilterError::new(key_span, format!("unknown attribute `{name}`"), Attr::NAMES))?;
                Field::Attr(attr)
            }
        };
        Ok((field, span))
    }

    /// Key segments after `namespace.`: words, numbers or backquoted parts joined by dots.
    /// Returns `(segment, was_backquoted)` pairs and the span from `start`.
    fn key_segments(&mut self, start: Span) -> Result<(Vec<(String, bool)>, Span), FilterError> {
        let mut segments = Vec::new();
        let mut end;
        loop {
            let seg = match self.next() {
                Some(Token { tok: Tok::Word(w), span }) => {
                    end = span.end;
                    (w.clone(), false)
                }
                // MLflow takes a key in any quotes: `params.'my key'`, `params."my key"`.
                Some(Token { tok: Tok::Quoted(q) | Tok::DStr(q) | Tok::Str(q), span }) => {
                    end = span.end;
                    (q.clone(), true)
                }
                Some(Token { tok: Tok::Num(_, written), span }) => {
                    end = span.end;
                    (written.clone(), false)
                }
                Some(t) => return Err(FilterError::new(t.span, "expected a key name", &["a name", "a `quoted name`"])),
                None => return Err(FilterError::new(self.end_span(), "expected a key name after `.`", &["a name"])),
            };
            segments.push(seg);
            match self.peek() {
                Some(t) if matches!(t.tok, Tok::Dot) => self.pos += 1,
                _ => break,
            }
        }
        Ok((segments, Span::new(start.start, end)))
    }

    fn predicate(&mut self) -> Result<Pred, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::new(self.end_span(), "expected an operator", OP_EXPECTED));
        };
        match &t.tok {
            Tok::Op(op) => Ok(Pred::Cmp(*op, self.value()?)),
            Tok::Regex { negated } => Ok(Pred::Regex { pattern: self.string("a regular expression")?, negated: *negated }),
            Tok::Word(w) => {
                let word = w.to_ascii_lowercase();
                let (negated, word, span) = if word == "not" {
                    match self.next() {
                        Some(Token { tok: Tok::Word(w2), span }) => (true, w2.to_ascii_lowercase(), *span),
                        Some(t2) => {
                            return Err(FilterError::new(t2.span, "expected `in`, `like` or `ilike` after `not`", &["`in`", "`like`", "`ilike`"]));
                        }
                        None => return Err(FilterError::new(self.end_span(), "expected `in`, `like` or `ilike`", &["`in`", "`like`"])),
                    }
                } else {
                    (false, word, t.span)
                };
                match word.as_str() {
                    "in" => Ok(Pred::In { values: self.list()?, negated }),
                    "like" => Ok(Pred::Like { pattern: self.string("a pattern")?, case_insensitive: false, negated }),
                    "ilike" => Ok(Pred::Like { pattern: self.string("a pattern")?, case_insensitive: true, negated }),
                    "is" if !negated => {
                        let negated = self.eat_word("not");
                        if self.eat_word("null") {
                            Ok(Pred::IsNull { negated })
                        } else {
                            let span = self.peek().map(|t| t.span).unwrap_or(self.end_span());
                            Err(FilterError::new(span, "expected `null`", &["`null`", "`not null`"]))
                        }
                    }
                    _ => Err(FilterError::new(span, format!("`{word}` is not an operator"), OP_EXPECTED)),
                }
            }
            _ => Err(FilterError::new(t.span, "expected an operator", OP_EXPECTED)),
        }
    }

    fn value(&mut self) -> Result<Value, FilterError> {
        match self.next() {
            Some(Token { tok: Tok::Num(n, _), span }) => Ok(Value { kind: Literal::Num(*n), span: *span }),
            Some(Token { tok: Tok::Str(s) | Tok::DStr(s), span }) => Ok(Value { kind: Literal::Str(s.clone()), span: *span }),
            Some(Token { tok: Tok::Word(w), span }) if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") => {
                Ok(Value { kind: Literal::Bool(w.eq_ignore_ascii_case("true")), span: *span })
            }
            // A quantity with its unit (`5m`, `1h30m`, `1GB`) is the text of it.
            Some(Token { tok: Tok::Word(w), span }) if w.starts_with(|c: char| c.is_ascii_digit()) && super::sql::is_quantity(w) => {
                Ok(Value { kind: Literal::Str(w.clone()), span: *span })
            }
            Some(Token { tok: Tok::Word(w), span }) => {
                Err(FilterError::new(*span, format!("`{w}` is not a value: put text in quotes ('{w}')"), VALUE_EXPECTED))
            }
            Some(t) => Err(FilterError::new(t.span, "expected a value", VALUE_EXPECTED)),
            None => Err(FilterError::new(self.end_span(), "expected a value", VALUE_EXPECTED)),
        }
    }

    fn string(&mut self, what: &str) -> Result<String, FilterError> {
        match self.next() {
            Some(Token { tok: Tok::Str(s) | Tok::DStr(s), .. }) => Ok(s.clone()),
            Some(t) => Err(FilterError::new(t.span, format!("expected {what} in quotes"), &["a 'string'"])),
            None => Err(FilterError::new(self.end_span(), format!("expected {what} in quotes"), &["a 'string'"])),
        }
    }

    /// `( value, value, ... )`, a trailing comma allowed (MLflow reads lists as Python tuples).
    fn list(&mut self) -> Result<Vec<Value>, FilterError> {
        match self.next() {
            Some(t) if matches!(t.tok, Tok::LParen) => {}
            Some(t) => return Err(FilterError::new(t.span, "expected `(` to start the list", &["`(`"])),
            None => return Err(FilterError::new(self.end_span(), "expected `(` to start the list", &["`(`"])),
        }
        let mut values = vec![self.value()?];
        loop {
            match self.next() {
                Some(t) if matches!(t.tok, Tok::Comma) => {
                    if matches!(self.peek(), Some(t) if matches!(t.tok, Tok::RParen)) {
                        self.pos += 1;
                        return Ok(values);
                    }
                    values.push(self.value()?);
                }
                Some(t) if matches!(t.tok, Tok::RParen) => return Ok(values),
                Some(t) => return Err(FilterError::new(t.span, "expected `,` or `)`", &["`,`", "`)`"])),
                None => return Err(FilterError::new(self.end_span(), "missing `)` at the end of the list", &["`)`"])),
            }
        }
    }
}

fn word_is(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

fn join(segments: &[(String, bool)]) -> String {
    segments.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(".")
}
