// Animated GIF of a range of steps, made in the browser: a valid GIF89a that the browser
// decodes, with one frame per step of the range (counted here by walking the file's
// blocks, independently of the encoder), and the stepper back where it was.
import fs from 'node:fs';
import { audit } from './compare.test.mjs';
import { showMe } from './permalink.test.mjs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Walk a GIF's blocks: logical screen size, image descriptors, frame delays. */
export function gifBlocks(buf) {
  assert(buf.subarray(0, 6).toString('latin1') === 'GIF89a', `not GIF89a: ${buf.subarray(0, 6).toString('latin1')}`);
  const width = buf.readUInt16LE(6);
  const height = buf.readUInt16LE(8);
  let p = 13;
  if (buf[10] & 0x80) p += 3 * (1 << ((buf[10] & 7) + 1));
  const skipSubBlocks = () => {
    for (;;) {
      assert(p < buf.length, 'truncated sub-blocks');
      const n = buf[p++];
      if (n === 0) return;
      p += n;
    }
  };
  let frames = 0;
  const delays = [];
  for (;;) {
    assert(p < buf.length, 'no trailer');
    const b = buf[p++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = buf[p++];
      if (label === 0xf9) delays.push(buf.readUInt16LE(p + 2));
      skipSubBlocks();
    } else if (b === 0x2c) {
      frames++;
      const left = buf.readUInt16LE(p), top = buf.readUInt16LE(p + 2), w = buf.readUInt16LE(p + 4), h = buf.readUInt16LE(p + 6);
      assert(left + w <= width && top + h <= height, `frame ${frames} outside the screen`);
      const flags = buf[p + 8];
      p += 9;
      if (flags & 0x80) p += 3 * (1 << ((flags & 7) + 1));
      p++; // LZW minimum code size
      skipSubBlocks();
    } else {
      throw new Error(`unknown block 0x${b.toString(16)} at byte ${p - 1}`);
    }
  }
  return { width, height, frames, delays };
}

const step = async (page) => (await page.textContent('#step-count')).trim();

