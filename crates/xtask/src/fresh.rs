//! The new user's first command, tested as a new user runs it: the README's serve command,
//! read from the README itself, in a copy of the tree that has exactly the files a clone
//! has (nothing built, no `dist/`), on a free port, until the page and its wasm are served.
//!
//! This exists because the serve command once failed on every fresh clone while every test
//! passed: trunk refuses to start when a path in Trunk.toml's `[watch]` table does not
//! exist, and only `cargo xtask test` itself created that path.

use crate::util::{describe, root, sh};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// First-time builds compile the whole app for wasm32 in release mode: generous, but bounded.
const BUILD_BUDGET: Duration = Duration::from_secs(30 * 60);

pub fn check() -> Result<(), String> {
    let readme = std::fs::read_to_string(root().join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    let command = serve_command(&readme)?;
    let clone = root().join("target/fresh-clone");
    lay_out_clone(&clone)?;
    let port = free_port()?;
    let log = root().join("target/fresh-clone-serve.log");
    let argv: Vec<&str> = command.split_whitespace().collect();
    let mut cmd = sh(argv[0]);
    cmd.args(&argv[1..])
        .args(["--port", &port.to_string()])
        .current_dir(&clone)
        // The clone builds in its own target/, as a new user's does; it is kept between
        // runs only to save time (a fresh clone's target/ holds nothing that is tested).
        .env_remove("CARGO_TARGET_DIR")
        .process_group(0);
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    cmd.stdout(Stdio::from(out)).stderr(Stdio::from(err));
    println!("fresh clone: `{}` in {} (log: {})", describe(&cmd), clone.display(), log.display());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let result = wait_until_served(&mut child, port, &log);
    stop(&mut child);
    result
}

/// The serve line of the README's "Two commands" block: the command before its comment.
fn serve_command(readme: &str) -> Result<String, String> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Two commands"))
        .ok_or("README.md has no `## Two commands` section")?;
    let block = section.split("```").nth(1).ok_or("README.md's `Two commands` section has no code block")?;
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| l.split_whitespace().any(|w| w == "serve"))
        .map(str::to_string)
        .ok_or_else(|| "README.md's `Two commands` block has no serve command".to_string())
}

/// The tracked and not-ignored files of the working tree (their current contents, so an
/// uncommitted change is tested too), and nothing else.
fn lay_out_clone(clone: &Path) -> Result<(), String> {
    let listing = sh("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .map_err(|e| format!("git ls-files: {e}"))?;
    if !listing.status.success() {
        return Err("git ls-files failed: the check needs a git checkout".into());
    }
    if clone.exists() {
        for entry in std::fs::read_dir(clone).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.file_name() == "target" {
                continue;
            }
            let p = entry.path();
            let removed = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            removed.map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    let r = root();
    let mut copied = 0;
    for name in listing.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = PathBuf::from(String::from_utf8_lossy(name).into_owned());
        let from = r.join(&name);
        if !from.is_file() {
            continue; // deleted in the working tree but not yet in the index
        }
        let to = clone.join(&name);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
        copied += 1;
    }
    println!("fresh clone: {copied} files laid out as a clone has them");
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_until_served(child: &mut Child, port: u16, log: &Path) -> Result<(), String> {
    let started = Instant::now();
    let tail = || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    };
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("the serve command exited with {status} before serving the page:\n{}", tail()));
        }
        if started.elapsed() > BUILD_BUDGET {
            return Err(format!("nothing served after {} s:\n{}", BUILD_BUDGET.as_secs(), tail()));
        }
        if let Ok(page) = get(port, "/") {
            if page.status == 200 {
                let secs = started.elapsed().as_secs_f64();
                return check_page(port, &page).map(|wasm| {
                    println!("fresh clone: page and {wasm} served on port {port} after {secs:.0} s");
                });
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The page must name both wasm modules (the app and its worker) and each must be served as
/// WebAssembly, which is what a browser needs before anything draws.
fn check_page(port: u16, page: &Response) -> Result<String, String> {
    let html = String::from_utf8_lossy(&page.body);
    if !html.contains("<title>Shootdown Lab</title>") {
        return Err(format!("the served page is not the app: {}", html.chars().take(200).collect::<String>()));
    }
    let mut wasm: Vec<String> = Vec::new();
    for piece in html.split(['"', '\'']) {
        if piece.ends_with(".wasm") && !wasm.iter().any(|w| w == piece) {
            wasm.push(piece.to_string());
        }
    }
    if wasm.is_empty() {
        return Err("the served page names no .wasm module".into());
    }
    for name in &wasm {
        let path = if name.starts_with('/') { name.clone() } else { format!("/{name}") };
        let r = get(port, &path)?;
        if r.status != 200 || !r.body.starts_with(b"\0asm") {
            return Err(format!("{path}: status {}, {} bytes, not a wasm module", r.status, r.body.len()));
        }
        if !r.content_type.starts_with("application/wasm") {
            return Err(format!("{path} is served as `{}`, not application/wasm", r.content_type));
        }
    }
    Ok(wasm.join(" and "))
}

struct Response {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// A plain HTTP/1.0 GET: the server closes the connection after the body.
fn get(port: u16, path: &str) -> Result<Response, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("GET {path}: {e}"))?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| format!("GET {path}: no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.trim()))
        .unwrap_or("")
        .to_string();
    Ok(Response { status, content_type, body: raw[split + 4..].to_vec() })
}

/// Stop the serve command and everything it started (cargo, trunk), as Ctrl-C would.
fn stop(child: &mut Child) {
    let group = format!("-{}", child.id());
    for signal in ["-INT", "-TERM", "-KILL"] {
        let _ = Command::new("kill").args([signal, "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::serve_command;

    #[test]
    fn reads_the_serve_command_from_the_readme() {
        let readme = "# X\n\n## Two commands\n\nOn a fresh machine:\n\n```sh\ncargo xtask serve   # builds and serves\ncargo xtask test    # every test\n```\n\n## Next\n```sh\nother serve\n```\n";
        assert_eq!(serve_command(readme).unwrap(), "cargo xtask serve");
        assert!(serve_command("## Two commands\n```sh\ncargo xtask test\n```\n").is_err());
        assert!(serve_command("# nothing here").is_err());
    }

    #[test]
    fn the_project_readme_has_a_serve_command() {
        let readme = std::fs::read_to_string(crate::util::root().join("README.md")).unwrap();
        assert_eq!(serve_command(&readme).unwrap(), "cargo xtask serve");
    }
}
