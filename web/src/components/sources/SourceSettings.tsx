import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api';
import { errorText } from '../admin/common';
import type { Source } from './types';

type Patch = { enabled?: boolean | null; schedule?: string | null; api_key?: string | null };

/**
 * A source's settings (admin): enabled, schedule and provider key, sent with PATCH /api/v1/sources/{id} (only the
 * fields changed). The key field is a password input that starts empty every time: the key is never shown back, the
 * page only says whether one is set and where from. null on a field goes back to the configuration file's value.
 */
export function SourceSettings({ source, onSaved }: { source: Source; onSaved: (s: Source) => void }) {
  const [schedule, setSchedule] = useState(source.schedule);
  const [apiKey, setApiKey] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setSchedule(source.schedule);
    setApiKey('');
  }, [source.id]);

  const send = async (patch: Patch, done: string) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const s = await api<Source>(`sources/${encodeURIComponent(source.id)}`, { method: 'PATCH', body: patch });
      onSaved(s);
      setSchedule(s.schedule);
      setMessage(done);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const fromApi = (f: 'enabled' | 'schedule' | 'api_key') => source.set_by_api?.includes(f) ?? false;
  const idp = `src-${source.id}`;

  return (
    <form class="source-settings" onSubmit={(e) => e.preventDefault()} aria-label={`Settings of ${source.name}`}>
      <fieldset>
        <legend>Enabled</legend>
        <p>
          {source.enabled ? 'Enabled' : 'Disabled'}
          {source.status_reason ? ` (${source.status_reason})` : ''}
          {fromApi('enabled') ? ' — set over the API' : ''}
        </p>
        <button type="button" disabled={busy} onClick={() => send({ enabled: !source.enabled }, source.enabled ? 'Disabled.' : 'Enabled.')}>
          {source.enabled ? 'Disable' : 'Enable'}
        </button>{' '}
        {fromApi('enabled') && (
          <button type="button" disabled={busy} onClick={() => send({ enabled: null }, 'Back to the configuration file.')}>
            Use the configuration file
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Schedule</legend>
        <label for={`${idp}-schedule`}>Every (15m, 6h, 1d; at least 1m)</label>{' '}
        <input id={`${idp}-schedule`} value={schedule} size={8} maxLength={16} spellcheck={false} onInput={(e) => setSchedule(e.currentTarget.value)} />{' '}
        <button type="button" disabled={busy || schedule.trim() === '' || schedule.trim() === source.schedule} onClick={() => send({ schedule: schedule.trim() }, 'Schedule saved.')}>
          Save schedule
        </button>{' '}
        {fromApi('schedule') && (
          <button type="button" disabled={busy} onClick={() => send({ schedule: null }, 'Schedule back to the configuration file.')}>
            Use the configuration file
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Provider API key</legend>
        <p>{source.api_key_set ? `A key is set (from ${source.api_key_from ?? 'unknown'}). It is never shown.` : 'No key is set.'}</p>
        {source.api_key_from === 'env' && <p class="hint">A key in the environment wins over one set here.</p>}
        <label for={`${idp}-key`}>New key</label>{' '}
        <input id={`${idp}-key`} type="password" autocomplete="off" spellcheck={false} maxLength={1024} value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} />{' '}
        <button
          type="button"
          disabled={busy || apiKey === ''}
          onClick={() => {
            const k = apiKey;
            setApiKey('');
            void send({ api_key: k }, 'Key saved.');
          }}
        >
          Set key
        </button>{' '}
        {fromApi('api_key') && (
          <button type="button" disabled={busy} onClick={() => send({ api_key: null }, 'Key cleared.')}>
            Clear key
          </button>
        )}
      </fieldset>
      <div role="status">{message}</div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
