//! Reports of fixture runs as a reader gets them: the HTML's structure, escaping and
//! policy, the page as headless Chromium renders it with the network off, CSV that
//! round-trips every stored point, and LaTeX that `pdflatex` compiles unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

use runlens_index::{Index, RunsQuery};
use runlens_report::{ReportRequest, gather, html};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

/// An index of the MLflow file fixture: twelve runs, one with a param holding
/// `<script>alert(1)</script>` and a tag holding an `<img onerror>`; names in several scripts.
fn index() -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    index.add(&[fixture("mlflow-file")], &mut |_| {}).unwrap();
    (dir, index)
}

fn report_of(index: &Index, filter: &str, metrics: &[&str]) -> runlens_report::Report {
    let runs = index.runs(&RunsQuery { filter: Some(filter.into()), ..Default::default() }).unwrap();
    let request = ReportRequest {
        title: Some("Sweep <b>report</b>".into()),
        metrics: metrics.iter().map(|m| m.to_string()).collect(),
        selection: format!("filter: {filter}"),
        command: format!("runlens report --filter {filter:?} --out report.html"),
        images: vec![],
    };
    gather(index, runs, &request).unwrap()
}

const FILTER: &str = "source = 'mlflow' and name != 'lr-sweep'";

#[test]
fn html_is_self_contained_escaped_and_script_free() {
    let (_dir, index) = index();
    let report = report_of(&index, FILTER, &["train/loss", "val/accuracy"]);
    assert!(report.runs.iter().any(|r| r.params.values().any(|v| v.contains("<script>"))), "the fixture has the hostile param");
    let page = html(&report);

    // Policy: no script can run, nothing loads from anywhere.
    assert!(page.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"#));
    for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed"] {
        assert!(!page.contains(tag), "{tag} in the page");
    }
    for attr in ["src=", "href=", "onerror", "onload"] {
        assert!(!page.contains(attr), "{attr} in the page");
    }
    // The hostile values are there, as text.
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "the param is shown escaped");
    assert!(page.contains("<title>Sweep &#60;b&#62;report&#60;/b&#62;</title>"));
    // Structure: the tables, one inline SVG per metric with its runs' legend, provenance.
    for section in ["runs", "params", "metrics", "importance", "provenance"] {
        assert!(page.contains(&format!("data-section=\"{section}\"")), "no {section} section");
    }
    assert_eq!(page.matches("data-section=\"chart\"").count(), 2);
    assert_eq!(page.matches("<svg").count(), 2);
    for chart in &report.charts {
        assert_eq!(chart.lines.len(), report.runs.iter().filter(|r| r.metrics.contains_key(&chart.key)).count());
        assert_eq!(chart.points_blake3.len(), 64, "BLAKE3 in hex");
        assert!(page.contains(&chart.points_blake3));
        let stored: u64 = report.runs.iter().filter_map(|r| r.metrics.get(&chart.key)).map(|m| m.count).sum();
        assert!(page.contains(&format!("{} of {stored} stored points shown", chart.shown())), "{}", chart.key);
    }
    assert!(page.contains("runlens report --filter"), "the command that regenerates it");
    for r in &report.runs {
        assert!(page.contains(&r.id), "every run's id");
    }
}

#[test]
fn a_million_point_series_stays_small_and_keeps_its_spike() {
    // A TensorBoard fixture run with 101,000 points: the chart draws about a thousand,
    // and the extreme values stay among them.
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    index.add(&[fixture("tensorboard")], &mut |_| {}).unwrap();
    let runs = index.runs(&RunsQuery { filter: Some("name = 'long-run'".into()), ..Default::default() }).unwrap();
    let key = runs[0].metrics.iter().max_by_key(|(_, m)| m.count).map(|(k, _)| k.clone()).unwrap();
    let summary = runs[0].metrics[&key];
    assert!(summary.count > 100_000);
    let report = gather(&index, runs, &ReportRequest { metrics: vec![key], ..Default::default() }).unwrap();
    let line = &report.charts[0].lines[0];
    assert!(line.reduced && line.points.len() <= runlens_report::MAX_POINTS_PER_LINE, "{} points", line.points.len());
    let values: Vec<f64> = line.points.iter().map(|p| p.1).collect();
    assert!(values.contains(&summary.min) && values.contains(&summary.max), "the lowest and highest point are drawn");
    let page = html(&report);
    assert!(page.len() < 400_000, "{} bytes for one chart of 101,000 points", page.len());
}

