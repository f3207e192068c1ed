// Small helpers around the console's JSON API (same origin; see ops/console-routes.ts).
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

async function answer(response, path) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path} answered ${response.status}`);
  return body;
}

export async function getJson(path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' } }), path);
}

/** Changes go as JSON: the server refuses anything else, so that pages elsewhere cannot send them. */
export async function putJson(path, body) {
  const response = await fetch(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return answer(response, path);
}

/** Fetches `path` now and every `ms` milliseconds; returns [data, error]. */
export function usePoll(path, ms) {
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      getJson(path).then(
        (body) => !stopped && (setData(body), setError(undefined)),
        (err) => !stopped && setError(err.message),
      );
    load();
    const timer = setInterval(load, ms);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [path, ms]);
  return [data, error];
}

/**
 * A setting the API reads with GET `path` and changes with PUT `{ [field]: value }`; returns
 * [value, change, error]. A change shows at once (a page that re-renders while the PUT is on its way
 * must not flip it back) and falls back to the previous value when the server refuses it.
 */
export function useSetting(path, field) {
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    getJson(path).then(
      (body) => setValue(body[field]),
      (err) => setError(err.message),
    );
  }, [path, field]);
  const change = (wanted) => {
    const before = value;
    setValue(wanted);
    putJson(path, { [field]: wanted }).then(
      (body) => (setValue(body[field]), setError(undefined)),
      (err) => (setValue(before), setError(err.message)),
    );
  };
  return [value, change, error];
}
