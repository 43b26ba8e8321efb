//! The HTML report: one file, no script, no remote load (its Content-Security-Policy
//! forbids both), every value from a run escaped by the template (`templates/report.html`).

use askama::Template;
use runlens_index::compare::Best;
use runlens_index::filter::Agg;
use runlens_index::{format, view};

use crate::{DiffLine, Report, chart, diff_lines, utc, working_tree};

/// Hover targets per line: enough to read values off a chart, few enough that fifty
/// runs by ten metrics stay a small file.
const HOVERS_PER_LINE: usize = 8;

struct RunRow {
    n: usize,
    color: &'static str,
    name: String,
    id: String,
    experiment: String,
    source: String,
    status: String,
    started: String,
    duration: String,
    commit: String,
}

struct Cell {
    text: String,
    missing: bool,
    best: bool,
}

struct Row {
    key: String,
    better: &'static str,
    cells: Vec<Cell>,
}

struct Effect {
    key: String,
    figure: String,
    bar: u32,
    runs: usize,
}

struct Importance {
    metric: String,
    aggregate: &'static str,
    effects: Vec<Effect>,
}

struct Legend {
    n: usize,
    color: &'static str,
    name: String,
}

struct CodeRow {
    n: usize,
    commit: String,
    branch: String,
    dirty: &'static str,
}

