//! One chart as SVG, drawn with plotters: the runs' lines overlaid in the app's colours,
//! numeric axes. The SVG holds numbers only (no run name, no key: those are in the HTML
//! around it, escaped), and where hover targets go ([`Chart::hover_points`]).

use plotters::prelude::*;
use runlens_index::format;

use crate::Chart;

pub const WIDTH: u32 = 760;
pub const HEIGHT: u32 = 300;

/// A point under the pointer: its place in the SVG, which line, and what it is.
pub struct Hover {
    pub x: i32,
    pub y: i32,
    pub line: usize,
    pub step: f64,
    pub value: f64,
}

/// The chart's SVG, and up to `per_line` hover targets of each line.
pub fn svg(chart: &Chart, colors: &[&str], per_line: usize) -> (String, Vec<Hover>) {
    let mut out = String::new();
    let mut hovers = Vec::new();
    let finite: Vec<(f64, f64)> = chart.lines.iter().flat_map(|l| l.points.iter().copied()).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if finite.is_empty() {
            drop(root);
            return (out, hovers);
        }
        let (x0, x1) = padded(finite.iter().map(|p| p.0), 0.0);
        let (y0, y1) = padded(finite.iter().map(|p| p.1), 0.05);
        let built = ChartBuilder::on(&root).margin(12).x_label_area_size(26).y_label_area_size(64).build_cartesian_2d(x0..x1, y0..y1);
        let Ok(mut ctx) = built else { return (String::new(), hovers) };
        let number = |v: &f64| format::number(*v);
        let _ = ctx
            .configure_mesh()
            .x_labels(7)
            .y_labels(6)
            .x_label_formatter(&number)
            .y_label_formatter(&number)
            .max_light_lines(1)
            .light_line_style(RGBColor(238, 240, 243))
            .bold_line_style(RGBColor(222, 226, 231))
            .axis_style(RGBColor(170, 176, 186))
            .label_style(("sans-serif", 13).into_font().color(&RGBColor(102, 112, 133)))
            .draw();
        for (i, line) in chart.lines.iter().enumerate() {
            let color = parse_hex(colors[line.run % colors.len()]);
            // A non-finite value breaks the line rather than bending it to infinity.
            for segment in line.points.split(|(x, y)| !x.is_finite() || !y.is_finite()) {
                let _ = ctx.draw_series(LineSeries::new(segment.iter().copied(), color.stroke_width(1)));
            }
            let step = (line.points.len() / per_line.max(1)).max(1);
            for &(x, y) in line.points.iter().step_by(step).filter(|(x, y)| x.is_finite() && y.is_finite()) {
                let (px, py) = ctx.backend_coord(&(x, y));
                hovers.push(Hover { x: px, y: py, line: i, step: x, value: y });
            }
        }
        let _ = root.present();
    }
    (out, hovers)
}

/// The range of `values`, widened by `pad` of its span (a single value gets ±1 or ±5%).
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo == hi {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

fn parse_hex(hex: &str) -> RGBColor {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0x1f6feb);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Line;

    #[test]
    fn the_svg_holds_lines_and_numbers_only() {
        let chart = Chart {
            key: "<b>loss</b>".into(),
            lines: vec![
                Line { run: 0, points: vec![(0.0, 2.0), (1.0, 1.0), (2.0, f64::NAN), (3.0, 0.5)], stored: 4, reduced: false },
                Line { run: 1, points: vec![(0.0, 3.0), (3.0, 0.25)], stored: 2, reduced: false },
            ],
            points_blake3: String::new(),
        };
        let (svg, hovers) = svg(&chart, &["#1f6feb", "#d1242f"], 10);
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        // In the app's colours; the NaN breaks the first line in two.
        assert_eq!(svg.matches(r##"<polyline fill="none" opacity="1" stroke="#1F6FEB""##).count(), 2);
        assert_eq!(svg.matches(r##"<polyline fill="none" opacity="1" stroke="#D1242F""##).count(), 1);
        assert!(!svg.contains("loss"), "no run text inside the SVG");
        assert_eq!(hovers.len(), 5, "every finite point of short lines");
        assert!(hovers.iter().all(|h| h.x > 0 && h.x < WIDTH as i32 && h.y > 0 && h.y < HEIGHT as i32));
    }
}
