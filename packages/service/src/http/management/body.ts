import type { z } from 'zod';
import { badRequest, describeIssues } from '../errors.ts';

/** Validates a JSON body at the edge, answering 400 with every offending field named. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, example: string): z.infer<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest(
      'invalid_request',
      `The request body must be a JSON object, e.g. ${example}, sent with Content-Type: application/json.`,
    );
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error.issues);
    throw badRequest('invalid_request', `Invalid request body: ${message}. Example: ${example}`, param);
  }
  return parsed.data;
}
