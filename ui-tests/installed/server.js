/**
 * Where the as-installed server listens, and its token: shared by the Playwright
 * config that starts it and the tests that log into it.
 */
module.exports = {
  port: 18139,
  token: process.env.JEM_INSTALLED_TOKEN || 'jem-as-installed-ui'
};
