// The other algorithms are one choice away, and their races are found and replayed.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function findAndPlay(page) {
  await page.click('#find-race');
  await page.waitForSelector('#check-result', { timeout: 60000 });
  const result = await page.textContent('#check-result');
  const m = /in (\d+) steps/.exec(result);
  assert(m, result);
  await page.click('body', { position: { x: 5, y: 5 } });
  for (let i = 0; i < Number(m[1]); i++) await page.keyboard.press('ArrowRight');
  return { result, banner: await page.textContent('#banner') };
}

export default [
  {
    name: 'Mach: speculative fills between the flush and the PTE change give a stale use',
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#model');
      await page.selectOption('#model', 'mach');
      await page.waitForSelector('#var-cpus_active');
      assert((await page.textContent('#model-title')).includes('Mach'), 'Mach loaded');
      await page.selectOption('#cpus', '2');
      await page.check('#opt-hw_speculative_fill');
      const { result, banner } = await findAndPlay(page);
      assert(result.includes('G-STALE'), result);
      assert(banner.includes('Violation (G-STALE)') && banner.includes('CPU 0'), banner);
      await screenshot('mach-stale');
    },
  },
  {
    name: 'FreeBSD global mutex: X1, a CPU spinning for the mutex with IF=0, deadlocks',
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#model');
      await page.selectOption('#model', 'freebsd-global');
      await page.waitForSelector('#var-smp_ipi_mtx');
      await page.selectOption('#cpus', '2');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.uncheck('#opt-spin_enables_if');
      const { result, banner } = await findAndPlay(page);
      assert(result.includes('G-DEADLOCK'), result);
      assert(banner.includes('Deadlock (G-DEADLOCK)') && banner.includes('smp_ipi_mtx'), banner);
    },
  },
  {
    name: 'TSO: in LX2 a store waits in CPU 1\'s store buffer while memory still holds the old value, then commits',
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#model');
      await page.selectOption('#model', 'linux');
      await page.waitForSelector('#percpu-vars');
      await page.selectOption('#cpus', '2');
      await page.selectOption('#scenario', { label: 'switch_back' });
      await page.check('#opt-hw_tso');
      await page.uncheck('#opt-switch_mb');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      const result = await page.textContent('#check-result');
      const m = /in (\d+) steps/.exec(result);
      assert(m && result.includes('G-STALE'), result);
      await page.click('body', { position: { x: 5, y: 5 } });
      // What CPU 1's card lists as buffered, and what memory holds for loaded_mm[1].
      const look = () =>
        page.evaluate(() => {
          const items = [...document.querySelectorAll('.cpu-card[data-cpu="1"] .store-buffer li')].map((li) => li.textContent);
          const table = document.querySelector('#percpu-vars table');
          const col = [...table.querySelectorAll('thead th')].findIndex((th) => th.textContent === 'loaded_mm');
          const cell = table.querySelectorAll('tbody tr')[1].children[col].textContent;
          return { items, cell };
        });
      let buffered = null;
      let committed = false;
      for (let i = 0; i < Number(m[1]); i++) {
        await page.keyboard.press('ArrowRight');
        const { items, cell } = await look();
        const b = items.map((t) => /^loaded_mm\[1\] ← (.+)$/.exec(t)).find(Boolean);
        if (b && !buffered) {
          buffered = b[1];
          assert(cell !== buffered, `memory already shows the buffered store (${cell})`);
          await screenshot('lx2-store-buffered');
        }
        if (buffered && !items.includes(`loaded_mm[1] ← ${buffered}`) && cell === buffered) committed = true;
      }
      assert(buffered, 'CPU 1 never showed a buffered loaded_mm store');
      assert(committed, `the buffered loaded_mm = ${buffered} never reached memory`);
      const banner = await page.textContent('#banner');
      assert(banner.includes('Violation (G-STALE)'), banner);
    },
  },
];
