// The Traces mode: open real Linux captures (bundled sample, file picker), check what
// the page shows against numbers counted here from the file itself (never from the app),
// click rounds and events, filter, step, charts, warnings, cancel, refusal, export.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const SAMPLE = path.join(root, 'traces/linux-6.12-qemu-4cpu/munmap-4cpu-4pages.trace');
const scratch = path.join(root, 'target/e2e-traces');
// The timeline's label gutter (timeline.rs GUTTER): x of time t0.
const GUTTER = 52;

const axeSource = fs.readFileSync(path.join(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

async function audit(page, where) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) throw new Error(`${where}: ${JSON.stringify(bad, null, 1)}`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/// What the file says, counted with plain string matching.
function facts(text) {
  const lines = text.split('\n');
  const cpus = Number(/#P:(\d+)/.exec(text)[1]);
  const records = [];
  lines.forEach((l, i) => {
    const m = /^\s*(.+?)\s+\[(\d+)\]\s+\S+\s+(\d+\.\d+):\s+(\w+):/.exec(l);
    if (m && !l.startsWith('#')) records.push({ line: i + 1, cpu: Number(m[2]), ts: Number(m[3]), name: m[4], text: l });
  });
  // A round: a run of csd_queue_cpu for flush_tlb_func on one CPU.
  let rounds = 0;
  const prev = {};
  let targets = 0;
  for (const r of records) {
    const q = r.name === 'csd_queue_cpu' && r.text.includes('func=flush_tlb_func');
    if (q) targets++;
    if (q && !prev[r.cpu]) rounds++;
    prev[r.cpu] = q;
  }
  const flushFunc = records.filter((r) => r.text.includes('flush_tlb_func')).length;
  return { cpus, records, rounds, targets, flushFunc, t0: Math.min(...records.map((r) => r.ts)) };
}

async function openTraces(page, baseUrl) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(baseUrl + '/#traces');
  await page.waitForSelector('#drop-zone');
}

async function loadSample(page) {
  await page.click('#sample-munmap-4cpu-4pages');
  await page.waitForSelector('#trace-meta', { timeout: 60000 });
}

async function canvasBox(page) {
  return page.$eval('#timeline-canvas', (c) => ({
    w: c.clientWidth, h: c.clientHeight, t0: Number(c.dataset.t0), t1: Number(c.dataset.t1), lanes: Number(c.dataset.lanes),
    marks: Number(c.dataset.marks),
  }));
}

export default [
  {
    name: 'traces: the mode switch keeps Algorithms permalinks and remembers the mode in the URL',
    fn: async ({ page, baseUrl }) => {
      const link = '#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1';
      await page.goto(baseUrl + '/' + link);
      await page.waitForSelector('#var-scoreboard');
      await page.click('#mode-traces');
      await page.waitForSelector('#drop-zone');
      assert((await page.evaluate(() => location.hash)) === '#traces', 'the URL says #traces');
      await page.click('#mode-algorithms');
      await page.waitForSelector('#var-scoreboard');
      const back = await page.evaluate(() => location.hash);
      assert(back.startsWith('#v=1&m=freebsd-scoreboard&n=2'), `the stepper's link is back: ${back}`);
      await page.goBack();
      await page.waitForSelector('#drop-zone');
      await page.goto(baseUrl + '/#traces');
      await page.waitForSelector('#drop-zone');
      assert(await page.$eval('#mode-traces', (a) => a.getAttribute('aria-current')) === 'page', 'Traces is the current mode');
    },
  },
  {
    name: 'traces: the bundled sample shows 4 lanes and the rounds counted from the file',
    fn: async ({ page, baseUrl, screenshot }) => {
      const f = facts(fs.readFileSync(SAMPLE, 'utf8'));
      await openTraces(page, baseUrl);
      await loadSample(page);
      const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset }));
      assert(Number(meta.cpus) === f.cpus, `CPUs ${meta.cpus} = #P:${f.cpus}`);
      assert(Number(meta.events) === f.records.length, `events ${meta.events} = records in the file ${f.records.length}`);
      assert(Number(meta.rounds) === f.rounds, `rounds ${meta.rounds} = runs of flush csd_queue_cpu ${f.rounds}`);
      const rc = await page.$eval('#rounds-count', (e) => ({ ...e.dataset }));
      assert(Number(rc.targets) === f.targets, `targets ${rc.targets} = grep -c csd_queue_cpu.*flush_tlb_func ${f.targets}`);
      assert(Number(rc.complete) === f.rounds, `every round completes: ${rc.complete}`);
      assert(Number(rc.shootdowns) === f.rounds, `every Linux round is a TLB shootdown: ${rc.shootdowns}`);
      const kinds = await page.$$eval('#rounds-table tbody tr td:nth-child(2)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
      assert(JSON.stringify(kinds) === '["TLB shootdown"]', `kinds in the rounds table: ${kinds}`);
      const notes = await page.textContent('#round-notes');
      assert(notes.includes('round evidence: csd'), `the rounds say what they rest on: ${notes}`);
      const box = await canvasBox(page);
      assert(box.lanes === f.cpus, `lanes ${box.lanes}`);
      assert(box.marks > 500, `marks drawn: ${box.marks}`);
      const ink = await page.$eval('#timeline-canvas', (c) => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 2] < 120) n++;
        return n;
      });
      assert(ink > 3000, `the timeline has ink: ${ink}`);
      // Where the events come from is said with them: a real kernel on emulated CPUs.
      const prov = await page.textContent('#trace-provenance');
      assert(/QEMU/.test(prov) && /emulated/.test(prov) && /not on real hardware/.test(prov), `provenance: ${prov}`);
      assert(await page.isVisible('#trace-provenance'), 'the provenance is on screen');
      await screenshot('traces-sample');
    },
  },
  {
    name: 'traces: a round zooms the timeline; an event shows its fields and raw line',
    fn: async ({ page, baseUrl, screenshot }) => {
      const f = facts(fs.readFileSync(SAMPLE, 'utf8'));
      await openTraces(page, baseUrl);
      await loadSample(page);
      const full = await canvasBox(page);
      await page.click('.round-row .round-pick');
      await page.waitForFunction((w) => {
        const c = document.querySelector('#timeline-canvas');
        return Number(c.dataset.t1) - Number(c.dataset.t0) < w / 100;
      }, full.t1 - full.t0);
      assert(await page.$eval('tr.round-row.selected', (r) => r.textContent.includes('#1')), 'round 1 is selected');
      // Slowest first: the first row's latency is the largest on the page.
      await page.click('#rounds-slowest');
      await page.waitForFunction(() => document.querySelector('#rounds-slowest').checked);
      const ms = await page.$$eval('#rounds-table tbody tr', (rows) => rows.map((r) => r.cells[6].textContent));
      const val = (t) => parseFloat(t) * (t.endsWith('µs') ? 1e-3 : t.endsWith(' s') ? 1e3 : 1);
      assert(ms.every((t, i) => i === 0 || val(ms[i - 1]) >= val(t)), `latencies descend: ${ms.slice(0, 5)}`);
      await page.click('#rounds-slowest');
      await screenshot('traces-round');
      // The first round's first request: its time in the file, rebased, put on the canvas.
      const first = f.records.find((r) => r.name === 'csd_queue_cpu' && r.text.includes('flush_tlb_func'));
      const box = await canvasBox(page);
      const ts = Math.round((first.ts - f.t0) * 1e9);
      const x = GUTTER + ((ts - box.t0) / (box.t1 - box.t0)) * (box.w - GUTTER);
      const laneH = (box.h - 22) / box.lanes;
      await page.click('#timeline-canvas', { position: { x, y: laneH * first.cpu + laneH / 2 } });
      await page.waitForSelector('#event-details');
      await page.waitForFunction(() => document.querySelector('#raw-line').textContent.includes(':'));
      const line = Number(await page.textContent('#event-line'));
      const raw = await page.textContent('#raw-line');
      const hitLine = f.records.find((r) => r.line === line);
      assert(hitLine && Math.abs(hitLine.ts - first.ts) < 0.00001, `the click hit an event at that time: line ${line}`);
      assert(raw === fs.readFileSync(SAMPLE, 'utf8').split('\n')[line - 1], `the raw line is line ${line} of the file: ${raw}`);
    },
  },
  {
    name: 'traces: filters by text, CPU and kind',
    fn: async ({ page, baseUrl }) => {
      const f = facts(fs.readFileSync(SAMPLE, 'utf8'));
      await openTraces(page, baseUrl);
      await loadSample(page);
      const shown = () => page.$eval('#shown-count', (e) => Number(e.dataset.shown));
      assert((await shown()) === f.records.length, 'everything shown at first');
      await page.fill('#trace-filter-text', 'flush_tlb_func');
      await page.waitForFunction((n) => Number(document.querySelector('#shown-count').dataset.shown) === n, f.flushFunc);
      await page.fill('#trace-filter-text', '');
      await page.click('#cpu-3');
      await page.waitForFunction(() => document.querySelector('#timeline-canvas').dataset.lanes === '3');
      const noCpu3 = f.records.filter((r) => r.cpu !== 3).length;
      assert((await shown()) === noCpu3, `CPU 3 hidden: ${await shown()} = ${noCpu3}`);
      await page.click('#cpu-3');
      await page.click('#kind-switch');
      const noSwitch = f.records.filter((r) => r.name !== 'sched_switch').length;
      await page.waitForFunction((n) => Number(document.querySelector('#shown-count').dataset.shown) === n, noSwitch);
    },
  },
  {
    name: 'traces: step mode walks events and shows pending requests and rounds in flight',
    fn: async ({ page, baseUrl, screenshot }) => {
      await openTraces(page, baseUrl);
      await loadSample(page);
      await page.click('.round-row .round-pick');
      await page.click('#step-mode');
      await page.waitForSelector('#step-state');
      const at0 = Number(await page.$eval('#step-state', (s) => s.dataset.at));
      // At the round's start (the initiator's tlb_flush): one round in flight, nothing queued yet.
      const text = await page.textContent('#step-state');
      assert(text.includes('Rounds in flight: 1'), `one round in flight: ${text.slice(0, 300)}`);
      const queuedAt = () => page.$$eval('#step-cpus tbody tr', (rows) => rows.map((r) => Number(r.cells[2].textContent)));
      assert(JSON.stringify(await queuedAt()) === '[0,0,0,0]', `nothing queued yet: ${await queuedAt()}`);
      await page.focus('#timeline-canvas');
      // Its csd_queue_cpu lines follow, one per target CPU 1, 2, 3.
      await page.keyboard.press('.');
      await page.waitForFunction((a) => Number(document.querySelector('#step-state').dataset.at) === a + 1, at0);
      assert(JSON.stringify(await queuedAt()) === '[0,1,0,0]', `a request queued for CPU 1: ${await queuedAt()}`);
      await page.keyboard.press('.');
      await page.keyboard.press('.');
      await page.waitForFunction((a) => Number(document.querySelector('#step-state').dataset.at) === a + 3, at0);
      assert(JSON.stringify(await queuedAt()) === '[0,1,1,1]', `requests queued for CPUs 1-3: ${await queuedAt()}`);
      await page.keyboard.press(',');
      await page.waitForFunction((a) => Number(document.querySelector('#step-state').dataset.at) === a + 2, at0);
      // In step mode the arrows step too (they pan the timeline otherwise).
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((a) => Number(document.querySelector('#step-state').dataset.at) === a + 3, at0);
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((a) => Number(document.querySelector('#step-state').dataset.at) === a + 2, at0);
      await screenshot('traces-step');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#step-state', { state: 'detached' });
    },
  },
  {
    name: 'traces: charts (latency histogram, per-round breakdown, IPI heatmap, events per CPU) are drawn',
    fn: async ({ page, baseUrl, screenshot }) => {
      await openTraces(page, baseUrl);
      await loadSample(page);
      await page.click('#tab-charts');
      for (const id of ['#chart-latency', '#chart-heatmap', '#chart-per-cpu']) {
        await page.waitForSelector(`${id} svg`);
        const n = await page.$$eval(`${id} svg *`, (els) => els.length);
        assert(n > 20, `${id} has ${n} SVG elements`);
      }
      const bars = await page.$$eval('#chart-latency svg rect', (r) => r.length);
      assert(bars >= 30, `histogram bars: ${bars}`);
      // Where the slowest rounds' time went: the median round and the nine slowest, each
      // split into five parts named in a legend under the bars.
      await page.waitForSelector('#chart-breakdown svg');
      const texts = await page.$$eval('#chart-breakdown svg text', (t) => t.map((e) => e.textContent.trim()));
      for (const part of ['initiator, before the IPI', 'IPI delivery', 'handler, to the flush',
        'flush, to the acknowledgement', 'initiator notices']) {
        assert(texts.includes(part), `the breakdown's legend lacks "${part}": ${texts}`);
      }
      assert(texts.filter((t) => /^median: round \d+$/.test(t)).length === 1, `no median row: ${texts}`);
      const slowest = texts.filter((t) => /^round \d+ → CPU \d+$/.test(t)).length;
      assert(slowest === 9, `${slowest} slowest rounds labelled: ${texts}`);
      await screenshot('traces-charts');
    },
  },
  {
    name: 'traces: a file with bad lines loads the rest and lists the lines with reasons',
    fn: async ({ page, baseUrl }) => {
      const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 400);
      const bad = [120, 250, 333];
      for (const n of bad) lines.splice(n - 1, 0, 'this line is not ftrace at all %%%');
      const text = lines.join('\n') + '\n';
      const f = facts(text);
      await openTraces(page, baseUrl);
      await page.setInputFiles('#trace-file', { name: 'with-bad-lines.trace', mimeType: 'text/plain', buffer: Buffer.from(text) });
      await page.waitForSelector('#trace-meta', { timeout: 60000 });
      const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset }));
      assert(Number(meta.warnings) === bad.length, `warnings ${meta.warnings}`);
      assert(Number(meta.events) === f.records.length, `the rest loaded: ${meta.events} = ${f.records.length}`);
      await page.click('#tab-warnings');
      const listed = await page.$$eval('#warnings-table tbody tr', (rows) => rows.map((r) => Number(r.cells[0].textContent)));
      assert(JSON.stringify(listed) === JSON.stringify(bad), `warning lines ${listed}`);
      assert((await page.textContent('#warnings-count')).includes('3 lines not understood'), 'the count is said');
      // A file that is no trace at all: a message, and the trace on screen stays.
      const junk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
      await page.setInputFiles('#trace-file', { name: 'junk.bin', mimeType: 'application/octet-stream', buffer: junk });
      await page.waitForSelector('#trace-error');
      assert((await page.textContent('#trace-error')).startsWith('junk.bin'), await page.textContent('#trace-error'));
      assert((await page.textContent('#trace-meta strong')) === 'with-bad-lines.trace', 'the earlier trace is still shown');
    },
  },
  {
    name: 'traces: a large parse can be cancelled; a 1 GB file is refused with a message',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      fs.mkdirSync(scratch, { recursive: true });
      const big = path.join(scratch, 'big.trace');
      if (!fs.existsSync(big) || fs.statSync(big).size < 150e6) {
        const one = fs.readFileSync(SAMPLE);
        const fd = fs.openSync(big, 'w');
        for (let n = 0; n < 150e6; n += one.length) fs.writeSync(fd, one);
        fs.closeSync(fd);
      }
      await openTraces(page, baseUrl);
      await page.setInputFiles('#trace-file', big);
      await page.waitForSelector('#cancel-parse');
      await page.click('#cancel-parse');
      await page.waitForSelector('#trace-cancelled');
      // Responsive and usable afterwards.
      await loadSample(page);
      // The size check comes before any read, so a sparse file stands in for a real one.
      const huge = path.join(scratch, 'huge.trace');
      fs.closeSync(fs.openSync(huge, 'w'));
      fs.truncateSync(huge, 1024 ** 3);
      await page.setInputFiles('#trace-file', huge);
      await page.waitForSelector('#trace-error');
      const msg = await page.textContent('#trace-error');
      assert(msg.includes('holds traces up to'), `a clear refusal: ${msg}`);
      assert(await page.$('#trace-meta'), 'the loaded trace is still there');
    },
  },
  {
    name: 'traces: Perfetto export downloads valid JSON with IPI flows; ktrdump export loads back',
    fn: async ({ page, baseUrl }) => {
      const f = facts(fs.readFileSync(SAMPLE, 'utf8'));
      await openTraces(page, baseUrl);
      await loadSample(page);
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-perfetto')]);
      assert(dl.suggestedFilename() === 'munmap-4cpu-4pages.perfetto.json', dl.suggestedFilename());
      const json = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
      const evs = json.traceEvents;
      // Exact, from `sdlab trace convert munmap-4cpu-4pages.trace --to perfetto` (the same
      // exporter): 6 913 events less 860 handler and 1 015 csd entry/exit pairs drawn as one
      // slice each (3 163 records) + 860 + 1 015 slices + 201 rounds + 860 IPI and 814 csd
      // flows (start and end) + 13 metadata (the process; 4 CPUs and CPU 0's and CPU 1's
      // rounds tracks, a name and an order each).
      assert(Array.isArray(evs) && evs.length === 8600, `traceEvents: ${evs?.length}`);
      const starts = new Set(evs.filter((e) => e.ph === 's').map((e) => e.id));
      const ends = evs.filter((e) => e.ph === 'f');
      // A flow per handler entry caused by an IPI (860) and per csd queued and entered: 815
      // csd_queue_cpu lines, one of them (line 6591, sched_ttwu_pending to CPU 0) queued
      // again at line 6825 before CPU 0 ran it, so 814.
      assert(starts.size === 860 + 814, `a flow per IPI and per csd request: ${starts.size}`);
      assert(ends.length === starts.size && ends.every((e) => starts.has(e.id)), 'every flow starts and ends');
      const threads = new Set(evs.filter((e) => e.ph === 'X').map((e) => e.tid));
      assert(threads.size === f.cpus + 2, `slices on every CPU and two rounds tracks: ${[...threads]}`);
      // The FreeBSD ktrdump text is a trace this mode reads.
      const [ktr] = await Promise.all([page.waitForEvent('download'), page.click('#export-ktr-freebsd')]);
      const text = fs.readFileSync(await ktr.path(), 'utf8');
      // One record per event, but an IPI to a mask is one ipi_selected line per target:
      // 6 913 + 200 x 2 + 1 (200 rounds to 3 CPUs, 1 to 2; golden.rs) = 7 314, plus the
      // two header lines and the final newline (`sdlab trace convert --to ktrdump-freebsd`).
      assert(text.split('\n').length === 7314 + 3, `ktrdump lines: ${text.split('\n').length}`);
      await page.setInputFiles('#trace-file', { name: 'back.ktr', mimeType: 'text/plain', buffer: Buffer.from(text) });
      await page.waitForFunction(() => document.querySelector('#trace-meta strong')?.textContent === 'back.ktr');
      const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset, text: m.textContent }));
      assert(meta.text.includes('freebsd-ktrdump'), `read back as FreeBSD ktrdump: ${meta.text}`);
      assert(Number(meta.events) === 7314 && Number(meta.lineWarnings) === 0, `events ${meta.events}, warnings ${meta.lineWarnings}`);
    },
  },
  {
    name: 'traces: a link opens a bundled sample; DragonFly ipiq rings show in step mode; no serious axe violation',
    fn: async ({ page, baseUrl, screenshot }) => {
      const text = fs.readFileSync(path.join(root, 'traces/emulated/dragonfly-4cpu-seed7.ktrdump'), 'utf8');
      const first = text.split('\n').find((l) => /ipiq_send_norm/.test(l));
      const [, scpu, dcpu] = /scpu=(\d+) dcpu=(\d+)/.exec(first);
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(baseUrl + '/#traces&sample=dragonfly-4cpu-seed7');
      await page.waitForSelector('#trace-meta');
      assert((await page.textContent('#trace-meta')).includes('dragonfly-ktrdump'), 'read as DragonFly ktrdump');
      await audit(page, 'traces with a trace loaded');
      // DragonFly's rounds are cpusync rendezvous, and the table says so (issue #15).
      const kinds = await page.$$eval('#rounds-table tbody tr td:nth-child(2)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
      // One round, CPU 0's cpusync of CPUs 1-3 (crates/trace/tests/emulated_ktrdump.rs).
      assert(kinds.length === 1 && kinds[0].includes('cpusync'), `DragonFly round kinds: ${kinds}`);
      const rc = await page.$eval('#rounds-count', (e) => ({ ...e.dataset }));
      assert(
        Number(rc.shootdowns) === 0 && Number(rc.rounds) === 1 && Number(rc.targets) === 3 && Number(rc.complete) === 1,
        `no DragonFly round is called a TLB shootdown: ${JSON.stringify(rc)}`,
      );
      await page.focus('#timeline-canvas');
      await page.keyboard.press('s');
      await page.waitForSelector('#step-state');
      for (let i = 0; i < 30 && !(await page.$('#step-rings')); i++) await page.keyboard.press('.');
      const rings = await page.textContent('#step-rings');
      assert(rings.includes(`CPU ${scpu} → CPU ${dcpu}: 1 message`), `the first ipiq message is in its ring: ${rings}`);
      await screenshot('traces-dragonfly-step');
      await page.click('#tab-charts');
      await page.waitForSelector('#chart-heatmap svg');
      await page.keyboard.press('?');
      await page.waitForSelector('#help');
      const capture = await page.textContent('#capture-help');
      for (const need of ['debug.ktr.mask', 'debug.ktr.ipiq_enable', 'tlb:tlb_flush', 'ktrdump -c -t']) {
        assert(capture.includes(need), `the help says how to capture (${need}): ${capture.slice(0, 200)}`);
      }
      await audit(page, 'traces in step mode with charts and the help');
      await page.goto(baseUrl + '/#traces&sample=nope');
      await page.waitForSelector('#trace-error');
    },
  },
  {
    name: 'traces: a pasted function_graph excerpt opens with its comment events and a round',
    fn: async ({ page, baseUrl }) => {
      // Counted with grep in crates/trace/tests/parse_funcgraph.rs: 17 comment events, 13 + 1
      // entries and 13 + 1 exits, 4 irq markers and a task switch = 50 events, 3 CPUs, one
      // round from the csd comments.
      const text = fs.readFileSync(path.join(root, 'crates/trace/test_data/linux/funcgraph-abstime-proc.trace'));
      await openTraces(page, baseUrl);
      await page.setInputFiles('#trace-file', { name: 'graph.txt', mimeType: 'text/plain', buffer: text });
      await page.waitForFunction(() => document.querySelector('#trace-meta strong')?.textContent === 'graph.txt');
      const meta = await page.$eval('#trace-meta', (m) => ({ ...m.dataset, text: m.textContent }));
      assert(Number(meta.events) === 50 && Number(meta.cpus) === 3, `events ${meta.events}, CPUs ${meta.cpus}: ${meta.text}`);
      assert(Number(meta.rounds) === 1, `one round from the csd comments: ${meta.rounds}`);
    },
  },
];
