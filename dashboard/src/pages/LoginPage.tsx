/** Sign-in. The server sets the session cookie; we then ask it who we are and which sites we see. */
import type { MeResponse } from '@carecircle/protocol';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { ApiError } from '../api/client';
import { errorMessage } from '../api/errorMessage';
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

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login({ username: username.trim(), password });
      onSignedIn(await api.me());
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'ERR_BAD_CREDENTIALS'
          ? t('login.badCredentials')
          : err instanceof ApiError && err.code === 'ERR_RATE_LIMITED'
            ? t('login.rateLimited')
            : errorMessage(t, err),
      );
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <header className="login-page__bar">
        <span className="brand">
          <span className="brand__mark" aria-hidden="true" />
          {t('app.name')}
        </span>
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
          <div className="field">
            <label htmlFor={`${ids}-username`}>{t('login.username')}</label>
            <input
              id={`${ids}-username`}
              data-testid="login-username"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={64}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-invalid={error !== null}
              aria-describedby={error === null ? undefined : errorId}
            />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-password`}>{t('login.password')}</label>
            <input
              id={`${ids}-password`}
              data-testid="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              maxLength={256}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={error !== null}
              aria-describedby={error === null ? undefined : errorId}
            />
          </div>
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
