// The console's management screens: agents, departments, sites of the widget, canned replies, the audit log. Every
// form checks its input with the API's own schemas (protocol adminSchemas) before sending, so the messages match.
import {
  type AdminAgent,
  type AdminSite,
  type AuditEntry,
  adminSchemas,
  type CannedReply,
  type Department,
} from '@support-chat/protocol';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AdminApi } from './api';
import { DepartmentPicker, Field, type FieldErrors, failureOf, parseForm, Status } from './ui';

interface ScreenProps {
  api: AdminApi;
  departments: Department[];
}

/** Runs a form's call: field errors and a message on failure, a status message on success. */
function useSubmit() {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const run = useCallback(async (call: () => Promise<string>) => {
    setMessage(null);
    try {
      const done = await call();
      setErrors({});
      setMessage({ text: done, kind: 'ok' });
      return true;
    } catch (err) {
      const f = failureOf(err);
      setErrors(f.errors);
      setMessage({ text: f.message, kind: 'error' });
      return false;
    }
  }, []);
  const invalid = (e: FieldErrors) => {
    setErrors(e);
    setMessage({ text: 'Check the fields marked in red.', kind: 'error' });
  };
  return { errors, message, run, invalid };
}

const deptName = (departments: Department[], id: string) => departments.find((d) => d.id === id)?.name ?? id;

// ---- agents ----

export function AgentsScreen({ api, departments }: ScreenProps) {
  const [agents, setAgents] = useState<AdminAgent[]>([]);
  const [form, setForm] = useState({ username: '', email: '', password: '', departments: [] as string[] });
  const create = useSubmit();
  const row = useSubmit();
  const load = useCallback(async () => {
    setAgents((await api.call<{ agents: AdminAgent[] }>('GET', '/agents')).agents);
  }, [api]);
  useEffect(() => {
    load().catch(() => {});
  }, [load]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.CreateAgentBody, form);
    if (!parsed.ok) return create.invalid(parsed.errors);
    const ok = await create.run(async () => {
      await api.call('POST', '/agents', parsed.data);
      return `Agent ${parsed.data.username} created. They can log in to the desktop app now.`;
    });
    if (ok) {
      setForm({ username: '', email: '', password: '', departments: [] });
      await load();
    }
  };

  const act = (agent: AdminAgent, path: string, body: unknown, done: string, method = 'POST') =>
    row.run(async () => {
      await api.call(method, `/agents/${agent.id}/${path}`, body);
      await load();
      return done;
    });

  return (
    <>
      <section className="card" aria-labelledby="new-agent">
        <h2 id="new-agent">New agent</h2>
        <form onSubmit={submit} noValidate className="grid-form">
          <Field label="Username" error={create.errors.username}>
            {(p) => (
              <input
                {...p}
                autoComplete="off"
                value={form.username}
                onChange={(e) => setForm({ ...form, username: e.target.value })}
              />
            )}
          </Field>
          <Field label="Email" error={create.errors.email}>
            {(p) => (
              <input
                {...p}
                type="email"
                autoComplete="off"
                value={form.email}
                onChange={(e) => setForm({ ...form, email: e.target.value })}
              />
            )}
          </Field>
          <Field
            label="Password"
            error={create.errors.password}
            hint="At least 8 characters; give it to the agent."
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                value={form.password}
                onChange={(e) => setForm({ ...form, password: e.target.value })}
              />
            )}
          </Field>
          <DepartmentPicker
            legend="Departments"
            departments={departments}
            value={form.departments}
            onChange={(ids) => setForm({ ...form, departments: ids })}
            error={create.errors.departments}
          />
          <div className="actions">
            <button type="submit" className="primary">
              Create agent
            </button>
          </div>
        </form>
        <Status message={create.message?.text ?? null} kind={create.message?.kind} />
      </section>

      <section aria-labelledby="agent-list">
        <h2 id="agent-list">Agents ({agents.length})</h2>
        <Status message={row.message?.text ?? null} kind={row.message?.kind} />
        {agents.length === 0 && <p className="muted">No agents yet.</p>}
        <ul className="cards">
          {agents.map((a) => (
            <AgentCard key={a.id} agent={a} departments={departments} act={act} />
          ))}
        </ul>
      </section>
    </>
  );
}

