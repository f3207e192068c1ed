import type { Connector } from '../types.ts';
import { connectorUrl } from '../mcp.ts';
import { CopyButton } from './copy-button.tsx';

const KEY_PLACEHOLDER = '<your API key>';

function Snippet({ title, text, note }: { title: string; text: string; note?: string }) {
  const id = `snippet-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class="snippet" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {note && <p class="hint">{note}</p>}
      <pre tabIndex={0}>{text}</pre>
      <CopyButton text={text} label={`Copy ${title}`} />
    </section>
  );
}

/** Ready-to-paste settings for other MCP clients; secrets stay placeholders. */
export function ClientConfigs({ connector }: { connector: Connector }) {
  const url = connectorUrl(connector.tunnel_id);
  const withKey = connector.authentication === 'api_key';
  const label =
    connector.name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'tunnel';
  const claude = {
    mcpServers: {
      [label]: {
        command: 'npx',
        args: ['-y', 'mcp-remote', url, ...(withKey ? ['--header', 'Authorization:${AUTH_HEADER}'] : [])],
        ...(withKey ? { env: { AUTH_HEADER: `Bearer ${KEY_PLACEHOLDER}` } } : {}),
      },
    },
  };
  const responses = {
    type: 'mcp',
    server_label: label,
    server_url: url,
    ...(withKey ? { headers: { Authorization: `Bearer ${KEY_PLACEHOLDER}` } } : {}),
    require_approval: 'never',
  };
  const local = /^http:\/\/(127\.|localhost|\[::1\])/.test(location.origin);
  return (
    <section aria-labelledby="configs-heading">
      <h2 id="configs-heading">Use it from other MCP clients</h2>
      <Snippet title="Connector URL" text={url} />
      <Snippet
        title="Claude Desktop (mcp-remote)"
        text={JSON.stringify(claude, null, 2)}
        note="Add to claude_desktop_config.json."
      />
      <Snippet
        title="MCP Inspector"
        text={`npx @modelcontextprotocol/inspector --transport http --server-url ${url}`}
        note={
          withKey
            ? `Then add the header Authorization: Bearer ${KEY_PLACEHOLDER} under Authentication.`
            : undefined
        }
      />
      <Snippet
        title="OpenAI Responses API mcp tool"
        text={JSON.stringify(responses, null, 2)}
        note={
          local
            ? 'OpenAI calls the server_url from its own servers: this service must run at a public https URL for this entry to work.'
            : 'An entry of the tools array of a Responses API request.'
        }
      />
    </section>
  );
}
