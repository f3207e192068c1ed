// `tunnel-client dev ...`: tools for trying a tunnel. The MCP SDK is loaded only when the stub runs.
import { Command, Option } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { guarded } from './exit.ts';

interface StubOptions {
  transport: string;
  port: string;
  host: string;
  listenAddr?: string;
  oauth?: boolean;
  oauthResource: string[];
}

export function devCommand(): Command {
  const dev = new Command('dev').description('tools for trying a tunnel');
  dev
    .command('mcp-stub')
    .description('run a small MCP server (tools echo, add, time); usable as the mcp.commands main entry')
    .addOption(
      new Option('--transport <kind>', 'stdio, or Streamable HTTP on /mcp')
        .choices(['stdio', 'http'])
        .default('stdio'),
    )
    .option('--port <n>', 'HTTP port (0 picks a free one)', '8000')
    .option('--host <host>', 'HTTP host', '127.0.0.1')
    .option('--listen-addr <host:port>', 'HTTP address; implies --transport http')
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
        let { host, port: portText } = opts;
        if (opts.listenAddr !== undefined) {
          const match = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(opts.listenAddr);
          if (!match)
            throw new ConfigError(`--listen-addr ${opts.listenAddr} is not host:port, e.g. 127.0.0.1:8000`);
          host = match[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
          portText = match[2]!;
        } else if (opts.transport === 'stdio') {
          if (opts.oauth) throw new ConfigError('--oauth needs the HTTP transport: add --transport http');
          return serveStdio();
        }
        const port = Number(portText);
        if (!/^\d{1,5}$/.test(portText) || port > 65535)
          throw new ConfigError(`port ${portText} is not a port number (0 to 65535)`);
        return serveHttp(host, port, opts.oauth ? { resources: opts.oauthResource } : undefined);
      }),
    );
  return dev;
}
