// ESLint flat config: typescript-eslint's recommended rules plus two project rules (README "Development").
//   1. Error codes come from the one catalogue: no `code: 'SCREAMING_SNAKE'` literal outside it.
//   2. Only config modules read `process.env`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Modules that may spell an error code as a string literal: the error catalogue and its typed factory. */
const ERROR_CATALOGUE = ['errors/src/**', 'gateway/src/errors.ts', 'gateway/src/errors/**'];

/**
 * The reference subgraphs are independently deployed services: their error codes (e.g. `NOT_FOUND`, `BAD_USER_INPUT`
 * from their resolvers) are theirs, relayed by the gateway with `serviceName`, not codes of Roam's catalogue.
 */
const SUBGRAPH_OWN_CODES = ['subgraphs/*/src/**/*.ts'];

/** Modules that may read `process.env`: the config modules, CLI entry points, scripts, the bench, the testkit. */
const ENV_READERS = [
  'gateway/src/config.ts',
  'operation-limits/src/limitsEnv.ts',
  'subgraphs/lists/src/listsConfig.ts',
  'subgraphs/lists/src/storage/vmModules.ts',
  'subgraphs/kit/src/subgraphConfig.ts',
  'gateway/src/compose/cli.ts', // CLI entry point: `npm run compose`
  'persisted-queries/src/cli/bin.ts', // CLI entry point: `roam-pq`
  'clients/example/src/main.ts', // the example client's entry point
  'scripts/**',
  'bench/**',
  'testkit/src/**',
];

/** Test code: may use literal codes (it asserts them) and `process.env` (it starts processes with an environment). */
const TESTS = ['**/__tests__/**', 'test/**', '*/test/**', 'subgraphs/*/test/**'];

const SCREAMING_SNAKE = '/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/';
const literalErrorCode = {
  selector: `Property[key.name='code'][value.type='Literal'][value.value=${SCREAMING_SNAKE}], Property[key.value='code'][value.type='Literal'][value.value=${SCREAMING_SNAKE}]`,
  message: "Build errors through the error catalogue's typed factory; a literal `code:` string escapes the code table (issue 10, point 7).",
};
// Also catches `const { env } = process`.
const envRead = { object: 'process', property: 'env', message: 'Only config modules read process.env (STYLE.md habit 5): take the value from the validated config object.' };

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/__generated__/**', 'test/fixtures/**', '.roam/**', '.turbo/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // The code base uses `any` at wire boundaries and `_`-prefixed unused bindings on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      'no-restricted-syntax': ['error', literalErrorCode],
      'no-restricted-properties': ['error', envRead],
      // `const WebSocket = require('ws')` is fine on Node 20, which has no global WebSocket.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // The developer console's browser scripts (served by the gateway to browsers, not run by Node).
  { files: ['gateway/static/**/*.js'], languageOptions: { sourceType: 'script', globals: { ...globals.browser } } },
  { files: [...ERROR_CATALOGUE, ...SUBGRAPH_OWN_CODES], rules: { 'no-restricted-syntax': 'off' } },
  { files: ENV_READERS, rules: { 'no-restricted-properties': 'off' } },
  { files: TESTS, rules: { 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' } },
);
