// The texts of `tunnel-client help TOPIC`. Kept apart from the command code so they can be read and
// revised as documents; each one covers both this project's tunnel-service and OpenAI's hosted service.
import { API_KEY_ENV } from '../config/schema.ts';
import { ENTERPRISE_CA_ENV, ENTERPRISE_PROXY_ENV } from './init.ts';

const QUICKSTART = (
  cli: string,
  service: string,
) => `Quickstart: an MCP server reachable through a tunnel in five steps

1. A tunnel service and a tunnel.

   Your own tunnel-service (open source, self-hosted):
     ${service} start --port 8787
       # first start prints "Owner API key (shown once, store it now): mcpt_..."; keep it
     export OPENAI_ADMIN_KEY=mcpt_...            # the owner key; it may manage tunnels
     ${cli} admin tunnels create --base-url http://127.0.0.1:8787 --name calculator
       # prints the tunnel id: tunnel_ followed by 32 lowercase hex characters
   Then a runtime key for the client, with Tunnels Read + Use only (each command prints just the id
   or key the next step takes):
     export TUNNEL_SERVICE_API_KEY=$OPENAI_ADMIN_KEY
     ROLE=$(${service} roles create "tunnel runtime" --permission tunnel.read,tunnel.use)
     export ${API_KEY_ENV}=$(${service} service-accounts create laptop --role "$ROLE")
   (The service's web console at http://127.0.0.1:8787/ does the same with buttons.)

   OpenAI's hosted service (base URL https://api.openai.com, the default):
     create the tunnel in the platform's tunnel settings, or with an admin key:
       export OPENAI_ADMIN_KEY=...                 # admin key with Tunnels Read + Manage
       ${cli} admin tunnels create --name calculator
     and create a project or service-account key with Tunnels Read + Use as the runtime key.

2. A profile (add --control-plane-base-url http://127.0.0.1:8787 for your own service):
     ${cli} init --profile calculator --tunnel-id tunnel_... --mcp-command "node /path/to/server.js"
       # the sample follows from the server: sample_mcp_stdio_local for --mcp-command,
       # sample_mcp_with_dcr for --mcp-server-url; without --profile the name is sample_mcp_with_dcr
   No MCP server yet? Use the built-in one: --mcp-command "${cli} dev mcp-stub --transport stdio"

   Where profiles go: init and profiles add write ~/tunnel-client/NAME.yaml (or --profile-dir, or
   TUNNEL_CLIENT_PROFILE_DIR). OpenAI's Go client writes $XDG_CONFIG_HOME/tunnel-client/NAME.yaml, by
   default ~/.config/tunnel-client/NAME.yaml. run --profile NAME and doctor --profile NAME look in
   ~/tunnel-client first, then in that directory, so a profile either client wrote is found.

3. The runtime key, in the environment (never on the command line):
     export ${API_KEY_ENV}=<runtime key>

4. Check everything before starting:
     ${cli} doctor --profile calculator

5. Run it, and check it from another shell:
     ${cli} run --profile calculator
     ${cli} health --port 8080
   MCP clients call the tunnel at <base URL>/v1/mcp/<tunnel id> (your own service) or through the
   connector that OpenAI's platform shows for the tunnel (hosted service).

More: ${cli} help samples | doctor | troubleshooting
`;

const SAMPLES_GUIDE = (cli: string) => `Samples: profiles to start from

  ${cli} profiles samples list          the samples and what each is for
  ${cli} profiles samples show NAME     the YAML, what it needs and its caveats
  ${cli} profiles add NAME --sample S --tunnel-id tunnel_... [--mcp-command ... | --mcp-server-url ...]
                                               [--base-url URL] [--profile-dir DIR] [--force]
  ${cli} profiles add NAME --from-file PATH      copy a profile you wrote (validated first)
  ${cli} profiles edit NAME             edit in $VISUAL/$EDITOR; saved only if it validates

sample_mcp_with_dcr (init's default)
  The general-purpose sample: a Streamable HTTP URL (an MCP server that signs its callers in with OAuth
  included) or, with --mcp-command, a stdio command, on channel main.

sample_mcp_stdio_local
  tunnel-client starts your MCP server as a child process and speaks JSON-RPC on its stdin/stdout.
  Best for servers you run locally ("node server.js", "uvx some-mcp",
  "${cli} dev mcp-stub --transport stdio").

sample_mcp_remote_no_auth
  Your MCP server already listens on a Streamable HTTP URL and needs no token. HTTPS_PROXY, HTTP_PROXY
  and NO_PROXY apply; loopback URLs are always reached directly.

sample_mcp_enterprise_proxy
  Every outbound connection (tunnel service and MCP server, an HTTP URL or a stdio command) goes through
  an HTTP proxy and also trusts a private CA. The profile names both by reference (top-level http_proxy
  and ca_bundle), so one file fits every machine:
    export ${ENTERPRISE_PROXY_ENV}=http://proxy.corp.example:3128
    export ${ENTERPRISE_CA_ENV}=/etc/ssl/corp-ca.pem

Every sample points at https://api.openai.com unless you pass --base-url (init also takes Go's
--control-plane-base-url; for your own tunnel-service, e.g. http://127.0.0.1:8787), and reads the
runtime key from ${API_KEY_ENV}.
Profiles live in ~/tunnel-client (or --profile-dir, or TUNNEL_CLIENT_PROFILE_DIR); run --profile also
searches $XDG_CONFIG_HOME/tunnel-client (~/.config/tunnel-client), where OpenAI's Go client writes them.
`;

