//! Documents among a run's files, rendered for the artifact browser without running
//! anything in them: Markdown as HTML, its raw HTML shown as text and the result
//! sanitized ([`sanitize`]: no scripts, styles, event handlers or frames, links only to
//! `http(s)`/`mailto`, no relative URLs); Jupyter notebooks (nbformat 4) as their cells —
//! code as text, Markdown cells and HTML outputs sanitized the same way, images as bytes,
//! error tracebacks without their terminal colour codes. HTML files are not rendered
//! here: the app shows them in a sandboxed frame with scripts off.

use std::sync::LazyLock;

use serde_json::Value;

/// HTML that holds nothing active: ammonia's allow-list of tags and attributes, URLs
/// only with the `http`, `https` and `mailto` schemes, relative URLs removed (they
/// would resolve against the app).
pub fn sanitize(html: &str) -> String {
    static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(["http", "https", "mailto"].into()).url_relative(ammonia::UrlRelative::Deny);
        b
    });
    CLEANER.clean(html).to_string()
}

/// Markdown (CommonMark with tables, strikethrough and task lists) as sanitized HTML;
/// raw HTML in it is shown as text.
pub fn markdown_html(text: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(text, options).map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        // A checkbox would be an `<input>`, which the sanitizer drops.
        Event::TaskListMarker(done) => Event::Text(if done { "☑ " } else { "☐ " }.into()),
        e => e,
    });
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    sanitize(&out)
}

/// A notebook's cells, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Notebook {
    /// The kernel's language (`python`), if the notebook says.
    pub language: Option<String>,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
    Raw,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub kind: CellKind,
    /// The cell's text as written.
    pub source: String,
    /// A Markdown cell rendered ([`markdown_html`]).
    pub html: Option<String>,
    pub execution_count: Option<i64>,
    pub outputs: Vec<Output>,
}

/// One output of a code cell: the richest form of it that can be shown safely.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A stream, a plain-text result, or an error's traceback (`error`).
    Text {
        text: String,
        error: bool,
    },
    /// An HTML result (a DataFrame's table), sanitized.
    Html {
        html: String,
    },
    Image {
        mime: &'static str,
        bytes: Vec<u8>,
    },
}

/// nbformat's multi-line strings: a string or a list of lines.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Terminal colour and cursor codes (IPython's tracebacks are full of them).
fn without_ansi(text: &str) -> String {
    static ANSI: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap());
    ANSI.replace_all(text, "").into_owned()
}

/// A display output's richest safe form: an image, then HTML, then plain text.
fn display(data: &serde_json::Map<String, Value>) -> Option<Output> {
    use base64::Engine as _;
    for mime in ["image/png", "image/jpeg", "image/gif"] {
        if let Some(b64) = data.get(mime) {
            let clean: String = text_of(b64).chars().filter(|c| !c.is_whitespace()).collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(clean) {
                return Some(Output::Image { mime, bytes });
            }
        }
    }
    if let Some(svg) = data.get("image/svg+xml") {
        return Some(Output::Image { mime: "image/svg+xml", bytes: text_of(svg).into_bytes() });
    }
    if let Some(html) = data.get("text/html") {
        return Some(Output::Html { html: sanitize(&text_of(html)) });
    }
    if let Some(md) = data.get("text/markdown") {
        return Some(Output::Html { html: markdown_html(&text_of(md)) });
    }
    data.get("text/plain").map(|t| Output::Text { text: text_of(t), error: false })
}

fn output(o: &Value) -> Option<Output> {
    match o.get("output_type")?.as_str()? {
        "stream" => Some(Output::Text { text: text_of(o.get("text")?), error: o.get("name").and_then(Value::as_str) == Some("stderr") }),
        "execute_result" | "display_data" => display(o.get("data")?.as_object()?),
        "error" => {
            let traceback: Vec<String> = o.get("traceback")?.as_array()?.iter().filter_map(Value::as_str).map(without_ansi).collect();
            let text = if traceback.is_empty() {
                format!("{}: {}", o.get("ename").and_then(Value::as_str).unwrap_or("Error"), o.get("evalue").and_then(Value::as_str).unwrap_or(""))
            } else {
                traceback.join("\n")
            };
            Some(Output::Text { text, error: true })
        }
        _ => None,
    }
}

