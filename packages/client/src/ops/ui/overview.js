// Overview: who this client is, whether it is ready and why.
import { html } from './api.js';
import { uptime } from './format.js';

export function Overview({ status }) {
  if (!status) return html`<p>Loading…</p>`;
  const { readiness, control_plane: cp, versions } = status;
  const rows = [
    ['Tunnel id', html`<code>${status.tunnel_id}</code>`],
    ['Tunnel name', status.tunnel_name ?? 'unknown yet'],
    ['Instance id', html`<code>${status.instance_id}</code>`],
    [
      'Control plane',
      html`<span class=${cp.state === 'connected' ? 'good' : 'bad'}>${cp.state}</span>: ${cp.detail}`,
    ],
    ['Last accepted poll', cp.last_poll_at ? new Date(cp.last_poll_at).toLocaleString() : 'none yet'],
    ['Started', new Date(status.started_at).toLocaleString()],
    ['Uptime', uptime(status.uptime_seconds)],
    ['Version', `tunnel-client ${versions.tunnel_client} · Node.js ${versions.node} · ${versions.platform}`],
    ['Log level', status.log_level],
    ['Payload capture', status.capture ? 'on (redacted bodies kept)' : 'off (metadata only)'],
  ];
  return html`<section aria-labelledby="readiness-title">
      <h2 id="readiness-title">Readiness</h2>
      ${
        readiness.ready
          ? html`<p class="good">
              Ready: the service accepted the key and the main MCP server answered initialize.
            </p>`
          : html`<ul class="reasons">
              ${readiness.reasons.map((r) => html`<li class="bad">${r}</li>`)}
            </ul>`
      }
    </section>
    <section aria-labelledby="client-title">
      <h2 id="client-title">This client</h2>
      <dl class="facts">
        ${rows.map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd>${v}</dd>`,
        )}
      </dl>
    </section>`;
}
