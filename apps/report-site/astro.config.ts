// The report site: static HTML, charts drawn at build time, results from SAELAB_RESULTS.
// SITE_BASE sets the path the site is served under (default '/'), e.g. SITE_BASE=/saelab/.
import { defineConfig } from 'astro/config';
import { saelabResults } from './src/lib/integration.js';
import { nodeBuiltinStubs } from './src/scripts/vite-node-stubs.js';

export default defineConfig({
  output: 'static',
  base: process.env.SITE_BASE ?? '/',
  trailingSlash: 'ignore',
  integrations: [saelabResults()],
  build: { format: 'directory' },
  devToolbar: { enabled: false },
  // The playground's Web Worker: ES modules (the tensor backends load lazily, by code splitting), and stubs for the
  // Node built-ins that the experiment's training loop imports but the playground never calls (vite-node-stubs.ts).
  vite: { worker: { format: 'es', plugins: () => [nodeBuiltinStubs()] } },
});
