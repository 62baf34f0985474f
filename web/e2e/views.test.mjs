// Every bundled model drawn at 2, 3 and 4 CPUs on a 1280x720 projector: nothing spills
// out of the machine pane, CPU cards and structures do not overlap, ring views stay in
// their box. And DragonFly's lwkt_ipiq ring, drawn from its `view ring` declaration,
// follows a message from the source's windex to the target's rindex.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Runs in the page: what overflows or overlaps in the machine pane, as messages.
function layoutProblems() {
  const out = [];
  const r = (el) => el.getBoundingClientRect();
  const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const machine = document.querySelector('.machine');
  if (!machine) return ['no machine pane'];
  if (machine.scrollWidth > machine.clientWidth + 1) out.push(`the machine pane scrolls sideways: ${machine.scrollWidth} > ${machine.clientWidth}`);
  const m = r(machine);
  const cards = [...machine.querySelectorAll('.cpu-card')];
  cards.forEach((c, i) => {
    if (r(c).left < m.left - 1 || r(c).right > m.right + 1) out.push(`CPU card ${i} sticks out of the pane`);
    if (c.scrollWidth > c.clientWidth + 1) out.push(`CPU card ${i} overflows: ${c.scrollWidth} > ${c.clientWidth}`);
    cards.slice(i + 1).forEach((d, j) => { if (overlap(r(c), r(d))) out.push(`CPU cards ${i} and ${i + j + 1} overlap`); });
  });
  const lower = [...machine.querySelectorAll('.lower > *')];
  lower.forEach((a, i) => {
    if (r(a).right > m.right + 1) out.push(`${name(a)} sticks out of the pane: right ${r(a).right} > ${m.right}`);
    lower.slice(i + 1).forEach((b) => { if (overlap(r(a), r(b))) out.push(`${name(a)} and ${name(b)} overlap`); });
  });
  for (const fig of machine.querySelectorAll('.shared-pane > figure, .memory-pane > table')) {
    const pane = fig.parentElement;
    if (r(fig).right > r(pane).right + 1) out.push(`${name(fig)} is wider than its pane`);
    for (const child of fig.querySelectorAll('table, svg.ring-main, .ring-selector, .ring-legend')) {
      if (!inside(r(child), r(fig))) out.push(`${name(child)} sticks out of ${name(fig)}`);
    }
  }
  for (const svg of machine.querySelectorAll('svg.ring-main')) {
    if (!svg.getAttribute('aria-label')) out.push('a ring has no text alternative');
  }
  return out;
}

async function models(page) {
  return page.$$eval('#model option', (os) => os.map((o) => o.value));
}

async function cpuChoices(page) {
  return page.$$eval('#cpus option', (os) => os.map((o) => Number(o.value)));
}

// DragonFly at 2 CPUs on a projector-sized page.
async function openDragonfly(page, baseUrl) {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(baseUrl + '/');
  await page.waitForSelector('#model');
  await page.selectOption('#model', 'dragonfly');
  await page.selectOption('#cpus', '2');
}