function AgentCard(props: {
  agent: AdminAgent;
  departments: Department[];
  act: (a: AdminAgent, path: string, body: unknown, done: string, method?: string) => Promise<boolean>;
}) {
  const { agent, departments, act } = props;
  const [editing, setEditing] = useState<'password' | 'departments' | null>(null);
  const [password, setPassword] = useState('');
  const [chosen, setChosen] = useState(agent.departments);
  const [error, setError] = useState<string | undefined>();
  const name = agent.username;

  const savePassword = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.ResetPasswordBody, { password });
    if (!parsed.ok) return setError(parsed.errors.password);
    setError(undefined);
    if (await act(agent, 'password', parsed.data, `Password of ${name} reset; their sessions were ended.`)) {
      setPassword('');
      setEditing(null);
    }
  };
  const saveDepartments = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.AgentDepartmentsBody, { departments: chosen });
    if (!parsed.ok) return setError(parsed.errors.departments);
    setError(undefined);
    if (await act(agent, 'departments', parsed.data, `Departments of ${name} saved.`, 'PUT'))
      setEditing(null);
  };

  return (
    <li className="card agent" aria-label={name}>
      <div className="row-head">
        <h3>{name}</h3>
        <span className={`badge ${agent.disabled ? 'off' : 'on'}`}>
          {agent.disabled ? 'Disabled' : 'Active'}
        </span>
      </div>
      <p className="muted">{agent.email}</p>
      <p>{agent.departments.map((d) => deptName(departments, d)).join(', ')}</p>
      <div className="actions">
        {agent.disabled ? (
          <button type="button" onClick={() => act(agent, 'enable', {}, `${name} can log in again.`)}>
            Enable {name}
          </button>
        ) : (
          <button
            type="button"
            className="danger"
            onClick={() =>
              act(agent, 'disable', {}, `${name} is disabled; their sessions end within seconds.`)
            }
          >
            Disable {name}
          </button>
        )}
        <button
          type="button"
          aria-expanded={editing === 'password'}
          onClick={() => setEditing(editing === 'password' ? null : 'password')}
        >
          Reset password
        </button>
        <button
          type="button"
          aria-expanded={editing === 'departments'}
          onClick={() => setEditing(editing === 'departments' ? null : 'departments')}
        >
          Change departments
        </button>
      </div>
      {editing === 'password' && (
        <form onSubmit={savePassword} noValidate className="inline-form">
          <Field label={`New password for ${name}`} error={error}>
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="primary">
            Save password
          </button>
        </form>
      )}
      {editing === 'departments' && (
        <form onSubmit={saveDepartments} noValidate className="inline-form">
          <DepartmentPicker
            legend={`Departments of ${name}`}
            departments={departments}
            value={chosen}
            onChange={setChosen}
            error={error}
          />
          <button type="submit" className="primary">
            Save departments
          </button>
        </form>
      )}
    </li>
  );
}

// ---- departments ----

