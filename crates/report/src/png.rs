//! Charts as PNG (for the Markdown report): the report's own SVG, rasterised by resvg at
//! twice its size, with the system's fonts (the first of a few common sans-serif
//! families that is installed stands in for `sans-serif`).

use std::sync::Arc;

use resvg::{tiny_skia, usvg};

use crate::ReportError;

const SCALE: f32 = 2.0;

fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<Arc<usvg::fontdb::Database>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            let families: Vec<String> = db.faces().flat_map(|f| f.families.iter().map(|(name, _)| name.clone())).collect();
            if let Some(family) =
                ["DejaVu Sans", "Noto Sans", "Liberation Sans", "Droid Sans Fallback"].iter().find(|f| families.iter().any(|n| n == *f))
            {
                db.set_sans_serif_family(*family);
            }
            Arc::new(db)
        })
        .clone()
}

/// The PNG bytes of `svg`.
pub fn render(svg: &str) -> Result<Vec<u8>, ReportError> {
    let failed = |what: String| ReportError::Write { path: "a chart image".into(), source: std::io::Error::other(what) };
    let options = usvg::Options { fontdb: fonts(), ..Default::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| failed(format!("the chart's SVG: {e}")))?;
    let size = tree.size().to_int_size().scale_by(SCALE).ok_or_else(|| failed("an empty chart".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| failed("an empty chart".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(SCALE, SCALE), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| failed(format!("PNG encoding: {e}")))
}
