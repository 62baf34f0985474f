// The address bar holds the exact state: a link reopens it, and a bad link gives a
// message and the default view, never a blank page.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function snapshot(page) {
  return page.evaluate(() => ({
    step: document.querySelector('#step-count').textContent.trim(),
    narration: document.querySelector('#narration').textContent,
    cells: [...document.querySelectorAll('#var-scoreboard td.cell')].map((c) => c.textContent).join(','),
    banner: document.querySelector('#banner')?.textContent ?? '',
    cursors: [...document.querySelectorAll('.src-line.cursor')].map((l) => l.id + ':' + l.dataset.cpus).join(' '),
    tlbs: [...document.querySelectorAll('.cpu-card .tlb')].map((t) => t.textContent).join('|'),
    option: document.querySelector('#opt-initiator_if').checked,
    cpus: document.querySelectorAll('.cpu-card').length,
  }));
}

export default [
  {
    name: 'permalink: a link reopens the exact state, and forward steps continue the schedule',
    fn: async ({ page, baseUrl, context }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.selectOption('#cpus', '2');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.uncheck('#opt-initiator_if');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('0');
        await page.keyboard.press('1');
      }
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      const before = await snapshot(page);
      const url = page.url();
      assert(url.includes('#v=1'), `no permalink in the address: ${url}`);
      await page.click('#share');
      assert((await page.inputValue('#share-link')) === url, 'Share shows the same link');
      const other = await context.newPage();
      await other.goto(url);
      await other.waitForSelector('#var-scoreboard');
      const after = await snapshot(other);
      assert(JSON.stringify(before) === JSON.stringify(after), `restored state differs:\n${JSON.stringify(before)}\n${JSON.stringify(after)}`);
      // → takes the same next steps in both.
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await other.click('.source', { position: { x: 5, y: 5 } });
      await other.keyboard.press('ArrowRight');
      await other.keyboard.press('ArrowRight');
      assert(JSON.stringify(await snapshot(page)) === JSON.stringify(await snapshot(other)), 'forward steps differ');
      await other.close();
    },
  },
  {
    name: 'permalink: malformed, truncated, hostile and huge links give a message and the default view',
    fn: async ({ page, baseUrl }) => {
      const bad = [
        '#garbage',
        '#v=2&m=freebsd-scoreboard&n=3&s=unmap_free',
        '#v=1&m=nope&n=3&s=unmap_free',
        '#v=1&m=freebsd-scoreboard&n=99&s=unmap_free',
        '#v=1&m=freebsd-scoreboard&n=3&s=unmap_free&x=0,1,i9.9',
        '#v=1&m=freebsd-scoreboard&n=3&s=unmap_free&x=0,1&at=7',
        '#v=1&m=freebsd-scoreboard&n=3&s=unmap_free&o=rescan:7',
        '#v=1&m=%FF%FE&n=3',
        '#' + '%'.repeat(5) + 'A'.repeat(30000),
        '#v=1&m=freebsd-scoreboard&n=3&s=unmap_free&x=' + '0,'.repeat(3000),
      ];
      for (const frag of bad) {
        await page.goto('about:blank');
        await page.goto(baseUrl + '/' + frag);
        await page.waitForSelector('#var-scoreboard', { timeout: 10000 });
        const banner = await page.textContent('#banner');
        assert(banner.includes('This link cannot be opened'), `${frag.slice(0, 60)}: ${banner}`);
        assert((await page.textContent('#step-count')).trim() === 'step 0', 'default view at step 0');
        assert((await page.locator('.cpu-card').count()) === 3, 'default 3 CPUs');
      }
    },
  },
  {
    name: 'annotate: a note on a step shows when that step is reached, and travels in the link',
    fn: async ({ page, baseUrl, context }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 3; i++) await page.keyboard.press('0');
      await page.click('#add-note');
      await page.fill('#note-input', 'Watch CPU 1’s IRR bit — über wichtig');
      await page.press('#note-input', 'Enter');
      assert((await page.textContent('#note')).includes('Watch CPU 1’s IRR bit — über wichtig'), 'note shown');
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('ArrowRight');
      assert((await page.locator('#note').count()) === 0, 'not on the next step');
      await page.keyboard.press('ArrowLeft');
      assert((await page.locator('#note').count()) === 1, 'back on the noted step');
      const url = page.url();
      assert(url.includes('note3='), url);
      const other = await context.newPage();
      await other.goto(url);
      await other.waitForSelector('#note');
      assert((await other.textContent('#note')).includes('über wichtig'), 'the note survives the link');
      await other.close();
    },
  },
  {
    name: 'embed mode: a link with embed=1 shows the machine and the step controls only',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1024, height: 600 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&seed=1&embed=1');
      await page.waitForSelector('.stepper.embed');
      for (const hidden of ['.app-header', '#share', '#open-gallery', '#model', '.toolbar .options', '#find-race']) {
        assert(!(await page.isVisible(hidden)), `${hidden} is hidden when embedded`);
      }
      for (const shown of ['#step', '#back', '.cpu-card', '#var-scoreboard', '#narration']) {
        assert(await page.isVisible(shown), `${shown} is shown when embedded`);
      }
      await page.click('#step');
      assert((await page.textContent('#step-count')).trim() === 'step 1', 'stepping works embedded');
      assert(page.url().includes('embed=1'), 'the link stays embedded');
    },
  },
];
