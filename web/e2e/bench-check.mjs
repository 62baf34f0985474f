// States per second of "Find a race" in the browser's web worker: opens the app,
// configures the scoreboard (3 CPUs, crossfire), runs the checker, prints JSON.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { server, url } = await serve(process.env.SDLAB_DIST ? path.resolve(process.env.SDLAB_DIST) : path.resolve(here, '../../dist'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(url + '/');
  await page.waitForSelector('#find-race');
  await page.selectOption('#cpus', '3');
  await page.selectOption('#scenario', { label: 'crossfire' });
  await page.click('#find-race');
  await page.waitForSelector('#check-result', { timeout: 300000 });
  const text = (await page.textContent('#check-result')).trim();
  const m = /(\d+) states, (\d+) transitions, depth (\d+), ([\d.]+) s \((\d+) states\/s\)/.exec(text);
  console.log(JSON.stringify(m
    ? { cpus: 3, scenario: 'crossfire', states: +m[1], transitions: +m[2], seconds: +m[4], states_per_sec: +m[5] }
    : { error: text }));
} finally {
  await browser.close();
  server.close();
}
