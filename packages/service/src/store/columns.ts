import type { SqlRow, SqlRunner, SqlValue } from './runner.ts';

/**
 * How one column's stored value becomes a row's typed field and back. Drivers return loose values (SQLite
 * has no booleans, JSON lives in text, PostgreSQL returns counts as strings); reading checks each value
 * against its column, so a value the service did not write fails loudly instead of flowing on mistyped.
 */
export interface Column<T> {
  /** What the column holds, for the error about a value it cannot read. */
  kind: string;
  /** The field, or undefined when the stored value is not of this column's kind. */
  read(stored: unknown): T | undefined;
  write(value: T): SqlValue;
}

export const text: Column<string> = {
  kind: 'text',
  read: (stored) => (typeof stored === 'string' ? stored : undefined),
  write: (value) => value,
};

/** A flag stored as the integer 0 or 1 (SQLite has no boolean type). */
export const flag: Column<boolean> = {
  kind: '0 or 1',
  read: (stored) =>
    stored === 1 || stored === 1n ? true : stored === 0 || stored === 0n ? false : undefined,
  write: (value) => (value ? 1 : 0),
};

/** An integer or a count, which a driver may return as a number, a bigint or a string of digits. */
export const integer: Column<number> = {
  kind: 'an integer',
  read: (stored) =>
    typeof stored === 'number' ||
    typeof stored === 'bigint' ||
    (typeof stored === 'string' && /^\d+$/.test(stored))
      ? Number(stored)
      : undefined,
  write: (value) => value,
};

/** Text that holds one of a fixed set of words. */
export function oneOf<const T extends string>(...values: T[]): Column<T> {
  return {
    kind: `one of ${values.join(', ')}`,
    read: (stored) => values.find((value) => value === stored),
    write: (value) => value,
  };
}

/** A list of strings stored as JSON text. */
export function stringList<T extends string = string>(): Column<T[]> {
  return {
    kind: 'a JSON list of strings',
    read: (stored) => {
      if (typeof stored !== 'string') return undefined;
      let list: unknown;
      try {
        list = JSON.parse(stored);
      } catch {
        return undefined;
      }
      return Array.isArray(list) && list.every((item) => typeof item === 'string')
        ? (list as T[])
        : undefined;
    },
    write: (value) => JSON.stringify(value),
  };
}

/** The same column, where NULL is allowed and reads as null. */
export function nullable<T>(column: Column<T>): Column<T | null> {
  return {
    kind: `${column.kind} or NULL`,
    read: (stored) => (stored === null || stored === undefined ? null : column.read(stored)),
    write: (value) => (value === null ? null : column.write(value)),
  };
}

export type Columns<Row> = { [K in keyof Row]: Column<Row[K]> };

/** The row type a table's column map describes: `type RoleRow = RowOf<typeof ROLES>`. */
export type RowOf<T> = T extends Table<infer Row> ? Row : never;

/** Reads one stored value; throws naming the column when it is not what the column holds. */
export function readColumn<T>(column: Column<T>, stored: unknown, name: string): T {
  const value = column.read(stored);
  if (value === undefined)
    throw new Error(
      `Column ${name} holds ${JSON.stringify(stored)}, which is not ${column.kind}: the database was changed by something other than this version of tunnel-service.`,
    );
  return value;
}

/**
 * A table's typed column map: the one place that says what each field is and how it is stored. The row
 * type derives from it; it reads result rows and writes inserts and updates, so no repository spells out
 * a column list or converts a value by hand. Column names come from this map, never from input.
 */
export class Table<Row extends object> {
  readonly name: string;
  readonly #columns: Columns<Row>;
  readonly #names: (keyof Row & string)[];
  readonly #select: string;

  constructor(name: string, columns: Columns<Row>) {
    this.name = name;
    this.#columns = columns;
    this.#names = Object.keys(columns) as (keyof Row & string)[];
    this.#select = `SELECT ${this.#names.join(', ')} FROM ${name}`;
  }

  /** The typed row of a stored one. An arrow, so `rows.map(TABLE.read)` reads. */
  readonly read = (stored: SqlRow): Row => {
    const row = {} as Row;
    for (const name of this.#names)
      row[name] = readColumn(this.#columns[name], stored[name], `${this.name}.${name}`);
    return row;
  };

  /** The first row that `clauses` (the SQL after `FROM table`: WHERE, ORDER BY, LIMIT) selects. */
  async one(sql: SqlRunner, clauses: string, params: readonly SqlValue[]): Promise<Row | undefined> {
    const row = await sql.one(`${this.#select} ${clauses}`, params);
    return row && this.read(row);
  }

  /** Every row that `clauses` selects. */
  async all(sql: SqlRunner, clauses: string, params: readonly SqlValue[]): Promise<Row[]> {
    return (await sql.all(`${this.#select} ${clauses}`, params)).map(this.read);
  }

  async insert(sql: SqlRunner, row: Row): Promise<void> {
    await sql.run(
      `INSERT INTO ${this.name} (${this.#names.join(', ')}) VALUES (${this.#names.map(() => '?').join(', ')})`,
      this.#names.map((name) => this.#write(row, name)),
    );
  }

  /** Writes the named fields of the row whose `id` is the row's. */
  async update(
    sql: SqlRunner,
    row: Row & { id: string },
    fields: readonly (keyof Row & string)[],
  ): Promise<void> {
    await sql.run(`UPDATE ${this.name} SET ${fields.map((name) => `${name} = ?`).join(', ')} WHERE id = ?`, [
      ...fields.map((name) => this.#write(row, name)),
      row.id,
    ]);
  }

  #write<K extends keyof Row>(row: Row, name: K): SqlValue {
    return this.#columns[name].write(row[name]);
  }
}
