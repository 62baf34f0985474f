// End-to-end tests against the built dist/ in headless Chromium. Each `*.test.mjs`
// exports a list of { name, fn({ page, baseUrl, screenshot }) }. Every test also fails on
// a console error, an uncaught page error, or a request that leaves the local server.
// `node web/e2e/run.mjs [name-filter]`; a test may set `timeout` (ms, default 180 s).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serve, launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// SDLAB_DIST lets two engineers test two builds at once without sharing dist/.
const dist = process.env.SDLAB_DIST ? path.resolve(process.env.SDLAB_DIST) : path.resolve(here, '../../dist');
const shots = path.join(here, 'screenshots');
const only = process.argv[2];

if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error('dist/index.html is missing: run `cargo xtask dist` first');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const timer = setTimeout(() => {
  console.error('e2e: global timeout (10 min)');
  process.exit(1);
}, 10 * 60 * 1000);

const { server, url: baseUrl } = await serve(dist);
const browser = await launch();
const origin = new URL(baseUrl).origin;
const withTimeout = (promise, ms) => {
  let timer;
  const expire = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); });
  return Promise.race([promise, expire]).finally(() => clearTimeout(timer));
};
let passed = 0;
let failed = 0;
const files = fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort();
for (const file of files) {
  const mod = await import(pathToFileURL(path.join(here, file)).href);
  const tests = mod.default ?? mod.tests;
  if (!Array.isArray(tests)) {
    failed++;
    console.log(`not ok - ${file}: exports no list of tests (export default [...] or export const tests = [...])`);
    continue;
  }
  for (const t of tests) {
    if (only && !t.name.includes(only)) continue;
    const page = await browser.context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      const u = r.url();
      if (!/^(data|blob):/.test(u) && new URL(u).origin !== origin) problems.push(`request left the app: ${u}`);
    });
    const screenshot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
    // A key press returns once the page has taken the key, not once it has drawn what the
    // key did; on a busy machine a walk then read the step before the page showed it
    // (twice in fresh-clone runs). Every press here waits for the next frame to be drawn.
    const press = page.keyboard.press.bind(page.keyboard);
    page.keyboard.press = async (...args) => {
      await press(...args);
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))).catch(() => {});
    };
    const t0 = Date.now();
    try {
      await withTimeout(t.fn({ page, baseUrl, screenshot, context: browser.context }), t.timeout ?? 180000);
      if (problems.length) throw new Error(problems.join('; '));
      passed++;
      console.log(`ok - ${file}: ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${file}: ${t.name}\n    ${String(e.stack ?? e).split('\n').join('\n    ')}`);
      await screenshot(`FAILED-${t.name.replace(/\W+/g, '-')}`).catch(() => {});
    }
    await page.close();
  }
}
await browser.close();
server.close();
clearTimeout(timer);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
