// The report site: static HTML, charts drawn at build time, results from SAELAB_RESULTS.
// SITE_BASE sets the path the site is served under (default '/'), e.g. SITE_BASE=/saelab/.
import { defineConfig } from 'astro/config';
import { saelabResults } from './src/lib/integration.js';

export default defineConfig({
  output: 'static',
  base: process.env.SITE_BASE ?? '/',
  trailingSlash: 'ignore',
  integrations: [saelabResults()],
  build: { format: 'directory' },
  devToolbar: { enabled: false },
});
