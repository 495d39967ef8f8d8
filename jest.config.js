// Jest: three declared test layers, each a Jest project (`npx jest --selectProjects unit`).
//   unit         in-process, nothing listens, no child processes: `src/**/__tests__` beside the code, and
//                the static checks of test/docs (README tables, tracked supergraph).
//   integration  the code under test runs in the Jest process against real collaborators: a real
//                redis-server (testkit `startRedis`), real HTTP/WebSocket servers on port 0, reference
//                subgraph processes: `<package>/test/integration`, test/integration, test/conformance.
//   e2e          Roam's own programs started as processes the way a user starts them (gateway bin,
//                subgraphs, `npm start`, `roam-pq`, the example client, codegen): test/e2e, test/codegen.
// `npm test` runs all three; `npm run test:unit`, `test:integration`, `test:e2e` run one.
const ts = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: false }] };
const ignore = ['/node_modules/', '/dist/'];
const roots = [
  '<rootDir>/errors',
  '<rootDir>/redis',
  '<rootDir>/gateway',
  '<rootDir>/clients',
  '<rootDir>/subgraphs',
  '<rootDir>/operation-limits',
  '<rootDir>/persisted-queries',
  '<rootDir>/testkit',
  '<rootDir>/test',
];

/** @param {string} displayName @param {string[]} testMatch */
const project = (displayName, testMatch) => ({
  displayName,
  testEnvironment: 'node',
  roots,
  testMatch,
  testPathIgnorePatterns: ignore,
  transform: ts,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
});

module.exports = {
  projects: [
    project('unit', ['**/src/**/__tests__/**/*.test.ts', '<rootDir>/test/docs/**/*.test.ts']),
    project('integration', [
      '<rootDir>/*/test/integration/**/*.test.ts',
      '<rootDir>/subgraphs/*/test/integration/**/*.test.ts',
      '<rootDir>/test/integration/**/*.test.ts',
      '<rootDir>/test/conformance/**/*.test.ts',
    ]),
    project('e2e', ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/codegen/**/*.test.ts']),
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
