//! The report as LaTeX: a `.tex` with `tabular`s of the runs and their metrics and one
//! PGFPlots figure per metric, whose data files sit in a folder beside it
//! (`<name>-data/`). It compiles with `pdflatex` unchanged (packages: graphicx and
//! pgfplots, from Debian's texlive-latex-base and texlive-pictures). Text from runs is
//! escaped: LaTeX's special characters become their commands, characters outside
//! Latin-1 (which T1 + utf8 set in any TeX) are written as their code points.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runlens_index::compare::Best;
use runlens_index::filter::Agg;
use runlens_index::{format, view};

use crate::{DiffLine, Report, ReportError, diff_lines, utc, working_tree};

/// Untrusted text as LaTeX text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '"' => out.push_str("\\textquotedbl{}"),
            // Quotes and dashes that TeX would ligature or curl: as typed.
            '`' => out.push_str("\\textasciigrave{}"),
            '\'' => out.push_str("\\textquotesingle{}"),
            '-' => out.push_str("-{}"),
            // The symbols of our own figures (Spearman's ρ, Kruskal–Wallis ε²).
            'ρ' => out.push_str("$\\rho$"),
            'ε' => out.push_str("$\\varepsilon$"),
            '–' => out.push_str("\\textendash{}"),
            '—' => out.push_str("\\textemdash{}"),
            c if c.is_control() => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c if ('\u{a1}'..='\u{ff}').contains(&c) && c != '\u{ad}' => out.push(c),
            c => {
                let _ = write!(out, "\\texttt{{[U+{:04X}]}}", c as u32);
            }
        }
    }
    out
}

/// Characters of a param value a table cell shows, and of a diff line.
const TABLE_CELL: usize = 40;
const DIFF_LINE: usize = 110;
/// Characters of a dataset's digest and context kept.
const DATASET_CELL: usize = 64;
/// Runs side by side in one table of images (2.3 cm each).
const IMAGE_COLUMNS: usize = 6;
/// One run's column of images: fixed and centred, so one pdflatex pass lays it out.
const IMAGE_COLUMN: &str = ">{\\centering\\arraybackslash}p{2.4cm}";

/// `s` cut to `n` characters, `...` marking the cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}...", s.chars().take(n - 3).collect::<String>()) }
}

fn rgb(hex: &str) -> String {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    format!("{{rgb,255:red,{};green,{};blue,{}}}", v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff)
}

