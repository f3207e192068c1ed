// What the deployment tests share: the settings each program reads from its environment, and machine
// tools that are required under CI=true and skipped (with how to install them) elsewhere.
import { existsSync } from 'node:fs';
import { buildProgram } from '../../packages/service/src/cli/main.ts';

/**
 * Coming with the service's cluster mode (PostgreSQL and Redis); the cluster manifests already use them.
 * Remove them from here once the service reads them.
 */
const CLUSTER_ENVIRONMENT = ['TUNNEL_SERVICE_DATABASE_URL', 'TUNNEL_SERVICE_REDIS_URL'];

/** Every environment variable tunnel-service reads: its options' and its data directory's. */
export function knownServiceEnvironment(): Set<string> {
  const names = new Set(['TUNNEL_SERVICE_DATA_DIR', ...CLUSTER_ENVIRONMENT]);
  const visit = (command: ReturnType<typeof buildProgram>) => {
    for (const option of command.options) if (option.envVar) names.add(option.envVar);
    command.commands.forEach(visit);
  };
  visit(buildProgram());
  return names;
}

/** False when `path` exists; a skip notice when it does not; under CI=true a missing tool fails. */
export function missingTool(path: string, install: string): string | false {
  if (existsSync(path)) return false;
  if (process.env.CI === 'true') throw new Error(`${path} is missing and CI=true makes this test mandatory`);
  return `skipped: ${path} is missing (${install})`;
}
