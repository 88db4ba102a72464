/**
 * The as-installed server: the script that installs and serves it (and runs the
 * CLI of its venv), its port and its token. Shared by the Playwright config that
 * starts it and the tests that log into it.
 */
const os = require('os');
const path = require('path');

module.exports = {
  script: path.join(
    __dirname,
    '..',
    '..',
    'tests',
    'installed',
    'serve_installed.py'
  ),
  python: process.env.JEM_PYTHON || 'python',
  /** Where serve_installed.py keeps the venv, HOME and work folder it serves. */
  folder: path.join(os.tmpdir(), `jem-installed-${process.getuid()}`),
  // Two runs on one machine (CI and a developer) each choose their ports.
  port: Number(process.env.JEM_INSTALLED_PORT || 18139),
  /** A second server from the same venv, whose user config names another manager. */
  otherPort: Number(process.env.JEM_INSTALLED_OTHER_PORT || 18138),
  token: process.env.JEM_INSTALLED_TOKEN || 'jem-as-installed-ui'
};