struct DiffView {
    against: String,
    file: String,
    note: String,
    lines: Vec<(&'static str, String)>,
}

struct HoverView {
    x: i32,
    y: i32,
    label: String,
}

struct ChartView {
    key: String,
    legend: Vec<Legend>,
    /// The SVG plotters drew, without its closing tag (the hover targets follow it).
    svg_head: String,
    hovers: Vec<HoverView>,
    note: String,
    hash: String,
}

struct ImageCell {
    url: String,
    path: String,
    width: u32,
    height: u32,
}

struct ImagesView {
    pattern: String,
    rows: Vec<(String, Vec<Option<ImageCell>>)>,
    note: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    generated: String,
    selection: String,
    runs: Vec<RunRow>,
    params: Vec<Row>,
    same_params: usize,
    datasets: Vec<Row>,
    metrics: Vec<Row>,
    importance: Option<Importance>,
    charts: Vec<ChartView>,
    images: Vec<ImagesView>,
    notes: Vec<(String, String)>,
    code: Vec<CodeRow>,
    diffs: Vec<DiffView>,
    max_diff_lines: usize,
    stores: Vec<String>,
    index_path: String,
    indexed: String,
    version: &'static str,
    commit: &'static str,
    command: String,
}

/// The report as one HTML document.
pub fn html(report: &Report) -> String {
    let c = &report.comparison;
    let runs: Vec<RunRow> = report
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| RunRow {
            n: i + 1,
            color: view::run_color(i),
            name: r.name.clone(),
            id: r.id.clone(),
            experiment: r.experiment.clone().unwrap_or_else(|| "–".into()),
            source: r.source.clone(),
            status: r.status.clone(),
            started: r.start_ms.map(utc).unwrap_or_else(|| "–".into()),
            duration: format::run_duration(r.start_ms, r.end_ms).unwrap_or_else(|| "–".into()),
            commit: r.commit.as_deref().map(|c| c.chars().take(12).collect()).unwrap_or_else(|| "–".into()),
        })
        .collect();
    let value_row = |r: &runlens_index::compare::ValueRow| Row {
        key: r.key.clone(),
        better: "",
        cells: r.values.iter().map(|v| Cell { text: v.clone().unwrap_or_default(), missing: v.is_none(), best: false }).collect(),
    };
    let params: Vec<Row> = c.params.iter().filter(|r| r.differs).map(value_row).collect();
    let datasets: Vec<Row> = c.datasets.iter().map(value_row).collect();
    let metrics: Vec<Row> = c
        .metrics
        .iter()
        .map(|m| Row {
            key: m.key.clone(),
            better: m.direction.as_str(),
            cells: m
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| Cell { text: v.map(|s| format::number(s.latest)).unwrap_or_default(), missing: v.is_none(), best: best_of(&m.best, i) })
                .collect(),
        })
        .collect();
    let importance = c.importance.as_ref().map(|imp| Importance {
        metric: imp.metric.clone(),
        aggregate: imp.aggregate.column(),
        effects: imp
            .effects
            .iter()
            .map(|e| Effect { key: e.key.clone(), figure: e.method.figure(), bar: (e.strength * 120.0).round() as u32, runs: e.runs })
            .collect(),
    });
    let colors: Vec<&str> = view::RUN_COLORS.to_vec();
    let charts = report
        .charts
        .iter()
        .map(|ch| {
            let (svg, hovers) = chart::svg(ch, &colors, HOVERS_PER_LINE);
            let svg_head = svg.trim_end().strip_suffix("</svg>").unwrap_or(&svg).to_string();
            let reduced = ch.lines.iter().any(|l| l.reduced);
            ChartView {
                key: ch.key.clone(),
                legend: ch
                    .lines
                    .iter()
                    .map(|l| Legend { n: l.run + 1, color: view::run_color(l.run), name: report.runs[l.run].name.clone() })
                    .collect(),
                svg_head,
                hovers: hovers
                    .into_iter()
                    .map(|h| {
                        let run = ch.lines[h.line].run;
                        HoverView {
                            x: h.x,
                            y: h.y,
                            label: format!("{} {} · step {} · {}", run + 1, report.runs[run].name, format::number(h.step), format::number(h.value)),
                        }
                    })
                    .collect(),
                note: format!(
                    "{} of {} stored points shown{}",
                    ch.shown(),
                    ch.stored(),
                    if reduced { " (the lowest and highest point of each pixel column, so no spike is lost)" } else { "" }
                ),
                hash: ch.points_blake3.clone(),
            }
        })
        .collect();
    let code = c
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| CodeRow {
            n: i + 1,
            commit: r.git.commit.clone().unwrap_or_else(|| "–".into()),
            branch: r.git.branch.clone().unwrap_or_else(|| "–".into()),
            dirty: working_tree(r.git.dirty).unwrap_or("–"),
        })
        .collect();
    let diffs = report
        .code_diffs
        .iter()
        .flat_map(|(i, files)| {
            files.iter().map(move |d| DiffView {
                against: format!("1 → {}", i + 1),
                file: d.name.clone(),
                note: d.note.clone().unwrap_or_default(),
                lines: diff_lines(&d.unified)
                    .map(|(kind, l)| {
                        let class = match kind {
                            DiffLine::Added => "add",
                            DiffLine::Removed => "del",
                            DiffLine::Other => "",
                        };
                        (class, l.to_string())
                    })
                    .collect(),
            })
        })
        .collect();
    let images = report
        .images
        .iter()
        .map(|im| {
            use base64::Engine as _;
            let rows = im
                .steps
                .iter()
                .zip(&im.cells)
                .map(|(step, line)| {
                    let label = step.map(|s| format!("step {s}")).unwrap_or_default();
                    let cells = line
                        .iter()
                        .map(|p| {
                            p.as_ref().map(|p| ImageCell {
                                url: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&p.png)),
                                path: p.path.clone(),
                                width: p.width,
                                height: p.height,
                            })
                        })
                        .collect();
                    (label, cells)
                })
                .collect();
            let mut note = format!("Each image at most {0}×{0} pixels (scaled down, never up).", crate::IMAGE_SIDE);
            if im.more_steps > 0 {
                note.push_str(&format!(" {} more steps not shown (the first, the last and evenly between are).", im.more_steps));
            }
            if im.left_out > 0 {
                note.push_str(&format!(
                    " {} images left out (the report keeps its images under {} KiB, or they could not be read).",
                    im.left_out,
                    crate::MAX_IMAGE_BYTES >> 10
                ));
            }
            ImagesView { pattern: im.pattern.clone(), rows, note }
        })
        .collect();
    let page = Page {
        images,
        code,
        diffs,
        max_diff_lines: crate::MAX_DIFF_LINES,
        title: report.title.clone(),
        generated: utc(report.generated_ms),
        selection: report.selection.clone(),
        same_params: c.params.len() - params.len(),
        datasets,
        runs,
        params,
        metrics,
        importance,
        charts,
        notes: report.runs.iter().filter(|r| !r.note.is_empty()).map(|r| (r.name.clone(), r.note.clone())).collect(),
        stores: report.stores.clone(),
        index_path: report.index_path.clone(),
        indexed: report.indexed_ms.map(utc).unwrap_or_else(|| "never".into()),
        version: report.version,
        commit: report.commit,
        command: report.command.clone(),
    };
    page.render().expect("the report template renders plain values")
}

fn best_of(best: &Best, run: usize) -> bool {
    best.of(Agg::Latest).contains(&run)
}
