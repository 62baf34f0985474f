// A stepper run as a kernel trace: opened in the Traces mode, and downloaded as ktrdump
// text and Perfetto JSON that the Traces mode and Perfetto read back.
import fs from 'node:fs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const RUN = '/#v=1&m=dragonfly&n=2&s=unmap_free&seed=7';

async function stepped(page, baseUrl, steps) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(baseUrl + RUN);
  await page.waitForSelector('#run-trace');
  await page.click('.source', { position: { x: 5, y: 5 } });
  for (let i = 0; i < steps; i++) await page.keyboard.press('ArrowRight');
}

async function download(page, value) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.selectOption('#run-trace', value)]);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8'), path: await dl.path() };
}

export default [
  {
    name: 'run as trace: the DragonFly run opens in Traces with a round per IPI and cpusync, and its ktrdump loads back',
    fn: async ({ page, baseUrl }) => {
      await stepped(page, baseUrl, 80);
      const ktr = await download(page, 'dragonfly');
      assert(ktr.name.endsWith('.dragonfly.ktr'), ktr.name);
      const rows = ktr.text.split('\n').filter((l) => /^ [0-9a-f]{6} /.test(l));
      const ipis = rows.filter((l) => /\sipiq_cpu_send\s/.test(l)).length;
      const sends = rows.filter((l) => /\sipiq_send_(norm|pasv|nbio)\s/.test(l)).length;
      const receives = rows.filter((l) => /\sipiq_receive\s/.test(l)).length;
      const syncs = rows.filter((l) => /\sipiq_sync_start\s/.test(l)).length;
      assert(ktr.text.startsWith('TSC frequency is'), 'the DragonFly layout starts with the TSC line');
      assert(ipis >= 1 && sends >= 1 && receives >= 1, `a run with IPIs and ipiq messages: ${ipis} ${sends} ${receives}`);

      // Open the same run directly in the Traces mode.
      await page.selectOption('#run-trace', 'open');
      await page.waitForSelector('#trace-meta');
      assert(page.url().endsWith('#traces'), `the mode switched: ${page.url()}`);
      const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset, text: m.textContent }));
      assert(meta.text.includes('emulated'), meta.text);
      assert(meta.cpus === '2', `2 CPUs: ${meta.cpus}`);
      // With two CPUs every IPI has one target; each IPI of an emulated run is a round, and
      // so is each cpusync rendezvous (sync_start … sync_end).
      assert(Number(meta.rounds) === ipis + syncs, `rounds ${meta.rounds} = IPIs ${ipis} + cpusyncs ${syncs}`);
      assert(meta.warnings === '0', `no warnings: ${meta.warnings}`);

      // The downloaded ktrdump loads back as DragonFly text, every row an event.
      await page.setInputFiles('#trace-file', ktr.path);
      await page.waitForFunction(() => document.querySelector('#trace-meta')?.textContent.includes('dragonfly-ktrdump'));
      const back = await page.$eval('#trace-meta', (m) => ({ ...m.dataset }));
      assert(back['lineWarnings'] === '0', `no line warnings: ${back.lineWarnings}`);
      assert(Number(back.events) === rows.length, `events ${back.events} = rows ${rows.length}`);
      assert(back.cpus === '2', `2 CPUs: ${back.cpus}`);

      // Back to the stepper: the run is where it was.
      await page.click('#mode-algorithms');
      await page.waitForSelector('#run-trace');
      assert(page.url().includes('m=dragonfly'), `the stepper link is restored: ${page.url()}`);
    },
  },
  {
    name: 'run as trace: FreeBSD ktrdump and Perfetto JSON of a scoreboard run',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=3&s=crossfire&seed=3');
      await page.waitForSelector('#run-trace');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowRight');
      const bsd = await download(page, 'freebsd');
      const rows = bsd.text.split('\n').slice(2).filter((l) => l.trim());
      const slots = rows.map((l) => Number(l.trim().split(/\s+/)[0]));
      assert(slots.length > 5 && slots.every((s, i) => i === 0 || s === slots[i - 1] - 1), 'newest first, slots counting down');
      const selected = rows.filter((l) => /ipi_selected: cpu: \d+ ipi: [0-9a-f]+$/.test(l)).length;
      assert(selected >= 2, `KTR_SMP ipi_selected records: ${selected}`);
      const pf = await download(page, 'perfetto');
      const json = JSON.parse(pf.text);
      const events = json.traceEvents ?? json;
      const starts = events.filter((e) => e.ph === 's').length;
      const ends = events.filter((e) => e.ph === 'f').length;
      assert(starts >= 1 && starts === ends, `IPI flows start and end: ${starts} ${ends}`);
      assert(starts <= selected, `at most one flow per IPI target: ${starts} vs ${selected}`);
    },
  },
];
