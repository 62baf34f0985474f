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

// The gallery's "show me" for one race: the worker finds it, the stepper loads it at step 0.
export async function showMe(page, baseUrl, model, race) {
  await page.goto(baseUrl + '/');
  await page.waitForSelector('#var-scoreboard');
  await page.click('#open-gallery');
  await page.click(`#gallery [data-model='${model}'] [data-race='${race}'] .show-race`);
  await page.waitForSelector('#check-result.found', { timeout: 60000 });
  return Number(/in (\d+) steps/.exec(await page.textContent('#check-result'))[1]);
}

// What a person sees of a loaded counterexample: the strip, its marked step, the banner,
// the step, and the line the code pane shows (the cursor line nearest the pane's middle).
async function raceView(page) {
  return page.evaluate(() => {
    const pane = document.querySelector('.source').getBoundingClientRect();
    const inView = (sel) => [...document.querySelectorAll(sel)].filter((l) => {
      const r = l.getBoundingClientRect();
      return r.top >= pane.top && r.bottom <= pane.bottom;
    }).map((l) => l.id + ':' + l.dataset.cpus).join(' ');
    return {
      step: document.querySelector('#step-count').textContent.trim(),
      strip: document.querySelector('#timeline .tl-label')?.textContent ?? '',
      cells: document.querySelectorAll('#timeline .tl-step').length,
      marked: document.querySelectorAll('#timeline .tl-step.violation').length,
      banner: document.querySelector('#banner')?.textContent ?? '',
      // The line the last step executed (the violation's) and the CPUs' cursors on screen.
      lastInView: inView('.src-line.last'),
      cursorsInView: inView('.src-line.cursor'),
      allCursors: [...document.querySelectorAll('.src-line.cursor')].map((l) => l.id + ':' + l.dataset.cpus).join(' '),
    };
  });
}

export default [
  {
    name: 'permalink: a counterexample at its last step survives reload, a new tab and Share',
    fn: async ({ page, baseUrl, context, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      const n = await showMe(page, baseUrl, 'linux', 'LX1');
      // The step that makes the race comes from the worker a moment after the counterexample.
      await page.waitForSelector('#timeline .tl-step.cause', { timeout: 30000 });
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('End');
      await page.waitForSelector('#banner.violation');
      const url = page.url();
      assert(url.includes(`&at=${n}`), `the address ends at the last step: ${url}`);
      const before = await raceView(page);
      assert(before.strip.startsWith('counterexample'), before.strip);
      assert(before.cells === n && before.marked === 1, JSON.stringify(before));
      assert(before.banner.includes(`(G-STALE) at step ${n}`), before.banner);
      assert(before.lastInView !== '' || before.cursorsInView !== '', `the code shows the last step's line: ${JSON.stringify(before)}`);
      const check = async (p, how) => {
        await p.waitForSelector('#banner.violation', { timeout: 10000 });
        await p.waitForSelector('#timeline .tl-step.cause', { timeout: 30000 });
        await p.waitForTimeout(100);
        const after = await raceView(p);
        assert(JSON.stringify(after) === JSON.stringify(before), `${how}:\n${JSON.stringify(before)}\n${JSON.stringify(after)}`);
      };
      await page.reload();
      await check(page, 'reload');
      const other = await context.newPage();
      await other.setViewportSize({ width: 1280, height: 720 });
      await other.goto(url);
      await check(other, 'the link in a new tab');
      await other.click('#share');
      const shared = await other.inputValue('#share-link');
      const third = await context.newPage();
      await third.setViewportSize({ width: 1280, height: 720 });
      await third.goto(shared);
      await check(third, 'the link Share gave');
      await screenshot('race-link-last-step');
      // Home keeps the counterexample: End plays it again to the violation, not the seed.
      await third.click('.source', { position: { x: 5, y: 5 } });
      await third.keyboard.press('Home');
      assert(third.url().includes('&x='), `Home keeps the schedule: ${third.url()}`);
      assert((await raceView(third)).cells === n, 'the strip stays at step 0');
      await third.keyboard.press('End');
      await check(third, 'Home then End');
      await other.close();
      await third.close();
    },
  },
  {
    name: 'share: Share copies the link and says so',
    fn: async ({ page, baseUrl, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(baseUrl).origin });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 4; i++) await page.keyboard.press(String(i % 3));
      await page.click('#share');
      await page.waitForFunction(() => document.querySelector('#share-status')?.textContent !== '', null, { timeout: 5000 });
      const said = await page.textContent('#share-status');
      assert(said === 'Link copied', `Share says: ${said}`);
      assert(await page.isVisible('#share-status'), 'the message is on screen');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert(copied === page.url() || copied === (await page.inputValue('#share-link')), `clipboard: ${copied}`);
      assert(copied.includes('&x=') && copied.includes('&at=4'), copied);
      // Without the Clipboard API the selected field is copied the older way.
      await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }));
      await page.click('#share');
      await page.click('#share');
      await page.waitForFunction(() => document.querySelector('#share-status')?.textContent !== '', null, { timeout: 5000 });
      const fallback = await page.textContent('#share-status');
      assert(fallback === 'Link copied' || fallback.includes('Ctrl+C'), `fallback says: ${fallback}`);
    },
  },
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
