// The screenshots in docs/screenshots/ (issue #19): five views a lecturer shows, at a
// laptop's 1280x720 and a projector's 1920x1080, taken by this walk so they show the app
// as it is built. `SDLAB_DOCS_SHOTS=1 node web/e2e/run.mjs "docs screenshots"` writes them
// there; otherwise they go to web/e2e/screenshots/docs/. Each is checked for what a person sees before it is written: the main
// panes do not overlap, every text reads (contrast; 16 px at least in presenter mode), and
// no drop-down cuts its chosen text.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { showMe } from './permalink.test.mjs';
import { audit, noOverlap } from './lecture.test.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const here = path.dirname(fileURLToPath(import.meta.url));
// The committed folder only when asked: the pictures carry timings ("0.20 s", "parsed in
// 27 ms") that differ at every run, and a test run should not leave the tree changed.
const OUT = process.env.SDLAB_DOCS_SHOTS
  ? path.resolve(here, '../../docs/screenshots')
  : path.join(here, 'screenshots', 'docs');
const SIZES = [[1280, 720], [1920, 1080]];
/** They are committed: together under this many bytes. */
const MAX_TOTAL = 3 << 20;

// The page's main panes: none may cover part of another, as clipped by the window.
// `selectors` name the panes; a pane inside another is not compared with it.
async function panesApart(page, where, selectors) {
  const clash = await page.evaluate((selectors) => {
    // The part of an element a person can see: inside the window and inside every
    // ancestor that clips it (a pane scrolled past it hides it).
    const box = (e) => {
      const r = e.getBoundingClientRect();
      let b = { left: Math.max(0, r.left), top: Math.max(0, r.top), right: Math.min(innerWidth, r.right), bottom: Math.min(innerHeight, r.bottom) };
      for (let a = e.parentElement; a; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
        const q = a.getBoundingClientRect();
        b = { left: Math.max(b.left, q.left), top: Math.max(b.top, q.top), right: Math.min(b.right, q.right), bottom: Math.min(b.bottom, q.bottom) };
      }
      return b;
    };
    const els = [...new Set(selectors.flatMap((s) => [...document.querySelectorAll(s)]))].filter((e) => {
      const b = box(e);
      return b.right - b.left > 1 && b.bottom - b.top > 1 && getComputedStyle(e).visibility !== 'hidden';
    });
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].slice(0, 2).map((c) => '.' + c).join('');
    for (const a of els) {
      for (const b of els) {
        if (a === b || a.contains(b) || b.contains(a)) continue;
        const [p, q] = [box(a), box(b)];
        const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
        const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
        if (x > 0.5 && y > 0.5) return [name(a), name(b), p, q];
      }
    }
    return null;
  }, selectors);
  assert(!clash, `${where}: ${clash?.[0]} overlaps ${clash?.[1]}: ${JSON.stringify(clash?.slice(2))}`);
}

// A drop-down shows its chosen text whole: a cut model title ("…with csd locks and t")
// is what a lecturer sees first. Measured with the control's own font; the arrow and the
// padding take the rest of its width.
async function choicesWhole(page, where) {
  const cut = await page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll('select')].filter((s) => s.getBoundingClientRect().width > 1 && s.selectedIndex >= 0).map((s) => {
      const cs = getComputedStyle(s);
      ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const text = s.options[s.selectedIndex].text;
      const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18;
      return { id: s.id, text, need: Math.ceil(ctx.measureText(text).width), room: Math.floor(room) };
    }).filter((c) => c.need > c.room);
  });
  assert(cut.length === 0, `${where}: drop-downs cut their text: ${JSON.stringify(cut)}`);
}

const STEPPER = ['.toolbar', '.race-slot', '.stage > *', '.machine > *', '.machine .lower > *', '.machine .cpus > *'];
const TRACES = ['.traces > *'];

// The five views, each put on screen from a fresh page.
const VIEWS = [
  ['default', 'the default page', async (page, baseUrl) => {
    await page.goto(baseUrl + '/');
    await page.waitForSelector('#var-scoreboard');
  }],
  ['8-cpus', '8 CPUs', async (page, baseUrl) => {
    await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=8&s=unmap_free&seed=1');
    await page.waitForSelector('#var-scoreboard');
    await page.click('.source', { position: { x: 5, y: 5 } });
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
  }],
  ['dragonfly-deadlock', 'the DragonFly ring deadlock at the deadlock', async (page, baseUrl) => {
    await showMe(page, baseUrl, 'dragonfly', 'R1');
    await page.click('.source', { position: { x: 5, y: 5 } });
    await page.keyboard.press('End');
    await page.waitForSelector('#banner.deadlock');
  }],
  ['presenter', 'presenter mode, the Linux race at its violation', async (page, baseUrl) => {
    await showMe(page, baseUrl, 'linux', 'LX1');
    await page.click('#presenter');
    await page.waitForSelector('.stepper.presenter');
    await page.click('.source', { position: { x: 5, y: 5 } });
    await page.keyboard.press('End');
    await page.waitForSelector('#banner.violation');
  }],
  ['traces-round', 'a Traces round', async (page, baseUrl) => {
    await page.goto(baseUrl + '/#traces');
    await page.waitForSelector('#drop-zone');
    await page.click('#sample-munmap-4cpu-4pages');
    await page.waitForSelector('#trace-meta', { timeout: 60000 });
    await page.click('.round-row .round-pick');
    await page.waitForSelector('tr.round-row.selected');
  }],
];

export default [
  {
    name: 'docs screenshots: five views at 1280x720 and 1920x1080, panes apart, text readable and whole, under 3 MB',
    timeout: 300000,
    fn: async ({ page, baseUrl }) => {
      fs.mkdirSync(OUT, { recursive: true });
      const figures = [];
      const written = [];
      for (const [file, where, open] of VIEWS) {
        await page.setViewportSize({ width: SIZES[0][0], height: SIZES[0][1] });
        await open(page, baseUrl);
        for (const [w, h] of SIZES) {
          await page.setViewportSize({ width: w, height: h });
          // Fonts and the last layout settle before anything is measured.
          await page.evaluate(() => document.fonts.ready);
          await page.waitForTimeout(100);
          const label = `${where} at ${w}x${h}`;
          const traces = file.startsWith('traces');
          await panesApart(page, label, traces ? TRACES : STEPPER);
          await choicesWhole(page, label);
          if (!traces) {
            await noOverlap(page, label);
            // Contrast 4.5:1, and in presenter mode 7:1 and no text under 16 px.
            await audit(page, label, figures);
          }
          const scrolls = await page.evaluate(() => document.scrollingElement.scrollWidth > innerWidth);
          assert(!scrolls, `${label}: the page scrolls sideways`);
          const out = path.join(OUT, `${file}-${w}x${h}.png`);
          await page.screenshot({ path: out });
          written.push(out);
        }
      }
      const sizes = written.map((f) => [path.basename(f), fs.statSync(f).size]);
      const total = sizes.reduce((a, [, b]) => a + b, 0);
      console.log('    ' + figures.join('\n    '));
      console.log('    ' + sizes.map(([f, b]) => `${f} ${Math.round(b / 1024)} KB`).join(', '));
      assert(written.length === 10, `10 screenshots: ${written.length}`);
      assert(total < MAX_TOTAL, `the screenshots take ${total} bytes, over ${MAX_TOTAL}`);
    },
  },
];
