// tunnel-service as a library: start it in-process (the embedded mode), and stop it.
export { startService, DATABASE_FILE } from './runtime/service.ts';
export type { ServiceOptions, RunningService } from './runtime/service.ts';
