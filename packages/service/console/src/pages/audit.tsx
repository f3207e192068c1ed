import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { ErrorNote, Page, TableWrap, useLoad, when } from '../components/common.tsx';
import type { AuditEntry, List } from '../types.ts';

type Filters = { action: string; actor: string; outcome: string; since: string };

const query = (filters: Filters) => {
  const params = new URLSearchParams();
  if (filters.action) params.set('action', filters.action);
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.outcome) params.set('outcome', filters.outcome);
  if (filters.since) params.set('since', new Date(filters.since).toISOString());
  return params.toString();
};

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ action: '', actor: '', outcome: '', since: '' });
  const [filters, setFilters] = useState(draft);
  const entries = useLoad(
    () => call<List<AuditEntry>>('GET', `/v1/audit?${query(filters)}&limit=200`),
    [filters],
  );
  const set = (patch: Partial<Filters>) => setDraft({ ...draft, ...patch });
  return (
    <Page title="Audit log">
      <form
        class="card filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <div class="field">
          <label for="audit-action">Action</label>
          <input
            id="audit-action"
            placeholder="tunnel.create"
            value={draft.action}
            onInput={(e) => set({ action: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="audit-actor">Actor id</label>
          <input
            id="audit-actor"
            value={draft.actor}
            onInput={(e) => set({ actor: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="audit-outcome">Outcome</label>
          <select
            id="audit-outcome"
            value={draft.outcome}
            onChange={(e) => set({ outcome: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="allowed">Allowed</option>
            <option value="refused">Refused</option>
          </select>
        </div>
        <div class="field">
          <label for="audit-since">Since</label>
          <input
            id="audit-since"
            type="datetime-local"
            value={draft.since}
            onInput={(e) => set({ since: e.currentTarget.value })}
          />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <a class="button" href={`/v1/audit/export?${query(filters)}`} download="audit.jsonl">
            Export JSON lines
          </a>
        </div>
      </form>
      <ErrorNote error={entries.error} />
      <TableWrap label="Audit entries table">
        <table>
          <caption class="sr-only">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
              <th scope="col">IP</th>
            </tr>
          </thead>
          <tbody>
            {entries.data?.data.map((entry) => (
              <tr key={entry.id}>
                <td class="when">{when(entry.at)}</td>
                <td>{entry.actor.name}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td class="breakable">{entry.target ?? ''}</td>
                <td class={`breakable ${entry.outcome}`}>
                  {entry.outcome}
                  {entry.reason ? `: ${entry.reason}` : ''}
                </td>
                <td>{entry.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </Page>
  );
}
