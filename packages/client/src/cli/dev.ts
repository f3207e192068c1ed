// `tunnel-client dev ...`: tools for trying a tunnel. The MCP SDK is loaded only when the stub runs.
import { Command, Option } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import { guarded } from './exit.ts';

/** The stub's default name in its initialize answer (kept here so help does not load the MCP SDK). */
export const STUB_NAME = 'tunnel-client-mcp-stub';

interface StubOptions {
  transport?: string;
  port: string;
  host: string;
  listenAddr?: string;
  unixSocket?: string;
  serverName: string;
  serverVersion: string;
  oauth?: boolean;
  oauthResource: string[];
}

export function devCommand(): Command {
  const dev = new Command('dev').description('tools for trying a tunnel');
  dev
    .command('mcp-stub')
    .description(
      "run a small MCP server (tools echo, add, time): Streamable HTTP on /mcp by default, as Go's; --transport stdio for an mcp.commands entry",
    )
    .addOption(
      new Option('--transport <kind>', 'http (Streamable HTTP on /mcp) or stdio').choices(['stdio', 'http']),
    )
    .option('--listen-addr <host:port>', 'HTTP address (port 0 picks a free one)')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '0')
    .option('--host <host>', 'HTTP host', '127.0.0.1')
    .option('--unix-socket <path>', 'serve HTTP on this Unix socket instead of a TCP port')
    .option('--server-name <name>', 'server name in the initialize answer', STUB_NAME)
    .option('--server-version <version>', 'server version in the initialize answer', CLIENT_VERSION)
    .option(
      '--oauth',
      'HTTP only: /mcp needs an OAuth token from the stub’s own authorization server (which approves every request), to try OAuth through a public tunnel',
    )
    .option(
      '--oauth-resource <url>',
      'with --oauth, a resource tokens may also be issued for, e.g. the public tunnel’s connector URL (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(
      guarded(async (opts: StubOptions) => {
        const { serveHttp, serveStdio } = await import('./mcp-stub.ts');
        const identity = { name: opts.serverName, version: opts.serverVersion };
        const http = opts.listenAddr !== undefined || opts.unixSocket !== undefined;
        if (opts.transport === 'stdio') {
          if (http)
            throw new ConfigError(
              '--listen-addr and --unix-socket need the HTTP transport: drop --transport stdio',
            );
          if (opts.oauth) throw new ConfigError('--oauth needs the HTTP transport: drop --transport stdio');
          return serveStdio(identity);
        }
        const oauth = opts.oauth ? { resources: opts.oauthResource } : undefined;
        if (opts.unixSocket !== undefined) {
          if (oauth) throw new ConfigError('--oauth needs a TCP address: use --listen-addr');
          return serveHttp({ path: opts.unixSocket }, { identity });
        }
        let { host, port: portText } = opts;
        if (opts.listenAddr !== undefined) {
          const match = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(opts.listenAddr);
          if (!match)
            throw new ConfigError(`--listen-addr ${opts.listenAddr} is not host:port, e.g. 127.0.0.1:8000`);
          host = match[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
          portText = match[2]!;
        }
        const port = Number(portText);
        if (!/^\d{1,5}$/.test(portText) || port > 65535)
          throw new ConfigError(`port ${portText} is not a port number (0 to 65535)`);
        return serveHttp({ host, port }, { identity, oauth });
      }),
    );
  return dev;
}
