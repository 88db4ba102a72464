/**
 * Galata drives Debian's Chromium: Playwright cannot download its own browser
 * on machines without internet access beyond package registries.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');
const systemChromium = require('./system-chromium');

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  retries: 0,
  use: {
    ...baseConfig.use,
    ...systemChromium
  },
  webServer: {
    command: 'jlpm start',
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'ignore'
  }
};
