/**
 * A resident's care profile, edited by staff from the board: away or in hospital (which pauses the
 * rules that watch the home), the risk flags, and the resident's own rule settings over the site's.
 * A setting left empty inherits the site's value, which each field shows.
 */
import type { CareRules, Resident, ResidentCare } from '@carecircle/protocol';
import type { TFunction } from 'i18next';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { errorMessage } from '../api/errorMessage';
import {
  CARE_RULE_GROUPS,
  CARE_RULE_SPECS,
  type CareFormError,
  type CareFormValues,
  type CareRuleField,
  type CareRuleGroup,
  formatRuleValue,
  fromFormValues,
  isOverridden,
  PRESENCES,
  rangePartner,
  toFormValues,
} from '../state/careForm';

interface Props {
  resident: Resident;
  onClose(): void;
  /** The profile as loaded and as saved, e.g. for the tile's badges. */
  onCare?(residentId: string, care: ResidentCare): void;
  /** Where focus goes back to on close; the element focused on open when not given. */
  returnFocusTo?: HTMLElement | null;
}

type Load = { kind: 'loading' } | { kind: 'failed'; error: unknown } | { kind: 'ready'; site: CareRules };

const GROUPS = Object.keys(CARE_RULE_GROUPS) as CareRuleGroup[];

function fieldErrorText(t: TFunction, error: CareFormError): string {
  return t(`care.error.${error.reason}`, { limit: error.limit });
}

