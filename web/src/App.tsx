import type { User } from '@support-chat/protocol';
import type { ChatClient } from '@support-chat/protocol/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { AuthScreen } from './AuthScreen';
import { ChatScreen } from './ChatScreen';

type Screen =
  | { kind: 'resuming' }
  | { kind: 'unreachable' }
  | { kind: 'auth'; notice: string | null }
  | { kind: 'chat'; user: User };

export function App({ client }: { client: ChatClient }) {
  const [screen, setScreen] = useState<Screen>({ kind: 'resuming' });

  // A reload keeps the session through the HttpOnly refresh cookie; nothing is kept in web storage.
  const resume = useCallback(
    async (quiet = false) => {
      if (!quiet) setScreen({ kind: 'resuming' });
      const result = await client.resume();
      if (result.ok) setScreen({ kind: 'chat', user: result.data.user });
      else if (result.error.code === 'unavailable' || result.error.code === 'internal_error')
        setScreen({ kind: 'unreachable' });
      else setScreen({ kind: 'auth', notice: null });
    },
    [client],
  );

  // Once per page load: two concurrent refreshes would spend the same refresh token twice.
  const resumed = useRef(false);
  useEffect(() => {
    if (resumed.current) return;
    resumed.current = true;
    void resume();
  }, [resume]);

  // While the server is unreachable, keep trying quietly; the button is there for the impatient.
  useEffect(() => {
    if (screen.kind !== 'unreachable') return;
    const timer = setTimeout(() => void resume(true), 5000);
    return () => clearTimeout(timer);
  }, [screen, resume]);

  const onLoggedIn = useCallback((user: User) => setScreen({ kind: 'chat', user }), []);
  const onLoggedOut = useCallback((notice: string | null) => setScreen({ kind: 'auth', notice }), []);

  switch (screen.kind) {
    case 'resuming':
      return (
        <main className="center-screen">
          <p className="loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Loading…
          </p>
        </main>
      );
    case 'unreachable':
      return (
        <main className="center-screen">
          <div className="card card--narrow">
            <h1 className="card__title">Support chat</h1>
            <p role="alert">
              We can't reach the support server right now. We'll keep trying; you can also try again now.
            </p>
            <button type="button" className="button button--primary" onClick={() => void resume()}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'auth':
      return <AuthScreen client={client} notice={screen.notice} onLoggedIn={onLoggedIn} />;
    case 'chat':
      return <ChatScreen client={client} user={screen.user} onLoggedOut={onLoggedOut} />;
  }
}
