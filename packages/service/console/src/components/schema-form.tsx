// A form for a tool's input schema (JSON Schema object): one field per property, typed by its schema.
import type { Tool } from '@modelcontextprotocol/client';

type PropertySchema = { type?: string | string[]; description?: string; enum?: unknown[]; title?: string };
export type FormValues = Record<string, string | boolean>;

const kindOf = (schema: PropertySchema) => {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.enum) return 'enum';
  if (type === 'number' || type === 'integer' || type === 'boolean' || type === 'string') return type;
  return 'json';
};

export const properties = (tool: Tool) =>
  Object.entries((tool.inputSchema.properties ?? {}) as Record<string, PropertySchema>);

/** The tool's arguments from the form's values, or an error naming the field that is wrong. */
export function toArguments(tool: Tool, values: FormValues): Record<string, unknown> {
  const required = new Set(tool.inputSchema.required ?? []);
  const args: Record<string, unknown> = {};
  for (const [name, schema] of properties(tool)) {
    const raw = values[name];
    const kind = kindOf(schema);
    if (kind === 'boolean') {
      args[name] = raw === true;
      continue;
    }
    if (raw === undefined || raw === '') {
      if (required.has(name)) throw new Error(`${name} is required.`);
      continue;
    }
    const text = String(raw);
    if (kind === 'number' || kind === 'integer') {
      const value = Number(text);
      if (!Number.isFinite(value) || (kind === 'integer' && !Number.isInteger(value)))
        throw new Error(
          `${name} must be ${kind === 'integer' ? 'a whole number' : 'a number'}, not “${text}”.`,
        );
      args[name] = value;
    } else if (kind === 'json') {
      try {
        args[name] = JSON.parse(text);
      } catch {
        throw new Error(`${name} must be JSON (an object, array or value), e.g. {"key": "value"}.`);
      }
    } else if (kind === 'enum') {
      args[name] = (schema.enum ?? []).find((option) => String(option) === text) ?? text;
    } else args[name] = text;
  }
  return args;
}

export function SchemaFields({
  tool,
  values,
  onChange,
}: {
  tool: Tool;
  values: FormValues;
  onChange: (values: FormValues) => void;
}) {
  const required = new Set(tool.inputSchema.required ?? []);
  const fields = properties(tool);
  if (fields.length === 0) return <p class="hint">This tool takes no arguments.</p>;
  return (
    <>
      {fields.map(([name, schema]) => {
        const id = `arg-${name}`;
        const kind = kindOf(schema);
        const set = (value: string | boolean) => onChange({ ...values, [name]: value });
        const hint = schema.description ? (
          <span id={`${id}-hint`} class="hint">
            {schema.description}
          </span>
        ) : null;
        const describedBy = schema.description ? `${id}-hint` : undefined;
        const label = `${schema.title ?? name}${required.has(name) ? ' (required)' : ''}`;
        if (kind === 'boolean')
          return (
            <div class="field" key={name}>
              <label class="check">
                <input
                  id={id}
                  type="checkbox"
                  aria-describedby={describedBy}
                  checked={values[name] === true}
                  onChange={(e) => set(e.currentTarget.checked)}
                />
                {label}
              </label>
              {hint}
            </div>
          );
        return (
          <div class="field" key={name}>
            <label for={id}>{label}</label>
            {kind === 'enum' ? (
              <select
                id={id}
                aria-describedby={describedBy}
                value={String(values[name] ?? '')}
                onChange={(e) => set(e.currentTarget.value)}
              >
                <option value="">Choose…</option>
                {(schema.enum ?? []).map((option) => (
                  <option key={String(option)} value={String(option)}>
                    {String(option)}
                  </option>
                ))}
              </select>
            ) : kind === 'json' ? (
              <textarea
                id={id}
                rows={3}
                aria-describedby={describedBy}
                value={String(values[name] ?? '')}
                onInput={(e) => set(e.currentTarget.value)}
              />
            ) : kind === 'string' ? (
              <input
                id={id}
                type="text"
                required={required.has(name)}
                aria-describedby={describedBy}
                value={String(values[name] ?? '')}
                onInput={(e) => set(e.currentTarget.value)}
              />
            ) : (
              <input
                id={id}
                type="number"
                step={kind === 'number' ? 'any' : '1'}
                required={required.has(name)}
                aria-describedby={describedBy}
                value={String(values[name] ?? '')}
                onInput={(e) => set(e.currentTarget.value)}
              />
            )}
            {hint}
          </div>
        );
      })}
    </>
  );
}
