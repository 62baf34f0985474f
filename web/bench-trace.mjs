// The Traces mode in headless Chromium (wasm): parse throughput, time from file chosen to
// an interactive timeline, and timeline frame times while panning and zooming. Prints JSON.
//
// The input is built at run time under target/bench-trace/ by concatenating the real
// captures in traces/linux-6.12-qemu-4cpu/ until it reaches the size asked for
// (default 125 MB, about a million events); it is never committed.
//   node web/bench-trace.mjs [megabytes | path-to-a-trace]
// `cargo xtask bench trace` passes the corpus the native benchmark built (the captures with
// each copy moved later in time, so the rounds reconstruct as in one long capture).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from './e2e/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const given = process.argv[2] && fs.existsSync(process.argv[2]) ? path.resolve(process.argv[2]) : null;
const mb = given ? 0 : Number(process.argv[2] ?? 125);
const captures = path.join(root, 'traces/linux-6.12-qemu-4cpu');
const dir = path.join(root, 'target/bench-trace');
const file = given ?? path.join(dir, `concat-${mb}mb.trace`);

function build() {
  if (given) return;
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(file) && fs.statSync(file).size >= mb * 1e6) return;
  const parts = fs.readdirSync(captures).filter((f) => f.endsWith('.trace')).sort()
    .map((f) => fs.readFileSync(path.join(captures, f)));
  const fd = fs.openSync(file, 'w');
  let n = 0;
  for (let i = 0; n < mb * 1e6; i++) {
    const p = parts[i % parts.length];
    fs.writeSync(fd, p);
    n += p.length;
  }
  fs.closeSync(fd);
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null;
};
const round = (x, d = 2) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

build();
const bytes = fs.statSync(file).size;
const { server, url } = await serve(process.env.SDLAB_DIST ? path.resolve(process.env.SDLAB_DIST) : path.resolve(root, 'dist'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${url}/#traces`);
  await page.waitForSelector('#drop-zone');
  const t0 = Date.now();
  await page.setInputFiles('#trace-file', file);
  await page.waitForSelector('#trace-meta', { timeout: 600000 });
  await page.waitForFunction(() => Number(document.querySelector('#timeline-canvas')?.dataset.marks) > 0);
  const interactiveMs = Date.now() - t0;
  const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset }));
  const box = await page.$eval('#timeline-canvas', (c) => c.getBoundingClientRect().toJSON());

  // Frame times, measured in the page around each draw (timeline.rs pushes them here).
  const frames = async (label, act) => {
    await page.evaluate(() => { window.sdlabDrawTimes = []; });
    await act();
    const times = await page.evaluate(() => { const t = window.sdlabDrawTimes; window.sdlabDrawTimes = undefined; return t; });
    return { label, frames: times.length, p50_ms: round(quantile(times, 0.5), 3), p95_ms: round(quantile(times, 0.95), 3), max_ms: round(Math.max(...times), 3) };
  };
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const drag = async () => {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 0; i < 120; i++) await page.mouse.move(cx + 300 * Math.sin(i / 10), cy);
    await page.mouse.up();
  };
  await page.focus('#timeline-canvas');
  const results = [];
  results.push(await frames('pan by drag, whole trace in view', drag));
  results.push(await frames('zoom with the wheel around the pointer (40 steps in, 40 out)', async () => {
    await page.mouse.move(cx, cy);
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -100);
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 100);
  }));
  for (let i = 0; i < 8; i++) await page.keyboard.press('+');
  results.push(await frames('pan by drag, 1/256 of the trace in view', drag));
  results.push(await frames('pan with the arrow keys, 1/256 of the trace in view', async () => {
    for (let i = 0; i < 60; i++) await page.keyboard.press(i < 30 ? 'ArrowRight' : 'ArrowLeft');
  }));
  const all = results.flatMap((r) => r);
  console.log(JSON.stringify({
    file: path.relative(root, file),
    bytes,
    events: Number(meta.events),
    rounds: Number(meta.rounds),
    warnings: Number(meta.warnings),
    parse_ms: Number(meta.parseMs),
    parse_read_ms: Number(meta.readMs),
    page_build_ms: Number(meta.buildMs),
    parse_mb_per_s: round(bytes / 1e6 / (Number(meta.parseMs) / 1000), 1),
    file_chosen_to_interactive_ms: interactiveMs,
    bytes_per_event: round(bytes / Number(meta.events), 1),
    page_wasm_memory_bytes: Number(meta.wasmBytes),
    page_wasm_bytes_per_event: round(Number(meta.wasmBytes) / Number(meta.events), 1),
    frame_time: all,
    frame_time_p95_worst_ms: Math.max(...all.map((r) => r.p95_ms)),
    console_errors: errors,
  }));
} finally {
  await browser.close();
  server.close();
}
