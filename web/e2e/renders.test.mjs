// A step re-renders only the components whose props changed. At 8 CPUs, each of ten
// seeded steps (→): `window.sdlabRenders` (crates/app/src/renders.rs) is cleared, the
// key pressed, and the CPU cards (and the memory pane and banner) that drew again are
// compared with those whose markup on screen changed: every redrawn one must show a
// difference (drawing again what is already shown is wasted work). The totals per
// component are printed for BENCHMARKS.md.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const cards = () => [...document.querySelectorAll('#app .machine .cpu-card, .machine .cpu-card')].map((c) => c.outerHTML);

const panes = () => ({
  memory: document.querySelector('.machine .memory-pane')?.outerHTML ?? '',
  banner: document.querySelector('#banner')?.outerHTML ?? '',
  race: document.querySelector('section.race')?.outerHTML ?? '',
  runExport: document.querySelector('label[for="run-trace"]')?.outerHTML ?? '',
  // The toolbar but for its step count, which has its own component.
  toolbar: (document.querySelector('section.toolbar')?.outerHTML ?? '').replace(/<span id="step-count"[^<]*<\/span>/, ''),
});

// One step (→) with the render counters cleared first, waited for until the count moved.
async function stepCounted(page) {
  const count = await page.evaluate(() => {
    window.sdlabRenders = {};
    return document.querySelector('#step-count').textContent;
  });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((c) => document.querySelector('#step-count').textContent !== c, count);
  await page.waitForTimeout(100);
}

export default [
  {
    name: 'renders: a step at 8 CPUs redraws only the CPU cards, memory pane, banner, race panel and toolbar that changed',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=8&s=unmap_free&seed=1');
      await page.waitForFunction(() => document.querySelectorAll('.machine .cpu-card').length === 8);
      await page.waitForTimeout(300);
      const totals = {};
      let redrawnCards = 0;
      let changedCards = 0;
      const problems = [];
      for (let i = 0; i < 10; i++) {
        const before = await page.evaluate(cards);
        const paneBefore = await page.evaluate(panes);
        await stepCounted(page);
        const after = await page.evaluate(cards);
        const paneAfter = await page.evaluate(panes);
        const renders = await page.evaluate(() => window.sdlabRenders);
        const changed = after.filter((h, k) => h !== before[k]).length;
        const redrawn = renders.CpuCard ?? 0;
        for (const [k, v] of Object.entries(renders)) totals[k] = (totals[k] ?? 0) + v;
        redrawnCards += redrawn;
        changedCards += changed;
        // The memory pane, the banner, the race panel, the run's export menu and the toolbar: drawn
        // again only when what they show changed.
        for (const [name, k] of [['MemoryPane', 'memory'], ['Banner', 'banner'], ['RacePanel', 'race'], ['RunExport', 'runExport'], ['Toolbar', 'toolbar']]) {
          if (paneBefore[k] === paneAfter[k] && renders[name]) problems.push(`step ${i + 1}: ${name} rendered with nothing changed on screen`);
          if (paneBefore[k] !== paneAfter[k] && !renders[name]) problems.push(`step ${i + 1}: ${name} changed without a render?`);
        }
        if (changed === 0) problems.push(`step ${i + 1}: no CPU card changed on screen (the step did not show)`);
        if (redrawn < changed) problems.push(`step ${i + 1}: ${changed} cards changed on screen but only ${redrawn} rendered`);
        if (redrawn > changed) problems.push(`step ${i + 1}: ${redrawn} CPU cards rendered, ${changed} of the 8 changed on screen`);
      }
      const all = Object.values(totals).reduce((a, b) => a + b, 0);
      console.log(`renders per step at 8 CPUs (10 steps): ${JSON.stringify(totals)}; ${all / 10} components per step; CPU cards ${redrawnCards / 10} per step, ${changedCards / 10} changed on screen`);
      assert(problems.length === 0, problems.join('; '));
    },
  },
  {
    name: 'renders: with a schedule loaded, each step redraws the race panel (its timeline moves), and only it of the panels',
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1&x=0,1,0,1&at=0');
      await page.waitForSelector('#timeline');
      await page.waitForTimeout(300);
      for (let i = 0; i < 3; i++) {
        const before = await page.evaluate(panes);
        await stepCounted(page);
        const after = await page.evaluate(panes);
        const renders = await page.evaluate(() => window.sdlabRenders);
        assert(before.race !== after.race, `step ${i + 1}: the timeline did not move`);
        assert(renders.RacePanel === 1, `step ${i + 1}: the race panel rendered ${renders.RacePanel ?? 0} times`);
        assert(!renders.RunExport, `step ${i + 1}: the export menu rendered`);
        const now = await page.evaluate(() => document.querySelector('#timeline .tl-step.now')?.dataset.step);
        assert(now === String(i + 1), `step ${i + 1}: the timeline marks step ${now} as now`);
      }
    },
  },
];
