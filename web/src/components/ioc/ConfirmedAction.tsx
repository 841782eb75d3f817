import { useState } from 'preact/hooks';
import { ApiError } from '../../api';

/**
 * An analyst action with a reason and a confirmation step (revoke, allow-list): the reason is typed first, then the
 * action is confirmed in the page (no window.confirm: a dialog is easy to click through and blocks the page).
 */
export function ConfirmedAction(props: {
  id: string;
  label: string;
  /** What confirming does, in words, shown before the confirm button. */
  consequence: string;
  reasonHint: string;
  run: (reason: string) => Promise<string>;
}) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();

  const reset = () => {
    setOpen(false);
    setConfirming(false);
    setReason('');
    setError(undefined);
  };

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const message = await props.run(reason.trim());
      reset();
      setDone(message);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The server could not be reached.');
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  if (!open) {
    return (
      <div class="action">
        <button type="button" class="danger" onClick={() => { setOpen(true); setDone(undefined); }}>{props.label}…</button>
        {done && <p role="status" class="ok">{done}</p>}
      </div>
    );
  }
  return (
    <form
      class="action open"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) setConfirming(true);
      }}
    >
      <label for={`${props.id}-reason`}>Reason</label>
      <input
        id={`${props.id}-reason`}
        value={reason}
        required
        maxLength={500}
        disabled={confirming}
        placeholder={props.reasonHint}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      {!confirming ? (
        <div class="actions">
          <button type="submit" class="danger">{props.label}</button>
          <button type="button" onClick={reset}>Cancel</button>
        </div>
      ) : (
        <div class="ioc-confirm" role="group" aria-labelledby={`${props.id}-confirm`}>
          <p id={`${props.id}-confirm`}>{props.consequence}</p>
          <button type="button" class="danger" disabled={busy} onClick={() => void confirm()} ref={(b) => b?.focus()}>
            {busy ? 'Working…' : `Confirm: ${props.label.toLowerCase()}`}
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Back</button>
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
