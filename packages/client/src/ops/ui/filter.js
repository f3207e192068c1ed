// The "Filter" search box the Live traffic and Logs tabs put in their toolbars.
import { html } from './api.js';

export function FilterBox({ value, onChange, placeholder }) {
  return html`
    <label>
      Filter
      <input
        type="search"
        value=${value}
        onInput=${(e) => onChange(e.currentTarget.value)}
        placeholder=${placeholder}
      />
    </label>
  `;
}
