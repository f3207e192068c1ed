// Logs: the client's recent log lines, the live log level, and the support bundle download.
import { useEffect, useState } from 'preact/hooks';
import { getJson, html, useSetting } from './api.js';
import { FilterBox } from './filter.js';
import { LEVEL_NAMES, LEVEL_VALUES, clock } from './format.js';

const KEEP = 2000;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** New lines every 1.5 s (the server returns only those after the last one seen). */
function useLogLines() {
  const [lines, setLines] = useState([]);
  const [available, setAvailable] = useState(true);
  useEffect(() => {
    let after = 0;
    let stopped = false;
    const load = () =>
      getJson(`/api/logs?after=${after}`).then(
        (body) => {
          if (stopped) return;
          setAvailable(body.available);
          if (body.lines.length === 0) return;
          after = body.lines[body.lines.length - 1].seq;
          setLines((old) => [...old, ...body.lines].slice(-KEEP));
        },
        () => {},
      );
    load();
    const timer = setInterval(load, 1500);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return [lines, available];
}

function LevelSwitch() {
  const [level, setLevel, error] = useSetting('/api/log-level', 'level');
  const change = (event) => setLevel(event.currentTarget.value);
  return html`<label>
      Client log level
      <select id="log-level" value=${level ?? ''} disabled=${level === undefined} onChange=${change}>
        ${LEVELS.map((l) => html`<option value=${l}>${l}</option>`)}
      </select>
    </label>
    ${error && html`<span class="error" role="alert">${error}</span>`}`;
}

function Export() {
  const [minutes, setMinutes] = useState(15);
  return html`<form class="export" onSubmit=${(e) => e.preventDefault()}>
    <label>
      Support bundle of the last
      <input
        type="number"
        min="1"
        max="1440"
        value=${minutes}
        onInput=${(e) => setMinutes(e.currentTarget.value)}
      />
      ${' minutes'}
    </label>
    <a class="button" href=${`/api/logs/export?minutes=${encodeURIComponent(minutes)}`} download id="export">
      Download support bundle
    </a>
  </form>`;
}

export function Logs() {
  const [lines, available] = useLogLines();
  const [minLevel, setMinLevel] = useState('trace');
  const [text, setText] = useState('');
  const needle = text.trim().toLowerCase();
  const shown = lines
    .filter((l) => l.level >= LEVEL_VALUES[minLevel] && (!needle || l.line.toLowerCase().includes(needle)))
    .slice(-500)
    .reverse();
  return html`<h2>Logs</h2>
    <div class="toolbar">
      <${LevelSwitch} />
      <label>
        Show from
        <select value=${minLevel} onChange=${(e) => setMinLevel(e.currentTarget.value)}>
          ${LEVELS.slice(0, 6).map((l) => html`<option value=${l}>${l}</option>`)}
        </select>
      </label>
      <${FilterBox} value=${text} onChange=${setText} placeholder="text in the line" />
    </div>
    <${Export} />
    ${
      !available &&
      html`<p class="muted">This client logs through a logger it was handed, so no lines are kept here.</p>`
    }
    <ol class="log" aria-label="Log lines, newest first" tabindex="0">
      ${shown.map(
        (l) =>
          html`<li key=${l.seq} class=${`level-${LEVEL_NAMES[l.level] ?? 'info'}`}>
            <details>
              <summary>
                <time>${clock(l.time)}</time> <span class="level">${LEVEL_NAMES[l.level] ?? l.level}</span>
                <span class="msg">${l.msg}</span>
              </summary>
              <pre>${l.line}</pre>
            </details>
          </li>`,
      )}
    </ol>`;
}
