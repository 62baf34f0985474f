//! Running commands with the project's PATH and environment, and counting test results.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// A command run at the repository root with web/node_modules/.bin and ~/.cargo/bin first
/// on PATH, trunk kept offline and quiet about updates.
pub fn sh(program: &str) -> Command {
    let r = root();
    let path = std::env::var("PATH").unwrap_or_default();
    let path = format!("{}:{}:{path}", r.join("web/node_modules/.bin").display(), home().join(".cargo/bin").display());
    let mut c = Command::new(program);
    c.current_dir(&r)
        .env("PATH", path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("TRUNK_OFFLINE", "true")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    c
}

pub fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().to_string();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn run(c: &mut Command) -> Result<(), String> {
    let status = c.status().map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` exited with {status}", describe(c)))
    }
}

/// Output of a command, or None if it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    /// Count cargo's `test result: ok. N passed; M failed` and the e2e runner's
    /// `N passed, M failed` lines.
    fn read(&mut self, line: &str) {
        let nums = |s: &str| -> Option<(u64, u64)> {
            let mut it = s.split(|c: char| !c.is_ascii_digit()).filter(|t| !t.is_empty());
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        };
        if let Some(rest) = line.trim().strip_prefix("test result: ") {
            if let Some((p, f)) = nums(rest) {
                self.passed += p;
                self.failed += f;
            }
        } else if line.trim().ends_with(" failed") && line.contains(" passed, ") && !line.contains(':') {
            if let Some((p, f)) = nums(line) {
                self.passed += p;
                self.failed += f;
            }
        }
    }
}

/// Run, echoing stdout line by line and counting test results in it.
pub fn run_tee(c: &mut Command, tally: &mut Tally) -> Result<(), String> {
    let mut child = c.stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            tally.read(&line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` exited with {status}", describe(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn counts_cargo_and_e2e_result_lines() {
        let mut t = Tally::default();
        for line in [
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored",
            "ok - smoke.test.mjs: the page loads (120 ms)",
            "not ok - x.test.mjs: 1 passed, 2 failed: in a message",
            "7 passed, 1 failed",
            "running 12 tests",
        ] {
            t.read(line);
        }
        assert_eq!((t.passed, t.failed), (22, 3));
    }
}