/// Headless Chromium with no network at all.
fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium (Debian's package; scripts/setup.sh --test installs it)");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

#[test]
fn chromium_renders_the_report_offline() {
    let (dir, index) = index();
    let report = report_of(&index, FILTER, &["train/loss", "val/accuracy", "val/loss"]);
    let path = dir.path().join("report.html");
    std::fs::write(&path, html(&report)).unwrap();
    let url = format!("file://{}", path.display());

    // The DOM after rendering: the title, and the charts drawn as SVG.
    let dom = String::from_utf8(chromium(&["--dump-dom", &url]).stdout).unwrap();
    assert!(dom.contains("<h1 data-section=\"title\">Sweep &lt;b&gt;report&lt;/b&gt;</h1>"), "{}", &dom[..dom.len().min(400)]);
    assert_eq!(dom.matches("<svg").count(), report.charts.len());
    let drawn: usize = runlens_index::view::RUN_COLORS
        .iter()
        .map(|c| dom.matches(&format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"{}\"", c.to_uppercase())).count())
        .sum();
    let lines: usize = report.charts.iter().map(|c| c.lines.len()).sum();
    assert!(drawn >= lines, "every run's line drawn: {drawn} polylines for {lines} lines");
    assert!(!dom.contains("<script"), "no script appeared");

    // And a picture of it, for people (tests/e2e/screenshots, next to the app's).
    let shots = std::env::var_os("RUNLENS_E2E_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report-chromium.png");
    chromium(&["--window-size=1280,2600", "--hide-scrollbars", &format!("--screenshot={}", shot.display()), &url]);
    assert!(std::fs::metadata(&shot).unwrap().len() > 50_000, "a real picture");
}

#[test]
fn csv_round_trips_every_stored_point() {
    let (_dir, index) = index();
    let report = report_of(&index, FILTER, &[]);
    let mut summary = Vec::new();
    runlens_report::csv::summary(&report, &mut summary).unwrap();
    let mut reader = csv::Reader::from_reader(summary.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), report.runs.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    for (row, run) in rows.iter().zip(&report.runs) {
        assert_eq!(&row[col("run_id")], run.id);
        assert_eq!(&row[col("name")], run.name, "names with commas, quotes and newlines survive");
        for (k, v) in &run.params {
            assert_eq!(&row[col(&format!("params.{k}"))], v);
        }
        for (k, m) in &run.metrics {
            let latest: f64 = row[col(&format!("metrics.{k}.latest"))].parse().unwrap();
            assert!(latest == m.latest || (latest.is_nan() && m.latest.is_nan()), "{k}");
        }
    }

    let mut series = Vec::new();
    let written = runlens_report::csv::series(&index, &report.runs, &mut series).unwrap();
    let mut reader = csv::Reader::from_reader(series.as_slice());
    let mut read = 0u64;
    /// (step, time_ms, value) per (run id, key).
    type Points = Vec<(i64, i64, f64)>;
    let mut by_series: std::collections::BTreeMap<(String, String), Points> = Default::default();
    for row in reader.records() {
        let row = row.unwrap();
        by_series.entry((row[0].to_string(), row[2].to_string())).or_default().push((
            row[3].parse().unwrap(),
            row[4].parse().unwrap(),
            row[5].parse().unwrap(),
        ));
        read += 1;
    }
    assert_eq!(read, written);
    let mut expected = 0;
    for run in &report.runs {
        for key in run.metrics.keys() {
            let points = index.series(&run.id, key).unwrap().unwrap();
            expected += points.len() as u64;
            let got = &by_series[&(run.id.clone(), key.clone())];
            let want: Vec<(i64, i64, f64)> = points.iter().map(|p| (p.step, p.time_ms, p.value)).collect();
            assert!(
                got.len() == want.len()
                    && got.iter().zip(&want).all(|(a, b)| a.0 == b.0 && a.1 == b.1 && (a.2 == b.2 || a.2.is_nan() && b.2.is_nan())),
                "{key}"
            );
        }
    }
    assert_eq!(written, expected, "every stored point");

    // Each chart's hash is the documented one of the points the CSV holds: per run in
    // order its id, then step, time_ms and value bits as little-endian 64-bit words.
    assert!(!report.charts.is_empty());
    for chart in &report.charts {
        let mut hash = blake3::Hasher::new();
        for run in report.runs.iter().filter(|r| r.metrics.contains_key(&chart.key)) {
            hash.update(run.id.as_bytes());
            for (step, time_ms, value) in &by_series[&(run.id.clone(), chart.key.clone())] {
                hash.update(&step.to_le_bytes());
                hash.update(&time_ms.to_le_bytes());
                hash.update(&value.to_bits().to_le_bytes());
            }
        }
        assert_eq!(chart.points_blake3, hash.finalize().to_hex().to_string(), "{}", chart.key);
    }
}

