// Loads the public wire contract from beside the checkout (../shared/contract), never from a copy.
// Returns null where it is absent, as in a user's fresh clone, so contract tests can skip visibly.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const CONTRACT_DIR = join(repoRoot, '..', 'shared', 'contract');
export const CONTRACT_MISSING_NOTICE = `contract tests skipped: ${CONTRACT_DIR}/openapi.json is not beside this checkout`;

export interface Contract {
  document: OpenApiDocument;
  /** Errors of `value` against `#/components/schemas/<name>`, empty when it validates. */
  validate(schemaName: string, value: unknown): string[];
  /** Errors of `value` against the x-tunnel-failure-schema nested in TunnelResponsePayload.resp_json. */
  validateTunnelFailure(value: unknown): string[];
  fixtures: Record<string, unknown>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}
export interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  responses: Record<string, unknown>;
  requestBody?: unknown;
}

let cached: Contract | null | undefined;

/** A reason to skip a test that needs the contract, or false. Under CI=true a missing contract fails instead. */
export function contractSkip(): string | false {
  if (loadContract()) return false;
  if (process.env.CI === 'true')
    throw new Error(`${CONTRACT_DIR}/openapi.json is missing and CI=true makes contract tests mandatory`);
  return CONTRACT_MISSING_NOTICE;
}

export function loadContract(): Contract | null {
  if (cached !== undefined) return cached;
  const file = join(CONTRACT_DIR, 'openapi.json');
  if (!existsSync(file)) return (cached = null);
  const document = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  const describe = (errors: typeof ajv.errors): string[] =>
    (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);

  const responseJson = document.components.schemas.TunnelResponsePayload?.properties as
    Record<string, Record<string, unknown>> | undefined;
  const failureSchema = responseJson?.resp_json?.['x-tunnel-failure-schema'] as Record<string, unknown>;
  const validateFailure = ajv.compile({ ...failureSchema, $schema: undefined });

  const fixturesDir = join(CONTRACT_DIR, 'fixtures');
  const fixtures: Record<string, unknown> = {};
  for (const name of readdirSync(fixturesDir)) {
    if (name.endsWith('.json')) fixtures[name] = JSON.parse(readFileSync(join(fixturesDir, name), 'utf8'));
  }

  cached = {
    document,
    fixtures,
    validate(schemaName, value) {
      const validator = ajv.getSchema(`openapi.json#/components/schemas/${schemaName}`);
      if (!validator) throw new Error(`the contract has no schema named ${schemaName}`);
      return validator(value) ? [] : describe(validator.errors);
    },
    validateTunnelFailure(value) {
      return validateFailure(value) ? [] : describe(validateFailure.errors);
    },
  };
  return cached;
}
