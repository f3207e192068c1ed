import { useEffect, useState } from 'preact/hooks';
import type {
  CallToolResult,
  Client,
  Notification,
  Prompt,
  Resource,
  Tool,
} from '@modelcontextprotocol/client';
import { call } from '../api.ts';
import { ClientConfigs } from '../components/client-configs.tsx';
import { ErrorNote, Page, useLoad } from '../components/common.tsx';
import { SchemaFields, toArguments, type FormValues } from '../components/schema-form.tsx';
import { ToolResult } from '../components/tool-result.tsx';
import { connect, storedKey, storeKey } from '../mcp.ts';
import type { Connector } from '../types.ts';

interface ServerView {
  client: Client;
  name: string;
  /** The MCP revision the client and server agreed on (2026-07-28, or a 2025 one after the fallback). */
  protocol: string;
  tools: Tool[];
  resources: Resource[];
  prompts: Prompt[];
}

/** Connects through the tunnel and lists what the MCP server offers. */
function useServer(
  connector: Connector | undefined,
  keyVersion: number,
  onNotification: (n: Notification) => void,
) {
  const [server, setServer] = useState<ServerView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!connector || (connector.authentication === 'api_key' && !storedKey(connector.id))) return;
    let closed = false;
    let client: Client | undefined;
    setError(null);
    setServer(null);
    (async () => {
      client = await connect(connector, onNotification);
      const capabilities = client.getServerCapabilities() ?? {};
      const [tools, resources, prompts] = await Promise.all([
        capabilities.tools ? client.listTools().then((r) => r.tools) : [],
        capabilities.resources ? client.listResources().then((r) => r.resources) : [],
        capabilities.prompts ? client.listPrompts().then((r) => r.prompts) : [],
      ]);
      if (!closed)
        setServer({
          client,
          name: client.getServerVersion()?.name ?? 'MCP server',
          protocol: client.getNegotiatedProtocolVersion() ?? 'unknown',
          tools,
          resources,
          prompts,
        });
    })().catch((failure: unknown) => !closed && setError(failure));
    return () => {
      closed = true;
      void client?.close();
    };
    // The notification sink is stable for the page's life; reconnect only for another connector or key.
  }, [connector, keyVersion]);
  return { server, error };
}

function KeyForm({ connector, onSaved }: { connector: Connector; onSaved: () => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        storeKey(connector.id, key.trim());
        onSaved();
      }}
    >
      <p>This connector authenticates with an API key, which this browser tab does not hold yet.</p>
      <div class="field">
        <label for="details-key">API key</label>
        <input
          id="details-key"
          type="password"
          required
          autocomplete="off"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
      </div>
      <button type="submit" class="primary">
        Use this key
      </button>
    </form>
  );
}

function ToolRunner({ server, notifications }: { server: ServerView; notifications: string[] }) {
  const [toolName, setToolName] = useState(server.tools[0]?.name ?? '');
  const [values, setValues] = useState<FormValues>({});
  const [result, setResult] = useState<CallToolResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [seenFrom, setSeenFrom] = useState(0);
  const tool = server.tools.find((t) => t.name === toolName);
  const run = async (event: Event) => {
    event.preventDefault();
    if (!tool) return;
    setBusy(true);
    setError(null);
    setResult(null);
    setSeenFrom(notifications.length);
    try {
      const args = toArguments(tool, values);
      setResult((await server.client.callTool({ name: tool.name, arguments: args })) as CallToolResult);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  if (server.tools.length === 0) return null;
  return (
    <section aria-labelledby="runner-heading">
      <h2 id="runner-heading">Try a tool</h2>
      <form class="card" onSubmit={run}>
        <div class="field">
          <label for="runner-tool">Tool</label>
          <select
            id="runner-tool"
            value={toolName}
            onChange={(e) => {
              setToolName(e.currentTarget.value);
              setValues({});
              setResult(null);
            }}
          >
            {server.tools.map((t) => (
              <option key={t.name} value={t.name}>
                {t.title ?? t.name}
              </option>
            ))}
          </select>
        </div>
        {tool?.description && <p class="hint">{tool.description}</p>}
        {tool && <SchemaFields tool={tool} values={values} onChange={setValues} />}
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Calling…' : 'Call tool'}
        </button>
      </form>
      {result && <ToolResult result={result} />}
      {notifications.length > seenFrom && (
        <section class="card" aria-labelledby="notes-heading">
          <h3 id="notes-heading">Notifications</h3>
          <ul>
            {notifications.slice(seenFrom).map((note, index) => (
              <li key={index}>
                <code>{note}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

export function ConnectorDetailsPage({ id }: { id: string }) {
  const connector = useLoad(() => call<Connector>('GET', `/v1/connectors/${id}`), [id]);
  const [keyVersion, setKeyVersion] = useState(0);
  const [notifications, setNotifications] = useState<string[]>([]);
  const onNotification = (n: Notification) =>
    setNotifications((list) => [...list, `${n.method} ${JSON.stringify(n.params ?? {})}`]);
  const { server, error } = useServer(connector.data, keyVersion, onNotification);
  const needsKey = connector.data?.authentication === 'api_key' && !storedKey(connector.data.id);
  return (
    <Page title={connector.data ? `Connector ${connector.data.name}` : 'Connector'}>
      <p>
        <a href="#/connectors">All connectors</a>
      </p>
      <ErrorNote error={connector.error} />
      {connector.data && needsKey && (
        <KeyForm connector={connector.data} onSaved={() => setKeyVersion(keyVersion + 1)} />
      )}
      <ErrorNote error={error} />
      {connector.data && !needsKey && !server && !error && (
        <p role="status">Connecting through the tunnel…</p>
      )}
      {server && (
        <>
          <p role="status">
            Connected to {server.name} (MCP {server.protocol}).
          </p>
          <section aria-labelledby="tools-heading">
            <h2 id="tools-heading">Tools ({server.tools.length})</h2>
            <ul class="cards" aria-label="Tools">
              {server.tools.map((tool) => (
                <li key={tool.name} class="card">
                  <h3>{tool.title ?? tool.name}</h3>
                  <p>{tool.description}</p>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="resources-heading">
            <h2 id="resources-heading">Resources ({server.resources.length})</h2>
            <ul aria-label="Resources">
              {server.resources.map((r) => (
                <li key={r.uri}>
                  {r.name} <code>{r.uri}</code>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="prompts-heading">
            <h2 id="prompts-heading">Prompts ({server.prompts.length})</h2>
            <ul aria-label="Prompts">
              {server.prompts.map((p) => (
                <li key={p.name}>
                  {p.name}
                  {p.description ? `: ${p.description}` : ''}
                </li>
              ))}
            </ul>
          </section>
          <ToolRunner server={server} notifications={notifications} />
        </>
      )}
      {connector.data && <ClientConfigs connector={connector.data} />}
    </Page>
  );
}