/// Writes `tex` and its data folder; returns every file written.
pub fn write(report: &Report, tex: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let stem = tex.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let data_name = format!("{stem}-data");
    let data_dir = tex.with_file_name(&data_name);
    std::fs::create_dir_all(&data_dir).map_err(ReportError::writing(&data_dir))?;
    let mut written = Vec::new();
    let mut doc = String::new();
    doc.push_str("\\documentclass[10pt]{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{graphicx}\n\\usepackage{longtable}\n\\usepackage{array}\n");
    doc.push_str("\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}\n\\setlength{\\textwidth}{16cm}\n\\setlength{\\oddsidemargin}{0cm}\n");
    let _ = writeln!(doc, "\\title{{{}}}\n\\date{{{}}}\n\\author{{Runlens {}}}", escape(&report.title), utc(report.generated_ms), report.version);
    doc.push_str("\\begin{document}\n\\maketitle\n");
    let _ = writeln!(doc, "{} runs: {}.\n", report.runs.len(), escape(&report.selection));

    doc.push_str("\\section*{Runs}\n\\resizebox{\\textwidth}{!}{\\begin{tabular}{rllll}\n\\# & Name & Experiment & Status & Duration \\\\ \\hline\n");
    for (i, r) in report.runs.iter().enumerate() {
        let duration = format::run_duration(r.start_ms, r.end_ms).unwrap_or_else(|| "--".into());
        let _ = writeln!(
            doc,
            "{} & {} & {} & {} & {} \\\\",
            i + 1,
            escape(&r.name),
            escape(r.experiment.as_deref().unwrap_or("--")),
            escape(&r.status),
            escape(&duration)
        );
    }
    doc.push_str("\\end{tabular}}\n\n");

    let c = &report.comparison;
    let differing: Vec<_> = c.params.iter().filter(|r| r.differs).collect();
    if !differing.is_empty() {
        let cols = "l".repeat(report.runs.len());
        let heads: Vec<String> = (1..=report.runs.len()).map(|n| n.to_string()).collect();
        let _ = writeln!(doc, "\\section*{{Params that differ}}\n\\resizebox{{\\textwidth}}{{!}}{{\\begin{{tabular}}{{l{cols}}}");
        let _ = writeln!(doc, "Param & {} \\\\ \\hline", heads.join(" & "));
        for row in &differing {
            let cells: Vec<String> =
                row.values.iter().map(|v| v.as_deref().map(|v| escape(&clip(v, TABLE_CELL))).unwrap_or_else(|| "--".into())).collect();
            let _ = writeln!(doc, "\\texttt{{{}}} & {} \\\\", escape(&row.key), cells.join(" & "));
        }
        doc.push_str("\\end{tabular}}\n\n");
    }
    if c.params.len() > differing.len() {
        let _ = writeln!(doc, "{} more params have the same value in every run.\n", c.params.len() - differing.len());
    }
    if !c.datasets.is_empty() {
        // One line per dataset and run that has it (a table as wide as the runs would not
        // fit a page), breaking across pages.
        doc.push_str(
            "\\section*{Datasets}\n{\\small\\begin{longtable}{p{4.2cm}rp{9.5cm}}\nDataset & Run & Digest (context) \\\\ \\hline\n\\endhead\n",
        );
        for row in &c.datasets {
            let mut first = true;
            for (run, value) in row.values.iter().enumerate() {
                let Some(value) = value else { continue };
                let name = if first { format!("{}{}", escape(&row.key), if row.differs { " (differs)" } else { "" }) } else { String::new() };
                first = false;
                let _ = writeln!(doc, "{name} & {} & \\texttt{{{}}} \\\\", run + 1, escape(&clip(value, DATASET_CELL)));
            }
        }
        doc.push_str("\\end{longtable}}\n\n");
    }
    if !c.metrics.is_empty() {
        let cols = "r".repeat(report.runs.len());
        let _ = writeln!(doc, "\\section*{{Metrics (latest value; best in bold)}}\n\\resizebox{{\\textwidth}}{{!}}{{\\begin{{tabular}}{{ll{cols}}}");
        let heads: Vec<String> = (1..=report.runs.len()).map(|n| n.to_string()).collect();
        let _ = writeln!(doc, "Metric & Better & {} \\\\ \\hline", heads.join(" & "));
        for m in &c.metrics {
            let cells: Vec<String> = m
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    None => "--".to_string(),
                    Some(s) if is_best(&m.best, i) => format!("\\textbf{{{}}}", escape(&format::number(s.latest))),
                    Some(s) => escape(&format::number(s.latest)),
                })
                .collect();
            let _ = writeln!(doc, "{} & {} & {} \\\\", escape(&m.key), m.direction.as_str(), cells.join(" & "));
        }
        doc.push_str("\\end{tabular}}\n\n");
    }
    if let Some(imp) = &c.importance
        && !imp.effects.is_empty()
    {
        let _ = writeln!(doc, "\\section*{{Which params matter for {}}}\n\\begin{{tabular}}{{llr}}", escape(&imp.metric));
        for e in &imp.effects {
            let _ = writeln!(doc, "{} & {} & {} runs \\\\", escape(&e.key), escape(&e.method.figure()), e.runs);
        }
        doc.push_str("\\end{tabular}\n\n");
    }

    for (m, chart) in report.charts.iter().enumerate() {
        let _ = writeln!(
            doc,
            "\\begin{{figure}}[htbp]\n\\centering\n\\begin{{tikzpicture}}\n\\begin{{axis}}[width=\\textwidth, height=7cm, xlabel={{step}}, ylabel={{{}}}, legend style={{font=\\tiny}}, legend pos=north east, scaled ticks=false]",
            escape(&chart.key)
        );
        for line in &chart.lines {
            let file = format!("m{m}-r{}.dat", line.run);
            let path = data_dir.join(&file);
            let mut data = String::from("step value\n");
            for (x, y) in line.points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()) {
                let _ = writeln!(data, "{x} {y}");
            }
            std::fs::write(&path, data).map_err(ReportError::writing(&path))?;
            written.push(path);
            let color = rgb(view::run_color(line.run));
            let _ = writeln!(doc, "\\addplot[color={color}, no markers, line width=0.6pt] table {{{data_name}/{file}}};");
            let _ = writeln!(doc, "\\addlegendentry{{{} {}}}", line.run + 1, escape(&report.runs[line.run].name));
        }
        let _ = writeln!(
            doc,
            "\\end{{axis}}\n\\end{{tikzpicture}}\n\\caption{{{} ({} of {} stored points drawn; points BLAKE3 \\texttt{{{}}})}}\n\\end{{figure}}\n",
            escape(&chart.key),
            chart.shown(),
            chart.stored(),
            &chart.points_blake3[..16.min(chart.points_blake3.len())]
        );
    }
    if !report.images.is_empty() {
        doc.push_str("\\section*{Images}\n");
    }
    for (p, im) in report.images.iter().enumerate() {
        let _ = writeln!(doc, "\\subsection*{{\\texttt{{{}}}}}", escape(&im.pattern));
        // At most IMAGE_COLUMNS runs a table, the next runs in the next; rows break across pages.
        let runs: Vec<usize> = (0..report.runs.len()).collect();
        for group in runs.chunks(IMAGE_COLUMNS) {
            let heads: Vec<String> = group.iter().map(|r| (r + 1).to_string()).collect();
            let _ =
                writeln!(doc, "\\begin{{longtable}}{{r{}}}\nStep & {} \\\\ \\hline\n\\endhead", IMAGE_COLUMN.repeat(group.len()), heads.join(" & "));
            for (row, (step, cells)) in im.steps.iter().zip(&im.cells).enumerate() {
                let mut line = step.map(|s| s.to_string()).unwrap_or_default();
                for &run in group {
                    line.push_str(" & ");
                    match cells.get(run).and_then(Option::as_ref) {
                        Some(picture) => {
                            let file = format!("image-{}-{}-{}.png", p + 1, row + 1, run + 1);
                            let path = data_dir.join(&file);
                            std::fs::write(&path, &picture.png).map_err(ReportError::writing(&path))?;
                            written.push(path);
                            let _ = write!(
                                line,
                                "\\raisebox{{-0.5\\height}}{{\\includegraphics[width=2.3cm,height=2.3cm,keepaspectratio]{{{data_name}/{file}}}}}"
                            );
                        }
                        None => line.push_str("--"),
                    }
                }
                let _ = writeln!(doc, "{line} \\\\[2pt]");
            }
            doc.push_str("\\end{longtable}\n");
        }
        if im.left_out > 0 || im.more_steps > 0 {
            let _ = writeln!(doc, "{} more steps not shown, {} images left out (size cap or unreadable).\n", im.more_steps, im.left_out);
        }
    }
    doc.push_str("\\section*{Code and environment}\n\\begin{tabular}{rlll}\n\\# & Commit & Branch & Working tree \\\\ \\hline\n");
    for (i, r) in c.runs.iter().enumerate() {
        let commit = r.git.commit.as_deref().map(|c| c.chars().take(12).collect::<String>()).unwrap_or_else(|| "--".into());
        let branch = r.git.branch.as_deref().unwrap_or("--");
        let _ = writeln!(
            doc,
            "{} & \\texttt{{{}}} & {} & {} \\\\",
            i + 1,
            escape(&commit),
            escape(branch),
            escape(working_tree(r.git.dirty).unwrap_or("--"))
        );
    }
    doc.push_str("\\end{tabular}\n\n");
    for (i, files) in &report.code_diffs {
        for d in files {
            let _ = writeln!(doc, "\\subsection*{{\\texttt{{{}}} (run 1 to {})}}", escape(&d.name), i + 1);
            if let Some(note) = &d.note {
                let _ = writeln!(doc, "{}\n", escape(note));
            }
            // Each line as escaped typewriter text (a verbatim block could be closed by
            // the file's own text), its spaces kept, long lines cut.
            doc.push_str("{\\footnotesize\\ttfamily\\raggedright\n");
            for (kind, line) in diff_lines(&d.unified) {
                let text = escape(&clip(line, DIFF_LINE)).replace(' ', "\\ ");
                let text = if text.is_empty() { "\\mbox{}".to_string() } else { text };
                let _ = match kind {
                    DiffLine::Added => writeln!(doc, "\\textcolor[RGB]{{26,127,55}}{{{text}}}\\par"),
                    DiffLine::Removed => writeln!(doc, "\\textcolor[RGB]{{209,36,47}}{{{text}}}\\par"),
                    DiffLine::Other => writeln!(doc, "{text}\\par"),
                };
            }
            doc.push_str("}\n\n");
        }
    }
    let notes: Vec<_> = report.runs.iter().filter(|r| !r.note.is_empty()).collect();
    if !notes.is_empty() {
        doc.push_str("\\section*{Notes}\n");
        for r in notes {
            let _ = writeln!(doc, "\\paragraph{{{}}} {}\n", escape(&r.name), escape(&r.note));
        }
    }
    let _ = writeln!(
        doc,
        "\\section*{{Provenance}}\nStores: {}.\\\\\nWritten by Runlens {} (commit \\texttt{{{}}}) from the index \\texttt{{{}}}.\\\\\nRegenerate with: \\texttt{{{}}}\n\\end{{document}}",
        report.stores.iter().map(|s| format!("\\texttt{{{}}}", escape(s))).collect::<Vec<_>>().join(", "),
        report.version,
        escape(report.commit),
        escape(&report.index_path),
        escape(&report.command)
    );
    std::fs::write(tex, doc).map_err(ReportError::writing(tex))?;
    written.insert(0, tex.to_path_buf());
    Ok(written)
}

fn is_best(best: &Best, run: usize) -> bool {
    best.of(Agg::Latest).contains(&run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_and_other_scripts_are_escaped() {
        assert_eq!(
            escape(r"a_b & 50% #1 {x} $y$ ~ ^ \ <script>"),
            r"a\_b \& 50\% \#1 \{x\} \$y\$ \textasciitilde{} \textasciicircum{} \textbackslash{} \textless{}script\textgreater{}"
        );
        assert_eq!(escape("Läufer σ=0.5 日本"), r"Läufer \texttt{[U+03C3]}=0.5 \texttt{[U+65E5]}\texttt{[U+672C]}");
        assert_eq!(escape("a\nb--c"), "a b-{}-{}c");
    }
}
