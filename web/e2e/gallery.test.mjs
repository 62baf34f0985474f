// Every gallery entry loads its race, the checker finds it live in the worker, and
// playing the counterexample raises the banner of the declared property exactly at the
// marked last step.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export default [
  {
    name: 'gallery: every known race is found and shows its banner at the marked step',
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.click('#open-gallery');
      await page.waitForSelector('#gallery .gallery-race');
      await screenshot('gallery');
      const entries = await page.$$eval('#gallery .gallery-race', (els) =>
        els.map((e) => ({ model: e.closest('[data-model]').dataset.model, race: e.dataset.race, expect: e.dataset.expect })));
      assert(entries.length >= 10, `only ${entries.length} entries`);
      for (const { model, race, expect } of entries) {
        if (!(await page.isVisible('#gallery'))) await page.click('#open-gallery');
        await page.click(`#gallery [data-model='${model}'] [data-race='${race}'] .show-race`);
        await page.waitForSelector('#check-result', { timeout: 60000 });
        await page.waitForFunction(() => !document.querySelector('.check-progress'), null, { timeout: 60000 });
        const result = await page.textContent('#check-result');
        const m = /in (\d+) steps/.exec(result);
        assert(m, `${model}/${race}: ${result}`);
        const n = Number(m[1]);
        assert((await page.textContent('#step-count')).trim() === 'step 0', `${model}/${race}: loaded at step 0`);
        await page.click('.source', { position: { x: 5, y: 5 } });
        for (let i = 0; i < n - 1; i++) await page.keyboard.press('ArrowRight');
        const early = (await page.locator('#banner.violation, #banner.deadlock').count());
        assert(early === 0, `${model}/${race}: banner before the last step`);
        await page.keyboard.press('ArrowRight');
        const banner = await page.textContent('#banner');
        assert(banner.includes(`(${expect})`), `${model}/${race}: expected ${expect}, banner: ${banner}`);
        assert(banner.includes(`step ${n}`), `${model}/${race}: at step ${n}: ${banner}`);
      }
    },
  },
];
