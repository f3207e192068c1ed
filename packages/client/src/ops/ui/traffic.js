// Live traffic: every MCP call as it starts and ends (server-sent events), and one call's details.
import { useEffect, useState } from 'preact/hooks';
import { getJson, html, useSetting } from './api.js';
import { FilterBox } from './filter.js';
import { clock, duration, outcomeClass } from './format.js';

const KEEP = 500;

function upsert(list, call) {
  const at = list.findIndex((c) => c.id === call.id);
  const next = at < 0 ? [...list, call] : list.map((c, i) => (i === at ? call : c));
  return next.length > KEEP ? next.slice(next.length - KEEP) : next;
}

/** Calls from the buffer, then live events; reconnects by itself (EventSource retries). */
function useCalls() {
  const [calls, setCalls] = useState([]);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/traffic/stream');
    source.addEventListener('call', (event) => setCalls((list) => upsert(list, JSON.parse(event.data))));
    source.onopen = () => {
      setLive(true);
      getJson('/api/traffic').then((body) => setCalls((list) => body.calls.reduce(upsert, list)));
    };
    source.onerror = () => setLive(false);
    return () => source.close();
  }, []);
  return [calls, live];
}

function Payload({ title, value }) {
  return html`<h4>${title}</h4>
    <pre class="json" tabindex="0">${JSON.stringify(value, null, 2)}</pre>`;
}

/** Headers one per line, as on the wire. */
function Headers({ title, headers }) {
  const lines = Object.entries(headers).map(([name, values]) => `${name}: ${values.join(', ')}`);
  return html`<h4>${title}</h4>
    <pre class="headers" tabindex="0">${lines.join('\n') || '(none)'}</pre>`;
}

/** One call; fetched again when its outcome changes, so a call opened in flight shows its answer. */
function Detail({ id, outcome, onClose }) {
  const [call, setCall] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    getJson(`/api/traffic/${id}`).then(setCall, (err) => setError(err.message));
  }, [id, outcome]);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!call || call.id !== id) return html`<p>Loading call ${id}…</p>`;
  const p = call.payloads;
  return html`<section class="detail" aria-labelledby="detail-title">
    <div class="detail-head">
      <h3 id="detail-title">${call.method}${call.target ? ` · ${call.target}` : ''}</h3>
      <button type="button" onClick=${onClose}>Close</button>
    </div>
    <dl class="facts">
      <dt>Request id</dt>
      <dd><code>${call.requestId}</code></dd>
      <dt>Channel</dt>
      <dd>${call.channel}</dd>
      <dt>Session</dt>
      <dd><code>${call.session ?? 'none'}</code></dd>
      <dt>Received</dt>
      <dd>${new Date(call.time).toLocaleString()}</dd>
      <dt>Duration</dt>
      <dd>${duration(call.durationMs)}</dd>
      <dt>Outcome</dt>
      <dd class=${outcomeClass(call.outcome)}>
        ${call.outcome ?? 'in flight'}${call.errorKind ? ` (${call.errorKind})` : ''}
      </dd>
      ${
        call.error &&
        html`<dt>Error</dt>
          <dd>${call.error}</dd>`
      }
    </dl>
    ${
      p
        ? html`<${Headers} title="Request headers" headers=${p.request.headers} />
            <${Payload} title="Request" value=${p.request.body} />
            ${
              p.response
                ? html`<${Payload}
                      title=${`Response headers (HTTP ${p.response.status})`}
                      value=${p.response.headers}
                    />
                    <${Payload} title="Response" value=${p.response.body} />`
                : html`<p>No response yet.</p>`
            }`
        : html`<p class="muted">
            Only metadata was kept for this call. Turn on “Capture payloads” to keep the redacted request and
            response of the next calls.
          </p>`
    }
  </section>`;
}

export function Traffic() {
  const [calls, live] = useCalls();
  const [capture, setCapture, error] = useSetting('/api/traffic/capture', 'capture');
  const [filter, setFilter] = useState('');
  const [selected, setSelected] = useState(undefined);
  // The switch shows the choice at once: live traffic re-renders the page every few hundred
  // milliseconds, and waiting for the PUT would flip the box back under the user's pointer.
  const toggle = (event) => setCapture(event.currentTarget.checked);
  const needle = filter.trim().toLowerCase();
  const shown = calls
    .filter(
      (c) =>
        !needle ||
        [c.channel, c.session, c.method, c.target, c.outcome, c.errorKind].some((v) =>
          String(v ?? '')
            .toLowerCase()
            .includes(needle),
        ),
    )
    .slice()
    .reverse();
  return html`<h2>Live traffic</h2>
    <div class="toolbar">
      <label class="switch">
        <input
          type="checkbox"
          checked=${capture === true}
          disabled=${capture === undefined}
          onChange=${toggle}
        />
        Capture payloads (redacted)
      </label>
      <${FilterBox} value=${filter} onChange=${setFilter} placeholder="method, tool, session…" />
      <span class=${live ? 'good' : 'bad'} role="status">${live ? '● live' : '○ reconnecting'}</span>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class=${selected === undefined ? 'inspector' : 'inspector open'}>
      <div class="scroll calls">
        <table class=${selected === undefined ? 'traffic' : 'traffic compact'}>
          <caption class="visually-hidden">
            Recent MCP calls, newest first; choose a time to see the call
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col" class="col-channel">Channel</th>
              <th scope="col" class="col-session">Session</th>
              <th scope="col">Method</th>
              <th scope="col">Tool / resource</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            ${
              shown.length === 0 &&
              html`<tr>
                <td colspan="7" class="muted">No calls yet. They appear here as they arrive.</td>
              </tr>`
            }
            ${shown.map(
              (c) =>
                html`<tr key=${c.id} class=${c.id === selected ? 'selected' : ''} data-call=${c.id}>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-label=${`Show call ${c.method} ${c.target ?? ''} at ${clock(c.time)}`}
                      onClick=${() => setSelected(c.id)}
                    >
                      ${clock(c.time)}
                    </button>
                  </td>
                  <td class="col-channel">${c.channel}</td>
                  <td class="col-session">
                    <code title=${c.session ?? ''}>${c.session ? c.session.slice(0, 8) : '—'}</code>
                  </td>
                  <td>${c.method}</td>
                  <td>${c.target ?? ''}</td>
                  <td class="num">${duration(c.durationMs)}</td>
                  <td class=${outcomeClass(c.outcome)}>
                    ${c.outcome ?? 'in flight'}${c.errorKind && c.outcome !== c.errorKind ? ` (${c.errorKind})` : ''}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${
        selected !== undefined &&
        html`<${Detail}
          id=${selected}
          outcome=${calls.find((c) => c.id === selected)?.outcome}
          onClose=${() => setSelected(undefined)}
        />`
      }
    </div>`;
}
