import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Nothing in src/ or handlers/ imports the chat bots: they sit on top of the engine services. */
const NO_BOTS = { regex: '(^|/)bots(/|$)', message: 'src/ and handlers/ must not import bots/ (bots call the engine services, not the other way round)' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // ---- layering (see README "Layout"): each block lists what its folder must not import.
  // One rule name per block; a later block matching the same file replaces an earlier one, so each repeats `bots`.
  {
    files: ['src/**/*.ts', 'handlers/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_BOTS] }] },
  },
  {
    files: ['src/storage/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          NO_BOTS,
          { regex: '(^|/)engine/(?!types\\.js$)', message: 'storage may import only the contract types (src/engine/types.ts), not engine implementation files' },
          { regex: '(^|/)(handlers|notify|api|services)/', message: 'storage imports nothing above it (handlers, notify, api, services)' },
          { regex: '(^|/)(service|integrations|main)\\.js$', message: 'storage imports nothing above it (composition root)' },
        ],
      }],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'mongoose', message: 'the API reaches the database through services and stores', allowTypeImports: true }],
        patterns: [
          NO_BOTS,
          { regex: '(^|/)storage/models\\.js$', message: 'the API uses no mongoose model: call a service (src/services) or a store instead', allowTypeImports: true },
        ],
      }],
    },
  },
);
