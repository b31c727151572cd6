import type { ApiError, User } from '@support-chat/protocol';
import type { ChatClient } from '@support-chat/protocol/client';
import { type FormEvent, useId, useRef, useState } from 'react';

type Mode = 'login' | 'register';
type Field = 'username' | 'email' | 'password';
type FieldErrors = Partial<Record<Field, string>>;

const FIELD_LABEL: Record<Field, string> = { username: 'Username', email: 'Email', password: 'Password' };

/** Turns a server error into one message per field plus an optional message for the whole form. */
function describe(error: ApiError, mode: Mode): { form: string | null; fields: FieldErrors } {
  switch (error.code) {
    case 'invalid_input': {
      const fields: FieldErrors = {};
      const other: string[] = [];
      for (const issue of error.issues ?? []) {
        const field = issue.path.split('.')[0] as Field;
        if (field in FIELD_LABEL) fields[field] ??= `${FIELD_LABEL[field]} ${issue.message}.`;
        else other.push(issue.message);
      }
      const form =
        other.length > 0
          ? other.join('. ')
          : Object.keys(fields).length === 0
            ? error.message
            : 'Please fix the fields marked below.';
      return { form, fields };
    }
    case 'invalid_credentials':
      return { form: 'Wrong username or password.', fields: {} };
    case 'username_taken':
      return {
        form: null,
        fields: {
          username: 'That username, or one that looks just like it, is already taken. Try another one.',
        },
      };
    case 'email_taken':
      return {
        form: null,
        fields: { email: 'An account with that email already exists. Log in instead?' },
      };
    case 'rate_limited': {
      const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000));
      const wait = seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} minutes`;
      return {
        form:
          mode === 'register'
            ? `Too many new accounts from your network. Try again in ${wait}.`
            : `Too many attempts. Wait ${wait}, then try again.`,
        fields: {},
      };
    }
    case 'unavailable':
      return {
        form: "We can't reach the support server right now. Check your connection, then try again.",
        fields: {},
      };
    default:
      return {
        form:
          mode === 'login'
            ? 'Logging in failed. Please try again.'
            : 'Creating your account failed. Please try again.',
        fields: {},
      };
  }
}

export function AuthScreen({
  client,
  notice,
  onLoggedIn,
}: {
  client: ChatClient;
  notice: string | null;
  onLoggedIn: (user: User) => void;
}) {
  const [mode, setMode] = useState<Mode>('login');
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const formRef = useRef<HTMLFormElement>(null);
  const id = useId();

  const switchMode = (next: Mode) => {
    setMode(next);
    setFormError(null);
    setFieldErrors({});
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    performance.mark('auth:submit');
    const data = new FormData(event.currentTarget);
    const value = (name: Field) => String(data.get(name) ?? '');
    const username = value('username').trim();
    const email = value('email').trim();
    const password = value('password');

    // Only emptiness is checked here; every other rule is the server's, shown as it explains it.
    const missing: FieldErrors = {};
    if (!username) missing.username = 'Enter your username.';
    if (mode === 'register' && !email) missing.email = 'Enter your email address.';
    if (!password) missing.password = 'Enter your password.';
    if (Object.keys(missing).length > 0) {
      setFieldErrors(missing);
      setFormError(null);
      focusFirstInvalid(missing);
      return;
    }

    setBusy(true);
    setFormError(null);
    setFieldErrors({});
    const result =
      mode === 'login'
        ? await client.login({ username, password })
        : await client.register({ username, email, password });
    setBusy(false);
    if (result.ok) {
      onLoggedIn(result.data.user);
      return;
    }
    const described = describe(result.error, mode);
    setFormError(described.form);
    setFieldErrors(described.fields);
    focusFirstInvalid(described.fields);
  };

  const focusFirstInvalid = (errors: FieldErrors) => {
    const first = (['username', 'email', 'password'] as const).find((f) => errors[f]);
    if (first)
      queueMicrotask(() => formRef.current?.querySelector<HTMLInputElement>(`[name="${first}"]`)?.focus());
  };

  const field = (name: Field, type: string, autoComplete: string, hint?: string) => {
    const error = fieldErrors[name];
    const errorId = `${id}-${name}-error`;
    const hintId = `${id}-${name}-hint`;
    const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field">
        <label htmlFor={`${id}-${name}`} className="field__label">
          {FIELD_LABEL[name]}
        </label>
        <input
          id={`${id}-${name}`}
          name={name}
          type={type}
          className="field__input"
          autoComplete={autoComplete}
          autoCapitalize="none"
          spellCheck={false}
          required
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
        />
        {hint && !error ? (
          <p id={hintId} className="field__hint">
            {hint}
          </p>
        ) : null}
        {error ? (
          <p id={errorId} className="field__error">
            {error}
          </p>
        ) : null}
      </div>
    );
  };

  const title = mode === 'login' ? 'Log in' : 'Create an account';
  return (
    <main className="auth">
      <div className="auth__brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="auth__brand-name">Support chat</span>
      </div>
      <div className="card auth__card">
        <h1 className="card__title">{title}</h1>
        <p className="card__subtitle">
          {mode === 'login'
            ? 'Welcome back. Log in to chat with our support team.'
            : 'Chat with our support team about billing, technical questions and more.'}
        </p>
        {notice ? (
          <p className="notice notice--info" role="status">
            {notice}
          </p>
        ) : null}
        {formError ? (
          <p className="notice notice--error" role="alert">
            {formError}
          </p>
        ) : null}
        <form
          ref={formRef}
          key={mode}
          noValidate
          onSubmit={(e) => void onSubmit(e)}
          aria-label={title}
          className="auth__form"
        >
          {field(
            'username',
            'text',
            'username',
            mode === 'register' ? '3-32 letters, digits, "_", "." or "-".' : undefined,
          )}
          {mode === 'register' ? field('email', 'email', 'email') : null}
          {field(
            'password',
            'password',
            mode === 'login' ? 'current-password' : 'new-password',
            mode === 'register' ? 'At least 8 characters.' : undefined,
          )}
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? (mode === 'login' ? 'Logging in…' : 'Creating account…') : title}
          </button>
        </form>
        <p className="auth__switch">
          {mode === 'login' ? 'New here?' : 'Already have an account?'}{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => switchMode(mode === 'login' ? 'register' : 'login')}
          >
            {mode === 'login' ? 'Create an account' : 'Log in'}
          </button>
        </p>
      </div>
    </main>
  );
}
