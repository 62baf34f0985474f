// Lecture-hall features: every shortcut, the help overlay, presenter mode's contrast.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const step = async (page) => (await page.textContent('#step-count')).trim();

export default [
  {
    name: 'keyboard: every shortcut does what the help overlay says',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('?');
      const help = await page.textContent('#help');
      for (const k of ['0–9', '→', '←', 'Home / End', 'space', 'r', 'f', 'p', '?']) assert(help.includes(k), `help lists ${k}`);
      await page.keyboard.press('?');
      assert((await page.locator('#help').count()) === 0, '? closes the help');
      await page.keyboard.press('2');
      assert((await step(page)) === 'step 1', 'digit steps that CPU');
      assert((await page.textContent('#narration')).includes('CPU 2'), 'CPU 2 stepped');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      assert((await step(page)) === 'step 3', '→ steps');
      await page.keyboard.press('ArrowLeft');
      assert((await step(page)) === 'step 2', '← goes back');
      await page.keyboard.press('Home');
      assert((await step(page)) === 'step 0', 'Home');
      await page.keyboard.press('End');
      assert((await page.locator('#banner.done').count()) === 1, 'End runs to the end');
      await page.keyboard.press('r');
      assert((await step(page)) === 'step 0', 'r resets');
      await page.keyboard.press(' ');
      await page.waitForFunction(() => document.querySelector('#step-count').textContent.trim() !== 'step 0');
      await page.keyboard.press(' ');
      const paused = await step(page);
      await page.waitForTimeout(900);
      assert((await step(page)) === paused, 'space pauses');
      await page.keyboard.press('f');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      assert((await page.textContent('#check-result')).includes('Verified'), 'f finds (no) race');
      await page.keyboard.press('p');
      assert(await page.$eval('.stepper', (e) => e.classList.contains('presenter')), 'p: presenter mode');
      assert(page.url().includes('presenter=1'), 'presenter mode is in the link');
      await page.keyboard.press('p');
      assert(!(await page.$eval('.stepper', (e) => e.classList.contains('presenter'))), 'p again: off');
      // Every control is reachable with Tab.
      const focusable = await page.$$eval('button:not([disabled]), select, input', (els) => els.filter((e) => e.tabIndex >= 0 && e.offsetParent !== null).length);
      assert(focusable > 10, `${focusable} focusable controls`);
    },
  },
  {
    name: 'presenter mode: large type, contrast at least 7:1, fits 1280x720',
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1&presenter=1');
      await page.waitForSelector('.stepper.presenter');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('0');
        await page.keyboard.press('1');
      }
      await page.waitForSelector('#banner.deadlock');
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
        const out = [];
        for (const sel of ['.narration .said', '.narration .facts', '.src-line code', '.src-line .ln', '.cpu-card .status', '.cpu-card .ctx', '#banner', '#step-log li', '.matrix figcaption', '#page-table td', '.comment', '.narr', '.kw']) {
          const el = document.querySelector(sel);
          if (!el) continue;
          const fg = parse(getComputedStyle(el).color).slice(0, 3);
          const l1 = lum(fg), l2 = lum(bg(el));
          out.push({ sel, ratio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05), size: parseFloat(getComputedStyle(el).fontSize) });
        }
        return out;
      });
      for (const r of report) assert(r.ratio >= 7, `${r.sel}: contrast ${r.ratio.toFixed(2)}`);
      const said = report.find((r) => r.sel === '.narration .said');
      assert(said.size >= 22, `narration is ${said.size}px`);
      assert((await page.locator('.toolbar .options').isVisible()) === false, 'option row hidden');
      const sh = await page.evaluate(() => document.scrollingElement.scrollHeight);
      assert(sh <= 720, `page scrolls: ${sh}`);
      await screenshot('presenter');
    },
  },
];