#[test]
fn latex_compiles_with_pdflatex_unchanged() {
    let (dir, index) = index();
    // Every run: names in Japanese, Greek and with emoji, params with TeX's special characters.
    let report = report_of(&index, "source = 'mlflow'", &["train/loss", "val/accuracy"]);
    let tex = dir.path().join("out").join("report.tex");
    std::fs::create_dir_all(tex.parent().unwrap()).unwrap();
    let files = runlens_report::latex::write(&report, &tex).unwrap();
    assert_eq!(files[0], tex);
    let lines: usize = report.charts.iter().map(|c| c.lines.len()).sum();
    assert_eq!(files.len(), 1 + lines, "one data file per line");
    compile_latex(&tex);
}

/// Runs pdflatex on `tex` (in its folder) and checks it made a PDF of some size.
fn compile_latex(tex: &std::path::Path) {
    let out = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error"])
        .arg(tex.file_name().unwrap())
        .current_dir(tex.parent().unwrap())
        .output()
        .expect("pdflatex (texlive-latex-base and texlive-pictures; scripts/setup.sh --test installs them)");
    assert!(out.status.success(), "pdflatex failed:\n{}", String::from_utf8_lossy(&out.stdout).lines().rev().take(30).collect::<Vec<_>>().join("\n"));
    let pdf = tex.with_extension("pdf");
    assert!(std::fs::metadata(&pdf).unwrap().len() > 10_000);
}

#[test]
fn markdown_has_the_tables_and_a_png_per_chart() {
    let (dir, index) = index();
    let report = report_of(&index, FILTER, &["train/loss", "val/accuracy"]);
    let md = dir.path().join("notes").join("sweep.md");
    std::fs::create_dir_all(md.parent().unwrap()).unwrap();
    let files = runlens_report::write(&index, &report, &md, runlens_report::Format::Markdown).unwrap();
    assert_eq!(files.len(), 3, "the .md and one PNG per chart: {files:?}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("![train/loss](sweep-charts/chart-1.png)") && text.contains("![val/accuracy](sweep-charts/chart-2.png)"), "{text}");
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile param is inert");
    assert!(!text.contains("<script"));
    // Every table row has as many cells as its header.
    for table in text.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |line: &str| line.replace("\\|", "").matches('|').count();
        let mut lines = table.lines();
        let header = cells(lines.next().unwrap());
        assert!(lines.all(|l| cells(l) == header), "a row out of step in:\n{table}");
    }
    for png in &files[1..] {
        let bytes = std::fs::read(png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(bytes.len() > 20_000, "a drawn chart, {} bytes", bytes.len());
    }
}

#[test]
fn the_code_diff_is_in_the_report_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    index.add(&[fixture("mlflow-file"), fixture("wandb")], &mut |_| {}).unwrap();
    let report = report_of(&index, "name = 'resnet18-baseline' or name = 'baseline-resnet'", &[]);
    assert_eq!(report.runs.len(), 2);
    let (run, files) = &report.code_diffs[0];
    assert_eq!(*run, 1);
    assert!(files.iter().any(|f| f.name == "requirements.txt" && !f.unified.is_empty()));
    let page = html(&report);
    assert!(page.contains("data-section=\"code\"") && page.contains("data-section=\"diff\""));
    assert!(page.contains("requirements.txt"));
    assert!(page.contains("<td><code>3083e5309fb6b8b533dd45c668504fbd6fd3f396</code></td>"), "each run's recorded commit");
    assert!(page.contains("<span class=\"add\">+") || page.contains("<span class=\"del\">-"), "lines marked");

    // Markdown: the same diff in a fence its text cannot close.
    let md = dir.path().join("md").join("diff.md");
    std::fs::create_dir_all(md.parent().unwrap()).unwrap();
    runlens_report::write(&index, &report, &md, runlens_report::Format::Markdown).unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    let requirements = files.iter().find(|f| f.name == "requirements.txt").unwrap();
    let changed = requirements.unified.lines().find(|l| l.starts_with('+') && !l.starts_with("+++")).unwrap();
    assert!(text.contains("### `requirements.txt` (run 1 → 2)\n\n```diff\n"), "{text}");
    assert!(text.contains(&format!("\n{changed}\n")), "the changed line {changed:?} as it is");
    assert!(text.contains("| 1 | `3083e5309fb6b8b533dd45c668504fbd6fd3f396` |"));
}

