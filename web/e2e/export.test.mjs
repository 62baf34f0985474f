// Export for slides: the view as SVG and as PNG, generated in the browser, valid files.
import fs from 'node:fs';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Where a point of the exported element lands in the slide-sized image: the SVG's
// viewBox is the element's box grown to 16:9 and the element sits at the foreignObject's x, y.
export function toSlide(svg, x, y) {
  const head = svg.slice(0, 600);
  const [vw] = head.match(/viewBox="0 0 ([\d.]+) ([\d.]+)"/).slice(1).map(Number);
  const width = Number(head.match(/width="([\d.]+)"/)[1]);
  const fo = head.match(/<foreignObject x="([\d.]+)" y="([\d.]+)"/).slice(1).map(Number);
  const k = width / vw;
  return { x: (x + fo[0]) * k, y: (y + fo[1]) * k, k };
}

export default [
  {
    name: 'export: the current view as SVG and PNG files that decode',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 6; i++) await page.keyboard.press('0');
      const [svgDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
      assert(svgDl.suggestedFilename() === 'shootdown-lab.svg', svgDl.suggestedFilename());
      const svg = fs.readFileSync(await svgDl.path(), 'utf8');
      assert(svg.startsWith('<svg') && svg.includes('foreignObject') && svg.includes('scoreboard'), 'an SVG of the view');
      const parsed = await page.evaluate((text) => {
        const d = new DOMParser().parseFromString(text, 'image/svg+xml');
        return d.querySelector('parsererror') ? 'error' : d.documentElement.nodeName;
      }, svg);
      assert(parsed === 'svg', `the SVG parses as XML: ${parsed}`);
      const size = await page.evaluate(async (text) => {
        const img = new Image();
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(text);
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }, svg);
      assert(size[0] === 1920 && size[1] === 1080, `the SVG is slide-sized: ${size}`);
      // The code and the machine, without the page's chrome.
      for (const id of ['export-svg', 'share', 'run', 'cpus']) assert(!svg.includes(`id="${id}"`), `the export has no #${id}`);
      assert(!svg.includes('class="toolbar"'), 'the export has no toolbar');
      assert(!svg.includes('class="row options"'), 'the export has no option row');
      assert(svg.includes('class="machine"') && svg.includes('src-line'), 'the machine and the code are in it');
      const [pngDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
      const png = fs.readFileSync(await pngDl.path());
      assert(png.subarray(1, 4).toString() === 'PNG', 'a PNG file');
      const [w, h, ink] = await page.evaluate(async (b64) => {
        const bmp = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d');
        ctx.drawImage(bmp, 0, 0);
        const px = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
        let ink = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] < 128 && px[i + 1] < 128 && px[i + 2] < 128) ink++;
        return [bmp.width, bmp.height, ink];
      }, png.toString('base64'));
      assert(w === 1920 && h === 1080, `the PNG decodes at slide size: ${w}x${h}`);
      assert(ink > 20000, `the PNG shows the view (dark pixels: ${ink})`);
      // The e key exports too.
      const [keyDl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('e')]);
      assert(keyDl.suggestedFilename().endsWith('.svg'), 'e exports SVG');
    },
  },
  {
    name: 'export: the code pane and the step log keep their scroll, so the cursor is in the exported image',
    fn: async ({ page, baseUrl }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/#v=1&m=freebsd-scoreboard&n=2&s=crossfire&o=initiator_if:0&seed=1');
      await page.waitForSelector('#var-scoreboard');
      await page.click('.source', { position: { x: 5, y: 5 } });
      for (let i = 0; i < 6; i++) await page.keyboard.press('0');
      // Where a person sees the cursor: a line far enough down that the pane has scrolled.
      const live = await page.evaluate(() => {
        const root = document.querySelector('.stepper .stage').getBoundingClientRect();
        const line = document.querySelector('.src-line.cursor');
        const r = line.getBoundingClientRect();
        return { id: line.id, scrolled: document.querySelector('.source').scrollTop, colour: getComputedStyle(line).getPropertyValue('--cursor').trim(),
          x: r.left - root.left + 1.5, y: r.top - root.top + r.height / 2 };
      });
      assert(live.scrolled > 100, `the code pane has scrolled to the cursor: ${JSON.stringify(live)}`);
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-svg')]);
      const svg = fs.readFileSync(await dl.path(), 'utf8');
      const at = toSlide(svg, live.x, live.y);
      const px = await page.evaluate(async ([text, x, y]) => {
        const img = new Image();
        img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(text);
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return [...ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data].slice(0, 3);
      }, [svg, at.x, at.y]);
      const want = live.colour.match(/[0-9a-f]{2}/gi).map((h) => parseInt(h, 16));
      const off = Math.max(...want.map((v, i) => Math.abs(v - px[i])));
      assert(off < 40, `the exported image shows ${live.id}'s cursor (${live.colour}) where the page does: got rgb(${px})`);
    },
  },
];
