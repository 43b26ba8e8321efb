//! The report as Markdown (for a README, an issue, a lab notebook): the same tables as the
//! HTML report, and each chart as a PNG in a folder beside it (`<name>-charts/`), drawn
//! from the same SVG (rasterised by resvg with the system's fonts). Text from runs is
//! escaped for Markdown and for the HTML that Markdown renderers let through.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runlens_index::filter::Agg;
use runlens_index::{format, view};

use crate::{Report, ReportError, chart, diff_lines, utc, working_tree};

/// Untrusted text inside a line or table cell the report starts itself: the characters
/// Markdown gives an inline meaning to are backslash-escaped (block syntax such as `#`
/// or `-` only counts at the start of a line, which is never the run's text), `<`, `>`
/// and `&` become entities (renderers pass raw HTML through), line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text inside a code span of a table: backquotes and pipes cannot be in it.
fn code(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("`{}`", s.replace('`', "'").replace('|', "\\|"))
}

/// A code fence no line of `body` can close: backquotes, one more than its longest run
/// of them (and at least three).
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// Writes `md` and its charts; returns every file written.
pub fn write(report: &Report, md: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let stem = md.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let charts_name = format!("{stem}-charts");
    let charts_dir = md.with_file_name(&charts_name);
    let mut written = vec![md.to_path_buf()];
    let mut doc = String::new();
    let _ = writeln!(doc, "# {}\n", escape(&report.title));
    let _ = writeln!(doc, "{} runs · {} · written {}\n", report.runs.len(), escape(&report.selection), utc(report.generated_ms));

    doc.push_str("## Runs\n\n| # | Name | Experiment | Source | Status | Started | Duration | Run id |\n|---:|---|---|---|---|---|---:|---|\n");
    for (i, r) in report.runs.iter().enumerate() {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} | {} | {} | {} | `{}` |",
            i + 1,
            escape(&r.name),
            escape(r.experiment.as_deref().unwrap_or("–")),
            escape(&r.source),
            escape(&r.status),
            r.start_ms.map(utc).unwrap_or_else(|| "–".into()),
            format::run_duration(r.start_ms, r.end_ms).unwrap_or_else(|| "–".into()),
            r.id
        );
    }
    let c = &report.comparison;
    let heads: String = (1..=report.runs.len()).map(|n| format!(" {n} |")).collect();
    let rule: String = "---|".repeat(report.runs.len());
    let differing: Vec<_> = c.params.iter().filter(|r| r.differs).collect();
    doc.push_str("\n## Params that differ\n\n");
    if differing.is_empty() {
        doc.push_str("No param differs between these runs.\n");
    } else {
        let _ = writeln!(doc, "| Param |{heads}\n|---|{rule}");
        for row in &differing {
            let cells: String = row.values.iter().map(|v| format!(" {} |", v.as_deref().map(escape).unwrap_or_else(|| "—".into()))).collect();
            let _ = writeln!(doc, "| {} |{cells}", code(&row.key));
        }
    }
    if c.params.len() > differing.len() {
        let _ = writeln!(doc, "\n{} more params have the same value in every run.", c.params.len() - differing.len());
    }
    if !c.datasets.is_empty() {
        let _ = writeln!(doc, "\n## Datasets\n\n| Dataset |{heads}\n|---|{rule}");
        for row in &c.datasets {
            let cells: String = row.values.iter().map(|v| format!(" {} |", v.as_deref().map(code).unwrap_or_else(|| "—".into()))).collect();
            let _ = writeln!(doc, "| {} |{cells}", escape(&row.key));
        }
    }
    if !c.metrics.is_empty() {
        let _ =
            writeln!(doc, "\n## Metrics\n\nLatest value of each run; the best of each row in bold.\n\n| Metric | Better |{heads}\n|---|---|{rule}");
        for m in &c.metrics {
            let best = m.best.of(Agg::Latest);
            let cells: String = m
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    None => " — |".to_string(),
                    Some(s) if best.contains(&i) => format!(" **{}** |", escape(&format::number(s.latest))),
                    Some(s) => format!(" {} |", escape(&format::number(s.latest))),
                })
                .collect();
            let _ = writeln!(doc, "| {} | {} |{cells}", code(&m.key), m.direction.as_str());
        }
    }
    if let Some(imp) = &c.importance
        && !imp.effects.is_empty()
    {
        let _ = writeln!(doc, "\n## Which params matter for {}\n\n| Param | Figure | Runs |\n|---|---|---:|", escape(&imp.metric));
        for e in &imp.effects {
            let _ = writeln!(doc, "| {} | {} | {} |", code(&e.key), escape(&e.method.figure()), e.runs);
        }
    }
    if !report.charts.is_empty() {
        std::fs::create_dir_all(&charts_dir).map_err(ReportError::writing(&charts_dir))?;
        doc.push_str("\n## Charts\n");
        let colors: Vec<&str> = view::RUN_COLORS.to_vec();
        for (i, ch) in report.charts.iter().enumerate() {
            let (svg, _) = chart::svg(ch, &colors, 0);
            let file = format!("chart-{}.png", i + 1);
            let path = charts_dir.join(&file);
            std::fs::write(&path, crate::png::render(&svg)?).map_err(ReportError::writing(&path))?;
            written.push(path);
            let legend: Vec<String> = ch.lines.iter().map(|l| format!("{} {}", l.run + 1, escape(&report.runs[l.run].name))).collect();
            let _ = writeln!(
                doc,
                "\n### {key}\n\n![{key}]({charts_name}/{file})\n\n{}\n\n{} of {} stored points shown · points BLAKE3 `{}`",
                legend.join(" · "),
                ch.shown(),
                ch.stored(),
                ch.points_blake3,
                key = escape(&ch.key),
            );
        }
    }
    if !report.images.is_empty() {
        std::fs::create_dir_all(&charts_dir).map_err(ReportError::writing(&charts_dir))?;
        doc.push_str("\n## Images\n");
        for (p, im) in report.images.iter().enumerate() {
            let _ = writeln!(doc, "\n### {}\n\n| Step |{heads}\n|---|{rule}", code(&im.pattern));
            for (row, (step, cells)) in im.steps.iter().zip(&im.cells).enumerate() {
                let mut line = format!("| {} |", step.map(|s| s.to_string()).unwrap_or_default());
                for (run, cell) in cells.iter().enumerate() {
                    match cell {
                        Some(picture) => {
                            let file = format!("image-{}-{}-{}.png", p + 1, row + 1, run + 1);
                            let path = charts_dir.join(&file);
                            std::fs::write(&path, &picture.png).map_err(ReportError::writing(&path))?;
                            written.push(path);
                            let _ = write!(line, " ![{}]({charts_name}/{file}) |", escape(&picture.path));
                        }
                        None => line.push_str(" — |"),
                    }
                }
                let _ = writeln!(doc, "{line}");
            }
            if im.left_out > 0 || im.more_steps > 0 {
                let _ = writeln!(doc, "\n{} more steps not shown, {} images left out (size cap or unreadable).", im.more_steps, im.left_out);
            }
        }
    }
    doc.push_str("\n## Code and environment\n\n| # | Commit | Branch | Working tree |\n|---:|---|---|---|\n");
    for (i, r) in c.runs.iter().enumerate() {
        let _ = writeln!(
            doc,
            "| {} | {} | {} | {} |",
            i + 1,
            r.git.commit.as_deref().map(code).unwrap_or_else(|| "–".into()),
            escape(r.git.branch.as_deref().unwrap_or("–")),
            working_tree(r.git.dirty).unwrap_or("–")
        );
    }
    if report.code_diffs.is_empty() {
        doc.push_str("\nThe recorded code and environment files are the same as the first run's, or were not recorded.\n");
    }
    for (i, files) in &report.code_diffs {
        for d in files {
            let _ = writeln!(doc, "\n### {} (run 1 → {})\n", code(&d.name), i + 1);
            if let Some(note) = &d.note {
                let _ = writeln!(doc, "{}\n", escape(note));
            }
            let lines: Vec<&str> = diff_lines(&d.unified).map(|(_, l)| l).collect();
            if !lines.is_empty() {
                let body = lines.join("\n");
                let fence = fence_for(&body);
                let _ = writeln!(doc, "{fence}diff\n{body}\n{fence}");
            }
        }
    }
    let notes: Vec<_> = report.runs.iter().filter(|r| !r.note.is_empty()).collect();
    if !notes.is_empty() {
        doc.push_str("\n## Notes\n");
        for r in notes {
            let _ = writeln!(doc, "\n**{}**: {}", escape(&r.name), escape(&r.note));
        }
    }
    let _ = writeln!(
        doc,
        "\n---\n\nStores: {}. Index {}, last scanned {}. Written by Runlens {} (commit {}). Regenerate with {}.",
        report.stores.iter().map(|s| code(s)).collect::<Vec<_>>().join(", "),
        code(&report.index_path),
        report.indexed_ms.map(utc).unwrap_or_else(|| "never".into()),
        report.version,
        code(report.commit),
        code(&report.command)
    );
    std::fs::write(md, doc).map_err(ReportError::writing(md))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_in_text_are_inert() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("a|b *c* [x](y) `z` ~~s~~ _u_\nnext"), "a\\|b \\*c\\* \\[x\\](y) \\`z\\` \\~\\~s\\~\\~ \\_u\\_ next");
        assert_eq!(escape("Läufer σ=0.5 日本 🚀 #1 - x"), "Läufer σ=0.5 日本 🚀 #1 - x");
    }

    #[test]
    fn a_diff_cannot_close_its_fence() {
        assert_eq!(fence_for("+numpy==1.26"), "```");
        assert_eq!(fence_for("+```\n-`` x"), "````");
        assert_eq!(fence_for("+ `````"), "``````");
    }
}
