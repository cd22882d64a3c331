// ESLint for TypeScript (typescript-eslint) and Lit (eslint-plugin-lit): `npm run lint`, run by CI.
import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'coverage/', 'data/', 'loadtest/data/', 'loadtest/results/', 'test/artifacts/', 'checkpoints/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['client/**/*.ts'],
    ...lit.configs['flat/recommended'],
  },
  {
    rules: {
      // `_name` says a binding is deliberately unused (a destructured field left out).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The k6 script runs in k6's JavaScript runtime, with its globals.
    files: ['loadtest/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly', console: 'readonly' } },
  },
);