export function ResidentCareDialog({ resident, onClose, onCare, returnFocusTo }: Props) {
  const { t } = useTranslation();
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const firstControl = useRef<HTMLInputElement>(null);
  const retryButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const inputs = useRef(new Map<CareRuleField, HTMLInputElement>());
  const live = useRef(true);
  const onCareRef = useRef(onCare);
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [values, setValues] = useState<CareFormValues | null>(null);
  const [unreadable, setUnreadable] = useState<ReadonlySet<CareRuleField>>(new Set());
  const [fieldErrors, setFieldErrors] = useState<readonly CareFormError[]>([]);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  useEffect(() => {
    onCareRef.current = onCare;
  });

  // A modal <dialog> traps focus and closes on Escape; focus is handed back to the opener
  // explicitly, as a dialog taken out of the page does not do it itself.
  useEffect(() => {
    const element = dialog.current;
    const opener = returnFocusTo ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    live.current = true;
    if (element !== null && !element.open) element.showModal();
    return () => {
      live.current = false;
      element?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, [returnFocusTo]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: Retry loads again by changing `attempt`.
  useEffect(() => {
    let cancelled = false;
    setLoad({ kind: 'loading' });
    Promise.all([api.residentCare(resident.id), api.siteRules(resident.siteId)]).then(
      ([view, siteRules]) => {
        if (cancelled) return;
        setValues(toFormValues(view.care));
        setUnreadable(new Set());
        setFieldErrors([]);
        setLoad({ kind: 'ready', site: siteRules.effective });
        onCareRef.current?.(resident.id, view.care);
      },
      (err: unknown) => {
        if (!cancelled) setLoad({ kind: 'failed', error: err });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, resident.id, resident.siteId, attempt]);

  // Focus follows what the dialog shows: the first control, or Retry, or (while loading again) Cancel.
  const shown = load.kind;
  useEffect(() => {
    if (shown === 'ready') firstControl.current?.focus();
    else if (shown === 'failed') retryButton.current?.focus();
    else if (!dialog.current?.contains(document.activeElement)) cancelButton.current?.focus();
  }, [shown]);

  function update(change: (v: CareFormValues) => CareFormValues) {
    setValues((v) => (v === null ? v : change(v)));
  }

  function forgetErrors(field: CareRuleField) {
    const partner = rangePartner(field);
    setFieldErrors((errors) => errors.filter((e) => e.field !== field && e.field !== partner));
  }

  function setRule(field: CareRuleField, text: string, badInput: boolean) {
    update((v) => ({ ...v, rules: { ...v.rules, [field]: text } }));
    setUnreadable((set) => {
      if (set.has(field) === badInput) return set;
      const next = new Set(set);
      if (badInput) next.add(field);
      else next.delete(field);
      return next;
    });
    forgetErrors(field);
  }

  function inheritSite(field: CareRuleField) {
    setRule(field, '', false);
    const input = inputs.current.get(field);
    if (input !== undefined) {
      input.value = ''; // also clears text the browser could not read, which React cannot see
      input.focus();
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (values === null || load.kind !== 'ready' || busy) return;
    setSaveError(null);
    const result = fromFormValues(values, load.site, unreadable);
    if (!result.ok) {
      setFieldErrors(result.errors);
      const first = result.errors[0];
      if (first !== undefined) inputs.current.get(first.field)?.focus();
      return;
    }
    setFieldErrors([]);
    setBusy(true);
    try {
      const view = await api.setResidentCare(resident.id, result.care);
      onCareRef.current?.(resident.id, view.care);
      if (live.current) onClose();
    } catch (err) {
      setSaveError(t('care.saveFailed', { message: errorMessage(t, err) }));
      setBusy(false);
    }
  }

  const titleId = `${id}-title`;

  return (
    <dialog
      ref={dialog}
      className="dialog dialog--care"
      aria-labelledby={titleId}
      aria-busy={load.kind === 'loading' || busy}
      data-testid="care-dialog"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
      onClose={() => {
        // The browser may close it regardless (a repeated Escape): keep the page in step. The event
        // comes late, so one from a close that was followed by opening again is not a close.
        if (live.current && dialog.current?.open === false) onClose();
      }}
    >
      <h2 id={titleId}>{t('care.title', { name: resident.name })}</h2>
      {load.kind === 'loading' && (
        <>
          <p className="care__loading" role="status">
            {t('care.loading')}
          </p>
          <div className="dialog__actions">
            <button ref={cancelButton} type="button" className="button button--quiet" onClick={onClose}>
              {t('care.cancel')}
            </button>
          </div>
        </>
      )}
      {load.kind === 'failed' && (
        <>
          <p className="form-error" role="alert" data-testid="care-load-error">
            {t('care.loadFailed', { message: errorMessage(t, load.error) })}
          </p>
          <div className="dialog__actions">
            <button type="button" className="button button--quiet" onClick={onClose}>
              {t('care.cancel')}
            </button>
            <button
              ref={retryButton}
              type="button"
              className="button button--secondary"
              onClick={() => setAttempt((n) => n + 1)}
            >
              {t('care.retry')}
            </button>
          </div>
        </>
      )}
      {load.kind === 'ready' && values !== null && (
        <form className="care" noValidate onSubmit={(e) => void submit(e)}>
          <fieldset className="care__section" aria-describedby={`${id}-presence-hint`}>
            <legend>{t('care.status')}</legend>
            <div className="care__choices">
              {PRESENCES.map((presence) => (
                <label key={presence} className="care__choice">
                  <input
                    ref={presence === values.presence ? firstControl : undefined}
                    className="care__choice-input"
                    type="radio"
                    name={`${id}-presence`}
                    value={presence}
                    checked={values.presence === presence}
                    onChange={() => update((v) => ({ ...v, presence }))}
                    data-testid={`care-presence-${presence}`}
                  />
                  {t(`care.presence.${presence}`)}
                </label>
              ))}
            </div>
            <p id={`${id}-presence-hint`} className="field__hint">
              {t('care.presenceHint')}
            </p>
          </fieldset>

          <fieldset className="care__section">
            <legend>{t('care.risks')}</legend>
            <div className="care__choices care__choices--stacked">
              <label className="care__choice">
                <input
                  className="care__choice-input"
                  type="checkbox"
                  checked={values.wanderingRisk}
                  onChange={(e) => {
                    const wanderingRisk = e.currentTarget.checked;
                    update((v) => ({ ...v, wanderingRisk }));
                  }}
                  aria-describedby={`${id}-wandering-hint`}
                  data-testid="care-wandering"
                />
                {t('care.wanderingRisk')}
              </label>
              <p id={`${id}-wandering-hint`} className="field__hint care__choice-hint">
                {t('care.wanderingHint')}
              </p>
              <label className="care__choice">
                <input
                  className="care__choice-input"
                  type="checkbox"
                  checked={values.livesAlone}
                  onChange={(e) => {
                    const livesAlone = e.currentTarget.checked;
                    update((v) => ({ ...v, livesAlone }));
                  }}
                  data-testid="care-lives-alone"
                />
                {t('care.livesAlone')}
              </label>
            </div>
          </fieldset>

          <fieldset className="care__section">
            <legend>{t('care.rules')}</legend>
            <p className="field__hint">{t('care.rulesHint')}</p>
            {GROUPS.map((group) => (
              <fieldset key={group} className="care__group">
                <legend>{t(`care.group.${group}`)}</legend>
                <div className="care__rules">
                  {CARE_RULE_GROUPS[group].map((field) => (
                    <RuleField
                      key={field}
                      id={`${id}-${field}`}
                      field={field}
                      text={values.rules[field]}
                      overridden={isOverridden(values, field) || unreadable.has(field)}
                      siteValue={formatRuleValue(load.site[field])}
                      error={fieldErrors.find((e) => e.field === field)}
                      disabled={busy}
                      inputRef={(el) => {
                        if (el === null) inputs.current.delete(field);
                        else inputs.current.set(field, el);
                      }}
                      onChange={(text, badInput) => setRule(field, text, badInput)}
                      onUseSite={() => inheritSite(field)}
                    />
                  ))}
                </div>
              </fieldset>
            ))}
          </fieldset>

          {fieldErrors.length > 0 && (
            <div className="form-error" role="alert" data-testid="care-invalid">
              <p>{t('care.invalid')}</p>
              <ul className="care__error-list">
                {fieldErrors.map((e) => (
                  <li key={e.field}>
                    {t('care.fieldError', { field: t(`care.rule.${e.field}`), reason: fieldErrorText(t, e) })}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {saveError !== null && (
            <p className="form-error" role="alert" data-testid="care-error">
              {saveError}
            </p>
          )}
          <div className="dialog__actions care__actions">
            <button type="button" className="button button--quiet" onClick={onClose} disabled={busy}>
              {t('care.cancel')}
            </button>
            <button type="submit" className="button button--primary" data-testid="care-save" disabled={busy}>
              {busy ? t('care.saving') : t('care.save')}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}

interface RuleFieldProps {
  id: string;
  field: CareRuleField;
  text: string;
  overridden: boolean;
  siteValue: string;
  error: CareFormError | undefined;
  disabled: boolean;
  inputRef(el: HTMLInputElement | null): void;
  onChange(text: string, badInput: boolean): void;
  onUseSite(): void;
}

function RuleField({
  id,
  field,
  text,
  overridden,
  siteValue,
  error,
  disabled,
  inputRef,
  onChange,
  onUseSite,
}: RuleFieldProps) {
  const { t } = useTranslation();
  const spec = CARE_RULE_SPECS[field];
  const labelId = `${id}-label`;
  const hintId = `${id}-site`;
  const errorId = `${id}-error`;
  const numeric = spec.kind === 'number';
  return (
    <div className={overridden ? 'care-rule care-rule--own' : 'care-rule'}>
      <label id={labelId} className="care-rule__label" htmlFor={id}>
        {t(`care.rule.${field}`)}
      </label>
      <div className="care-rule__control">
        <input
          ref={inputRef}
          id={id}
          className="care-rule__input"
          type={spec.kind}
          inputMode={numeric ? (spec.integer ? 'numeric' : 'decimal') : undefined}
          min={numeric ? spec.min : undefined}
          max={numeric ? spec.max : undefined}
          step={numeric ? spec.step : 60}
          value={text}
          placeholder={siteValue}
          disabled={disabled}
          aria-invalid={error !== undefined}
          aria-describedby={error === undefined ? hintId : `${errorId} ${hintId}`}
          onChange={(e) => onChange(e.currentTarget.value, e.currentTarget.validity.badInput)}
          data-testid={`care-rule-${field}`}
        />
        {overridden && (
          <button
            type="button"
            className="button button--quiet care-rule__reset"
            onClick={onUseSite}
            disabled={disabled}
            aria-describedby={labelId}
            data-testid={`care-use-site-${field}`}
          >
            {t('care.useSite')}
          </button>
        )}
      </div>
      <p id={hintId} className="care-rule__site">
        {t('care.siteValue', { value: siteValue })}
        {overridden && <span className="care-rule__own"> · {t('care.ownValue')}</span>}
      </p>
      {error !== undefined && (
        <p id={errorId} className="care-rule__error">
          {fieldErrorText(t, error)}
        </p>
      )}
    </div>
  );
}
