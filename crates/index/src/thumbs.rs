//! Thumbnails of runs' images for the grid of the same image across runs (and anything
//! else that shows many at once): decoded and scaled here (the `image` crate: PNG, JPEG,
//! GIF's first frame, WebP, BMP), written as PNG to `thumbnails/` beside the index — never
//! into a store — and named by the image's content hash and the size asked for, so the
//! next view reads a few KB instead of decoding again. SVG and images that do not decode
//! are given as they are (the web view shows SVG as an image, never as markup).

use std::io::Write as _;
use std::path::PathBuf;

use crate::artifacts::{Located, MAX_IMAGE, extension, image_mime};
use crate::{Index, IndexError};

/// The largest side a thumbnail may be asked for.
pub const MAX_THUMBNAIL: u32 = 1024;

/// An image to show small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    /// Its size in pixels (`None` for an image given as it is and not decoded).
    pub width: Option<u32>,
    pub height: Option<u32>,
}

fn refused(path: &str, why: impl Into<String>) -> IndexError {
    IndexError::Artifact { path: path.to_string(), why: why.into() }
}

impl Index {
    /// The folder thumbnails are kept in, beside the index database.
    fn thumbnail_dir(&self) -> PathBuf {
        self.path().parent().map(|d| d.join("thumbnails")).unwrap_or_else(|| PathBuf::from("thumbnails"))
    }

    /// Image `path` of run `run_id` scaled to fit `side` × `side` pixels (never up), read
    /// through the artifact containment rule; kept for the next time (module docs).
    pub fn thumbnail(&self, run_id: &str, path: &str, side: u32) -> Result<Thumbnail, IndexError> {
        let side = side.clamp(16, MAX_THUMBNAIL);
        let Some(mime) = image_mime(&extension(path)) else {
            return Err(refused(path, "is not an image"));
        };
        let hash = self.file_hash(run_id, path)?;
        let kept = self.thumbnail_dir().join(format!("{hash}-{side}.png"));
        if let Ok(bytes) = std::fs::read(&kept)
            && let Ok((width, height)) = image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Png).into_dimensions()
        {
            return Ok(Thumbnail { mime: "image/png", bytes, width: Some(width), height: Some(height) });
        }
        let bytes = match self.locate(run_id, path)? {
            Located::File(real) => {
                let size = std::fs::metadata(&real).map_err(|e| refused(path, format!("cannot be read: {e}")))?.len();
                if size > MAX_IMAGE {
                    return Err(refused(path, format!("is too large to show ({size} bytes)")));
                }
                std::fs::read(&real).map_err(|e| refused(path, format!("cannot be read: {e}")))?
            }
            Located::InLog { log, offset, reader } => crate::artifacts::extract(path, &log, offset, &reader)?,
        };
        let decoded = (mime != "image/svg+xml").then(|| image::load_from_memory(&bytes).ok()).flatten();
        let Some(img) = decoded else {
            return Ok(Thumbnail { mime, bytes, width: None, height: None });
        };
        let small = if img.width() > side || img.height() > side { img.thumbnail(side, side) } else { img };
        let mut png = Vec::new();
        small.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| refused(path, format!("cannot be scaled: {e}")))?;
        // Kept if the folder can be written; a thumbnail not kept is only made again.
        let dir = self.thumbnail_dir();
        if std::fs::create_dir_all(&dir).is_ok() {
            let tmp = dir.join(format!(".{hash}-{side}.{}.tmp", std::process::id()));
            if std::fs::File::create(&tmp).and_then(|mut f| f.write_all(&png)).is_ok() {
                let _ = std::fs::rename(&tmp, &kept);
            }
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(Thumbnail { mime: "image/png", width: Some(small.width()), height: Some(small.height()), bytes: png })
    }
}
