// tunnel-service as a library: start it in-process (the embedded mode), and stop it.
export { startService } from './runtime/service.ts';
export { DATABASE_FILE } from './runtime/store.ts';
export type { ServiceOptions, RunningService } from './runtime/service.ts';
