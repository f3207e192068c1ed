// Writes docs/client-config.md from the tunnel-client's settings table, formatted as the repository's
// Prettier would format it (so `prettier --check` and the staleness test agree).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { renderConfigReference } from '../packages/client/src/config/reference.ts';

export const CONFIG_REFERENCE = fileURLToPath(new URL('../docs/client-config.md', import.meta.url));

export async function formattedConfigReference(): Promise<string> {
  const options = (await prettier.resolveConfig(CONFIG_REFERENCE)) ?? {};
  return prettier.format(renderConfigReference(), { ...options, parser: 'markdown' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_REFERENCE, await formattedConfigReference());
  console.log(`wrote ${CONFIG_REFERENCE}`);
}
