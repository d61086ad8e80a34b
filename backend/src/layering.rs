//! Keeps the module layers one-way: every module of the library uses only
//! modules of lower layers (so there is no import cycle and nothing below
//! `routes` knows HTTP's state), and SQL lives in `store` alone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The modules from the bottom up: each may use only the ones before it.
const LAYERS: [&str; 17] = [
    "time",
    "digest",
    "csv_export",
    "domain",
    "config",
    "store",
    "aws",
    "sync",
    "notify",
    "executor",
    "app",
    "actions",
    "auth",
    "zipstream",
    "assurance",
    "routes",
    "startup",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?.as_os_str().to_str()?.to_string();
    Some(first.trim_end_matches(".rs").to_string())
}

/// The code of a file without its comments (doc comments name other modules freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names: `crate::x` and `crate::{x, y::z}`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            used.insert(ident(rest));
        }
    }
    used
}

#[test]
fn modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 40, "found only {} files under {}", files.len(), src.display());
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else { continue };
        if module == "lib" || module == "layering" {
            continue;
        }
        let Some(own) = rank(&module) else {
            wrong.push(format!("{}: module {module} is not in LAYERS", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for used in used_modules(&code(&text)) {
            match rank(&used) {
                Some(r) if r < own || used == module => {}
                Some(_) => wrong.push(format!("{}: {module} uses {used}, a module of a higher layer", file.display())),
                None => wrong.push(format!("{}: uses crate::{used}, which is not in LAYERS", file.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn sql_lives_in_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // A column named by a string beside a bound value is SQL too: changes name a `store::Column`.
    let sql = ["SELECT ", "INSERT INTO", "DELETE FROM", " SET ", "CREATE TABLE", "sqlx::", "\", Val::from("];
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(&src, file).unwrap_or_default();
        if module == "store" || module == "layering" {
            continue;
        }
        let text = code(&std::fs::read_to_string(file).unwrap_or_default());
        for (n, line) in text.lines().enumerate() {
            if let Some(word) = sql.iter().find(|w| line.contains(*w)) {
                wrong.push(format!("{}:{}: {word:?} outside store/", file.display(), n + 1));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside the store:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    let used =
        used_modules(&code("use crate::{store::Store, routes::AppState};\n// crate::startup\nlet x = crate::app::x;"));
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["app", "routes", "store"]);
}
