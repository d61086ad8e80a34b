//! Build facts for the binary: the git commit that `--version` names.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    commit(&root);
}

/// `RECOVERY_CONSOLE_COMMIT`: given by the environment (the Docker build has no `.git`), else
/// `git rev-parse`, else "unknown".
fn commit(root: &Path) {
    println!("cargo:rerun-if-env-changed=RECOVERY_CONSOLE_COMMIT");
    let given = std::env::var("RECOVERY_CONSOLE_COMMIT").ok().filter(|c| !c.trim().is_empty());
    let commit = given.or_else(|| git(root, &["rev-parse", "--short=12", "HEAD"])).unwrap_or_else(|| "unknown".into());
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points to (a commit).
    if let Some(dir) = git(root, &["rev-parse", "--absolute-git-dir"]) {
        let dir = PathBuf::from(dir);
        // In a linked worktree, HEAD is the worktree's but branches live in the common folder.
        let common = git(root, &["rev-parse", "--path-format=absolute", "--git-common-dir"])
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.clone());
        let mut watched = vec![dir.join("HEAD"), common.join("packed-refs")];
        if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
            watched.push(common.join(branch));
        }
        // A path that does not exist would make cargo run this script on every build.
        for path in watched.iter().filter(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rustc-env=RECOVERY_CONSOLE_COMMIT={}", commit.trim());
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(root).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
