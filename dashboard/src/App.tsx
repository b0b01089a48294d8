/**
 * The session: ask the server who we are (the cookie decides), then show the login or the board.
 * A 401 from any later call means the session ended, and we return to the login with a notice.
 */
import type { MeResponse } from '@carecircle/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiContext } from './api/ApiContext';
import { createApiClient } from './api/client';
import { BoardPage } from './pages/BoardPage';
import { LoginPage } from './pages/LoginPage';

type Session = { kind: 'checking' } | { kind: 'signedOut'; expired: boolean } | { kind: 'signedIn'; me: MeResponse };

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<Session>({ kind: 'checking' });
  const [api] = useState(() =>
    createApiClient({
      onUnauthenticated: () => setSession((s) => (s.kind === 'signedIn' ? { kind: 'signedOut', expired: true } : s)),
    }),
  );

  useEffect(() => {
    let cancelled = false;
    api.me().then(
      (me) => {
        if (!cancelled) setSession({ kind: 'signedIn', me });
      },
      () => {
        if (!cancelled) setSession({ kind: 'signedOut', expired: false });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Already gone on the server, or unreachable: either way this page forgets the session.
    }
    setSession({ kind: 'signedOut', expired: false });
  }, [api]);

  return (
    <ApiContext value={api}>
      {session.kind === 'checking' && (
        <p className="page-loading" role="status">
          {t('app.loading')}
        </p>
      )}
      {session.kind === 'signedOut' && (
        <LoginPage expired={session.expired} onSignedIn={(me) => setSession({ kind: 'signedIn', me })} />
      )}
      {session.kind === 'signedIn' && <BoardPage me={session.me} onSignOut={signOut} />}
    </ApiContext>
  );
}
