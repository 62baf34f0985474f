//! Format detection from the first lines of the input.
//!
//! Decisive first lines win outright (`TSC frequency is` is DragonFly even with `-q`;
//! `cpus=N` is trace-cmd). Otherwise every sample line is offered to each format's cheap
//! line classifier and the format recognising the most lines wins; a `# tracer:` header
//! only says "some Linux flavour", because the latency-format option keeps that header.
//! Binary input is refused before any of this, so a wrong file gets one clear error
//! instead of a million warnings.

use crate::event::Format;
use crate::lines::{find_byte, trim};
use crate::reader::ReadError;
use crate::{ftrace, ktr_dragonfly, ktr_freebsd};

/// Bytes held back for detection (and for the BSD layout inference).
pub(crate) const SAMPLE: usize = 64 * 1024;
/// Lines of the sample looked at.
const SAMPLE_LINES: usize = 400;
/// Bytes checked for NUL and invalid UTF-8.
const BINARY_WINDOW: usize = 1024;

/// The sample cut after its last newline, unless the sample is the whole input.
pub(crate) fn complete_lines(sample: &[u8], whole_input: bool) -> &[u8] {
    if whole_input {
        return sample;
    }
    match sample.iter().rposition(|&b| b == b'\n') {
        Some(p) => &sample[..p + 1],
        None => &[],
    }
}

fn binary_check(sample: &[u8], whole_input: bool) -> Result<(), ReadError> {
    let window = &sample[..sample.len().min(BINARY_WINDOW)];
    if let Some(p) = find_byte(0, window) {
        return Err(ReadError { line: 1, reason: format!("binary data, not a text trace (NUL byte at offset {p})") });
    }
    if let Err(e) = std::str::from_utf8(window) {
        // A character cut by the end of the window is fine; a bad byte is not.
        let cut = e.error_len().is_none() && (window.len() < sample.len() || !whole_input);
        if !cut {
            return Err(ReadError {
                line: 1 + window[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u32,
                reason: format!("binary data, not a text trace (invalid UTF-8 at offset {})", e.valid_up_to()),
            });
        }
    }
    Ok(())
}

/// Decide the format of the input whose first bytes are `sample`.
pub(crate) fn detect(sample: &[u8], whole_input: bool, forced: Option<Format>) -> Result<Format, ReadError> {
    binary_check(sample, whole_input)?;
    if let Some(f) = forced {
        if f == Format::Emulated {
            return Err(ReadError { line: 0, reason: "emulated runs are not read from text".into() });
        }
        return Ok(f);
    }
    let text = crate::lines::strip_bom(complete_lines(sample, whole_input));
    let mut linux_header = false;
    let mut trace_cmd = false;
    let (mut bracket, mut latency, mut freebsd, mut dragonfly, mut seen) = (0u32, 0u32, 0u32, 0u32, 0usize);
    for raw in text.split(|&b| b == b'\n').take(SAMPLE_LINES) {
        let line = crate::lines::strip_cr(raw);
        let t = trim(line);
        if t.is_empty() {
            continue;
        }
        seen += 1;
        if t.starts_with(b"TSC frequency is") {
            return Ok(Format::DragonFlyKtr);
        }
        if seen == 1 && t.starts_with(b"cpus=") {
            trace_cmd = true;
            continue;
        }
        if t.starts_with(b"# tracer:") {
            linux_header = true;
            continue;
        }
        if t.starts_with(b"#") {
            continue;
        }
        if ftrace::looks_like_bracket(line) {
            bracket += 1;
        } else if ftrace::looks_like_latency(line) {
            latency += 1;
        } else if ftrace::looks_like_graph(line) {
            // function_graph output is the `trace` file of another tracer.
            bracket += 1;
        } else if ktr_dragonfly::looks_like_row(line) || ktr_dragonfly::looks_like_ddb_row(line) {
            dragonfly += 1;
        } else if ktr_freebsd::looks_like_row(line)
            || ktr_freebsd::looks_like_header(line)
            || ktr_freebsd::looks_like_ddb_row(line)
        {
            freebsd += 1;
        }
    }
    let linux = bracket + latency;
    if linux == 0 && freebsd == 0 && dragonfly == 0 {
        if trace_cmd {
            return Ok(Format::TraceCmd);
        }
        if linux_header {
            return Ok(Format::LinuxFtrace);
        }
        let reason = if seen == 0 {
            "no text lines in the input".to_owned()
        } else {
            format!(
                "none of the first {} lines is a Linux ftrace, trace-cmd, FreeBSD or DragonFly ktrdump record",
                seen.min(SAMPLE_LINES)
            )
        };
        return Err(ReadError { line: 1, reason });
    }
    let linux_family = linux_header || trace_cmd || (linux >= freebsd && linux >= dragonfly);
    Ok(if linux_family {
        if trace_cmd {
            Format::TraceCmd
        } else if latency > bracket {
            Format::LinuxLatency
        } else {
            Format::LinuxFtrace
        }
    } else if dragonfly > freebsd {
        Format::DragonFlyKtr
    } else {
        Format::FreeBsdKtr
    })
}
