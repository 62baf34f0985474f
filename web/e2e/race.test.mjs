// "Find a race" in the browser: the checker runs in a web worker, the page stays
// responsive, and the shortest counterexample plays in the stepper.

import fs from 'node:fs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function open(page, baseUrl) {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(baseUrl + '/');
  await page.waitForSelector('#var-scoreboard');
}

export default [
  {
    name: 'find a race: E4 deadlock found in a worker and replayed to the marked step',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      await page.selectOption('#cpus', '2');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.uncheck('#opt-initiator_if');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      const result = await page.textContent('#check-result');
      assert(result.includes('a deadlock (G-DEADLOCK)'), result);
      const n = Number(/in (\d+) steps/.exec(result)[1]);
      assert((await page.textContent('#step-count')).trim() === 'step 0', 'loaded at step 0');
      assert((await page.locator('#timeline .tl-step').count()) === n, 'one timeline cell per step');
      assert((await page.locator('#timeline .tl-step.violation').count()) === 1, 'violating step marked');
      // Play it: → follows the counterexample, and the deadlock appears at its last step.
      await page.click('body', { position: { x: 5, y: 5 } });
      for (let i = 0; i < n - 1; i++) await page.keyboard.press('ArrowRight');
      assert((await page.locator('#banner.deadlock').count()) === 0, 'not yet stuck one step before');
      await page.keyboard.press('ArrowRight');
      assert((await page.textContent('#step-count')).trim() === `step ${n}`, 'at the last step');
      const banner = await page.textContent('#banner');
      assert(banner.includes('Deadlock (G-DEADLOCK)'), banner);
      await screenshot('find-race-deadlock');
    },
  },
  {
    name: 'find a race: the correct algorithm verifies, and a long check can be cancelled',
    fn: async ({ page, baseUrl }) => {
      await open(page, baseUrl);
      await page.selectOption('#cpus', '2');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      const result = await page.textContent('#check-result');
      // unmap_free on 2 CPUs: `sdlab check freebsd-scoreboard --cpus 2` and pinned.rs say 403.
      assert(result.includes('Verified: no violation in 403 states'), result);
      // A big configuration: progress shows, the page answers clicks, cancel stops it.
      await page.selectOption('#cpus', '4');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.click('#find-race');
      await page.waitForFunction(() => /[1-9]\d* states/.test(document.querySelector('.check-progress')?.textContent ?? ''), null, { timeout: 30000 });
      await page.keyboard.press('0');
      assert((await page.textContent('#step-count')).trim() === 'step 1', 'the page stays responsive while checking');
      await page.click('#cancel-check');
      assert((await page.textContent('#check-result')).includes('cancelled'), 'cancelled');
      assert(!(await page.isDisabled('#find-race')), 'can start again');
    },
  },
  {
    name: 'find a race: interchangeable CPUs are merged, the result says so, and a race found that way still plays',
    fn: async ({ page, baseUrl }) => {
      await open(page, baseUrl);
      await page.selectOption('#model', 'dillon-2004');
      await page.waitForSelector('#opt-quiesce_first');
      await page.selectOption('#cpus', '3');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      let result = await page.textContent('#check-result');
      // launder on 3 CPUs with symmetry: crates/engine/tests/pinned.rs pins 1586 ("bfs").
      assert(result.includes('Verified: no violation in 1586 states'), result);
      assert(result.includes('CPU symmetry (CPUs 1 and 2 are interchangeable)'), result);
      // The shootdown that does not wait (race 4.5B) with the reduction on: the schedule
      // found among representatives is a run of this machine, and plays to its dirty-bit banner.
      await page.uncheck('#opt-quiesce_first');
      await page.uncheck('#opt-synchronous');
      await page.click('#find-race');
      await page.waitForFunction(() => /Found/.test(document.querySelector('#check-result')?.textContent ?? ''), null, { timeout: 60000 });
      result = await page.textContent('#check-result');
      assert(result.includes('G-DIRTY'), result);
      const n = Number(/in (\d+) steps/.exec(result)[1]);
      await page.click('body', { position: { x: 5, y: 5 } });
      for (let i = 0; i < n; i++) await page.keyboard.press('ArrowRight');
      const at = (await page.textContent('#step-count')).trim();
      assert(at === `step ${n}`, `at the last step: ${at} of ${n}`);
      const banner = await page.textContent('#banner');
      assert(banner.includes('G-DIRTY'), banner);
      // The scoreboard's targets are not interchangeable: the result says where.
      await page.selectOption('#model', 'freebsd-scoreboard');
      await page.waitForSelector('#var-scoreboard');
      await page.selectOption('#cpus', '3');
      await page.click('#find-race');
      await page.waitForFunction(() => /Verified/.test(document.querySelector('#check-result')?.textContent ?? ''), null, { timeout: 60000 });
      result = await page.textContent('#check-result');
      assert(/reductions: none \(no CPU symmetry: line \d+: a `for` loop over a CPU mask visits CPUs in index order/.test(result), result);
    },
  },
  {
    name: 'a § citation in the gallery opens that section of the bundled algorithm reference',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      await page.click('#open-gallery');
      const cite = "#gallery [data-model='freebsd-scoreboard'] [data-race='E4'] .cite .cite-link[data-section='1.6']";
      assert((await page.textContent(cite)).trim() === '§1.6', 'the citation reads as written');
      await page.click(cite);
      await page.waitForSelector('#reference');
      const title = (await page.textContent('#reference h2')).trim();
      assert(title.startsWith('§1.6 (e) Known races'), `the section's heading: ${title}`);
      const body = await page.textContent('#reference .reference-body');
      assert(body.includes('E4') && !body.includes('### 1.7'), 'the passage, up to the next section');
      const box = await page.$eval('#reference', (e) => e.getBoundingClientRect().toJSON());
      assert(box.x >= 0 && box.y >= 0 && box.x + box.width <= 1280 && box.y + box.height <= 720, `on screen: ${JSON.stringify(box)}`);
      await screenshot('reference');
      await page.click('#close-reference');
      await page.waitForSelector('#reference', { state: 'detached' });
    },
  },
  {
    name: 'show me: the race\'s story stays on screen and the step that makes it is marked with the violating one',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      await page.click('#open-gallery');
      const entry = "#gallery [data-model='linux'] [data-race='LX1']";
      const story = (await page.textContent(`${entry} p`)).trim();
      await page.click(`${entry} .show-race`);
      await page.waitForSelector('#check-result.found', { timeout: 60000 });
      // The causing step is found in the worker and marked when its answer comes.
      await page.waitForSelector('#timeline .tl-step.cause', { timeout: 30000 });
      const shown = await page.textContent('#race-story');
      assert(shown.includes(story), `the gallery's story is on screen: ${shown}`);
      assert(await page.isVisible('#race-story'), 'visible');
      const marks = await page.$$eval('#timeline .tl-step', (cells) => cells.map((c, i) => [i + 1, c.className, c.textContent]));
      const cause = marks.filter(([, c]) => c.includes('cause'));
      const bad = marks.filter(([, c]) => c.includes('violation'));
      assert(cause.length === 1 && cause[0][0] === 24, `the causing step is 24: ${JSON.stringify(cause)}`);
      assert(bad.length === 1 && bad[0][0] === marks.length, 'the violating step is the last');
      assert((await page.textContent('#timeline .tl-label')).includes('after step 24'), 'the label says what ◆ means');
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('End');
      await page.waitForSelector('#banner.violation');
      assert((await page.$$eval('#step-log li.cause', (l) => l.map((e) => e.getAttribute('value') ?? e.textContent))).length === 1, 'the log marks it too');
      await screenshot('race-story');
      // A TLB is marked changed only when an entry came or went: step 1 fills CPU 1's, and
      // step 20's INVLPG on CPU 0 finds nothing.
      await page.click('#timeline .tl-step[data-step="1"]');
      assert((await page.locator('.cpu-card[data-cpu="1"] .tlb.changed').count()) === 1, 'a fill changes the TLB');
      await page.click('#timeline .tl-step[data-step="20"]');
      assert((await page.textContent('#narration')).includes('no entry was cached'), await page.textContent('#narration'));
      assert((await page.locator('.cpu-card .tlb.changed').count()) === 0, 'an INVLPG that found nothing changed nothing');
      // Back to the last step, the violation, which the link below must bring back.
      await page.click(`#timeline .tl-step[data-step="${marks.length}"]`);
      await page.waitForSelector('#banner.violation');
      // The speed menu offers the whole run in 30 seconds, the length of a demo (value 0:
      // paced from the folded log; lecture.test.mjs's demo speed walk times it).
      const demo = await page.$eval('#speed-demo', (o) => [o.value, o.textContent]);
      assert(demo[0] === '0' && demo[1] === '30 s demo', JSON.stringify(demo));
      // The story and the marks come back with the link.
      await page.reload();
      await page.waitForSelector('#banner.violation');
      assert((await page.textContent('#race-story')).includes(story), 'the story survives the link');
      await page.waitForSelector('#timeline .tl-step.cause', { timeout: 30000 });
      assert((await page.locator('#timeline .tl-step.cause').count()) === 1, 'the mark survives the link');
    },
  },
  {
    name: 'find a race: the state limit is sized from the device memory, and a stop at it says how far the search got',
    fn: async ({ page, baseUrl }) => {
      // A device that says it has 0.25 GiB (navigator.deviceMemory's smallest answer):
      // the limit shrinks with it, and a 4-CPU check stops there instead of running on.
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 0.25 }));
      await open(page, baseUrl);
      await page.selectOption('#cpus', '4');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 150000 });
      const result = await page.textContent('#check-result');
      const m = /state limit of (\d+) reached at depth (\d+)/.exec(result);
      assert(m, result);
      const [limit, depth] = [Number(m[1]), Number(m[2])];
      // Half of 0.25 GiB at the measured cost per state: far below the 22 M states of a
      // full 4-CPU check, far above nothing.
      assert(limit > 200000 && limit < 3000000, `limit ${limit} sized from 0.25 GiB`);
      assert(result.includes(`${limit} states`), `the states explored: ${result}`);
      // Every level before the one being expanded was complete.
      assert(result.includes(`Every run of up to ${depth - 1} steps was explored and breaks no property`), result);
      assert(!result.includes('Nothing was proved'), result);
    },
  },
  {
    name: 'find a race: on several workers, the same states, verdict and counterexample as on one',
    fn: async ({ page, baseUrl, context }) => {
      // E1 (a lost shootdown in 67 steps, 50 642 states) with the page's workers for 4
      // cores (navigator.hardwareConcurrency: two for the search, one for the liveness
      // pass beside it), for 2 (one and one) and for 1 (one worker, both passes in turn).
      const run = async (p, cores) => {
        await p.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), cores);
        await open(p, baseUrl);
        await p.selectOption('#cpus', '3');
        await p.selectOption('#scenario', { label: 'crossfire' });
        await p.uncheck('#opt-rescan');
        await p.click('#find-race');
        await p.waitForSelector('#check-result', { timeout: 150000 });
        // The step that makes the race is looked for in a worker of its own, after the
        // check: its mark and label are part of the counterexample as shown.
        await p.waitForSelector('#timeline[aria-busy="false"]', { timeout: 60000 });
        const text = (await p.textContent('#check-result')).replace(/, [\d.]+ s \(\d+ states\/s\)/, '');
        const steps = await p.$$eval('#timeline .tl-step', (cells) => cells.map((c) => c.getAttribute('title')));
        const done = JSON.parse(await p.evaluate(() => window.sdlabLastCheck));
        return { text, steps, workers: done.workers };
      };
      const many = await run(page, 4);
      const others = [await context.newPage(), await context.newPage()];
      const two = await run(others[0], 2);
      const one = await run(others[1], 1);
      for (const p of others) await p.close();
      assert(many.workers === 3 && two.workers === 2 && one.workers === 1, `workers: ${many.workers}, ${two.workers} and ${one.workers}`);
      assert(one.text.includes('G-NOLOST') && one.text.includes('in 67 steps') && one.text.includes('50642 states'), one.text);
      for (const r of [many, two]) {
        assert(r.text === one.text, `the same verdict and counts:\n${r.text}\n${one.text}`);
        assert(JSON.stringify(r.steps) === JSON.stringify(one.steps), `the same counterexample, step by step:\n${JSON.stringify(r.steps)}\n${JSON.stringify(one.steps)}`);
      }
      assert(many.steps.filter((t) => t.includes('can no longer be avoided')).length === 1, 'the step that makes the race is marked');
    },
  },
  {
    name: 'find a race: the liveness pass beside the search gives what it gives after it (a lasso, a verification)',
    fn: async ({ baseUrl, context }) => {
      // A waiter that is never released (crates/engine/tests/cases/livelock.sdm): only the
      // liveness pass finds it. And the scoreboard verified at 3 CPUs, where the pass
      // finds nothing. Each on 2 cores (the pass beside the search) and on 1 (after it):
      // the same result, the same counts (the search's states, both passes' transitions).
      const livelock = fs.readFileSync(new URL('../../crates/engine/tests/cases/livelock.sdm', import.meta.url), 'utf8');
      const run = async (p, cores, setup) => {
        await p.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), cores);
        await open(p, baseUrl);
        await setup(p);
        await p.click('#find-race');
        await p.waitForSelector('#check-result', { timeout: 150000 });
        // A counterexample's marks come from a worker of its own, after the check.
        if (await p.$('#timeline')) await p.waitForSelector('#timeline[aria-busy="false"]', { timeout: 60000 });
        const text = (await p.textContent('#check-result')).replace(/, [\d.]+ s \(\d+ states\/s\)/, '');
        const steps = await p.$$eval('#timeline .tl-step', (cells) => cells.map((c) => c.getAttribute('title')));
        const d = JSON.parse(await p.evaluate(() => window.sdlabLastCheck));
        return { text, steps, counts: [d.verdict, d.states, d.transitions, d.depth, d.schedule, d.cycle_start], workers: d.workers };
      };
      const lasso = async (p) => {
        await p.click('#edit-model');
        await p.fill('#model-editor', livelock);
        await p.click('#apply-edit');
        await p.click('#close-editor');
      };
      const verified = async (p) => {
        await p.selectOption('#cpus', '3');
      };
      for (const [name, setup, want] of [['lasso', lasso, 'lost shootdown (G-NOLOST)'], ['verified', verified, 'Verified']]) {
        const pages = [await context.newPage(), await context.newPage()];
        const beside = await run(pages[0], 2, setup);
        const after = await run(pages[1], 1, setup);
        for (const p of pages) await p.close();
        assert(beside.workers === 2 && after.workers === 1, `${name}: workers ${beside.workers} and ${after.workers}`);
        assert(after.text.includes(want), `${name}: ${after.text}`);
        assert(beside.text === after.text, `${name}: the same result:\n${beside.text}\n${after.text}`);
        assert(JSON.stringify(beside.counts) === JSON.stringify(after.counts), `${name}: the same counts:\n${JSON.stringify(beside.counts)}\n${JSON.stringify(after.counts)}`);
        assert(JSON.stringify(beside.steps) === JSON.stringify(after.steps), `${name}: the same counterexample`);
        if (name === 'lasso') assert(after.counts[5] != null && after.steps.length > 0, `${name}: a lasso with its steps: ${JSON.stringify(after.counts)}`);
      }
    },
  },
];
