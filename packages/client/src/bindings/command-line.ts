import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Splits a command string into words the way a POSIX shell would for quoting purposes only: single
 * quotes are literal, double quotes allow backslash escapes, a backslash outside quotes escapes the next
 * character. No expansion of variables, globs or operators happens, because no shell runs.
 */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!))
        word += command[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`the command has an unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/**
 * Where the command's program is: the path it names (with a slash), else the first match on PATH.
 * Throws, saying what is missing, when there is no executable file there.
 */
export function locateProgram(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const [program] = splitCommandLine(command);
  if (!program) throw new Error('the command is empty');
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    if (executable(program)) return program;
    throw new Error(`${program} is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    if (executable(candidate)) return candidate;
  }
  throw new Error(`${program} was not found on PATH`);
}