#[test]
fn latex_has_the_params_code_diff_and_notes_and_still_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    index.add(&[fixture("mlflow-file"), fixture("wandb")], &mut |_| {}).unwrap();
    let filter = "name = 'resnet18-baseline' or name = 'baseline-resnet'";
    let first = index.runs(&RunsQuery { filter: Some(filter.into()), ..Default::default() }).unwrap()[0].id.clone();
    // A note that would end the document, or a verbatim block, if it were not escaped.
    index.set_note(&first, "keep \\end{document} \\end{verbatim} 100% <script> ~x_1").unwrap();
    let report = report_of(&index, filter, &["train/loss"]);
    let tex = dir.path().join("tex").join("diff.tex");
    std::fs::create_dir_all(tex.parent().unwrap()).unwrap();
    runlens_report::latex::write(&report, &tex).unwrap();
    let doc = std::fs::read_to_string(&tex).unwrap();
    for section in [
        "\\section*{Params that differ}",
        "\\section*{Code and environment}",
        "\\subsection*{\\texttt{requirements.txt} (run 1 to 2)}",
        "\\section*{Notes}",
    ] {
        assert!(doc.contains(section), "no {section}");
    }
    assert!(doc.contains("keep \\textbackslash{}end\\{document\\}"), "the note escaped");
    assert_eq!(doc.matches("\\end{document}").count(), 1);
    let out = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "diff.tex"])
        .current_dir(tex.parent().unwrap())
        .output()
        .expect("pdflatex (texlive-latex-base and texlive-pictures; scripts/setup.sh --test installs them)");
    assert!(out.status.success(), "pdflatex failed:\n{}", String::from_utf8_lossy(&out.stdout).lines().rev().take(30).collect::<Vec<_>>().join("\n"));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Output written on diff.pdf"), "{log}");
}

#[test]
fn charts_come_in_the_order_asked_and_the_same_every_time() {
    // The charts are gathered on several threads (one per core).
    let (_dir, index) = index();
    let metrics = ["val/loss", "train/accuracy", "train/loss", "val/accuracy", "learning_rate"];
    let a = report_of(&index, FILTER, &metrics);
    assert_eq!(a.charts.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(), metrics);
    let b = report_of(&index, FILTER, &metrics);
    assert_eq!(a.charts, b.charts);
    let one = report_of(&index, FILTER, &["train/loss"]);
    assert_eq!(one.charts[0], a.charts[2], "a chart does not depend on the others gathered with it");
}

