//! The web UI: built into the binary at compile time (build.rs embeds
//! `frontend/dist`), or served from a folder when `ui_dir` is configured. Files
//! go out pre-compressed when the browser takes gzip (scripts/build-frontend.sh
//! writes a `.gz` beside each); client-side routes get `index.html`, so that a
//! deep link opened directly loads the app.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};

// The path starts from this package's own folder, never from one that build.rs wrote
// down: a build cache shared by two checkouts keeps build.rs's output from the other
// one, and an absolute path there embedded (or failed on) the other checkout's UI.
#[cfg(ui_built)]
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../frontend/dist");
#[cfg(not(ui_built))]
static EMBEDDED: Dir<'static> = include_dir!("$OUT_DIR/ui-not-built");

/// Whether this binary carries a built UI (or only the page that says how to build one).
const EMBEDDED_UI_BUILT: bool = cfg!(ui_built);

/// Where the UI comes from.
#[derive(Debug, Clone)]
pub enum Ui {
    Embedded,
    Folder(PathBuf),
}

impl Ui {
    /// `ui_dir` when configured, else the UI built into the binary.
    pub fn from_config(ui_dir: Option<&std::path::Path>) -> Self {
        match ui_dir {
            Some(dir) => Ui::Folder(dir.to_path_buf()),
            None => Ui::Embedded,
        }
    }

    /// Where it comes from, in words (for the start-up line).
    pub fn describe(&self) -> String {
        match self {
            Ui::Folder(dir) => format!("UI from {}", dir.display()),
            Ui::Embedded if EMBEDDED_UI_BUILT => "UI built in".into(),
            Ui::Embedded => "no UI built in: run scripts/build-frontend.sh, then rebuild".into(),
        }
    }
}

/// Entity tags of the embedded files, computed once.
static ETAGS: LazyLock<HashMap<&'static str, HeaderValue>> = LazyLock::new(|| {
    EMBEDDED
        .files()
        .filter_map(|f| {
            let path = f.path().to_str()?;
            let hash = crate::digest::sha256_hex(f.contents());
            Some((path, HeaderValue::from_str(&format!("\"{}\"", &hash[..20])).ok()?))
        })
        .collect()
});

/// Serves a file of the embedded UI.
pub async fn embedded(uri: Uri, headers: HeaderMap) -> Response {
    // Any path that is not a file (the .gz copies are served only by encoding) is a client-side route.
    let wanted = uri.path().trim_start_matches('/');
    let found = EMBEDDED.get_file(wanted).filter(|_| !wanted.ends_with(".gz")).map(|f| (wanted, f));
    let Some((path, file)) = found.or_else(|| EMBEDDED.get_file("index.html").map(|f| ("index.html", f))) else {
        return (StatusCode::NOT_FOUND, "no web UI in this binary").into_response();
    };
    let etag = ETAGS.get(path).cloned();
    let mut out = HeaderMap::new();
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        out.insert(header::CONTENT_TYPE, v);
    }
    // The files keep their names from build to build: the browser asks again each time.
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(etag) = &etag {
        out.insert(header::ETAG, etag.clone());
        if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == etag) {
            return (StatusCode::NOT_MODIFIED, out).into_response();
        }
    }
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip")));
    let body = match EMBEDDED.get_file(format!("{path}.gz")) {
        Some(gz) if gzip => {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gz.contents()
        }
        _ => file.contents(),
    };
    (StatusCode::OK, out, body).into_response()
}
