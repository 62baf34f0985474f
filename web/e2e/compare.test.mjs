// Compare mode: two runs of one model side by side, stepped together, the first
// difference marked on both timelines. The expected step is computed here from the two
// step logs as the page shows them, not from the app's own marker.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const axeSource = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core: no serious or critical violation on the page as it is. */
export async function audit(page, where) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  assert(found.length === 0, `${where}: ${JSON.stringify(found, null, 1)}`);
}

const logs = (page) =>
  page.evaluate(() => ({
    a: [...document.querySelectorAll('#step-log li')].map((li) => li.textContent + (li.classList.contains('bad') ? ' [violation]' : '')),
    b: [...document.querySelectorAll('#b-step-log li')].map((li) => li.textContent + (li.classList.contains('bad') ? ' [violation]' : '')),
  }));

/** The first step (1-based) where the logs differ, a missing entry counting as a difference. */
function firstDifference(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i + 1;
  return null;
}

async function marker(page) {
  return page.evaluate(() => ({
    panel: document.querySelector('#divergence')?.dataset.step ?? '',
    words: document.querySelector('#divergence')?.textContent ?? '',
    a: [...document.querySelectorAll('#cmp-timeline-a .tl-step.diverge')].map((c) => c.dataset.step),
    b: [...document.querySelectorAll('#cmp-timeline-b .tl-step.diverge')].map((c) => c.dataset.step),
  }));
}

async function snapshot(page) {
  return page.evaluate(() => ({
    step: document.querySelector('#step-count').textContent.trim(),
    heads: [...document.querySelectorAll('.pane-head')].map((h) => h.textContent),
    divergence: document.querySelector('#divergence').textContent,
    a: document.querySelector('#cmp-timeline-a').textContent,
    b: document.querySelector('#cmp-timeline-b').textContent,
    logA: document.querySelector('#step-log').textContent,
    logB: document.querySelector('#b-step-log').textContent,
    narrB: document.querySelector('#b-narration').textContent,
    bOption: document.querySelector('#cmp-opt-initiator_if').checked,
  }));
}

async function racyWithCounterexample(page, baseUrl) {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1');
  await page.waitForSelector('#var-scoreboard');
  await page.click('#find-race');
  await page.waitForSelector('#check-result', { timeout: 60000 });
  const result = await page.textContent('#check-result');
  assert(result.includes('deadlock'), result);
  return Number(/in (\d+) steps/.exec(result)[1]);
}