#[test]
fn the_same_image_of_each_run_is_embedded_scaled_down_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = Index::open(&dir.path().join("index.sqlite")).unwrap();
    index.add(&[fixture("dvclive")], &mut |_| {}).unwrap();
    let mut runs = index.runs(&RunsQuery::default()).unwrap();
    runs.sort_by(|a, b| a.name.cmp(&b.name));
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let patterns = vec!["plots/images/loss_curve.png".to_string(), "plots/images/samples/step_{N}.png".to_string()];
    let request = ReportRequest { images: patterns.clone(), ..Default::default() };
    let report = gather(&index, runs, &request).unwrap();
    assert_eq!(report.images.len(), 2);
    // As the grid of the Compare view has them: every run's file per step.
    for (im, pattern) in report.images.iter().zip(&patterns) {
        let grid = index.artifact_grid(&ids, pattern).unwrap();
        assert_eq!((im.steps.clone(), im.more_steps, im.left_out), (grid.steps.clone(), 0, 0), "{pattern}");
        for (row, cells) in im.cells.iter().enumerate() {
            let paths: Vec<Option<&str>> = cells.iter().map(|c| c.as_ref().map(|p| p.path.as_str())).collect();
            let want: Vec<Option<&str>> = grid.cells[row].iter().map(|c| c.as_deref()).collect();
            assert_eq!(paths, want, "{pattern} row {row}");
        }
    }
    let pictures: Vec<&runlens_report::Picture> = report.images.iter().flat_map(|im| im.cells.iter().flatten().flatten()).collect();
    assert!(pictures.iter().all(|p| p.width.max(p.height) <= runlens_report::IMAGE_SIDE && p.png.starts_with(b"\x89PNG")));
    assert!(pictures.iter().map(|p| p.png.len()).sum::<usize>() <= runlens_report::MAX_IMAGE_BYTES);

    let page = html(&report);
    assert_eq!(page.matches("data-section=\"images\"").count(), 2);
    assert_eq!(page.matches("<img src=\"data:image/png;base64,").count(), pictures.len());
    assert_eq!(page.matches("<img").count(), pictures.len(), "no other image");
    assert!(page.contains("step 79"), "the steps label the rows");

    // Markdown: the same images as PNG files beside it, linked from a table.
    let md = dir.path().join("out/report.md");
    std::fs::create_dir_all(md.parent().unwrap()).unwrap();
    let written = runlens_report::write(&index, &report, &md, runlens_report::Format::Markdown).unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    let linked: Vec<&str> =
        text.match_indices("](report-charts/image-").map(|(i, _)| &text[i + 2..i + 2 + text[i + 2..].find(')').unwrap()]).collect();
    assert_eq!(linked.len(), pictures.len());
    for link in linked {
        let file = md.with_file_name(link);
        assert!(written.contains(&file) && std::fs::read(&file).unwrap().starts_with(b"\x89PNG"), "{link}");
    }

    // LaTeX: the same PNGs in its data folder, each included once, and pdflatex takes it.
    let tex = dir.path().join("tex/report.tex");
    std::fs::create_dir_all(tex.parent().unwrap()).unwrap();
    let written = runlens_report::latex::write(&report, &tex).unwrap();
    let text = std::fs::read_to_string(&tex).unwrap();
    let included: Vec<&str> = text
        .match_indices("keepaspectratio]{report-data/image-")
        .map(|(i, _)| {
            let start = i + "keepaspectratio]{".len();
            &text[start..start + text[start..].find('}').unwrap()]
        })
        .collect();
    assert_eq!(included.len(), pictures.len());
    for name in included {
        let file = tex.with_file_name(name);
        assert!(written.contains(&file) && std::fs::read(&file).unwrap().starts_with(b"\x89PNG"), "{name}");
    }
    compile_latex(&tex);
}

#[test]
fn the_datasets_each_run_consumed_are_in_the_report() {
    let (dir, index) = index();
    let runs = index.runs(&RunsQuery { filter: Some("name = 'resnet18-baseline' or name = 'diverged-run'".into()), ..Default::default() }).unwrap();
    let consumed: Vec<_> = runs.iter().flat_map(|r| index.datasets(&r.id).unwrap()).collect();
    assert!(!consumed.is_empty());
    let report = gather(&index, runs, &ReportRequest::default()).unwrap();
    let page = html(&report);
    assert_eq!(page.matches("data-section=\"datasets\"").count(), 1);
    for d in &consumed {
        assert!(page.contains(&d.name) && page.contains(&d.digest), "{d:?}");
    }
    let md = dir.path().join("r.md");
    runlens_report::write(&index, &report, &md, runlens_report::Format::Markdown).unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## Datasets") && consumed.iter().all(|d| text.contains(&format!("| {} |", d.name))), "{text}");
    let tex = dir.path().join("r.tex");
    runlens_report::latex::write(&report, &tex).unwrap();
    let text = std::fs::read_to_string(&tex).unwrap();
    let escaped = |s: &str| runlens_report::latex::escape(s);
    assert!(text.contains("\\section*{Datasets}") && consumed.iter().all(|d| text.contains(&escaped(&d.name))), "{text}");
    assert!(consumed.iter().all(|d| text.contains(&escaped(&d.digest))), "{text}");
    compile_latex(&tex);
}
