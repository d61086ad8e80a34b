//! The folder of the web UI that `routes::ui` embeds: `frontend/dist` when
//! scripts/build-frontend.sh has built it, else a page that says how to build it,
//! so that the console always compiles.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = ui(&root, &out) {
        println!("cargo:warning=could not prepare the web UI to embed: {e}");
    }
}

/// `cfg(ui_built)` when `frontend/dist` holds a built UI, which `routes::ui` embeds;
/// else the page in `OUT_DIR/ui-not-built`.
fn ui(root: &Path, out: &Path) -> std::io::Result<()> {
    let dist = root.join("frontend").join("dist");
    let built = dist.join("index.html").is_file() && dist.join("frontend_bg.wasm").is_file();
    // Watched paths are relative to this package, so that cargo resolves them in the
    // checkout it builds: its build cache does not tell checkouts apart, and an
    // absolute path would keep watching (and embedding) another checkout's UI.
    println!("cargo:rustc-check-cfg=cfg(ui_built)");
    if built {
        println!("cargo:rerun-if-changed=../frontend/dist");
        println!("cargo:rustc-cfg=ui_built");
    } else {
        // Watch the frontend folder, so that building the UI later is noticed.
        println!("cargo:rerun-if-changed=../frontend");
        let placeholder = out.join("ui-not-built");
        std::fs::create_dir_all(&placeholder)?;
        std::fs::write(placeholder.join("index.html"), NOT_BUILT)?;
    }
    Ok(())
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Recovery Console: web UI not built</title></head>
<body>
<main>
<h1>Recovery Console</h1>
<p>This binary was compiled without its web UI, so only the API is served
(<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>).</p>
<p>To build the UI into the binary, run from the repository:</p>
<pre>scripts/build-frontend.sh
cargo build --release --bin recovery-console</pre>
<p><code>scripts/demo.sh</code> does both and starts the demo. A folder with a built UI
can also be served with the <code>ui_dir</code> setting (<code>RC_UI_DIR</code>).</p>
</main>
</body>
</html>
"#;
