/**
 * A Vite plugin for the playground's Web Worker bundle only (astro.config.ts's `vite.worker.plugins`): Node's
 * built-in modules become stubs whose every export throws when called. The worker runs the experiment's training
 * loop (trainSae), whose files also import what writing and resuming checkpoints needs (node:fs, node:path);
 * the playground never checkpoints, so those are never called, but Rollup must still resolve the names.
 * Vite's own browser stub exports no names, so the bundle fails to build without this.
 */
import { builtinModules } from 'node:module';

const PREFIX = '\0saelab-node-stub:';
const BUILTINS = new Set(builtinModules);

/** Typed by shape, not by 'vite': the site's Vite (Astro's own copy) is not the workspace root's. */
interface StubPlugin {
  name: string;
  enforce: 'pre';
  resolveId(id: string): string | null;
  load(id: string): { code: string; syntheticNamedExports: boolean } | null;
}

export function nodeBuiltinStubs(): StubPlugin {
  return {
    name: 'saelab-node-builtin-stubs',
    enforce: 'pre',
    resolveId(id) {
      const bare = id.startsWith('node:') ? id.slice(5) : id;
      return id.startsWith('node:') || BUILTINS.has(bare) ? PREFIX + bare : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = JSON.stringify(`node:${id.slice(PREFIX.length)}`);
      // syntheticNamedExports: `import { x } from 'node:fs'` reads x from the default export, a Proxy.
      return {
        code: `export default new Proxy({}, { get: (_, key) => () => { throw new Error(${name} + '.' + String(key)`
          + ` + ' is not available in a browser'); } });`,
        syntheticNamedExports: true,
      };
    },
  };
}
