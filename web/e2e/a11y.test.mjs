// Accessibility audit with axe-core: no serious or critical violation in the stepper, the
// gallery, presenter mode and a race on screen.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = fs.readFileSync(path.join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

async function audit(page, where) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) throw new Error(`${where}: ${JSON.stringify(bad, null, 1)}`);
}

export default [
  {
    name: 'accessibility: axe-core finds no serious or critical violation',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await audit(page, 'stepper at step 0');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 12; i++) await page.keyboard.press(String(i % 3));
      await page.click('#share');
      await audit(page, 'stepper after steps, share open');
      await page.click('#open-gallery');
      await page.waitForSelector('#gallery');
      await audit(page, 'gallery');
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1&presenter=1');
      await page.waitForSelector('.stepper.presenter');
      await page.click('#find-race');
      await page.waitForSelector('#timeline');
      await page.keyboard.press('?');
      await audit(page, 'presenter mode with a counterexample and the help');
    },
  },
];
