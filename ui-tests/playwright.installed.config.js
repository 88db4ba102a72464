/**
 * The browser tier against the product as a user installs it: the built wheel
 * and JupyterLab in a fresh venv, `jupyter lab` with a HOME of its own and no
 * config (tests/installed/serve_installed.py). Plain Playwright, not Galata's
 * fixtures: those need Galata's helper extension in the server, which a user's
 * install does not have. The page logs in with the token, as a user's link does.
 *
 *   cd ui-tests && CI=1 jlpm playwright test -c playwright.installed.config.js
 */
const { port, python, script, token } = require('./installed/server');
const systemChromium = require('./system-chromium');

module.exports = {
  testDir: './installed',
  // Not *.spec.ts: the Galata config (no testDir) would pick these up too.
  testMatch: '**/*.installed.ts',
  timeout: 300 * 1000,
  workers: 1,
  reporter: [['list']],
  retries: 0,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    // A click on something hidden fails here instead of at the test's timeout.
    actionTimeout: 30 * 1000,
    ...systemChromium
  },
  webServer: {
    command: [
      python,
      script,
      'serve',
      '--port',
      String(port),
      '--token',
      token
    ].join(' '),
    // Answers 403 without the token: enough to know it is up.
    url: `http://127.0.0.1:${port}/api/status`,
    // Building the wheel and installing JupyterLab come first.
    timeout: 300 * 1000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe'
  }
};