export default [
  {
    name: 'compare: the racy counterexample replayed on the correct variant, first difference marked where the logs part',
    fn: async ({ page, baseUrl, screenshot }) => {
      const n = await racyWithCounterexample(page, baseUrl);
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('c');
      await page.waitForSelector('#compare-pane');
      const heads = await page.$$eval('.pane-head', (hs) => hs.map((h) => h.textContent));
      assert(heads[0].includes('initiator_if = false') && heads[1].includes('initiator_if = true'), `A racy, B correct: ${heads}`);
      assert(await page.isChecked('#cmp-opt-initiator_if'), 'B keeps interrupts enabled');
      // Stepped together: every key moves both runs.
      await page.click('#compare-pane .machine', { position: { x: 3, y: 3 } });
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      let l = await logs(page);
      assert(l.a.length === 2 && l.b.length === 2, `→ steps both: ${l.a.length}/${l.b.length}`);
      await page.keyboard.press('ArrowLeft');
      l = await logs(page);
      assert(l.a.length === 1 && l.b.length === 1, '← steps both back');
      await page.keyboard.press('End');
      assert((await page.textContent('#step-count')).trim() === `step ${n}`, 'End plays the counterexample');
      assert((await page.textContent('#banner')).includes('Deadlock'), 'A deadlocks');
      l = await logs(page);
      let expected = firstDifference(l.a, l.b);
      // The same steps, but one run is stuck after them and the other is not.
      const stuck = async (sel) => page.locator(sel).count();
      if (expected === null && (await stuck('#banner.deadlock')) !== (await stuck('#b-banner.deadlock'))) expected = l.a.length + 1;
      assert(expected !== null, `the runs differ somewhere:\n${l.a.join('\n')}\n---\n${l.b.join('\n')}`);
      const m = await marker(page);
      assert(m.panel === String(expected), `divergence at step ${expected}, marked at ${m.panel}: ${m.words}`);
      assert(m.a.length === 1 && m.a[0] === String(expected), `A's timeline marks step ${expected}: ${m.a}`);
      assert(m.b.length === 1 && m.b[0] === String(expected), `B's timeline marks step ${expected}: ${m.b}`);
      assert(m.words.includes(`Step ${expected}`), `named in words: ${m.words}`);
      // Marked before it is reached, too: from step 0 the projection already knows it.
      await page.keyboard.press('Home');
      const m0 = await marker(page);
      assert(m0.panel === String(expected) && m0.b[0] === String(expected), 'marked at step 0 already');
      // Up to the step before, the two step logs agree.
      for (let i = 0; i < Math.min(expected - 1, n); i++) await page.keyboard.press('ArrowRight');
      l = await logs(page);
      assert(JSON.stringify(l.a) === JSON.stringify(l.b), 'identical up to the step before the difference');
      if (expected <= n) {
        await page.keyboard.press('ArrowRight');
        l = await logs(page);
        assert(l.a[expected - 1] !== l.b[expected - 1], 'different at the marked step');
      }
      await screenshot('compare-divergence');
      await audit(page, 'compare mode');
    },
  },
  {
    name: 'compare: the comparison travels in the link; old links open without it; bad compare fields give a message',
    fn: async ({ page, baseUrl, context }) => {
      const n = await racyWithCounterexample(page, baseUrl);
      await page.click('#compare');
      await page.waitForSelector('#compare-pane');
      await page.click('.pane-a .machine', { position: { x: 3, y: 3 } });
      for (let i = 0; i < Math.min(n, 5); i++) await page.keyboard.press('ArrowRight');
      // The address bar is written after the render that follows a key: wait for it.
      await page.waitForFunction((k) => location.hash.includes(`&at=${k}`), Math.min(n, 5));
      const url = page.url();
      assert(url.includes('cmp=1') && url.includes('co=initiator_if:1'), url);
      const before = await snapshot(page);
      const other = await context.newPage();
      await other.setViewportSize({ width: 1280, height: 720 });
      await other.goto(url);
      await other.waitForSelector('#compare-pane');
      const after = await snapshot(other);
      assert(JSON.stringify(before) === JSON.stringify(after), `restored comparison differs:\n${JSON.stringify(before)}\n${JSON.stringify(after)}`);
      // Two schedules of one variant: B follows its own seed, kept in the link too.
      await other.selectOption('#cmp-follow', 'own');
      await other.uncheck('#cmp-opt-initiator_if');
      await other.fill('#cmp-seed', '7');
      await other.press('#cmp-seed', 'Tab');
      const url2 = other.url();
      assert(url2.includes('cseed=7') && !url2.includes('co='), url2);
      const own = await snapshot(other);
      await other.goto('about:blank');
      await other.goto(url2);
      await other.waitForSelector('#compare-pane');
      assert(JSON.stringify(await snapshot(other)) === JSON.stringify(own), 'own schedule restored');
      const l = await logs(other);
      const expected = firstDifference(l.a, l.b);
      const m = await marker(other);
      if (expected !== null && expected <= l.a.length) assert(m.panel === String(expected), `own seed: expected ${expected}, marked ${m.panel}`);
      await other.close();
      // A link from before compare mode opens as before.
      await page.goto('about:blank');
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1&x=0,1,0&at=2');
      await page.waitForSelector('#var-scoreboard');
      assert((await page.locator('#compare-pane').count()) === 0, 'no compare pane');
      assert((await page.textContent('#step-count')).trim() === 'step 2', 'old link restored');
      assert((await page.locator('#banner').count()) === 0, 'no message');
      for (const frag of ['&cmp=1&co=nope:1', '&co=initiator_if:1', '&cmp=1&cx=0,zz', '&cmp=1&cseed=-4']) {
        await page.goto('about:blank');
        await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&seed=1' + frag);
        await page.waitForSelector('#var-scoreboard');
        const banner = await page.textContent('#banner');
        assert(banner.includes('This link cannot be opened'), `${frag}: ${banner}`);
        assert((await page.locator('#compare-pane').count()) === 0, `${frag}: default view`);
      }
    },
  },
  {
    name: 'compare: readable in presenter mode (contrast at least 7:1, fits 1280x720), c closes it',
    fn: async ({ page, baseUrl, screenshot }) => {
      await racyWithCounterexample(page, baseUrl);
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('p');
      await page.keyboard.press('c');
      await page.waitForSelector('.presenter #compare-pane');
      await page.keyboard.press('End');
      const report = await page.evaluate(() => {
        const lum = (rgb) => {
          const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
        const bg = (el) => {
          for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        return ['#divergence', '.pane-b .pane-head', '.pane-tag', '#cmp-timeline-b .tl-step.diverge', '#b-narration .said', '#banner', '#b-step-log li'].map((sel) => {
          const el = document.querySelector(sel);
          if (!el) return { sel, missing: true };
          const fg = parse(getComputedStyle(el).color).slice(0, 3);
          const l1 = lum(fg), l2 = lum(bg(el));
          return { sel, ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), size: parseFloat(getComputedStyle(el).fontSize) };
        });
      });
      for (const r of report) {
        assert(!r.missing, `${r.sel} is shown`);
        assert(r.ratio >= 7, `${r.sel}: contrast ${r.ratio.toFixed(2)}`);
      }
      assert(report[0].size >= 18, `the difference in words is ${report[0].size}px`);
      const sh = await page.evaluate(() => document.scrollingElement.scrollHeight);
      assert(sh <= 720, `page scrolls: ${sh}`);
      await screenshot('compare-presenter');
      await audit(page, 'compare mode in presenter mode');
      await page.keyboard.press('c');
      assert((await page.locator('#compare-pane').count()) === 0, 'c closes compare mode');
      assert(!page.url().includes('cmp=1'), 'and the link forgets it');
    },
  },
  {
    name: 'compare: B is a known race of the model, found by the checker in a worker, against the schedule on screen',
    fn: async ({ page, baseUrl, context, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&seed=3');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#compare');
      const e4 = await page.$eval('#cmp-race', (sel) => [...sel.options].find((o) => o.textContent.startsWith('E4:'))?.value);
      assert(e4 !== undefined, 'E4 is offered: same CPUs and scenario');
      await page.selectOption('#cmp-race', e4);
      await page.waitForFunction(() => /B plays its shortest counterexample/.test(document.querySelector('#cmp-search')?.textContent ?? ''), null, { timeout: 60000 });
      const said = await page.textContent('#cmp-search');
      assert(said.includes('deadlock'), said);
      const m = Number(/in (\d+) steps/.exec(said)[1]);
      const heads = await page.$$eval('.pane-head', (hs) => hs.map((h) => h.textContent));
      assert(heads[1].includes('initiator_if = false'), `B runs E4's variant: ${heads}`);
      assert(page.url().includes('co=initiator_if:0') && page.url().includes('cx='), page.url());
      assert((await page.inputValue('#cmp-follow')) === 'own', 'B follows its own schedule');
      await page.click('.pane-a .machine', { position: { x: 3, y: 3 } });
      await page.keyboard.press('End');
      const l = await logs(page);
      assert(l.b.length === Math.min(l.a.length, m), `B plays up to its deadlock: ${l.b.length} of ${m}`);
      let expected = firstDifference(l.a, l.b);
      if (expected === null) expected = l.a.length + 1;
      const mk = await marker(page);
      assert(mk.panel === String(expected) && mk.a.includes(String(expected)) && mk.b.includes(String(expected)),
        `expected the first difference at ${expected}: ${JSON.stringify(mk)}`);
      await screenshot('compare-known-race');
      // The comparison with B's counterexample reopens from the link.
      const url = page.url();
      const other = await context.newPage();
      await other.setViewportSize({ width: 1280, height: 720 });
      await other.goto(url);
      await other.waitForSelector('#compare-pane');
      assert(JSON.stringify(await logs(other)) === JSON.stringify(l), 'both runs restored');
      assert((await marker(other)).panel === String(expected), 'and the marker');
      await other.close();
    },
  },
  {
    name: 'compare: a stale-TLB race (E2) replayed on the default variant: marked where the logs part, A breaks G-STALE',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=unmap_free&o=nmi_reads_user:1,hw_nmi:1,check_window:0&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      const result = await page.textContent('#check-result');
      assert(result.includes('G-STALE'), result);
      await page.click('#compare');
      const heads = await page.$$eval('.pane-head', (hs) => hs.map((h) => h.textContent));
      assert(heads[1].includes('nmi_reads_user = false') && heads[1].includes('hw_nmi = 0'), `B is the default variant: ${heads}`);
      await page.click('.pane-a .machine', { position: { x: 3, y: 3 } });
      await page.keyboard.press('End');
      assert((await page.textContent('#banner')).includes('G-STALE'), 'A breaks G-STALE');
      const l = await logs(page);
      let expected = firstDifference(l.a, l.b);
      if (expected === null) expected = l.a.length + 1;
      const m = await marker(page);
      assert(m.panel === String(expected) && m.a.includes(String(expected)) && m.b.includes(String(expected)),
        `expected the first difference at ${expected}: ${JSON.stringify(m)}\n${l.a.join('\n')}\n---\n${l.b.join('\n')}`);
    },
  },
];
