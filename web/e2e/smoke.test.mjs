// The page loads, says what it is, and makes no request beyond its own files.
export default [
  {
    name: 'the page loads with its title and the stepper',
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + '/');
      await page.waitForSelector('.cpu-card');
      const title = await page.title();
      if (!title.includes('Shootdown Lab')) throw new Error(`title: ${title}`);
      if (!(await page.isVisible('h1'))) throw new Error('no visible h1');
    },
  },
];