export function DepartmentsScreen({
  api,
  departments,
  reload,
}: ScreenProps & { reload: () => Promise<void> }) {
  const [form, setForm] = useState({ id: '', name: '' });
  const create = useSubmit();
  const rename = useSubmit();
  const [names, setNames] = useState<Record<string, string>>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.CreateDepartmentBody, form);
    if (!parsed.ok) return create.invalid(parsed.errors);
    if (
      await create.run(async () => {
        await api.call('POST', '/departments', parsed.data);
        await reload();
        return `Department ${parsed.data.name} created.`;
      })
    )
      setForm({ id: '', name: '' });
  };
  const saveName = async (e: FormEvent, d: Department) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.RenameDepartmentBody, { name: names[d.id] ?? d.name });
    if (!parsed.ok) return rename.invalid({ [d.id]: parsed.errors.name ?? 'Invalid name' });
    await rename.run(async () => {
      await api.call('PATCH', `/departments/${d.id}`, parsed.data);
      await reload();
      return `Department ${d.id} renamed to ${parsed.data.name}.`;
    });
  };

  return (
    <>
      <section className="card" aria-labelledby="new-department">
        <h2 id="new-department">New department</h2>
        <form onSubmit={submit} noValidate className="grid-form">
          <Field
            label="Id"
            error={create.errors.id}
            hint="Lowercase letters, digits and dashes; it never changes."
          >
            {(p) => (
              <input {...p} value={form.id} onChange={(e) => setForm({ ...form, id: e.target.value })} />
            )}
          </Field>
          <Field label="Name" error={create.errors.name}>
            {(p) => (
              <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="primary">
              Create department
            </button>
          </div>
        </form>
        <Status message={create.message?.text ?? null} kind={create.message?.kind} />
      </section>
      <section aria-labelledby="department-list">
        <h2 id="department-list">Departments ({departments.length})</h2>
        <Status message={rename.message?.text ?? null} kind={rename.message?.kind} />
        <ul className="cards">
          {departments.map((d) => (
            <li key={d.id} className="card">
              <form onSubmit={(e) => saveName(e, d)} noValidate className="inline-form">
                <Field label={`Name of ${d.id}`} error={rename.errors[d.id]}>
                  {(p) => (
                    <input
                      {...p}
                      value={names[d.id] ?? d.name}
                      onChange={(e) => setNames({ ...names, [d.id]: e.target.value })}
                    />
                  )}
                </Field>
                <button type="submit">Rename {d.id}</button>
              </form>
              <p className="muted">{d.agentsOnline} agent(s) online</p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

// ---- sites of the widget ----

export function SitesScreen({ api, departments }: ScreenProps) {
  const [sites, setSites] = useState<AdminSite[]>([]);
  const [form, setForm] = useState({
    id: '',
    name: '',
    origins: '',
    departments: [] as string[],
    identity: 'optional',
  });
  const [secret, setSecret] = useState<{ site: string; secret: string } | null>(null);
  const create = useSubmit();
  const row = useSubmit();
  const load = useCallback(async () => {
    setSites((await api.call<{ sites: AdminSite[] }>('GET', '/sites')).sites);
  }, [api]);
  useEffect(() => {
    load().catch(() => {});
  }, [load]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input = {
      ...form,
      origins: form.origins
        .split(/[\s,]+/)
        .map((o) => o.trim())
        .filter(Boolean),
    };
    const parsed = parseForm(adminSchemas.CreateSiteBody, input);
    if (!parsed.ok) return create.invalid(parsed.errors);
    setSecret(null);
    await create.run(async () => {
      const r = await api.call<{ site: AdminSite; secret: string }>('POST', '/sites', parsed.data);
      setSecret({ site: r.site.id, secret: r.secret });
      setForm({ id: '', name: '', origins: '', departments: [], identity: 'optional' });
      await load();
      return `Site ${r.site.name} created.`;
    });
  };
  const rotate = (s: AdminSite) =>
    row.run(async () => {
      const r = await api.call<{ secret: string }>('POST', `/sites/${s.id}/rotate-secret`, {});
      setSecret({ site: s.id, secret: r.secret });
      return `New secret for ${s.id}; the old one no longer works.`;
    });
  const endSessions = (s: AdminSite) =>
    row.run(async () => {
      const r = await api.call<{ sessions: number }>('POST', `/sites/${s.id}/end-sessions`, {});
      return `${r.sessions} widget login(s) of ${s.id} ended.`;
    });
  /** Saves a site's changes; the fields the API refused, or null when saved. */
  const save = async (s: AdminSite, change: unknown): Promise<FieldErrors | null> => {
    let refused: FieldErrors | null = null;
    const saved = await row.run(async () => {
      try {
        const r = await api.call<{ site: AdminSite; visitorSessionsEnded: number }>(
          'PATCH',
          `/sites/${s.id}`,
          change,
        );
        await load();
        const ended = r.visitorSessionsEnded
          ? ` ${r.visitorSessionsEnded} anonymous visitor login(s) ended.`
          : '';
        return `Site ${r.site.name} saved.${ended}`;
      } catch (err) {
        refused = failureOf(err).errors;
        throw err;
      }
    });
    return saved ? null : (refused ?? {});
  };

  return (
    <>
      {secret && (
        <section className="card secret" aria-labelledby="secret-title">
          <h2 id="secret-title">Signing secret of {secret.site}</h2>
          <p>Shown once. Keep it on the shop's server only; it signs the identity tokens.</p>
          <Field label="Signing secret">
            {(p) => (
              <input
                {...p}
                readOnly
                value={secret.secret}
                className="mono"
                onFocus={(e) => e.target.select()}
              />
            )}
          </Field>
          <p>Snippet for the shop's pages:</p>
          <pre className="mono">{`<script async src="${window.location.origin}/widget.js" data-site="${secret.site}"></script>`}</pre>
          <button type="button" onClick={() => setSecret(null)}>
            I have saved it
          </button>
        </section>
      )}
      <section className="card" aria-labelledby="new-site">
        <h2 id="new-site">New website</h2>
        <form onSubmit={submit} noValidate className="grid-form">
          <Field label="Site id" error={create.errors.id}>
            {(p) => (
              <input {...p} value={form.id} onChange={(e) => setForm({ ...form, id: e.target.value })} />
            )}
          </Field>
          <Field label="Site name" error={create.errors.name}>
            {(p) => (
              <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
            )}
          </Field>
          <Field
            label="Origins"
            error={create.errors.origins}
            hint="https://shop.example, one per line or comma-separated."
          >
            {(p) => (
              <textarea
                {...p}
                rows={2}
                value={form.origins}
                onChange={(e) => setForm({ ...form, origins: e.target.value })}
              />
            )}
          </Field>
          <Field label="Identity" error={create.errors.identity}>
            {(p) => (
              <select
                {...p}
                value={form.identity}
                onChange={(e) => setForm({ ...form, identity: e.target.value })}
              >
                <option value="off">Off: visitors only</option>
                <option value="optional">Optional: visitors, or verified by the shop</option>
                <option value="required">Required: verified customers only</option>
              </select>
            )}
          </Field>
          <DepartmentPicker
            legend="Departments on this site (none: all)"
            departments={departments}
            value={form.departments}
            onChange={(ids) => setForm({ ...form, departments: ids })}
            error={create.errors.departments}
          />
          <div className="actions">
            <button type="submit" className="primary">
              Create site
            </button>
          </div>
        </form>
        <Status message={create.message?.text ?? null} kind={create.message?.kind} />
      </section>
      <section aria-labelledby="site-list">
        <h2 id="site-list">Websites ({sites.length})</h2>
        <Status message={row.message?.text ?? null} kind={row.message?.kind} />
        {sites.length === 0 && <p className="muted">No websites yet.</p>}
        <ul className="cards">
          {sites.map((s) => (
            <SiteCard
              key={`${s.id}:${s.identity}:${s.origins.join(' ')}:${s.departments.join(' ')}:${s.name}`}
              site={s}
              departments={departments}
              onRotate={() => rotate(s)}
              onEndSessions={() => endSessions(s)}
              onSave={save}
            />
          ))}
        </ul>
      </section>
    </>
  );
}

const IDENTITY_OPTIONS = [
  ['off', 'Off: visitors only'],
  ['optional', 'Optional: visitors, or verified by the shop'],
  ['required', 'Required: verified customers only'],
] as const;

/** A site with its actions; "Edit" opens its origins, identity, departments and name in place. */
function SiteCard(props: {
  site: AdminSite;
  departments: Department[];
  onRotate: () => void;
  onEndSessions: () => void;
  onSave: (site: AdminSite, change: unknown) => Promise<FieldErrors | null>;
}) {
  const { site, departments } = props;
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({
    name: site.name,
    origins: site.origins.join('\n'),
    identity: site.identity as string,
    departments: site.departments,
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.UpdateSiteBody, {
      ...form,
      origins: form.origins
        .split(/[\s,]+/)
        .map((o) => o.trim())
        .filter(Boolean),
    });
    if (!parsed.ok) return setErrors(parsed.errors);
    const failed = await props.onSave(site, parsed.data);
    setErrors(failed ?? {});
    if (!failed) setEditing(false);
  };
  return (
    <li className="card" aria-label={site.name}>
      <div className="row-head">
        <h3>{site.name}</h3>
        <span className="badge">Identity {site.identity}</span>
      </div>
      <p className="mono wrap">{site.origins.join(', ')}</p>
      <p className="muted">{site.departments.map((d) => deptName(departments, d)).join(', ')}</p>
      <div className="actions">
        <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Edit {site.id}
        </button>
        <button type="button" onClick={props.onRotate}>
          Rotate secret of {site.id}
        </button>
        <button type="button" className="danger" onClick={props.onEndSessions}>
          End widget logins of {site.id}
        </button>
      </div>
      {editing && (
        <form onSubmit={save} noValidate className="inline-form stacked" aria-label={`Edit ${site.id}`}>
          <Field label={`Name of ${site.id}`} error={errors.name}>
            {(p) => (
              <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
            )}
          </Field>
          <Field
            label={`Origins of ${site.id}`}
            error={errors.origins}
            hint="https://shop.example, one per line or comma-separated."
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={form.origins}
                onChange={(e) => setForm({ ...form, origins: e.target.value })}
              />
            )}
          </Field>
          <Field
            label={`Identity of ${site.id}`}
            error={errors.identity}
            hint="Required ends the anonymous visitors' widget logins."
          >
            {(p) => (
              <select
                {...p}
                value={form.identity}
                onChange={(e) => setForm({ ...form, identity: e.target.value })}
              >
                {IDENTITY_OPTIONS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <DepartmentPicker
            legend={`Departments of ${site.id}`}
            departments={departments}
            value={form.departments}
            onChange={(ids) => setForm({ ...form, departments: ids })}
            error={errors.departments}
          />
          <button type="submit" className="primary">
            Save {site.id}
          </button>
        </form>
      )}
    </li>
  );
}

// ---- canned replies ----

export function CannedScreen({ api, departments }: ScreenProps) {
  const [department, setDepartment] = useState('');
  const [replies, setReplies] = useState<CannedReply[]>([]);
  const [form, setForm] = useState({ shortcut: '', title: '', text: '' });
  const create = useSubmit();
  const row = useSubmit();
  const chosen = department || departments[0]?.id || '';
  const load = useCallback(async () => {
    if (!chosen) return;
    setReplies(
      (
        await api.call<{ replies: CannedReply[] }>(
          'GET',
          `/canned-replies?department=${encodeURIComponent(chosen)}`,
        )
      ).replies,
    );
  }, [api, chosen]);
  useEffect(() => {
    load().catch(() => {});
  }, [load]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseForm(adminSchemas.CreateCannedReplyBody, { ...form, department: chosen });
    if (!parsed.ok) return create.invalid(parsed.errors);
    if (
      await create.run(async () => {
        await api.call('POST', '/canned-replies', parsed.data);
        await load();
        return `Reply /${parsed.data.shortcut} added.`;
      })
    )
      setForm({ shortcut: '', title: '', text: '' });
  };

  return (
    <>
      <div className="card">
        <Field label="Department">
          {(p) => (
            <select {...p} value={chosen} onChange={(e) => setDepartment(e.target.value)}>
              {departments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <section className="card" aria-labelledby="new-reply">
        <h2 id="new-reply">New reply for {deptName(departments, chosen)}</h2>
        <form onSubmit={submit} noValidate className="grid-form">
          <Field label="Shortcut" error={create.errors.shortcut} hint="Agents type / and this.">
            {(p) => (
              <input
                {...p}
                value={form.shortcut}
                onChange={(e) => setForm({ ...form, shortcut: e.target.value })}
              />
            )}
          </Field>
          <Field label="Title" error={create.errors.title}>
            {(p) => (
              <input
                {...p}
                value={form.title}
                onChange={(e) => setForm({ ...form, title: e.target.value })}
              />
            )}
          </Field>
          <Field label="Text" error={create.errors.text} hint="Placeholders: {customer.name}, {agent.name}.">
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={form.text}
                onChange={(e) => setForm({ ...form, text: e.target.value })}
              />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="primary">
              Add reply
            </button>
          </div>
        </form>
        <Status message={create.message?.text ?? null} kind={create.message?.kind} />
      </section>
      <section aria-labelledby="reply-list">
        <h2 id="reply-list">Replies ({replies.length})</h2>
        <Status message={row.message?.text ?? null} kind={row.message?.kind} />
        {replies.length === 0 && <p className="muted">No canned replies in this department yet.</p>}
        <ul className="cards">
          {replies.map((r) => (
            <li key={r.id} className="card" aria-label={`/${r.shortcut}`}>
              <div className="row-head">
                <h3>
                  <span className="mono">/{r.shortcut}</span> {r.title}
                </h3>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    row.run(async () => {
                      await api.call('DELETE', `/canned-replies/${r.id}`);
                      await load();
                      return `Reply /${r.shortcut} deleted.`;
                    })
                  }
                >
                  Delete /{r.shortcut}
                </button>
              </div>
              <p className="pre">{r.text}</p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

// ---- audit log ----

const describeActor = (a: AuditEntry['actor']) =>
  a.kind === 'owner' ? a.username : `${a.osUser} (command line)`;

export function AuditScreen({ api }: { api: AdminApi }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(false);
  const load = useCallback(
    async (before?: string) => {
      const q = before ? `?limit=50&before=${before}` : '?limit=50';
      const page = (await api.call<{ entries: AuditEntry[] }>('GET', `/audit${q}`)).entries;
      setEntries((prev) => (before ? [...prev, ...page] : page));
      setMore(page.length === 50);
    },
    [api],
  );
  useEffect(() => {
    load().catch(() => {});
  }, [load]);
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title" className="visually-hidden">
        Owner actions, newest first
      </h2>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable) */}
      <section className="table-wrap" aria-label="Audit log entries" tabIndex={0}>
        <table>
          <caption className="visually-hidden">Owner actions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>
                  <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>
                </td>
                <td>{describeActor(e.actor)}</td>
                <td className="mono">{e.action}</td>
                <td className="wrap">{e.target}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {more && (
        <button type="button" onClick={() => load(entries.at(-1)?.id)}>
          Load older entries
        </button>
      )}
    </section>
  );
}
