// Nothing a user types, pastes or links may break the page: hostile models in links and in
// the editor, and a digit key for every CPU at every CPU count. Each must leave a working
// page (it still steps) with a clear message that says where the problem is.
import zlib from 'node:zlib';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// The app's packing of an edited model: raw deflate, then base64url without padding.
const pack = (src) => zlib.deflateRawSync(Buffer.from(src, 'utf8'), { level: 9 }).toString('base64url');

// Valid but for the hostile part, so that the error is about that part.
const SCENARIO = 'scenario s "every CPU runs main" { cpu *: main(); }\n';

// The shapes that once aborted the engine or flooded its output (issue #12).
const HOSTILE = [
  {
    what: 'an array whose size wraps in 32 bits',
    src: 'model "w";\ncpus 2..2;\nshared x[65536][65536] = 0;\nshared y = 0;\nproc main() { x[0][0] = 1; }\n' + SCENARIO,
  },
  {
    what: 'a 30 000-term expression',
    src: `model "c";\ncpus 2..2;\nproc main() { local a = ${'1 + '.repeat(30000)}1; }\n` + SCENARIO,
  },
  { what: '20 KB of } on one line', src: '}'.repeat(20000) },
  { what: '64 KB of ;', src: ';'.repeat(65536) },
  {
    what: 'nesting far deeper than a person writes',
    src: `model "n";\ncpus 2..2;\nproc main() { local a = ${'('.repeat(20000)}1${')'.repeat(20000)}; }\n` + SCENARIO,
  },
];

async function stillSteps(page, what) {
  await page.click('.source', { position: { x: 5, y: 5 } });
  const before = (await page.textContent('#step-count')).trim();
  await page.keyboard.press('1');
  const after = (await page.textContent('#step-count')).trim();
  assert(before !== after, `${what}: the page no longer steps (${before} → ${after})`);
}

export default [
  {
    name: 'hostile: links carrying hostile models open the default view with a located message',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      for (const h of HOSTILE) {
        const frag = `#v=1&m=edited&src=${pack(h.src)}&n=2&s=s&seed=1`;
        await page.goto('about:blank');
        const t0 = Date.now();
        await page.goto(baseUrl + '/' + frag);
        await page.waitForSelector('#var-scoreboard', { timeout: 20000 });
        const banner = await page.textContent('#banner');
        assert(banner.includes('This link cannot be opened'), `${h.what}: ${banner.slice(0, 300)}`);
        assert(/line \d+, column \d+/.test(banner), `${h.what}: the message is not located: ${banner.slice(0, 300)}`);
        assert(banner.length < 2000, `${h.what}: a ${banner.length}-character message`);
        await stillSteps(page, h.what);
        console.log(`    ${h.what}: refused in ${Date.now() - t0} ms: ${banner.slice(0, 140)}`);
      }
    },
  },
  {
    name: 'hostile: the editor answers a hostile model with a short, located list of errors',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#edit-model');
      for (const h of HOSTILE) {
        await page.fill('#model-editor', h.src);
        const diag = await page.textContent('#diagnostics', { timeout: 20000 });
        assert(/line \d+, column \d+/.test(diag), `${h.what}: ${diag.slice(0, 300)}`);
        assert(diag.length < 20000, `${h.what}: ${diag.length} characters of diagnostics`);
        assert(await page.isDisabled('#apply-edit'), `${h.what}: a model that does not compile cannot run`);
      }
      await page.click('#close-editor');
      await stillSteps(page, 'after the editor');
    },
  },
  {
    name: 'hostile: every digit key at every CPU count steps that CPU or says it does not exist',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      const counts = await page.$$eval('#cpus option', (os) => os.map((o) => Number(o.value)));
      assert(counts.length >= 2, `CPU counts offered: ${counts}`);
      for (const n of counts) {
        await page.selectOption('#cpus', String(n));
        await page.waitForFunction((k) => document.querySelectorAll('.cpu-card').length === k, n);
        await page.click('.source', { position: { x: 5, y: 5 } });
        for (let key = 0; key <= 9; key++) {
          await page.keyboard.press('r');
          await page.keyboard.press(String(key));
          const step = (await page.textContent('#step-count')).trim();
          const banner = await page.evaluate(() => document.querySelector('#banner')?.textContent ?? '');
          if (key < n) {
            assert(step === 'step 1', `${n} CPUs, key ${key}: ${step} ${banner}`);
          } else {
            assert(step === 'step 0', `${n} CPUs, key ${key}: a missing CPU took a step`);
            assert(banner.includes(`There is no CPU ${key}`), `${n} CPUs, key ${key}: ${banner}`);
          }
        }
      }
      await page.keyboard.press('r');
      await stillSteps(page, 'after every key');
    },
  },
];
