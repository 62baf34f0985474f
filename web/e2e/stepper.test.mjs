// End-to-end walks through the stepper in headless Chromium, as a lecturer would do
// them: the deadlock of initiators that wait with interrupts disabled (§1.6 E4), and the
// use-after-free through a stale TLB entry in the acknowledge-before-invalidate window
// (§1.6 E2). Each asserts what a user sees and saves a screenshot.

const sel = {
  card: (c) => `.cpu-card[data-cpu='${c}']`,
  step: (c) => `.cpu-card[data-cpu='${c}'] .cpu-step`,
};

async function open(page, baseUrl) {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(baseUrl + '/');
  await page.waitForSelector('#var-scoreboard');
}

async function stepCount(page) {
  return (await page.textContent('#step-count')).trim();
}

// Press CPU c's key until the narration mentions `mark` (or give up after `max`).
async function pressUntil(page, c, mark, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(String(c));
    const said = await page.textContent('#narration');
    if (said.includes(mark)) return;
  }
  throw new Error(`CPU ${c} never reached ${mark}`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export default [
  {
    name: 'the code pane wraps long lines: no comment or statement is cut at the pane\'s edge at 1280x720',
    fn: async ({ page, baseUrl, screenshot }) => {
      for (const presenter of [false, true]) {
        await page.setViewportSize({ width: 1280, height: 720 });
        await page.goto(baseUrl + '/');
        await page.waitForSelector('#var-scoreboard');
        if (presenter) {
          await page.click('.source', { position: { x: 5, y: 5 } });
          await page.keyboard.press('p');
          await page.waitForSelector('.stepper.presenter');
        }
        const cut = await page.evaluate(() => {
          const pane = document.querySelector('.source').getBoundingClientRect();
          return [...document.querySelectorAll('.src-line code')]
            .filter((c) => c.getBoundingClientRect().right > pane.right + 1 || c.scrollWidth > c.clientWidth + 1)
            .map((c) => c.textContent.slice(0, 60));
        });
        assert(cut.length === 0, `${presenter ? 'presenter' : 'normal'}: lines cut at the edge: ${JSON.stringify(cut.slice(0, 5))}`);
        // A wrapped line takes the height it needs: no line's text runs into the next.
        const overlaps = await page.evaluate(() => {
          const out = [];
          const lines = [...document.querySelectorAll('.src-line')];
          for (let i = 1; i < lines.length; i++) {
            const a = lines[i - 1].querySelector('code').getBoundingClientRect();
            const b = lines[i].getBoundingClientRect();
            if (a.bottom > b.top + 0.5) out.push(lines[i - 1].textContent.slice(0, 50));
          }
          return out;
        });
        assert(overlaps.length === 0, `${presenter ? 'presenter' : 'normal'}: lines running into the next: ${JSON.stringify(overlaps.slice(0, 3))}`);
        const overflow = await page.$eval('.source', (s) => s.scrollWidth - s.clientWidth);
        assert(overflow <= 1, `the pane scrolls sideways by ${overflow}px`);
      }
      await screenshot('code-wrapped-presenter');
    },
  },
  {
    name: 'three CPUs fit a 1280x720 projector without scrolling',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      assert((await page.locator('.cpu-card').count()) === 3, 'three CPU cards');
      const { sh, sw } = await page.evaluate(() => ({
        sh: document.scrollingElement.scrollHeight, sw: document.scrollingElement.scrollWidth,
      }));
      assert(sh <= 720 && sw <= 1280, `page scrolls: ${sw}x${sh}`);
      for (const id of ['#var-scoreboard', '#percpu-vars', '#page-table', '#frames', '#narration']) {
        const box = await page.locator(id).boundingBox();
        assert(box && box.y + box.height <= 720 && box.x + box.width <= 1280, `${id} is off screen: ${JSON.stringify(box)}`);
      }
      for (let c = 0; c < 3; c++) {
        const box = await page.locator(sel.card(c)).boundingBox();
        assert(box && box.y + box.height <= 720, `CPU ${c} card is off screen`);
      }
      await screenshot('start-1280x720');
    },
  },
  {
    name: 'deadlock: both initiators wait with interrupts disabled',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      await page.selectOption('#cpus', '2');
      await page.selectOption('#scenario', { label: 'crossfire' });
      await page.uncheck('#opt-initiator_if');
      assert((await page.locator('.cpu-card').count()) === 2, 'two CPU cards');
      for (let i = 0; i < 100 && (await page.locator('#banner.deadlock').count()) === 0; i++) {
        await page.keyboard.press('0');
        await page.keyboard.press('1');
      }
      const banner = await page.textContent('#banner');
      assert(banner.includes('Deadlock (G-DEADLOCK)'), banner);
      assert(/CPU 0 spins at line \d+/.test(banner) && /CPU 1 spins at line \d+/.test(banner), banner);
      assert(banner.includes('IPI_INVLOP pending but masked'), banner);
      // The scoreboard shows both requests outstanding, highlighted.
      assert((await page.textContent("#var-scoreboard td[data-row='1'][data-col='0']")) === '0', 'scoreboard[1][0]');
      assert((await page.textContent("#var-scoreboard td[data-row='0'][data-col='1']")) === '0', 'scoreboard[0][1]');
      assert((await page.locator('#var-scoreboard td.marked').count()) === 2, 'two zero cells stand out');
      // Both cursors sit on the spin loop, and both CPUs show IF=0 with IRR set.
      for (const c of [0, 1]) {
        const line = await page.textContent(`.src-line.cursor[data-cpus~='${c}'] code`);
        assert(line.includes('while (scoreboard[t][self] != gen)'), `CPU ${c} cursor on: ${line}`);
        assert((await page.textContent(`${sel.card(c)} [data-flag='if']`)).includes('IF=0'), 'IF=0');
        assert((await page.textContent(`${sel.card(c)} td[data-reg='irr']`)) === '1', 'IRR pending');
        assert(await page.isDisabled(sel.step(c)), `CPU ${c} cannot step`);
      }
      await screenshot('deadlock');
      // Back undoes exactly one step and the banner goes away.
      const n = await stepCount(page);
      await page.click('#back');
      assert((await page.locator('#banner.deadlock').count()) === 0, 'banner gone after back');
      assert((await stepCount(page)) !== n, 'step count changed');
    },
  },
  {
    name: 'stale TLB use after free: an NMI reads the page between ack and invalidate',
    fn: async ({ page, baseUrl, screenshot }) => {
      await open(page, baseUrl);
      await page.selectOption('#cpus', '2');
      await page.check('#opt-nmi_reads_user');
      await page.fill('#opt-hw_nmi', '1');
      await page.press('#opt-hw_nmi', 'Enter');
      await page.locator('#opt-hw_nmi').blur();
      await page.click('body', { position: { x: 5, y: 5 } });
      // CPU 1's user code caches 0x1000 in its TLB.
      await page.keyboard.press('1');
      assert((await page.textContent(`${sel.card(1)} .tlb`)).includes('0x1000'), 'TLB filled');
      await pressUntil(page, 0, 'I12');
      await page.keyboard.press('1'); // CPU 1 takes IPI_INVLOP
      assert((await page.textContent(`${sel.card(1)} .ctx`)).includes('irq IPI_INVLOP'), 'in the handler');
      await pressUntil(page, 1, 'H9');
      // The initiator sees the acknowledgement, returns and frees the frame.
      for (let i = 0; i < 30 && !(await page.isDisabled(sel.step(0))); i++) await page.keyboard.press('0');
      assert((await page.textContent('#frames')).includes('free'), 'frame freed');
      await page.click(`${sel.card(1)} button:has-text("NMI")`);
      await page.keyboard.press('1');
      // A use of the cached translation inside the acknowledgement window: the window
      // property, and the message names the harm (the frame is already free).
      const banner = await page.textContent('#banner');
      assert(banner.includes('Violation (G-USERMODE-WINDOW) at step'), banner);
      assert(banner.includes('CPU 1') && banner.includes('0x1000') && banner.includes('use after free'), banner);
      assert((await page.locator(`${sel.card(1)} .tlb tr.stale`).count()) === 1, 'stale entry marked');
      assert((await page.locator('#step-log li.bad').count()) === 1, 'violating step marked in the log');
      await screenshot('stale-use');
    },
  },
  {
    name: 'eight CPUs run to completion',
    fn: async ({ page, baseUrl }) => {
      await open(page, baseUrl);
      await page.selectOption('#cpus', '8');
      assert((await page.locator('.cpu-card').count()) === 8, 'eight cards');
      assert((await page.locator('#var-scoreboard td.cell').count()) === 64, '8x8 scoreboard');
      await page.selectOption('#speed', { label: 'very fast' });
      await page.click('#run');
      await page.waitForSelector('#banner.done', { timeout: 60000 });
      assert(!(await page.textContent('#banner')).includes('Violation'), 'no violation');
    },
  },
];
