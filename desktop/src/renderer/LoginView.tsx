// Login: server URL, username, password. Main does the HTTP login and keeps the refresh token in the keychain.
import { type FormEvent, useId, useState } from 'react';
import type { KeychainStatus, Session, Settings } from '../common/ipc';
import { desktop } from './desktop-api';

const explain = (code: string, message: string): string => {
  switch (code) {
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'rate_limited':
      return 'Too many attempts. Wait a moment and try again.';
    case 'invalid_input':
      return 'Check the server address, username and password.';
    default:
      return message;
  }
};

export function NoKeychainWarning() {
  return (
    <p className="warning" role="status">
      No keychain available: your login is kept for this session only and nothing is stored on this computer.
      You will need to log in again next time.
    </p>
  );
}

export function LoginView(props: {
  keychain: KeychainStatus;
  settings: Settings;
  notice: string | null;
  onLoggedIn: (session: Session, settings: Settings) => void;
}) {
  const [serverUrl, setServerUrl] = useState(props.settings.serverUrl);
  const [username, setUsername] = useState(props.settings.lastUsername ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const result = await desktop.login({ serverUrl, username: username.trim(), password });
    setBusy(false);
    if (!result.ok) {
      setError(explain(result.error.code, result.error.message));
      return;
    }
    setPassword('');
    const settings = await desktop.getSettings();
    props.onLoggedIn(result.data, settings.ok ? settings.data : props.settings);
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-describedby={error ? errorId : undefined}>
        <h1>Support Chat</h1>
        <p className="subtitle">Agent console</p>
        {props.notice && (
          <p className="notice" role="status">
            {props.notice}
          </p>
        )}
        {props.keychain === 'unavailable' && <NoKeychainWarning />}
        <label>
          Server
          <input
            type="url"
            name="server"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.target.value)}
            required
            autoComplete="url"
            spellCheck={false}
          />
        </label>
        <label>
          Username
          <input
            name="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoComplete="username"
            spellCheck={false}
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this screen is to log in
            autoFocus={!username}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
            // biome-ignore lint/a11y/noAutofocus: the username is remembered, so the password is next
            autoFocus={!!username}
          />
        </label>
        {error && (
          <p className="error" role="alert" id={errorId}>
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
