import { useState } from 'preact/hooks';
import { defang, punycodeNote } from '../format';

/**
 * An IOC value as an analyst must see it: attacker-written text, shown defanged (hxxp, [.]) as plain text — never a
 * link, never HTML — with a copy button that copies the real value. Long values are clipped by CSS, with the whole
 * value in a title. Internationalized domains show their punycode beside them.
 */
export function Value({ value, type }: { value: string; type?: string }) {
  const [copied, setCopied] = useState(false);
  const shown = defang(value, type);
  const puny = punycodeNote(value, type);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <span class="value">
      <code class="value-text" title={shown}>{shown}</code>
      {puny && <span class="puny"> ({puny})</span>}
      <button type="button" class="copy" onClick={copy} aria-label={`Copy ${type ?? 'value'}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
