// "Find a race" in the browser's web worker(s), for `cargo xtask bench`: opens the app,
// configures the scoreboard (scenario crossfire) and runs the checker on N CPUs (the
// first argument, default 3), then prints one JSON line: the verdict's figures as the
// page shows them, plus what the worker reported and the page does not show (the
// seconds until the safety search was over, the worker's peak wasm memory, the number of
// workers; read from `window.sdlabLastCheck`, the last reply the race panel received).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cpus = process.argv[2] ?? '3';
const { server, url } = await serve(process.env.SDLAB_DIST ? path.resolve(process.env.SDLAB_DIST) : path.resolve(here, '../../dist'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  // SDLAB_DEVICE_MEMORY=g: the page sees g GiB (navigator.deviceMemory), which sizes its state limit.
  if (process.env.SDLAB_DEVICE_MEMORY) {
    await page.addInitScript((g) => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => g }), +process.env.SDLAB_DEVICE_MEMORY);
  }
  // SDLAB_CORES=n: the page sees n cores (navigator.hardwareConcurrency), which decide its
  // workers: one for 1 core (both passes in turn), else the search's and the liveness pass's.
  if (process.env.SDLAB_CORES) {
    await page.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), +process.env.SDLAB_CORES);
  }
  await page.goto(url + '/');
  await page.waitForSelector('#find-race');
  await page.selectOption('#cpus', cpus);
  await page.selectOption('#scenario', { label: 'crossfire' });
  const t0 = Date.now();
  await page.click('#find-race');
  await page.waitForSelector('#check-result', { timeout: 600000 });
  const wall = (Date.now() - t0) / 1000;
  const text = (await page.textContent('#check-result')).trim();
  const m = /(\d+) states, (\d+) transitions, depth (\d+), ([\d.]+) s \((\d+) states\/s\)/.exec(text);
  const done = JSON.parse(await page.evaluate(() => window.sdlabLastCheck ?? 'null')) ?? {};
  const hw = await page.evaluate(() => ({ cores: navigator.hardwareConcurrency, device_memory_gib: navigator.deviceMemory ?? null }));
  console.log(JSON.stringify(m
    ? {
      cpus: +cpus, scenario: 'crossfire', verdict: done.verdict ?? null, states: +m[1], transitions: +m[2], seconds: +m[4],
      states_per_sec: +m[5], wall_seconds: wall, safety_seconds: done.safety_seconds ?? null,
      memory_bytes: done.memory_bytes ?? null, workers: done.workers ?? null, ...hw,
    }
    : { error: text }));
} finally {
  await browser.close();
  server.close();
}
