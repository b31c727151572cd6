// Top level: the login view until main reports a session, then the console.
import type { ApiError } from '@support-chat/protocol';
import { useCallback, useEffect, useState } from 'react';
import type { KeychainStatus, Session, Settings } from '../common/ipc';
import { ConsoleView } from './ConsoleView';
import { desktop } from './desktop-api';
import { LoginView } from './LoginView';

type Phase =
  | { kind: 'starting' }
  | { kind: 'login'; keychain: KeychainStatus; settings: Settings; notice: string | null }
  | { kind: 'console'; session: Session; settings: Settings };

const restoreNotice = (error: ApiError | null): string | null => {
  if (!error) return null;
  if (error.code === 'unavailable') return `Could not log you in automatically: ${error.message}`;
  return 'Your saved login has expired. Please log in again.';
};

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'starting' });
  const [fatal, setFatal] = useState<string | null>(null);

  const toLogin = useCallback(async (notice: string | null) => {
    const [state, settings] = await Promise.all([desktop.getSession(), desktop.getSettings()]);
    if (!state.ok || !settings.ok) {
      setFatal('The app could not read its settings.');
      return;
    }
    if (state.data.session) {
      setPhase({ kind: 'console', session: state.data.session, settings: settings.data });
      return;
    }
    setPhase({
      kind: 'login',
      keychain: state.data.keychain,
      settings: settings.data,
      notice: notice ?? restoreNotice(state.data.restoreError),
    });
  }, []);

  useEffect(() => {
    void toLogin(null);
  }, [toLogin]);

  if (fatal) {
    return (
      <main className="centered">
        <p role="alert">{fatal}</p>
      </main>
    );
  }
  if (phase.kind === 'starting') {
    return (
      <main className="centered" aria-busy="true">
        <p>Starting…</p>
      </main>
    );
  }
  if (phase.kind === 'login') {
    return (
      <LoginView
        keychain={phase.keychain}
        settings={phase.settings}
        notice={phase.notice}
        onLoggedIn={(session, settings) => setPhase({ kind: 'console', session, settings })}
      />
    );
  }
  return (
    <ConsoleView
      key={`${phase.session.serverUrl}|${phase.session.user.id}`}
      session={phase.session}
      settings={phase.settings}
      onLoggedOut={(notice) => void toLogin(notice)}
    />
  );
}
