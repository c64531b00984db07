import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'build', 'node_modules', 'test-results', 'playwright-report', 'bench/results', '.stryker-tmp', 'reports'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware rules over every TypeScript file (src, server, tests, bench): a promise nobody
    // awaits is a check that never runs (a web-first `expect` without `await`) or an error
    // nobody sees. Types come from the nearest tsconfig (projectService).
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // A focused test (`.only`) silently skips the rest of the suite; Playwright's forbidOnly only
    // catches it when CI is set, Vitest never.
    files: ['tests/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='only'][object.name=/^(test|it|describe|suite)$/]",
          message: 'No focused tests: remove .only before committing.',
        },
        {
          selector: "MemberExpression[property.name='only'][object.type='MemberExpression'][object.property.name=/^(describe|each|skip|concurrent|serial|parallel)$/]",
          message: 'No focused tests: remove .only before committing.',
        },
      ],
    },
  },
  {
    // Issue 21: every argument of a call is a stack slot, so a spread over an array or a string
    // the size of a user's data (a backup, a note, a stored row) throws "Maximum call stack size
    // exceeded" once it holds some 100,000 items. Loop, or use a platform API that takes the array.
    files: ['src/**/*.{ts,tsx}', 'server/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(fromCharCode|fromCodePoint|push|unshift|max|min|splice)$/] > SpreadElement",
          message: 'No spread arguments into variadic calls: the stack overflows on large inputs (loop instead).',
        },
        {
          selector: "CallExpression[callee.property.name='apply'][arguments.length=2]",
          message: 'No .apply with an argument array: the stack overflows on large inputs (loop instead).',
        },
      ],
    },
  },
  // Module boundaries (issue 15): the editor knows nothing of networks or storage; the doc
  // layer is pure Yjs; the server stands alone (it serves the app, it does not share its code).
  {
    files: ['src/editor/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)(sync|storage)/', message: 'src/editor/ does not import src/sync/ or src/storage/.' }] }],
    },
  },
  {
    files: ['src/doc/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!yjs$|lib0(/|$)|\\./)', message: 'src/doc/ imports only Yjs, lib0 and its own modules.' }] }],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)src/', message: 'server/ imports nothing from src/.' }] }],
    },
  },
  {
    // React's hook rules only where React lives (Playwright's fixture `use` is not a hook).
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
