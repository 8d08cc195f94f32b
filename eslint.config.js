// Lint for what the type checker does not catch: promises nobody awaits or whose rejection nobody
// handles (a rejected floating promise crashes Node), and promises passed where a callback's result
// is ignored. Type-aware through the TypeScript project service (tsconfig.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `void p` alone still crashes the process if p rejects: a fire-and-forget promise needs a .catch.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name` marks a deliberately unused binding (an omitted property, a positional argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Off: an `async` method that implements a Promise-returning interface (CLI commands, adapters)
      // needs no await, and rewriting it as Promise.resolve would only add noise.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.objectContaining …) as `any`, so
      // every `{ value: expect.any(Number) }` would be an "unsafe assignment".
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
