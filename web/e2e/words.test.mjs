// In front of a class (issue #19): narration by meaning, pacing and the glossary, read
// from the page as a person reads it.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export default [
  {
    name: 'words: the narration says CPU sets, constant names and hex addresses, and no update that changes nothing',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=3&s=unmap_free&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      const said = [];
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('ArrowRight');
        said.push(await page.textContent('#narration'));
      }
      const all = said.join('\n');
      const noop = all.match(/from (-?\w+) to \1\b/);
      assert(!noop, `an update that changes nothing is narrated: ${noop?.[0]}`);
      const mask = all.match(/pm_active = (\{[^}]*\}|\S+)/);
      assert(mask, 'the run reads pm_active (the test has something to look at)');
      assert(/^\{[\d, ]*\}/.test(mask[1]), `pm_active is said as a CPU set: ${mask[0]}`);
      assert(/smp_tlb_op(\[\d+\])? = OP_PG/.test(all), 'the op is said by its constant name');
      assert(!/= (4096|8192)\b/.test(all), 'addresses are in hex');
    },
  },
  {
    name: 'words: run CPU 0 to its next IPI and CPU 1 to an acknowledgement; the glossary is one key away',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.selectOption('#run-cpu', '0');
      await page.click('#run-to-ipi');
      await page.waitForFunction(() => /sends|takes/.test(document.querySelector('#narration').textContent));
      const steps = Number((await page.textContent('#step-count')).replace(/\D/g, ''));
      assert(steps > 3, `more than a few steps in one click: ${steps}`);
      const log = await page.$$eval('#step-log li', (l) => l.map((e) => e.textContent));
      assert(log.every((t) => t.startsWith('CPU 0') || t.startsWith('↻')), 'only CPU 0 moved');
      // The key runs the CPU of the last step.
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('1');
      await page.keyboard.press('a');
      await page.waitForFunction(() => /acknowledg/i.test(document.querySelector('#narration').textContent), null, { timeout: 10000 });
      // The glossary: the help key shows it, and the words on a CPU card explain themselves on hover.
      await page.keyboard.press('?');
      await page.waitForSelector('#glossary');
      const terms = await page.$$eval('#glossary dt', (d) => d.map((e) => e.textContent));
      for (const t of ['IRR', 'ISR', 'IF', 'PCID', 'csd', 'lazy TLB', 'TSO', 'G-STALE', 'G-USERMODE-WINDOW']) assert(terms.includes(t), `glossary lacks ${t}`);
      const box = await page.$eval('#help', (h) => { const r = h.getBoundingClientRect(); return [r.top, r.bottom, h.scrollHeight > h.clientHeight]; });
      assert(box[0] >= 0 && box[1] <= 720, `the help fits the screen (it scrolls): ${box}`);
      await page.keyboard.press('Escape');
      const hover = await page.$eval('.cpu-card th[title]', (t) => t.getAttribute('title'));
      assert(/Interrupt Request Register/.test(hover), hover);
    },
  },
  {
    name: 'words: Shift+digit forces a context switch where the kernel could preempt, and says why not elsewhere',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=linux&n=2&s=sched_switch&seed=1');
      await page.waitForSelector('.cpu-card[data-cpu="1"] .threads');
      const threads = () => page.textContent('.cpu-card[data-cpu="1"] .threads');
      const before = await threads();
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('Shift+Digit1');
      await page.waitForFunction(() => document.querySelector('#step-count').textContent.trim() === 'step 1');
      const after = await threads();
      assert(after !== before, `CPU 1's card names another thread: ${before} → ${after}`);
      const log = await page.$$eval('#step-log li', (l) => l.map((e) => e.textContent));
      assert(/context switch on CPU 1: thread 1 is preempted .*thread \d runs/.test(log.join('\n')), `the log says the switch: ${log}`);
      // CPU 0 queues nothing: the banner says so, and no step is taken.
      await page.keyboard.press('Shift+Digit0');
      const banner = await page.evaluate(() => document.querySelector('#banner')?.textContent ?? '');
      assert(banner.includes('CPU 0 cannot switch: its run queue is empty'), banner);
      assert((await page.textContent('#step-count')).trim() === 'step 1', 'nothing moved');
      await page.keyboard.press('Shift+Digit7');
      const missing = await page.evaluate(() => document.querySelector('#banner')?.textContent ?? '');
      assert(missing.includes('There is no CPU 7'), missing);
      // The help lists the key.
      await page.keyboard.press('?');
      await page.waitForSelector('#help');
      assert((await page.textContent('#help')).includes('Shift+0–9'), 'the help lists Shift+0–9');
    },
  },
];
