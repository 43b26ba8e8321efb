//! Where a store is: a local path (a folder, or a single-file store such as a SQLite
//! database) or a URL (a tracking server). Paths are found by discovery; a URL is given
//! by the user and read by the reader that accepts it ([`crate::Reader::accepts_url`]).

use std::fmt;
use std::path::{Path, PathBuf};

pub use url::Url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Path(PathBuf),
    Url(Url),
}

/// Text that looks like a URL but is not one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{text} is not a valid URL: {reason}")]
pub struct LocationError {
    pub text: String,
    pub reason: String,
}

impl Location {
    /// What a user gave (a command-line argument, a dropped path, the app's server field).
    /// A URL when it starts with a scheme of two or more letters and `://` (`http://`,
    /// `https://`); a `file://` URL is the local path it names; anything else is a path.
    pub fn parse(text: &str) -> Result<Location, LocationError> {
        let Some((scheme, _)) = text.split_once("://") else { return Ok(Location::Path(PathBuf::from(text))) };
        let is_scheme = scheme.len() >= 2 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !is_scheme {
            return Ok(Location::Path(PathBuf::from(text)));
        }
        let url = Url::parse(text).map_err(|e| LocationError { text: text.to_string(), reason: e.to_string() })?;
        if url.scheme() == "file" {
            return url
                .to_file_path()
                .map(Location::Path)
                .map_err(|()| LocationError { text: text.to_string(), reason: "a file URL must name a local path".into() });
        }
        Ok(Location::Url(url))
    }

    /// A location as kept in the index (`stores.root`, written by [`Location::stored`]):
    /// roots are absolute paths, so anything else that parses as a URL is one.
    pub fn from_stored(root: &str) -> Location {
        if !root.starts_with('/')
            && let Ok(url) = Url::parse(root)
            && url.scheme() != "file"
        {
            return Location::Url(url);
        }
        Location::Path(PathBuf::from(root))
    }

    /// The text kept in the index and shown to users: the path, or the URL without any
    /// user name or password in it (credentials are never written into the index).
    pub fn stored(&self) -> String {
        match self {
            Location::Path(p) => p.to_string_lossy().into_owned(),
            Location::Url(u) => without_credentials(u).to_string(),
        }
    }

    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Location::Path(p) => Some(p),
            Location::Url(_) => None,
        }
    }

    pub fn as_url(&self) -> Option<&Url> {
        match self {
            Location::Path(_) => None,
            Location::Url(u) => Some(u),
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Path(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Path(path.to_path_buf())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stored())
    }
}

fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Only URLs that cannot have credentials refuse these, and they have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Location {
        Location::parse(text).unwrap()
    }

    #[test]
    fn urls_paths_and_file_urls() {
        assert_eq!(parse("/data/mlruns"), Location::Path("/data/mlruns".into()));
        assert_eq!(parse("mlruns"), Location::Path("mlruns".into()));
        // Not schemes: a one-letter "drive", a path with "://" inside a folder name.
        assert_eq!(parse("c://x"), Location::Path("c://x".into()));
        assert_eq!(parse("runs/a b://c"), Location::Path("runs/a b://c".into()));
        assert_eq!(parse("file:///data/mlruns"), Location::Path("/data/mlruns".into()));
        assert_eq!(parse("file:///data/with%20space"), Location::Path("/data/with space".into()));
        let Location::Url(u) = parse("https://mlflow.lab.example:5000/prefix/") else { panic!("a URL") };
        assert_eq!((u.scheme(), u.host_str(), u.port(), u.path()), ("https", Some("mlflow.lab.example"), Some(5000), "/prefix/"));
    }

    #[test]
    fn bad_urls_say_why() {
        let e = Location::parse("http://[::1").unwrap_err();
        assert_eq!(e.text, "http://[::1");
        assert!(e.to_string().starts_with("http://[::1 is not a valid URL: "), "{e}");
        assert!(Location::parse("file://server/share").is_err());
    }

    #[test]
    fn credentials_never_reach_the_index() {
        let loc = parse("http://alice:s3cret@host:5000/");
        assert_eq!(loc.stored(), "http://host:5000/");
        assert_eq!(loc.to_string(), "http://host:5000/");
        assert_eq!(loc.as_url().unwrap().password(), Some("s3cret"), "the reader still gets them for this add");
    }

    #[test]
    fn stored_locations_come_back() {
        for text in ["/data/mlruns", "/data/mlflow.db", "http://host:5000/", "https://host/prefix"] {
            let loc = parse(text);
            assert_eq!(Location::from_stored(&loc.stored()), loc, "{text}");
        }
        assert_eq!(Location::from_stored("/a/http://b"), Location::Path("/a/http://b".into()));
    }
}
