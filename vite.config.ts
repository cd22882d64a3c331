import { defineConfig } from 'vite';

/** The web client: built into dist/client, which the server serves. `vite` alone serves it for development, proxying /ws to a running server. */
export default defineConfig({
  root: 'client',
  build: { outDir: '../dist/client', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/ws': { target: 'ws://localhost:8080', ws: true } } },
});
