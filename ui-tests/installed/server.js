/**
 * The as-installed server: the script that installs and serves it (and runs the
 * CLI of its venv), its port and its token. Shared by the Playwright config that
 * starts it and the tests that log into it.
 */
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
  port: 18139,
  token: process.env.JEM_INSTALLED_TOKEN || 'jem-as-installed-ui'
};
