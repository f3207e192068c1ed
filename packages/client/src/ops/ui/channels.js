// Channels: one row per configured MCP server.
import { html } from './api.js';

export function Channels({ status }) {
  if (!status) return html`<p>Loading…</p>`;
  return html`<h2>Channels</h2>
    <div class="scroll">
      <table>
        <caption class="visually-hidden">
          MCP servers by channel
        </caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Binding</th>
            <th scope="col">State</th>
            <th scope="col">Child pid</th>
            <th scope="col">Restarts</th>
            <th scope="col" class="num">In flight</th>
            <th scope="col" class="num">Calls</th>
            <th scope="col" class="num">Errors</th>
          </tr>
        </thead>
        <tbody>
          ${status.channels.map(
            (c) =>
              html`<tr>
                <th scope="row"><code>${c.name}</code></th>
                <td>${c.kind}</td>
                <td class=${c.initialized ? 'good' : 'bad'}>${c.detail}</td>
                <td>${c.pid ?? '—'}</td>
                <td>${c.restarts ?? '—'}</td>
                <td class="num">${c.in_flight}</td>
                <td class="num">${c.total}</td>
                <td class="num">${c.errors}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}
