// Rounds checked per second by conformance in the browser's web worker: opens a bundled
// Linux capture, presses "check every round", waits for every verdict, prints JSON.
// Usage: node bench-conform.mjs [sample-id]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = process.argv[2] ?? 'munmap-4cpu-4pages';
const { server, url } = await serve(path.resolve(here, '../../dist'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(url + '/#traces');
  await page.click(`#sample-${sample}`);
  await page.waitForSelector('#trace-meta', { timeout: 120000 });
  await page.click('#tab-rounds');
  await page.click('#conform-check');
  await page.waitForFunction(() => {
    const s = document.querySelector('#conform-status');
    return s && s.dataset.running === 'false' && s.dataset.seconds !== '';
  }, null, { timeout: 1800000 });
  const s = await page.$eval('#conform-status', (e) => ({ ...e.dataset }));
  const rounds = Number(s.conform) + Number(s.mismatch) + Number(s.undecided);
  console.log(JSON.stringify({
    sample, rounds, conform: Number(s.conform), mismatch: Number(s.mismatch), undecided: Number(s.undecided),
    seconds: Number(s.seconds), rounds_per_sec: rounds / Number(s.seconds),
  }));
} finally {
  await browser.close();
  server.close();
}
