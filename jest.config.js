const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

// JupyterLab and its dependencies ship ES modules that jest must transpile.
const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@microsoft/fast',
  '@jupyterlab/',
  'exenv-es6',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

// testTimeout is a global option, not a per-project one.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { testTimeout, ...jupyterLabConfig } = jestJupyterLab(__dirname);

const baseConfig = {
  ...jupyterLabConfig,
  automock: false,
  modulePathIgnorePatterns: [
    '<rootDir>/.venv',
    '<rootDir>/jupyter_env_manager',
    '<rootDir>/ui-tests',
    '<rootDir>/lib'
  ],
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};

module.exports = {
  testTimeout: 60000,
  collectCoverageFrom: ['src/**/*.{ts,tsx}', '!src/**/*.d.ts'],
  coverageReporters: ['lcov', 'text-summary'],
  projects: [
    {
      // Tests that talk to a real server over HTTP need Node's fetch, which
      // JupyterLab's browser shim (written for jsdom) would break.
      ...baseConfig,
      displayName: 'node',
      testEnvironment: 'node',
      setupFiles: [],
      testRegex: 'src/.*/.*\\.node\\.spec\\.ts$'
    },
    {
      ...baseConfig,
      displayName: 'dom',
      testRegex: 'src/.*/.*(?<!\\.node)\\.spec\\.tsx?$'
    }
  ]
};
