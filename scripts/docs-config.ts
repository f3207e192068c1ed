// Writes the configuration references generated from the settings tables: docs/client-config.md (the
// tunnel-client's) and docs/service-config.md (the tunnel-service's), formatted as the repository's
// Prettier would format them (so `prettier --check` and the staleness tests agree).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { renderConfigReference } from '../packages/client/src/config/reference.ts';
import { renderServiceConfigReference } from '../packages/service/src/config/reference.ts';

export const CONFIG_REFERENCE = fileURLToPath(new URL('../docs/client-config.md', import.meta.url));
export const SERVICE_CONFIG_REFERENCE = fileURLToPath(new URL('../docs/service-config.md', import.meta.url));

async function formatted(file: string, markdown: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(markdown, { ...options, parser: 'markdown' });
}

export const formattedConfigReference = () => formatted(CONFIG_REFERENCE, renderConfigReference());
export const formattedServiceConfigReference = () =>
  formatted(SERVICE_CONFIG_REFERENCE, renderServiceConfigReference());

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_REFERENCE, await formattedConfigReference());
  console.log(`wrote ${CONFIG_REFERENCE}`);
  writeFileSync(SERVICE_CONFIG_REFERENCE, await formattedServiceConfigReference());
  console.log(`wrote ${SERVICE_CONFIG_REFERENCE}`);
}
