import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startService } from '../index.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../audit-retention.ts';
import { DEFAULT_EVENT_BUFFER } from '../broker/event-buffer.ts';
import { defaultDataDir } from './data-dir.ts';
import { createOrganizationCommand, listOrganizationsCommand } from './organizations.ts';
import { writeOwnerKeyFile } from './owner-key.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError('give a port number from 0 to 65535 (0 picks a free port).');
  return port;
}

function byteCount(value: string): number {
  const bytes = Number(value);
  if (!/^\d+$/.test(value) || bytes < 1024)
    throw new InvalidArgumentError('give a whole number of bytes, at least 1024.');
  return bytes;
}

function positive(unit: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < 1)
      throw new InvalidArgumentError(`give a whole number of ${unit}, at least 1.`);
    return number;
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface StartFlags {
  host: string;
  port: number;
  dataDir: string;
  ownerKeyFile?: string;
  logLevel: string;
  allowedOrigin: string[];
  maxBodyBytes: number;
  eventBufferEvents: number;
  eventBufferBytes: number;
  eventBufferAge: number;
  auditRetention: number;
}

async function start(flags: StartFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  let service;
  try {
    service = await startService({
      host: flags.host,
      port: flags.port,
      dataDir,
      logLevel: flags.logLevel,
      allowedOrigins: flags.allowedOrigin,
      maxBodyBytes: flags.maxBodyBytes,
      eventBufferEvents: flags.eventBufferEvents,
      eventBufferBytes: flags.eventBufferBytes,
      eventBufferAgeMs: flags.eventBufferAge * 1000,
      auditRetentionDays: flags.auditRetention,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'EADDRINUSE'
        ? `${flags.host}:${flags.port} is already in use (EADDRINUSE); stop the other process or choose another --port`
        : error instanceof Error
          ? error.message
          : String(error);
    console.error(`tunnel-service could not start: ${reason}`);
    process.exit(1);
  }

  if (service.ownerKey) {
    console.log(`Owner API key (shown once, store it now): ${service.ownerKey}`);
    if (flags.ownerKeyFile) {
      writeOwnerKeyFile(resolve(flags.ownerKeyFile), service.ownerKey);
      console.log(`The owner API key was also written to ${resolve(flags.ownerKeyFile)} (mode 0600).`);
    }
  }
  console.log(`tunnel-service data in ${dataDir}`);
  console.log(`tunnel-service listening on ${service.url}`);

  const stop = (signal: string) => {
    console.error(`tunnel-service stopping (${signal})`);
    void service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'where the database lives').default(
    defaultDataDir(),
    '$TUNNEL_SERVICE_DATA_DIR or $XDG_DATA_HOME/mcp-tunnel',
  );
}

export function buildProgram(): Command {
  const program = new Command('tunnel-service')
    .description('The tunnel-service of mcp-tunnel: tunnels, keys and the MCP endpoint tunnel-clients serve.')
    .version(packageJson.version);

  program
    .command('start')
    .description('Run the service (embedded: a SQLite file and an in-process broker; no set-up).')
    .addOption(
      new Option('--host <host>', 'address to listen on').env('TUNNEL_SERVICE_HOST').default(DEFAULT_HOST),
    )
    .addOption(
      new Option('--port <port>', 'port to listen on; 0 picks a free one')
        .env('TUNNEL_SERVICE_PORT')
        .default(DEFAULT_PORT)
        .argParser(portNumber),
    )
    .addOption(dataDirOption())
    .option('--owner-key-file <path>', 'on first start, also write the owner API key here (mode 0600)')
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('info'),
    )
    .option(
      '--allowed-origin <origin>',
      'an Origin allowed to call /v1/mcp besides the service itself (repeatable)',
      collect,
      [] as string[],
    )
    .addOption(
      new Option('--max-body-bytes <bytes>', 'largest request body accepted')
        .default(DEFAULT_MAX_BODY_BYTES)
        .argParser(byteCount),
    )
    .addOption(
      new Option(
        '--event-buffer-events <count>',
        'SSE events kept per MCP session so a caller that reconnects with Last-Event-ID gets what it missed',
      )
        .env('TUNNEL_SERVICE_EVENT_BUFFER_EVENTS')
        .default(DEFAULT_EVENT_BUFFER.events)
        .argParser(positive('events')),
    )
    .addOption(
      new Option('--event-buffer-bytes <bytes>', 'bytes of those events kept per MCP session')
        .env('TUNNEL_SERVICE_EVENT_BUFFER_BYTES')
        .default(DEFAULT_EVENT_BUFFER.bytes)
        .argParser(byteCount),
    )
    .addOption(
      new Option('--event-buffer-age <seconds>', 'how long those events are kept')
        .env('TUNNEL_SERVICE_EVENT_BUFFER_AGE')
        .default(DEFAULT_EVENT_BUFFER.ageMs / 1000)
        .argParser(positive('seconds')),
    )
    .addOption(
      new Option('--audit-retention <days>', 'audit entries older than this are deleted (checked hourly)')
        .env('TUNNEL_SERVICE_AUDIT_RETENTION')
        .default(DEFAULT_AUDIT_RETENTION_DAYS)
        .argParser(positive('days')),
    )
    .action((flags: StartFlags) => start(flags));

  const organizations = program
    .command('organizations')
    .description("Create and list organizations, on the service's host (the service may be running).");
  organizations
    .command('create <name>')
    .description('Create an organization with its owner, and print its owner API key once.')
    .addOption(dataDirOption())
    .option('--owner-key-file <path>', 'also write the owner API key here (mode 0600)')
    .action((name: string, flags: { dataDir: string; ownerKeyFile?: string }) =>
      createOrganizationCommand(name, flags),
    );
  organizations
    .command('list')
    .description('List organizations: id, creation time, name; the first is the operator’s.')
    .addOption(dataDirOption())
    .action((flags: { dataDir: string }) => listOrganizationsCommand(flags));
  return program;
}
