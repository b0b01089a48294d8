/** Closing an alert: an outcome is required (DESIGN.md, "Alerts"), the note is optional. */
import type { Alert, Outcome, ResolveBody } from '@carecircle/protocol';
import { OUTCOMES } from '@carecircle/protocol';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../api/errorMessage';
import { alertSubject } from './alertSubject';

interface Props {
  alert: Alert;
  onConfirm(body: ResolveBody): Promise<void>;
  onClose(): void;
}

function isOutcome(value: string): value is Outcome {
  return (OUTCOMES as readonly string[]).includes(value);
}

export function ResolveDialog({ alert, onConfirm, onClose }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  // A modal <dialog> traps focus, closes on Escape and returns focus when it closes.
  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (outcome === '') return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm({ outcome, note: note.trim() });
      onClose();
    } catch (err) {
      setError(t('resolve.failed', { message: errorMessage(t, err) }));
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form onSubmit={(e) => void submit(e)}>
        <h2 id={`${id}-title`}>{t('resolve.title')}</h2>
        <p className="dialog__subject">
          <strong>{t(`alertKind.${alert.kind}`)}</strong> · {alertSubject(t, alert)}
        </p>
        <div className="field">
          <label htmlFor={`${id}-outcome`}>{t('resolve.outcome')}</label>
          <select
            id={`${id}-outcome`}
            data-testid="resolve-outcome"
            required
            value={outcome}
            onChange={(e) => setOutcome(isOutcome(e.target.value) ? e.target.value : '')}
          >
            <option value="" disabled>
              {t('resolve.chooseOutcome')}
            </option>
            {OUTCOMES.filter((o) => o !== 'device_recovered').map((o) => (
              <option key={o} value={o}>
                {t(`outcome.${o}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-note`}>{t('resolve.note')}</label>
          <p id={`${id}-note-hint`} className="field__hint">
            {t('resolve.noteHint')}
          </p>
          <textarea
            id={`${id}-note`}
            data-testid="resolve-note"
            rows={4}
            maxLength={2000}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            aria-describedby={`${id}-note-hint`}
          />
        </div>
        {error !== null && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button button--quiet" onClick={onClose} disabled={busy}>
            {t('resolve.cancel')}
          </button>
          <button type="submit" className="button button--primary" data-testid="resolve-confirm" disabled={busy}>
            {busy ? t('resolve.submitting') : t('resolve.confirm')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
