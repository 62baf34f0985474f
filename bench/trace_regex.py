#!/usr/bin/env python3
"""The baseline of `cargo xtask bench trace`: a straightforward Python parser of Linux
ftrace text, with the generic event-line regex of research/trace-formats.md §3.5.

Every line is matched; a match becomes a record (comm, pid, cpu, timestamp in ns, event,
payload) appended to a list, as a replayer written in Python would keep them; the rest
(headers, comments, lines the regex does not take) is counted as unparsed. Prints one
JSON line: bytes, seconds, mb_per_sec (10^6 bytes per second), events, unparsed.

    python3 bench/trace_regex.py FILE
"""

import json
import re
import sys
import time

LINE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+(?:\(\s*(?P<tgid>[-\d]+)\)\s+)?\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<flags>[.a-zA-Z0-9]{4,8})\s+)?(?P<ts>\d+(?:\.\d+)?):\s+(?P<event>[^:\s]+):\s?(?P<payload>.*)$"
)


def timestamp_ns(text):
    # seconds.micro(nano)seconds for ns clocks, a raw counter otherwise
    if "." in text:
        sec, frac = text.split(".", 1)
        return int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])
    return int(text)


def parse(path):
    events = []
    unparsed = 0
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if m is None:
                unparsed += 1
                continue
            events.append(
                (
                    m.group("comm"),
                    int(m.group("pid")),
                    int(m.group("cpu")),
                    timestamp_ns(m.group("ts")),
                    m.group("event"),
                    m.group("payload"),
                )
            )
    # The Rust parser returns events sorted by time: so does this one.
    events.sort(key=lambda e: e[3])
    return events, unparsed


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        size = len(open(path, "rb").read())
    except OSError as e:
        print(f"trace_regex.py: cannot read {path}: {e}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    events, unparsed = parse(path)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "parser": "python-regex",
                "python": sys.version.split()[0],
                "bytes": size,
                "seconds": seconds,
                "mb_per_sec": size / 1e6 / seconds if seconds > 0 else 0.0,
                "events": len(events),
                "unparsed": unparsed,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
