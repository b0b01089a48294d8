/** Sign-in. The server sets the session cookie; we then ask it who we are and which sites we see. */
import type { MeResponse } from '@carecircle/protocol';
import type { TFunction } from 'i18next';
import { type FormEvent, type InputHTMLAttributes, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { ApiError } from '../api/client';
import { errorMessage } from '../api/errorMessage';
import { Brand } from '../components/Brand';
import { LanguageSwitch } from '../components/LanguageSwitch';

interface Props {
  /** The previous session ended on its own (a 401 while signed in). */
  expired: boolean;
  onSignedIn(me: MeResponse): void;
}

export function LoginPage({ expired, onSignedIn }: Props) {
  const { t } = useTranslation();
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const errorId = `${ids}-error`;
  // Both fields point at the one error message below them.
  const validity = { 'aria-invalid': error !== null, 'aria-describedby': error === null ? undefined : errorId };

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login({ username: username.trim(), password });
      onSignedIn(await api.me());
    } catch (err) {
      setError(loginErrorMessage(t, err));
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <header className="login-page__bar">
        <Brand />
        <LanguageSwitch />
      </header>
      <main className="login-card">
        <h1>{t('login.title')}</h1>
        <p className="muted">{t('login.intro')}</p>
        {expired && error === null && (
          <p className="notice" role="status">
            {t('login.sessionExpired')}
          </p>
        )}
        <form onSubmit={(e) => void submit(e)}>
          <TextField
            id={`${ids}-username`}
            label={t('login.username')}
            data-testid="login-username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            value={username}
            onValue={setUsername}
            {...validity}
          />
          <TextField
            id={`${ids}-password`}
            label={t('login.password')}
            data-testid="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            maxLength={256}
            value={password}
            onValue={setPassword}
            {...validity}
          />
          {error !== null && (
            <p id={errorId} className="form-error" role="alert" data-testid="login-error">
              {error}
            </p>
          )}
          <button
            type="submit"
            className="button button--primary button--block"
            data-testid="login-submit"
            disabled={busy}
          >
            {busy ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
        <p className="muted login-card__tagline">{t('app.tagline')}</p>
      </main>
    </div>
  );
}

/** The two sign-in failures worth their own words; anything else as `errorMessage` puts it. */
function loginErrorMessage(t: TFunction, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'ERR_BAD_CREDENTIALS') return t('login.badCredentials');
    if (err.code === 'ERR_RATE_LIMITED') return t('login.rateLimited');
  }
  return errorMessage(t, err);
}

type TextFieldProps = { id: string; label: string; onValue(value: string): void } & Omit<
  InputHTMLAttributes<HTMLInputElement>,
  'id' | 'onChange'
>;

/** A labelled, required text input. */
function TextField({ id, label, onValue, ...input }: TextFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} required {...input} onChange={(e) => onValue(e.target.value)} />
    </div>
  );
}