export default [
  {
    name: 'gif: a range of steps downloads as an animated GIF that decodes, one frame per step',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
      const before = { step: await step(page), url: page.url(), log: await page.textContent('#step-log') };
      await page.keyboard.press('g');
      await page.waitForSelector('#gif-panel');
      // The default window ends at the step on screen.
      assert((await page.inputValue('#gif-to')) === '7', `default range ends at step 7: ${await page.inputValue('#gif-to')}`);
      await audit(page, 'the GIF panel');
      // Too many frames: a clear message, nothing recorded.
      await page.fill('#gif-from', '0');
      await page.fill('#gif-to', '900');
      await page.press('#gif-to', 'Tab');
      await page.click('#gif-make');
      const refused = await page.textContent('#gif-message');
      assert(/at most \d+/.test(refused), `cap message: ${refused}`);
      // Steps 2..6: five frames.
      await page.fill('#gif-from', '2');
      await page.fill('#gif-to', '6');
      await page.press('#gif-to', 'Tab');
      await page.selectOption('#gif-delay', '250');
      await page.evaluate(() => {
        window.__sawProgress = false;
        new MutationObserver(() => { if (document.querySelector('#gif-progress')) window.__sawProgress = true; })
          .observe(document.body, { childList: true, subtree: true });
      });
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 180000 }), page.click('#gif-make')]);
      assert(dl.suggestedFilename() === 'shootdown-lab-steps-2-6.gif', dl.suggestedFilename());
      const bytes = fs.readFileSync(await dl.path());
      const gif = gifBlocks(bytes);
      assert(gif.frames === 5, `5 frames, found ${gif.frames}`);
      assert(gif.width >= 800 && gif.height >= 400, `frame size ${gif.width}x${gif.height}`);
      assert(gif.delays.length === 5 && gif.delays[0] === 25 && gif.delays[4] === 75, `delays ${gif.delays}`);
      assert(await page.evaluate(() => window.__sawProgress), 'progress was shown while recording');
      const decoded = await page.evaluate(async (b64) => {
        const blob = await (await fetch('data:image/gif;base64,' + b64)).blob();
        const bmp = await createImageBitmap(blob);
        const img = new Image();
        img.src = URL.createObjectURL(blob);
        await img.decode();
        // The first frame shows the view: count dark pixels.
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
        let ink = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] < 100 && px[i + 1] < 100 && px[i + 2] < 100) ink++;
        return { w: bmp.width, h: bmp.height, natural: img.naturalWidth, ink };
      }, bytes.toString('base64'));
      assert(decoded.w === gif.width && decoded.natural === gif.width, `decodes: ${JSON.stringify(decoded)}`);
      assert(decoded.ink > 5000, `the first frame shows the view (dark pixels: ${decoded.ink})`);
      await page.waitForSelector('#gif-message');
      assert((await page.textContent('#gif-message')).includes('5 frames'), await page.textContent('#gif-message'));
      // The stepper is back where it was, with the same past.
      assert((await step(page)) === before.step, `back at ${before.step}: ${await step(page)}`);
      assert(page.url() === before.url, 'the link is unchanged');
      assert((await page.textContent('#step-log')) === before.log, 'the same steps taken');
      await page.keyboard.press('Escape');
      assert((await page.locator('#gif-panel').count()) === 0, 'Escape closes the panel');
    },
  },
  {
    name: 'gif: a frame is slide-sized, without chrome, and shows the code cursor where the page does',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 6; i++) await page.keyboard.press('0');
      // Where a person sees the cursor, in the slide the export makes of the code and machine.
      const live = await page.evaluate(() => {
        const stage = document.querySelector('.stepper .stage').getBoundingClientRect();
        const line = document.querySelector('.src-line.cursor');
        const r = line.getBoundingClientRect();
        const [w, h] = [Math.ceil(stage.width), Math.ceil(stage.height)];
        const vw = Math.max(w, (h * 16) / 9);
        const vh = (vw * 9) / 16;
        return { scrolled: document.querySelector('.source').scrollTop, colour: getComputedStyle(line).getPropertyValue('--cursor').trim(),
          x: r.left - stage.left + 1.5 + (vw - w) / 2, y: r.top - stage.top + r.height / 2 + (vh - h) / 2, vw,
          toolbarBottom: document.querySelector('.toolbar').getBoundingClientRect().bottom - stage.top };
      });
      assert(live.scrolled > 100, `the code pane has scrolled to the cursor: ${JSON.stringify(live)}`);
      const now = (await step(page)).replace(/\D/g, '');
      await page.keyboard.press('g');
      await page.waitForSelector('#gif-panel');
      await page.fill('#gif-from', now);
      await page.fill('#gif-to', now);
      await page.press('#gif-to', 'Tab');
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 180000 }), page.click('#gif-make')]);
      const bytes = fs.readFileSync(await dl.path());
      const gif = gifBlocks(bytes);
      assert(gif.frames === 1, `one frame: ${gif.frames}`);
      assert(Math.abs(gif.width / gif.height - 16 / 9) < 0.01 && gif.width >= 1800, `a 16:9 slide: ${gif.width}x${gif.height}`);
      const k = gif.width / live.vw;
      const found = await page.evaluate(async ([b64, x, y]) => {
        const blob = await (await fetch('data:image/gif;base64,' + b64)).blob();
        const bmp = await createImageBitmap(blob);
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        const at = (px, py) => [...ctx.getImageData(Math.round(px), Math.round(py), 1, 1).data].slice(0, 3);
        return { cursor: at(x, y) };
      }, [bytes.toString('base64'), live.x * k, live.y * k]);
      const want = live.colour.match(/[0-9a-f]{2}/gi).map((h) => parseInt(h, 16));
      const off = Math.max(...want.map((v, i) => Math.abs(v - found.cursor[i])));
      assert(off < 48, `the decoded frame shows the cursor (${live.colour}) where the page does: got rgb(${found.cursor})`);
    },
  },
  {
    name: 'gif: a loaded counterexample is the default range, recorded to its violating step',
    timeout: 240000,
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1&presenter=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#find-race');
      await page.waitForSelector('#check-result', { timeout: 60000 });
      const n = Number(/in (\d+) steps/.exec(await page.textContent('#check-result'))[1]);
      await page.click('#export-gif');
      assert((await page.inputValue('#gif-from')) === '0' && (await page.inputValue('#gif-to')) === String(n), 'the whole counterexample');
      // The page yields between frames: no single task blocks it for the whole recording.
      await page.evaluate(() => {
        window.__longest = 0;
        new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
          .observe({ type: 'longtask' });
      });
      const t0 = Date.now();
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 200000 }), page.click('#gif-make')]);
      const took = Date.now() - t0;
      const gif = gifBlocks(fs.readFileSync(await dl.path()));
      assert(gif.frames === n + 1, `${n + 1} frames (steps 0..${n}), found ${gif.frames}`);
      const longest = await page.evaluate(() => window.__longest);
      assert(longest < Math.max(3000, took / 3), `the longest task took ${Math.round(longest)} ms of ${took} ms`);
      assert((await step(page)) === 'step 0', 'back at step 0');
      // A range past the end of the run stops at its last step, and says so.
      await page.fill('#gif-from', String(n - 2));
      await page.fill('#gif-to', String(n + 10));
      await page.press('#gif-to', 'Tab');
      const [dl2] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click('#gif-make')]);
      assert(gifBlocks(fs.readFileSync(await dl2.path())).frames === 3, 'steps n-2..n: 3 frames');
      await page.waitForSelector('#gif-message');
      const said = await page.textContent('#gif-message');
      assert(said.includes(`ends at step ${n}`) && said.includes('3 frames'), said);
      // Keys and Escape-free closing: g closes the panel.
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('g');
      assert((await page.locator('#gif-panel').count()) === 0, 'g closes the panel');
    },
  },
  {
    name: 'gif: the DragonFly ring deadlock folds its repeated sends as the step log does, each fold one frame marked ↻ ×N',
    timeout: 300000,
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      const n = await showMe(page, baseUrl, 'dragonfly', 'R1');
      // The log at the last step, counted from the page: a row per step shown, one per fold.
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('End');
      await page.waitForSelector('#banner.deadlock');
      const log = await page.$$eval('#step-log > li', (lis) => lis.map((li) => {
        const m = /steps (\d+)–(\d+)/.exec(li.textContent);
        return li.classList.contains('folded') ? { first: Number(m[1]), last: Number(m[2]) } : { step: Number(li.value) };
      }));
      const covered = log.reduce((k, r) => k + (r.step ? 1 : r.last - r.first + 1), 0);
      assert(covered === n, `the log's rows cover the ${n} steps once: ${covered}`);
      const folds = log.map((r, i) => (r.first ? i : -1)).filter((i) => i >= 0);
      assert(folds.length >= 2, `the repeated sends of both CPUs fold in the log: ${JSON.stringify(log)}`);
      await page.keyboard.press('Home');
      await page.keyboard.press('g');
      await page.waitForSelector('#gif-panel');
      assert((await page.inputValue('#gif-from')) === '0' && (await page.inputValue('#gif-to')) === String(n), 'the whole run is offered');
      await page.selectOption('#gif-delay', '250');
      const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 240000 }), page.click('#gif-make')]);
      const bytes = fs.readFileSync(await dl.path());
      const gif = gifBlocks(bytes);
      // Step 0, then one frame per row of the log.
      assert(gif.frames === log.length + 1, `${log.length + 1} frames (step 0 and ${log.length} rows of the log), found ${gif.frames}`);
      const folded = folds.map((i) => i + 1);
      for (let f = 0; f < gif.frames; f++) {
        const want = f === gif.frames - 1 ? 75 : folded.includes(f) ? 50 : 25;
        assert(gif.delays[f] === want, `frame ${f} shows ${gif.delays[f]} cs, not ${want}: ${gif.delays}`);
      }
      // The marker, as a person sees the decoded GIF: its yellow on the folded frames only.
      const yellow = await page.evaluate(async ({ b64, frames }) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dec = new ImageDecoder({ data, type: 'image/gif' });
        const out = [];
        for (const frameIndex of frames) {
          const { image } = await dec.decode({ frameIndex });
          const c = new OffscreenCanvas(image.displayWidth, image.displayHeight);
          const ctx = c.getContext('2d');
          ctx.drawImage(image, 0, 0);
          image.close();
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i] > 225 && Math.abs(px[i + 1] - 204) < 30 && px[i + 2] < 40) n++;
          // The first folded frame, kept to be looked at.
          const png = frameIndex === frames[2] ? await c.convertToBlob({ type: 'image/png' }) : null;
          out.push([frameIndex, n, png ? [...new Uint8Array(await png.arrayBuffer())] : null]);
        }
        return out;
      }, { b64: bytes.toString('base64'), frames: [0, folded[0] - 1, ...folded, gif.frames - 1] });
      const kept = yellow.find(([, , png]) => png);
      if (kept) fs.writeFileSync(new URL('./screenshots/gif-folded-frame.png', import.meta.url), Buffer.from(kept[2]));
      for (const [f, px] of yellow) {
        if (folded.includes(f)) assert(px > 5000, `folded frame ${f} shows the ↻ ×N marker: ${px} marker pixels`);
        else assert(px < 50, `frame ${f} is not folded and has no marker: ${px} marker pixels`);
      }
      const msg = await page.textContent('#gif-message');
      assert(msg.includes(`${gif.frames} frames`) && msg.includes('↻ ×N'), msg);
    },
  },
];
