// The BullMQ sandboxed processor (a worker thread of `saelab worker`): worker threads start in plain Node, so
// this registers tsx for the TypeScript sources, then hands BullMQ the processor of processor.ts.
import { register } from 'tsx/esm/api';

register();
const { default: processJob } = await import('./processor.ts');
export default processJob;
