// Editing a model in the browser: errors at their line and column, the edited model runs,
// is checked, and travels in the link.

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export default [
  {
    name: 'editor: a syntax error is located; the edited model runs, checks and survives the link',
    fn: async ({ page, baseUrl, context, screenshot }) => {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.goto(baseUrl + '/');
      await page.waitForSelector('#var-scoreboard');
      await page.click('#edit-model');
      const original = await page.inputValue('#model-editor');
      assert(original.includes('model "FreeBSD parallel shootdown scoreboard'), 'the editor holds the source');
      // A syntax error on a known line.
      const lines = original.split('\n');
      const i = lines.findIndex((l) => l.includes('scoreboard[self][i] = g;'));
      lines[i] = lines[i].replace('scoreboard[self][i] = g;', 'scoreboard[self][i] = ;');
      await page.fill('#model-editor', lines.join('\n'));
      const diag = await page.textContent('#diagnostics');
      const col = lines[i].indexOf(';') + 1;
      assert(diag.includes(`line ${i + 1}, column ${col}: expected an expression`), `${diag} (want line ${i + 1}, column ${col})`);
      assert(await page.isDisabled('#apply-edit'), 'cannot run a model that does not compile');
      assert((await page.locator('.gutter .bad').count()) === 1, 'the bad line is marked');
      await screenshot('editor-error');
      // A working edit: new narration for H9.
      const fixed = original.replace('/// H9: acknowledge BEFORE invalidating', '/// H9 (edited in class): acknowledge BEFORE invalidating');
      await page.fill('#model-editor', fixed);
      assert((await page.textContent('.edit-status')).includes('compiles'), 'compiles');
      await page.click('#apply-edit');
      await page.click('#close-editor');
      assert((await page.textContent('#model')).includes('(edited)'), 'the edited model is running');
      await page.click('.source', { position: { x: 5, y: 5 } });
      await page.keyboard.press('0');
      for (let k = 0; k < 40 && !(await page.textContent('#narration')).includes('I12'); k++) await page.keyboard.press('0');
      await page.keyboard.press('1');
      for (let k = 0; k < 20 && !(await page.textContent('#narration')).includes('H9'); k++) await page.keyboard.press('1');
      assert((await page.textContent('#narration')).includes('H9 (edited in class)'), 'the edited narration is shown');
      const url = page.url();
      assert(url.includes('m=edited') && url.includes('src='), 'the edited source is in the link');
      const other = await context.newPage();
      await other.goto(url);
      await other.waitForSelector('#var-scoreboard');
      assert((await other.textContent('#narration')).includes('H9 (edited in class)'), 'the link reopens the edited model at the same step');
      // The checker works on the edited model too.
      await other.click('#find-race');
      await other.waitForSelector('#check-result', { timeout: 60000 });
      assert((await other.textContent('#check-result')).includes('Verified'), await other.textContent('#check-result'));
      await other.close();
    },
  },
];
