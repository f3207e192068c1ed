// The tunnel-client console: one page, five tabs, data from /api/*.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, usePoll } from './api.js';
import { Channels } from './channels.js';
import { Logs } from './logs.js';
import { Metrics } from './metrics.js';
import { Overview } from './overview.js';
import { Traffic } from './traffic.js';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'channels', label: 'Channels' },
  { id: 'traffic', label: 'Live traffic' },
  { id: 'logs', label: 'Logs' },
  { id: 'metrics', label: 'Metrics' },
];

function tabFromHash() {
  const id = location.hash.slice(1);
  return TABS.some((t) => t.id === id) ? id : 'overview';
}

/** WAI-ARIA tabs: arrow keys, Home and End move between tabs; the URL hash keeps the choice. */
function TabList({ selected, select }) {
  const refs = useRef({});
  const onKeyDown = (event) => {
    const at = TABS.findIndex((t) => t.id === selected);
    const to = {
      ArrowRight: (at + 1) % TABS.length,
      ArrowLeft: (at - 1 + TABS.length) % TABS.length,
      Home: 0,
      End: TABS.length - 1,
    }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select(TABS[to].id);
    refs.current[TABS[to].id]?.focus();
  };
  return html`<div role="tablist" aria-label="Console sections" class="tabs" onKeyDown=${onKeyDown}>
    ${TABS.map(
      (tab) =>
        html`<button
          role="tab"
          id=${`tab-${tab.id}`}
          aria-controls=${`panel-${tab.id}`}
          aria-selected=${tab.id === selected ? 'true' : 'false'}
          tabindex=${tab.id === selected ? 0 : -1}
          ref=${(el) => (refs.current[tab.id] = el)}
          onClick=${() => select(tab.id)}
        >
          ${tab.label}
        </button>`,
    )}
  </div>`;
}

function App() {
  const [selected, setSelected] = useState(tabFromHash);
  const [status, statusError] = usePoll('/api/status', 2000);
  useEffect(() => {
    const onHash = () => setSelected(tabFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const select = (id) => {
    history.replaceState(null, '', `#${id}`);
    setSelected(id);
  };
  const ready = status?.readiness.ready;
  const Panel = { overview: Overview, channels: Channels, traffic: Traffic, logs: Logs, metrics: Metrics }[
    selected
  ];
  return html`<header class="top">
      <h1>tunnel-client</h1>
      <span class=${`badge ${ready ? 'good' : 'bad'}`} role="status">
        ${status === undefined ? 'connecting…' : ready ? 'ready' : 'not ready'}
      </span>
      <code class="tunnel">${status?.tunnel_name ?? ''} ${status?.tunnel_id ?? ''}</code>
    </header>
    ${statusError && html`<p class="error" role="alert">Cannot reach the client: ${statusError}</p>`}
    <${TabList} selected=${selected} select=${select} />
    <main id=${`panel-${selected}`} role="tabpanel" aria-labelledby=${`tab-${selected}`} tabindex="0">
      <${Panel} status=${status} />
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
