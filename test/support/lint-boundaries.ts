// The layer rules of ARCHITECTURE.md as `npm run lint` enforces them: code given to ESLint in memory, as if
// it were a file at the named path, is refused or accepted by the project's own configuration.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The boundary refusals for `code` placed at `filePath` (relative to the repository root). */
export async function boundaryRefusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}
