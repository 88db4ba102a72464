/**
 * Debian's Chromium, as every browser suite here launches it: Playwright cannot
 * download its own browser on machines that reach package registries only.
 */
const executablePath =
  process.env.CHROMIUM_PATH || '/usr/lib/chromium/chromium';

module.exports = {
  video: 'off',
  trace: 'off',
  launchOptions: {
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  }
};
