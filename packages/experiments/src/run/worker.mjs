// Worker threads start in plain Node: register tsx so the TypeScript sources load, then run.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