async function audit(page, where) {
  await page.evaluate(fs.readFileSync(path.join(here, '../node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) throw new Error(`${where}: ${JSON.stringify(bad, null, 1)}`);
}

const pointer = (page, p) => page.getAttribute(`#view-ipiq .ring-legend [data-pointer='${p}']`, 'data-value').then(Number);

// Seen as a person sees it: the ring's centre is on screen and is the ring, not something
// drawn over it or a pane scrolled past it.
const ringOnScreen = (page) => page.$eval('#view-ipiq .ring-main', (r) => {
  const b = r.getBoundingClientRect();
  const x = b.x + Math.min(b.width / 2, 40), y = b.y + Math.min(b.height / 2, 40);
  const hit = document.elementFromPoint(x, y);
  return { inside: x >= 0 && y >= 0 && x < innerWidth && y < innerHeight, hit: !!hit && r.contains(hit) };
});

export default [
  {
    name: 'views: every model looks right at 2, 3 and 4 CPUs',
    timeout: 300000,
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#model');
      const ids = await models(page);
      assert(ids.length >= 7, `bundled models: ${ids}`);
      const problems = [];
      let shots = 0;
      for (const id of ids) {
        await page.selectOption('#model', id);
        for (const n of [2, 3, 4]) {
          if (!(await cpuChoices(page)).includes(n)) continue;
          await page.selectOption('#cpus', String(n));
          await page.waitForFunction((k) => document.querySelectorAll('.machine .cpu-card').length === k, n);
          await page.click('.source', { position: { x: 5, y: 5 } });
          for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowRight');
          for (const p of await page.evaluate(layoutProblems)) problems.push(`${id} at ${n} CPUs: ${p}`);
          await screenshot(`views-${id}-${n}cpus`);
          // And at the end of the run, where banners and full queues show.
          await page.keyboard.press('End');
          for (const p of await page.evaluate(layoutProblems)) problems.push(`${id} at ${n} CPUs, end: ${p}`);
          await screenshot(`views-${id}-${n}cpus-end`);
          shots++;
        }
      }
      assert(problems.length === 0, problems.join('\n'));
      assert(shots >= ids.length * 2, `only ${shots} configurations`);
    },
  },
  {
    name: 'views: the DragonFly ipiq ring shows a message queued at windex and taken at rindex',
    fn: async ({ page, baseUrl, screenshot }) => {
      await openDragonfly(page, baseUrl);
      await page.waitForSelector('#view-ipiq svg.ring-main');
      // The rings replace the [src][dst] matrices of their words.
      for (const v of ['windex', 'rindex', 'xindex', 'ip_info']) {
        assert((await page.locator(`#var-${v}`).count()) === 0, `${v} is drawn twice`);
      }
      assert((await page.locator('#view-ipiq .ring-pick').count()) === 4, 'a thumbnail per (source, target) pair at 2 CPUs');
      assert((await page.locator('#view-ipiq .ring-main .slot').count()) === 4, 'MAXCPUFIFO = 4 slots');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 60 && (await pointer(page, 'windex')) === 0; i++) await page.keyboard.press('0');
      assert((await page.textContent('#view-ipiq .ring-pair')).trim() === '0 → 1', 'the view follows the ring CPU 0 wrote');
      assert((await pointer(page, 'windex')) === 1, 'windex moved to 1');
      assert((await pointer(page, 'rindex')) === 0, 'rindex still 0');
      const slot0 = await page.getAttribute("#view-ipiq .ring-main .slot[data-slot='0']", 'class');
      assert(/\bqueued\b/.test(slot0), `slot 0 queued: ${slot0}`);
      assert((await page.locator('#view-ipiq .ring-main .slot.queued').count()) === 1, 'one message queued');
      const alt = await page.getAttribute('#view-ipiq svg.ring-main', 'aria-label');
      assert(alt.includes('ipiq 0 → 1') && alt.includes('windex 1 (slot 1)') && alt.includes('slot 0 queued'), alt);
      await screenshot('views-dragonfly-queued');
      // Pin the pair with the keyboard, then let the target take the message.
      await page.focus("#view-ipiq .ring-pick[data-ring='1']");
      await page.keyboard.press('Enter');
      assert((await page.getAttribute("#view-ipiq .ring-pick[data-ring='1']", 'aria-pressed')) === 'true', 'pair 0 → 1 selected');
      assert((await page.getAttribute('#view-ipiq .ring-follow', 'aria-pressed')) === 'false', 'no longer following');
      await page.click('.source', { position: { x: 5, y: 5 } });
      // The target runs once the source has raised the IPI: step it, else the source.
      for (let i = 0; i < 80 && (await pointer(page, 'rindex')) === 0; i++) {
        await page.keyboard.press('1');
        if ((await pointer(page, 'rindex')) === 0) await page.keyboard.press('0');
      }
      assert((await page.textContent('#view-ipiq .ring-pair')).trim() === '0 → 1', 'still the pinned pair');
      assert((await pointer(page, 'rindex')) === 1, 'rindex moved to 1');
      const slot0after = await page.getAttribute("#view-ipiq .ring-main .slot[data-slot='0']", 'class');
      assert(!/\bqueued\b/.test(slot0after), `slot 0 no longer queued: ${slot0after}`);
      await screenshot('views-dragonfly-taken');
      await audit(page, 'DragonFly ring view');
    },
  },
  {
    name: 'views: in the DragonFly ring deadlock every step that writes a ring brings the ring view on screen',
    fn: async ({ page, baseUrl, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#open-gallery');
      await page.click("#gallery [data-model='dragonfly'] [data-race='R1'] .show-race");
      await page.waitForSelector('#check-result.found', { timeout: 60000 });
      await page.click('.source', { position: { x: 5, y: 5 } });
      // Scroll the machine pane away from the rings first, as a lecturer looking elsewhere would.
      await page.$eval('.machine', (m) => { m.scrollTop = m.scrollHeight; });
      let ringSteps = 0;
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('ArrowRight');
        await page.waitForTimeout(30);
        const touched = await page.getAttribute('html', 'data-touched');
        if (touched !== 'view-ipiq') continue;
        ringSteps += 1;
        const seen = await ringOnScreen(page);
        assert(seen.inside && seen.hit, `step ${i + 1} writes the ring and the ring is on screen: ${JSON.stringify(seen)}`);
      }
      assert(ringSteps > 0, 'the counterexample writes the rings');
      // At the deadlock itself the rings the senders wait on are what matters, whatever
      // the last step wrote: with the pane scrolled away, stepping onto the deadlock
      // brings them back, beside the banner.
      await page.$eval('.machine', (m) => { m.scrollTop = m.scrollHeight; });
      await page.keyboard.press('ArrowLeft');
      await page.waitForTimeout(30);
      await page.$eval('.machine', (m) => { m.scrollTop = m.scrollHeight; });
      await page.keyboard.press('ArrowRight');
      await page.waitForSelector('#banner.deadlock');
      await page.waitForTimeout(50);
      assert((await page.getAttribute('html', 'data-touched')) === 'view-ipiq', 'at the deadlock the rings are the structure kept in view');
      const atDeadlock = await ringOnScreen(page);
      assert(atDeadlock.inside && atDeadlock.hit, `at the deadlock the ring is on screen: ${JSON.stringify(atDeadlock)}`);
      await screenshot('views-dragonfly-ring-in-view');
    },
  },
  {
    name: 'views: the DragonFly flood fills ring 0 → 1, followed by the view, and its queue wraps past the last slot',
    fn: async ({ page, baseUrl, screenshot }) => {
      await openDragonfly(page, baseUrl);
      await page.selectOption('#scenario', { label: 'flood' });
      await page.click('.source', { position: { x: 5, y: 5 } });
      // CPU 0 sends until it finds the ring over half full; polling its own empty rings
      // on the way does not pull the view away from the ring it fills.
      for (let i = 0; i < 40; i++) await page.keyboard.press('0');
      // The page draws after the keys are handled, a moment later on a busy machine: wait
      // for the 40th step's picture before reading it.
      await page.waitForFunction(() => /step 40$/.test(document.querySelector('#step-count')?.textContent ?? ''), null, { timeout: 10000 })
        .catch(async () => assert(false, `40 presses of 0 took 40 steps: ${await page.textContent('#step-count')}`));
      assert((await page.textContent('#view-ipiq .ring-pair')).trim() === '0 → 1', 'following the ring CPU 0 fills');
      assert((await page.locator('#view-ipiq .ring-main .slot.queued').count()) >= 3, 'over half of the 4 slots queued');
      assert(Number(await page.textContent("#view-ipiq .ring-pick[data-ring='1'] .ring-count")) >= 3, 'the thumbnail counts them');
      let wrapped = false;
      for (let i = 0; i < 120 && !wrapped; i++) {
        await page.keyboard.press(String(i % 2));
        const [w, r] = [await pointer(page, 'windex'), await pointer(page, 'rindex')];
        const queued = await page.locator('#view-ipiq .ring-main .slot.queued').count();
        wrapped = (await page.textContent('#view-ipiq .ring-pair')).trim() === '0 → 1' && w < r && queued === (w + 4 - r) % 4;
      }
      assert(wrapped, 'windex wrapped below rindex with the slots between them queued');
      await screenshot('views-dragonfly-flood-wrapped');
    },
  },
];