const DOCTOR = (cli: string) => `Doctor: check a profile before starting the client

  ${cli} doctor --profile NAME [--explain] [--json]
  ${cli} doctor --config PATH | --profile-file PATH, plus any run flag or environment variable

Checks, in order (a failed check skips the ones that depend on it):
  config          the profile, flags and environment merge into a valid configuration
  tunnel_id       the tunnel id has the shape tunnel_ + 32 lowercase hex characters
  api_key         the key reference (env:NAME or file:/path) resolves to a value
  control_plane   the tunnel service answers at the base URL
  tunnel_access   the key is accepted and the tunnel is visible (GET /v1/tunnels/{id})
  tunnel_read     the key holds Tunnels Read (GET /v1/tunnels)
  tunnel_use      the key holds Tunnels Use: a response for a request id that cannot exist is posted;
                  "unknown request" means Use is granted, "forbidden" means it is not. Unlike a poll,
                  this can never take a queued command away from a running client.
  mcp_main        the main MCP server starts and answers initialize
  ops_listen      health.listen_addr is free to listen on

Each line says pass or fail, why, and the fix. --explain adds what each check means, --json prints the
result as one JSON document. Exit status: 0 all passed, 1 a check failed, 2 the command line was wrong.
Doctor runs beside a running client without disturbing it; the ops_listen check then fails, because the
client holds the port: that is expected.

Works the same against your own tunnel-service (--control-plane.base-url http://127.0.0.1:8787) and
OpenAI's hosted one (https://api.openai.com).
`;

const TROUBLESHOOTING = (cli: string) => `Troubleshooting

Start with:  ${cli} doctor --profile NAME --explain
A running client:  ${cli} health --port 8080   (or --url-file FILE with health.url_file)

"401 invalid_api_key" / doctor tunnel_access fails
  The key is unknown, revoked or mistyped. Check ${API_KEY_ENV} (or the control_plane.api_key reference)
  holds the runtime key, without quotes or spaces. Own service: create a new service-account key.

"403 tunnel_use_forbidden" / doctor tunnel_use fails
  The key lacks Tunnels Use on the tunnel's organization. Give its role tunnel.use, or use a key of the
  organization that owns the tunnel.

doctor tunnel_read fails
  The key lacks Tunnels Read. The runtime key needs Read + Use: add tunnel.read to its role.

"404" for the tunnel
  The id is wrong, the tunnel was deleted, or it belongs to another organization:
  ${cli} admin tunnels list (with a key of that organization).

The control plane is unreachable
  Check the base URL (own service: the URL it printed, e.g. http://127.0.0.1:8787; hosted:
  https://api.openai.com), DNS, and the proxy: control_plane.http_proxy, else HTTPS_PROXY/NO_PROXY.
  A TLS-inspecting proxy needs its CA in ca_bundle.

readyz says the main channel is not initialized
  The MCP server did not start or did not answer initialize. Run its command yourself; look at the
  client log (its stderr lines are logged with stream=stderr). doctor mcp_main shows the reason.

"health.listen_addr ... cannot be used (EADDRINUSE)"
  Another process (often another tunnel-client) holds the port. Use another port, or 127.0.0.1:0 with
  health.url_file and "${cli} health --url-file FILE".

MCP callers get 503 "tunnel is offline"
  No client has polled recently: start tunnel-client, check readyz. Callers get 504 when the MCP server
  takes longer than the tunnel's response_timeout: raise it with
  ${cli} admin tunnels update TUNNEL_ID --response-timeout 120s (own service).

Logs: log.level debug shows every poll and command; keys never appear in logs.
`;

/** A guide's text, its commands written the way this machine types them (`invocation()`). */
export type Guide = (cli: string, service: string) => string;

export const GUIDES: Record<string, Guide> = {
  quickstart: QUICKSTART,
  samples: SAMPLES_GUIDE,
  doctor: DOCTOR,
  troubleshooting: TROUBLESHOOTING,
};

export const GUIDE_TOPICS = Object.keys(GUIDES);
