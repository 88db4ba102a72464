/**
 * Galata drives Debian's Chromium: Playwright cannot download its own browser
 * on machines without internet access beyond package registries.
 *
 * JEM_GALATA_PORT (default 8888) and JEM_GALATA_STATE let two checkouts (or a
 * developer and a CI clone) run this suite side by side.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');
const systemChromium = require('./system-chromium');

const port = process.env.JEM_GALATA_PORT || '8888';

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  retries: 0,
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    // A click on something covered (a modal) fails here, naming the action,
    // instead of hanging until the test's own timeout.
    actionTimeout: 30 * 1000,
    ...systemChromium
  },
  webServer: {
    command: `jlpm start --ServerApp.port=${port}`,
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'ignore'
  }
};
