// Conformance in the page: a real round of a Linux capture played through the machine
// (every matched line checked against the file itself), an altered round's mismatch, and
// the rounds table's badges and filter. Numbers come from the files, never from the app.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CAPTURE = path.join(root, 'traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace');
const ALTERED = path.join(root, 'traces/altered/munmap-handler-before-queue.trace');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/// The file's records (1-based line numbers) and its first shootdown round: from the
/// first `tlb_flush ... (4)` up to the initiator's next one, every record in between
/// (the capture logs only the round's own events there).
function firstRound(text) {
  const lines = text.split('\n');
  const recs = [];
  lines.forEach((l, i) => {
    const m = /^\s*.+?\s+\[(\d+)\]\s+\S+\s+\d+\.\d+:\s+(\w+):/.exec(l);
    if (m && !l.startsWith('#')) recs.push({ line: i + 1, cpu: Number(m[1]), name: m[2], text: l });
  });
  const starts = recs.filter((r) => r.name === 'tlb_flush' && r.text.includes('(4)'));
  const a = starts[0].line;
  const b = starts[1].line;
  return { lines, round: recs.filter((r) => r.line >= a && r.line < b) };
}

async function openSample(page, baseUrl, id) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(baseUrl + '/#traces');
  await page.waitForSelector('#drop-zone');
  await page.click(`#sample-${id}`);
  await page.waitForSelector('#trace-meta', { timeout: 60000 });
  await page.click('#tab-rounds');
  await page.waitForSelector('#conform-bar');
}

/// Play the first row's round and wait for the stepper to show the guide.
async function playFirst(page) {
  await page.click('.round-row .round-play');
  await page.waitForSelector('#guide', { timeout: 90000 });
}

async function guideLines(page) {
  return page.$$eval('#guide-lines li', (lis) => lis.map((li) => ({
    step: Number(li.dataset.step), line: Number(li.dataset.line), raw: li.querySelector('code').textContent,
  })));
}

export default [
  {
    name: 'conform: a real round plays in the machine, each step beside the line of the file it produced',
    fn: async ({ page, baseUrl, screenshot }) => {
      const { lines, round } = firstRound(fs.readFileSync(CAPTURE, 'utf8'));
      await openSample(page, baseUrl, 'munmap-4cpu-4pages');
      await playFirst(page);
      assert((await page.evaluate(() => location.hash)).startsWith('#v=1&m=linux&n=4'), 'the stepper runs the Linux model on the round\'s 4 CPUs');
      const head = await page.textContent('#guide .guide-head');
      assert(head.includes('munmap-4cpu-4pages.trace, round #1'), `the guide names the trace and round: ${head}`);
      const g = await page.$eval('#guide', (e) => ({ ...e.dataset }));
      const listed = await guideLines(page);
      assert(Number(g.events) === round.length, `events to match ${g.events} = records of the round in the file ${round.length}`);
      assert(listed.length === round.length, `matched lines ${listed.length} = ${round.length}`);
      assert(Number(g.matched) === 0, 'nothing matched at step 0');
      const want = new Set(round.map((r) => r.line));
      for (const l of listed) {
        assert(want.has(l.line), `line ${l.line} belongs to the round`);
        assert(lines[l.line - 1] === l.raw, `line ${l.line} is the file's text: ${l.raw}`);
      }
      assert(new Set(listed.map((l) => l.line)).size === listed.length, 'each line matched once');
      // Forward one step at a time: the step that produced a line shows it, in the file's text.
      const firstStep = listed[0].step;
      for (let k = 0; k < firstStep; k++) await page.keyboard.press('ArrowRight');
      await page.waitForSelector('#guide-now .raw');
      const now = await page.$$eval('#guide-now .raw code', (cs) => cs.map((c) => c.textContent));
      assert(now.includes(listed[0].raw), `step ${firstStep} shows ${listed[0].raw}: ${now}`);
      await page.keyboard.press('End');
      await page.waitForFunction(() => {
        const e = document.querySelector('#guide');
        return e && e.dataset.matched === e.dataset.events;
      });
      const steps = Number(g.steps);
      const log = await page.$$eval('#step-log li', (lis) => lis.length);
      assert(log === steps, `the step log holds the run's ${steps} steps: ${log}`);
      const traced = await page.$$eval('#step-log li.traced', (lis) => lis.length);
      assert(traced === new Set(listed.map((l) => l.step)).size, `steps marked as traced: ${traced}`);
      // The machine at the round's last event: every call-function handler has returned.
      const isr = await page.$$eval('[data-reg="isr"]', (tds) => tds.filter((t) => t.textContent.trim() === '1').length);
      const irr = await page.$$eval('[data-reg="irr"]', (tds) => tds.filter((t) => t.textContent.trim() === '1').length);
      assert(isr === 0 && irr === 0, `no interrupt pending or in service at the end: IRR ${irr}, ISR ${isr}`);
      assert(!(await page.$('#guide-mismatch')), 'a conforming round shows no mismatch');
      await screenshot('conform-real-round');
      // A step off the run is noticed; stepping back rejoins it.
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((n) => document.querySelector('#guide').dataset.matched !== String(n), listed.length);
    },
  },
  {
    name: 'conform: an altered round shows where the kernel and the model part ways, with the line and the reason',
    fn: async ({ page, baseUrl, screenshot }) => {
      const text = fs.readFileSync(ALTERED, 'utf8').split('\n');
      await openSample(page, baseUrl, 'munmap-handler-before-queue');
      await page.click('#conform-check');
      await page.waitForFunction(() => Number(document.querySelector('#conform-status').dataset.mismatch) === 1, null, { timeout: 60000 });
      const st = await page.$eval('#conform-status', (e) => ({ ...e.dataset }));
      assert(Number(st.conform) === 0 && Number(st.undecided) === 0, `the one round is a mismatch: ${JSON.stringify(st)}`);
      const badge = await page.$eval('.round-row .conform', (e) => ({ cls: e.className, title: e.title }));
      assert(badge.cls.includes('mismatch') && badge.title.includes('before that csd was queued'), `the badge says why: ${JSON.stringify(badge)}`);
      await page.click('#rounds-mismatches');
      assert((await page.$$('.round-row')).length === 1, 'the filter lists the mismatching round');
      await playFirst(page);
      await page.keyboard.press('End');
      await page.waitForSelector('#guide-mismatch');
      const mm = await page.textContent('#guide-mismatch');
      // The altered line: CPU 3's csd_function_entry, now logged before CPU 0 queued it.
      const moved = text.findIndex((l) => l.includes('[003]') && l.includes('csd_function_entry')) + 1;
      assert(mm.includes(`line ${moved}`), `the mismatch names line ${moved}: ${mm}`);
      assert(mm.includes(text[moved - 1].trim()), 'and shows its text');
      assert(mm.includes('CPU 3 enters flush_tlb_func for csd ffff88c2bedbc280 before that csd was queued'), `and the reason: ${mm}`);
      const g = await page.$eval('#guide', (e) => ({ ...e.dataset }));
      assert(Number(g.matched) < Number(g.events), `a prefix is matched: ${g.matched} of ${g.events}`);
      await screenshot('conform-mismatch');
    },
  },
];