/// A notebook (nbformat 4) from its JSON; `Err` says why it is not one.
pub fn notebook(bytes: &[u8]) -> Result<Notebook, String> {
    let nb: Value = serde_json::from_slice(bytes).map_err(|e| format!("is not JSON: {e}"))?;
    let major = nb.get("nbformat").and_then(Value::as_i64);
    if major != Some(4) {
        return Err(format!("is not an nbformat 4 notebook (nbformat {})", major.map_or("missing".into(), |m| m.to_string())));
    }
    let meta = nb.get("metadata");
    let language =
        meta.and_then(|m| m.pointer("/kernelspec/language").or_else(|| m.pointer("/language_info/name"))).and_then(Value::as_str).map(String::from);
    let cells = nb.get("cells").and_then(Value::as_array).ok_or("has no cells list")?;
    let cells = cells
        .iter()
        .map(|c| {
            let source = c.get("source").map(text_of).unwrap_or_default();
            let kind = match c.get("cell_type").and_then(Value::as_str) {
                Some("code") => CellKind::Code,
                Some("markdown") => CellKind::Markdown,
                _ => CellKind::Raw,
            };
            Cell {
                html: (kind == CellKind::Markdown).then(|| markdown_html(&source)),
                execution_count: c.get("execution_count").and_then(Value::as_i64),
                outputs: c.get("outputs").and_then(Value::as_array).map(|o| o.iter().filter_map(output).collect()).unwrap_or_default(),
                kind,
                source,
            }
        })
        .collect();
    Ok(Notebook { language, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_its_formatting_and_loses_anything_active() {
        let html = markdown_html(
            "# Results\n\n| lr | acc |\n|---|---|\n| 0.1 | **0.93** |\n\n<script>alert(1)</script>\n\n[ok](https://example.org) [bad](javascript:alert(1)) [rel](plots/a.png) <img src=x onerror=alert(1)>\n",
        );
        assert!(html.contains("<h1>Results</h1>") && html.contains("<table>") && html.contains("<strong>0.93</strong>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "raw HTML is text: {html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("href=\"plots/a.png\""), "relative links removed: {html}");
        assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
    }

    #[test]
    fn sanitized_html_has_no_scripts_handlers_styles_or_frames() {
        let html = sanitize(
            "<table onclick=\"x()\"><tr><td style=\"color:red\">1</td></tr></table><script>x()</script><iframe src=\"https://e.org\"></iframe><a href=\"javascript:x()\">a</a>",
        );
        assert_eq!(html, "<table><tbody><tr><td>1</td></tr></tbody></table><a rel=\"noopener noreferrer\">a</a>");
    }

    #[test]
    fn a_notebooks_cells_and_outputs_come_out_in_order() {
        let nb = br##"{"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
          "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Title\n", "text"]},
            {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 3, "source": "print(1)\n1/0",
             "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]},
                         {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
                          "traceback": ["\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"]}]},
            {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 4, "source": "df",
             "outputs": [{"output_type": "execute_result", "execution_count": 4, "metadata": {},
                          "data": {"text/plain": ["   a\n", "0  1"], "text/html": ["<table><tr><td>1</td></tr></table><script>x()</script>"]}}]},
            {"cell_type": "raw", "id": "d", "metadata": {}, "source": "raw"}
          ]}"##;
        let nb = notebook(nb).unwrap();
        assert_eq!(nb.language.as_deref(), Some("python"));
        let kinds: Vec<CellKind> = nb.cells.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [CellKind::Markdown, CellKind::Code, CellKind::Code, CellKind::Raw]);
        assert_eq!(nb.cells[0].html.as_deref(), Some("<h1>Title</h1>\n<p>text</p>\n"));
        assert_eq!((nb.cells[1].source.as_str(), nb.cells[1].execution_count), ("print(1)\n1/0", Some(3)));
        assert_eq!(
            nb.cells[1].outputs,
            [Output::Text { text: "1\n".into(), error: false }, Output::Text { text: "ZeroDivisionError: division by zero".into(), error: true }]
        );
        assert_eq!(nb.cells[2].outputs, [Output::Html { html: "<table><tbody><tr><td>1</td></tr></tbody></table>".into() }]);
        assert!(notebook(br#"{"nbformat": 3, "worksheets": []}"#).unwrap_err().contains("nbformat 3"));
        assert!(notebook(b"not json").is_err());
    }
}
