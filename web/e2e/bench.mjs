// Engine steps per second in headless Chromium (wasm): opens ?bench=steps on dist/ and
// prints the JSON the page writes into #bench-result.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const query = process.argv[2] ?? 'bench=steps&cpus=4&steps=5000000';
const { server, url } = await serve(path.resolve(here, '../../dist'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${url}/?${query}`);
  const el = await page.waitForSelector('#bench-result', { timeout: 300000 });
  console.log((await el.textContent()).trim());
} finally {
  await browser.close();
  server.close();
}
