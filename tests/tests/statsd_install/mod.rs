//! The reference StatsD daemon for `statsd_daemon.rs`: the npm package
//! `statsd`, pinned to one version and installed under the cargo target
//! directory (`<target>/statsd-daemon/node_modules/statsd`) the first time a
//! test needs it.
//!
//! - Once it is there, nothing runs `npm` again: the tests work offline.
//! - One install at a time: threads of one test binary share the result, and
//!   test processes started together take turns on a file lock (released by
//!   the system, also when a process dies), the later ones finding the
//!   daemon installed.
//! - npm installs into a directory of its own, renamed into place only once
//!   complete, so an interrupted install never looks like an installed one.
//! - Without `node` or `npm`, the error is one line saying what to install.

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The daemon's npm package and version.
pub(crate) const PACKAGE: &str = "statsd@0.9.0";
const VERSION: &str = "0.9.0";

/// What to install when `node` or `npm` is missing.
pub(crate) const NEED_NODE: &str =
    "install Node.js with npm (e.g. `apt-get install -y nodejs npm`); \
     the test installs the reference daemon statsd@0.9.0 itself";

/// `node`, or the program in `$NODE`.
pub(crate) fn node() -> OsString {
    std::env::var_os("NODE").unwrap_or_else(|| "node".into())
}

/// `npm`, or the program in `$NPM`.
fn npm() -> OsString {
    std::env::var_os("NPM").unwrap_or_else(|| "npm".into())
}

/// `<target>/statsd-daemon`: `CARGO_TARGET_TMPDIR` is `<target>/tmp`.
fn install_root() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("statsd-daemon")
}

/// The daemon's `stats.js`, installed first if it is not there yet. Panics
/// with one line saying what is missing.
pub(crate) fn statsd_script() -> PathBuf {
    static SCRIPT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match SCRIPT.get_or_init(|| ensure_installed(&install_root(), &node(), &npm())) {
        Ok(script) => script.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn script_in(root: &Path) -> PathBuf {
    root.join("node_modules/statsd/stats.js")
}

/// Whether `root` holds the pinned version, complete.
fn is_installed(root: &Path) -> bool {
    let package = root.join("node_modules/statsd/package.json");
    script_in(root).is_file()
        && fs::read_to_string(package)
            .is_ok_and(|json| json.contains(&format!("\"version\": \"{VERSION}\"")))
}

/// Whether `program --version` runs and succeeds.
fn runs(program: &OsStr) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Installs the daemon under `root` unless it is there; returns its
/// `stats.js`. Every error is one line.
fn ensure_installed(root: &Path, node: &OsStr, npm: &OsStr) -> Result<PathBuf, String> {
    if is_installed(root) {
        return Ok(script_in(root));
    }
    for (program, what) in [(node, "node"), (npm, "npm")] {
        if !runs(program) {
            return Err(format!(
                "the reference StatsD daemon test needs `{what}`, and `{}` does not run: {NEED_NODE}",
                program.to_string_lossy()
            ));
        }
    }
    let one_line = |what: &str, err: &dyn std::fmt::Display| format!("{what}: {err}");
    let parent = root.parent().ok_or("the install directory has no parent")?;
    fs::create_dir_all(parent)
        .map_err(|e| one_line(&format!("create {}", parent.display()), &e))?;

    // Whoever holds the lock installs; the others wait, then find it done.
    let lock_path = root.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| one_line(&format!("open {}", lock_path.display()), &e))?;
    lock.lock()
        .map_err(|e| one_line(&format!("lock {}", lock_path.display()), &e))?;
    if is_installed(root) {
        return Ok(script_in(root));
    }

    let staging = root.with_extension(format!("partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)
        .map_err(|e| one_line(&format!("create {}", staging.display()), &e))?;
    let out = Command::new(npm)
        .arg("install")
        .arg("--prefix")
        .arg(&staging)
        .args([
            "--no-save",
            "--no-package-lock",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            PACKAGE,
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| one_line("run npm", &e))?;
    if !out.status.success() || !is_installed(&staging) {
        let _ = fs::remove_dir_all(&staging);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "`npm install {PACKAGE}` into {} failed ({}): {}",
            staging.display(),
            out.status,
            last.unwrap_or("no message")
        ));
    }
    // Left by an install from before this scheme, or by hand: not ours to
    // trust, and nobody uses an incomplete copy.
    if root.exists() {
        fs::remove_dir_all(root)
            .map_err(|e| one_line(&format!("remove the incomplete {}", root.display()), &e))?;
    }
    fs::rename(&staging, root).map_err(|e| {
        one_line(
            &format!("move {} to {}", staging.display(), root.display()),
            &e,
        )
    })?;
    Ok(script_in(root))
}

#[test]
fn without_npm_the_error_is_one_line_naming_what_to_install() {
    let root = std::env::temp_dir().join(format!("collector-no-npm-{}", std::process::id()));
    let missing = OsStr::new("/nonexistent/npm");
    let err = ensure_installed(&root, &node(), missing).unwrap_err();
    if runs(&node()) {
        assert!(err.contains("needs `npm`"), "{err}");
    }
    assert!(err.contains("install Node.js with npm"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(!root.exists(), "nothing is created before the check");

    let err = ensure_installed(&root, OsStr::new("/nonexistent/node"), missing).unwrap_err();
    assert!(err.contains("needs `node`"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn an_installed_daemon_is_used_without_running_npm() {
    let root = std::env::temp_dir().join(format!("collector-installed-{}", std::process::id()));
    let package = root.join("node_modules/statsd");
    fs::create_dir_all(&package).unwrap();
    fs::write(package.join("stats.js"), "").unwrap();
    fs::write(
        package.join("package.json"),
        format!("{{\n  \"name\": \"statsd\",\n  \"version\": \"{VERSION}\"\n}}\n"),
    )
    .unwrap();
    // Neither program exists: finding the daemon must not need them.
    let found = ensure_installed(
        &root,
        OsStr::new("/nonexistent/node"),
        OsStr::new("/nonexistent/npm"),
    );
    fs::remove_dir_all(&root).unwrap();
    assert_eq!(found, Ok(script_in(&root)));
}

#[test]
fn another_version_is_not_taken_for_the_pinned_one() {
    let root = std::env::temp_dir().join(format!("collector-other-{}", std::process::id()));
    let package = root.join("node_modules/statsd");
    fs::create_dir_all(&package).unwrap();
    fs::write(package.join("stats.js"), "").unwrap();
    fs::write(package.join("package.json"), "{ \"version\": \"0.8.0\" }").unwrap();
    let installed = is_installed(&root);
    fs::remove_dir_all(&root).unwrap();
    assert!(!installed);
}
