//! Tokens of the filter language, with their character spans.

use super::{FilterError, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: a key segment, a keyword (`and`, `in`, ...) or an attribute name.
    Word(String),
    /// A backquoted key segment: `` `val accuracy` ``.
    Quoted(String),
    /// A 'single-quoted' string: a value.
    Str(String),
    /// A "double-quoted" string: a value, or a key segment (`params."my key"`), as in MLflow.
    DStr(String),
    /// A number, with its text as written (for key segments such as `params.0`).
    Num(f64, String),
    Dot,
    Comma,
    LParen,
    RParen,
    Op(CmpOp),
    /// `~` (regex match) or `!~` (regex does not match).
    Regex {
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Splits `text` into tokens. Spans count characters (not bytes), so the UI can underline.
pub fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let single = |tok: Tok| Token { tok, span: Span::new(start, start + 1) };
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '.' if !chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                out.push(single(Tok::Dot));
                i += 1;
            }
            ',' => {
                out.push(single(Tok::Comma));
                i += 1;
            }
            '(' => {
                out.push(single(Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push(single(Tok::RParen));
                i += 1;
            }
            '~' => {
                out.push(single(Tok::Regex { negated: false }));
                i += 1;
            }
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (tok, len) = match (c, next) {
                    ('=', Some('=')) => (Tok::Op(CmpOp::Eq), 2),
                    ('=', _) => (Tok::Op(CmpOp::Eq), 1),
                    ('!', Some('=')) => (Tok::Op(CmpOp::Ne), 2),
                    ('!', Some('~')) => (Tok::Regex { negated: true }, 2),
                    ('<', Some('>')) => (Tok::Op(CmpOp::Ne), 2),
                    ('<', Some('=')) => (Tok::Op(CmpOp::Le), 2),
                    ('<', _) => (Tok::Op(CmpOp::Lt), 1),
                    ('>', Some('=')) => (Tok::Op(CmpOp::Ge), 2),
                    ('>', _) => (Tok::Op(CmpOp::Gt), 1),
                    _ => {
                        return Err(FilterError::new(Span::new(i, i + 1), "unexpected `!`", &["`!=`", "`!~`"]));
                    }
                };
                out.push(Token { tok, span: Span::new(i, i + len) });
                i += len;
            }
            '\'' | '"' | '`' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            let what = if quote == '`' { "backquoted key" } else { "string" };
                            return Err(FilterError::new(
                                Span::new(start, chars.len()),
                                format!("unterminated {what}"),
                                &[&format!("a closing {quote}")],
                            ));
                        }
                        Some('\\') if chars.get(i + 1).is_some() => {
                            value.push(chars[i + 1]);
                            i += 2;
                        }
                        // A doubled quote inside is the quote itself (SQL style).
                        Some(&q) if q == quote && chars.get(i + 1) == Some(&quote) => {
                            value.push(quote);
                            i += 2;
                        }
                        Some(&q) if q == quote => {
                            i += 1;
                            break;
                        }
                        Some(&other) => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                let tok = match quote {
                    '`' => Tok::Quoted(value),
                    '"' => Tok::DStr(value),
                    _ => Tok::Str(value),
                };
                out.push(Token { tok, span: Span::new(start, i) });
            }
            c if c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == '.')) => {
                let mut j = i + 1;
                while j < chars.len() {
                    let d = chars[j];
                    let exponent_sign = (d == '-' || d == '+') && matches!(chars[j - 1], 'e' | 'E');
                    if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exponent_sign || d == '_' {
                        j += 1;
                    } else {
                        break;
                    }
                }
                // Digits running into letters are a word (`2nd_loss`), not a number.
                if j < chars.len() && is_word_char(chars[j]) {
                    while j < chars.len() && is_word_char(chars[j]) {
                        j += 1;
                    }
                    out.push(Token { tok: Tok::Word(chars[i..j].iter().collect()), span: Span::new(i, j) });
                    i = j;
                    continue;
                }
                let written: String = chars[i..j].iter().collect();
                let text: String = written.chars().filter(|c| *c != '_').collect();
                let span = Span::new(i, j);
                let value = text.parse::<f64>().map_err(|_| FilterError::new(span, format!("`{written}` is not a number"), &["a number"]))?;
                out.push(Token { tok: Tok::Num(value, written), span });
                i = j;
            }
            c if is_word_char(c) => {
                let mut j = i + 1;
                while j < chars.len() && (is_word_char(chars[j]) || (chars[j] == '-' && j + 1 < chars.len() && is_word_char(chars[j + 1]))) {
                    j += 1;
                }
                out.push(Token { tok: Tok::Word(chars[i..j].iter().collect()), span: Span::new(i, j) });
                i = j;
            }
            other => {
                return Err(FilterError::new(
                    Span::new(i, i + 1),
                    format!("unexpected character `{other}`"),
                    &["a key such as `metrics.acc`", "an operator", "a value"],
                ));
            }
        }
    }
    Ok(out)
}

/// Characters of bare words: letters, digits, `_`, `/`, `:` (keys like `train/loss`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '/' || c == ':'
}
