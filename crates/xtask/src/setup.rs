//! Install what is missing, in the cheapest order; every step is skipped when its tool
//! is already there at the right version. Versions are pinned in one place each:
//! trunk here, wasm-bindgen in Cargo.lock, npm tools in web/package-lock.json.

use crate::util::{output, root, run, sh};

const TRUNK_VERSION: &str = "0.21.14";

pub fn all(browser: bool) -> Result<(), String> {
    wasm_target()?;
    if browser {
        chromium()?;
    }
    components()?;
    npm()?;
    fetch()?;
    wasm_bindgen()?;
    trunk()?;
    Ok(())
}

fn ok(what: &str) {
    println!("setup: ok: {what}");
}

fn wasm_target() -> Result<(), String> {
    let installed = output(sh("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        ok("wasm32-unknown-unknown target");
        return Ok(());
    }
    println!("setup: installing the wasm32-unknown-unknown target");
    run(sh("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// rustfmt and clippy, for the first stages of `cargo xtask test` (in rustup's default
/// profile, but a minimal toolchain lacks them).
fn components() -> Result<(), String> {
    let missing: Vec<&str> = [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| output(sh("cargo").args([sub, "--version"])).is_none())
        .map(|(_, component)| component)
        .collect();
    if missing.is_empty() {
        ok("rustfmt and clippy");
        return Ok(());
    }
    println!("setup: installing {}", missing.join(" and "));
    run(sh("rustup").args(["component", "add"]).args(&missing))
}

/// Every crate the workspace needs, so that trunk's offline cargo finds them.
fn fetch() -> Result<(), String> {
    if root().join("Cargo.lock").exists() {
        run(sh("cargo").args(["fetch", "--locked"]))
    } else {
        println!("setup: no Cargo.lock yet, resolving the dependencies");
        run(sh("cargo").arg("fetch"))
    }
}

fn have(tool: &str) -> bool {
    output(sh("sh").args(["-c", &format!("command -v {tool}")])).is_some()
}

fn chromium() -> Result<(), String> {
    if have("chromium") && have("chromedriver") {
        ok("chromium and chromedriver");
        return Ok(());
    }
    println!("setup: installing Debian's chromium and chromium-driver");
    apt_install(&["chromium", "chromium-driver"])
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let sudo: &[&str] = if output(sh("id").arg("-u")).is_some_and(|u| u.trim() == "0") { &[] } else { &["sudo", "-n"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        let mut c = sh(all[0]);
        c.args(&all[1..]);
        run(&mut c)
    };
    apt(&["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"])?;
    let mut args = vec!["apt-get", "install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600"];
    args.extend_from_slice(packages);
    apt(&args)
}

fn npm() -> Result<(), String> {
    let web = root().join("web");
    let lock = std::fs::read(web.join("package-lock.json")).map_err(|e| format!("web/package-lock.json: {e}"))?;
    let stamp = web.join("node_modules/.sdlab-lock");
    if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) && web.join("node_modules/.bin/wasm-opt").exists() {
        ok("npm tools in web/node_modules match web/package-lock.json");
        return Ok(());
    }
    println!("setup: npm ci in web/");
    run(sh("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&web))?;
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}

fn locked_version(name: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    version_in_lock(&lock, name).ok_or_else(|| format!("{name} is not in Cargo.lock"))
}

fn version_in_lock(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == format!("name = \"{name}\"") {
            if let Some(v) = lines.next().and_then(|v| v.trim().strip_prefix("version = ")) {
                return Some(v.trim_matches('"').to_string());
            }
        }
    }
    None
}

fn wasm_bindgen() -> Result<(), String> {
    let want = locked_version("wasm-bindgen")?;
    let have = output(sh("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        ok(&format!("wasm-bindgen-cli {want}"));
        return Ok(());
    }
    // Unlocked on purpose: the registry mirror lacks some of the CLI's locked deps.
    println!("setup: installing wasm-bindgen-cli {want} (a few minutes, once)");
    run(sh("cargo").args(["install", "--force", "wasm-bindgen-cli", "--version", &format!("={want}")]))
}

fn trunk() -> Result<(), String> {
    let have = output(sh("trunk").arg("--version")).unwrap_or_default();
    if have.contains(&format!("trunk {TRUNK_VERSION}")) {
        ok(&format!("trunk {TRUNK_VERSION}"));
        return Ok(());
    }
    println!("setup: installing trunk {TRUNK_VERSION} (about 7 minutes, once)");
    run(sh("cargo").args(["install", "--locked", "trunk", "--version", &format!("={TRUNK_VERSION}")]))
}

/// SPIN and a C compiler, for the checker comparison in `cargo xtask bench`.
pub fn spin() -> Result<(), String> {
    if have("spin") && have("gcc") {
        ok("spin and gcc");
        return Ok(());
    }
    println!("setup: installing Debian's spin and gcc");
    apt_install(&["spin", "gcc"])
}

#[cfg(test)]
mod tests {
    use super::version_in_lock;

    #[test]
    fn reads_the_exact_package_from_cargo_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(version_in_lock(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(version_in_lock(lock, "trunk"), None);
    }

    #[test]
    fn the_workspace_lock_pins_wasm_bindgen() {
        let lock = std::fs::read_to_string(crate::util::root().join("Cargo.lock")).unwrap();
        assert!(version_in_lock(&lock, "wasm-bindgen").is_some());
    }
}
