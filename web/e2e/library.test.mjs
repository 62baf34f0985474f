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
];
