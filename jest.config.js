// Jest: unit tests beside the code (src/**/__tests__), integration and end-to-end tests in test/.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway', '<rootDir>/clients', '<rootDir>/subgraphs', '<rootDir>/operation-limits', '<rootDir>/persisted-queries', '<rootDir>/redis', '<rootDir>/testkit', '<rootDir>/test'],
  testMatch: ['**/__tests__/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  maxWorkers: 2,
};
