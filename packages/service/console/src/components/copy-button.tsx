import { useState } from 'preact/hooks';

/** Copies `text` to the clipboard and says so; where the clipboard is refused, says to copy by hand. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('Copied');
    } catch {
      setStatus('Copy refused by the browser: select the text and copy it');
    }
    setTimeout(() => setStatus(''), 4000);
  };
  return (
    <span class="copy">
      <button type="button" class="small" aria-label={label} onClick={copy}>
        Copy
      </button>
      <span role="status" class="hint">
        {status}
      </span>
    </span>
  );
}

/** A value shown in full (ids, links, secrets once), selectable, with its copy button. */
export function CopyField({ value, label }: { value: string; label: string }) {
  return (
    <span class="copy-field">
      <code class="value">{value}</code>
      <CopyButton text={value} label={`Copy ${label}`} />
    </span>
  );
}
