// The import worker's entry point: worker threads start plain JavaScript, so
// this registers tsx (as bin/eiu.mjs does) and then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./contact-import-worker.ts');
