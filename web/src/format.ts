/**
 * Display helpers. Values are attacker-written: these only transform text, and the result is always rendered as a
 * text node (Preact escapes it); no function here produces HTML or a URL to follow.
 */

/** The defanged form analysts share: hxxp(s)://, [.] in hosts, [@] in emails, [:] in IPv6 is not needed. */
export function defang(value: string, type?: string): string {
  switch (type) {
    case 'url': {
      const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([\s\S]*)$/i.exec(value);
      if (!m) return value;
      return `${m[1]!.replace(/^http/i, 'hxxp')}://${m[2]!.replace(/\./g, '[.]')}${m[3]}`;
    }
    case 'domain':
    case 'ipv4':
      return value.replace(/\./g, '[.]');
    case 'email':
      return value.replace('@', '[@]').replace(/\./g, '[.]');
    default:
      return value;
  }
}

/** For a domain (or a URL or email on one) with non-ASCII letters: its punycode (ASCII) form, else undefined. */
export function punycodeNote(value: string, type?: string): string | undefined {
  if (!/[^\x00-\x7f]/.test(value)) return undefined;
  try {
    if (type === 'domain') return new URL(`http://${value}/`).hostname;
    if (type === 'url') return new URL(value).hostname;
    if (type === 'email') return new URL(`http://${value.slice(value.lastIndexOf('@') + 1)}/`).hostname;
  } catch {
    return undefined;
  }
  return undefined;
}

export function fmtNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** An ISO time as `2026-05-17 12:00 UTC`. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long ago, roughly: `5 min`, `3 h`, `2 d`. */
export function fmtAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '—';
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}
