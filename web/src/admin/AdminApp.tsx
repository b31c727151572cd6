// The owner console: sign-in, then one screen at a time chosen in the navigation (the hash keeps it on reload).
import type { Department } from '@support-chat/protocol';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { AdminApi } from './api';
import { Reports } from './Reports';
import { AgentsScreen, AuditScreen, CannedScreen, DepartmentsScreen, SitesScreen } from './screens';
import { Field, failureOf, Status } from './ui';

const SCREENS = [
  { id: 'reports', label: 'Reports' },
  { id: 'agents', label: 'Agents' },
  { id: 'departments', label: 'Departments' },
  { id: 'sites', label: 'Sites' },
  { id: 'canned', label: 'Canned replies' },
  { id: 'audit', label: 'Audit log' },
] as const;
type ScreenId = (typeof SCREENS)[number]['id'];

const screenOfHash = (): ScreenId => {
  const id = window.location.hash.replace(/^#\/?/, '');
  return SCREENS.find((s) => s.id === id)?.id ?? 'reports';
};

function Login(props: { api: AdminApi; onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.api.login(username, password);
      props.onSignedIn();
    } catch (err) {
      setError(failureOf(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Owner console</h1>
        <p className="muted">Sign in with an owner account.</p>
        <Field label="Username">
          {(p) => (
            <input
              {...p}
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
            />
          )}
        </Field>
        <Field label="Password">
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
        <Status message={error} kind="error" />
      </form>
    </main>
  );
}

export function AdminApp({ api }: { api: AdminApi }) {
  const [state, setState] = useState<'loading' | 'out' | 'in'>('loading');
  const [screen, setScreen] = useState<ScreenId>(screenOfHash);
  const [departments, setDepartments] = useState<Department[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);

  const loadDepartments = useCallback(async () => {
    const r = await api.call<{ departments: Department[] }>('GET', '/departments');
    setDepartments(r.departments);
  }, [api]);

  useEffect(() => {
    api.onSignedOut = () => setState('out');
    api.resume().then(
      (user) => setState(user ? 'in' : 'out'),
      () => setState('out'),
    );
    const onHash = () => setScreen(screenOfHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [api]);

  useEffect(() => {
    if (state === 'in') loadDepartments().catch(() => {});
  }, [state, loadDepartments]);

  // Moving to another screen moves the focus to its heading (screen readers hear where they are).
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each change of screen, by design
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [screen]);

  if (state === 'loading') return <p className="loading">Loading…</p>;
  if (state === 'out') return <Login api={api} onSignedIn={() => setState('in')} />;

  const current = SCREENS.find((s) => s.id === screen) ?? SCREENS[0];
  return (
    <div className="shell">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Owner console</span>
        <nav aria-label="Console">
          <ul>
            {SCREENS.map((s) => (
              <li key={s.id}>
                <a href={`#/${s.id}`} aria-current={s.id === screen ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <span className="muted">{api.user?.username}</span>
          <button
            type="button"
            onClick={async () => {
              await api.logout();
              setState('out');
            }}
          >
            Log out
          </button>
        </span>
      </header>
      <main id="content">
        <h1 ref={heading} tabIndex={-1}>
          {current.label}
        </h1>
        {screen === 'reports' && <Reports api={api} departments={departments} />}
        {screen === 'agents' && <AgentsScreen api={api} departments={departments} />}
        {screen === 'departments' && (
          <DepartmentsScreen api={api} departments={departments} reload={loadDepartments} />
        )}
        {screen === 'sites' && <SitesScreen api={api} departments={departments} />}
        {screen === 'canned' && <CannedScreen api={api} departments={departments} />}
        {screen === 'audit' && <AuditScreen api={api} />}
      </main>
    </div>
  );
}
