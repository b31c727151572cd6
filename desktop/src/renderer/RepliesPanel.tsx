// The agent's canned replies: their own (create, delete) and their departments' (the owner's, read only). Typing
// `/` in the composer inserts one; `{customer.name}` and `{agent.name}` are filled in then.
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { AgentToolsState, AgentToolsStore } from './agent-tools-store';

export function RepliesPanel(props: {
  tools: AgentToolsStore;
  state: AgentToolsState;
  departmentName: (id: string) => string;
  onClose: () => void;
}) {
  const { tools, state } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [shortcut, setShortcut] = useState('');
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const created = await tools.createReply({ shortcut: shortcut.trim(), title: title.trim(), text });
    setSaving(false);
    if (created) {
      setShortcut('');
      setTitle('');
      setText('');
    }
  };

  const own = state.replies.filter((r) => r.scope === 'personal');
  const departments = state.replies.filter((r) => r.scope === 'department');

  return (
    <dialog ref={dialog} className="replies-panel" aria-labelledby={titleId} onClose={props.onClose}>
      <header className="replies-panel__header">
        <h2 id={titleId}>Canned replies</h2>
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </header>
      <p className="hint">
        Type <kbd>/</kbd> in the reply box to insert one. <code>{'{customer.name}'}</code> and{' '}
        <code>{'{agent.name}'}</code> are filled in.
      </p>
      <form className="replies-panel__form" onSubmit={(e) => void submit(e)}>
        <h3>New reply of your own</h3>
        <label>
          Shortcut
          <input
            value={shortcut}
            onChange={(e) => setShortcut(e.target.value)}
            pattern="[a-z0-9][a-z0-9_\-]{0,31}"
            title="1-32 lowercase letters, digits, _ or -"
            required
          />
        </label>
        <label>
          Title
          <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} required />
        </label>
        <label className="replies-panel__text">
          Text
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={3}
            maxLength={4000}
            required
          />
        </label>
        {state.replyError ? (
          <p className="form-error" role="alert">
            {state.replyError}
          </p>
        ) : null}
        <button type="submit" disabled={saving}>
          Add reply
        </button>
      </form>
      <h3>Yours</h3>
      {own.length === 0 ? <p className="hint">None yet.</p> : null}
      <ul className="replies-panel__list" aria-label="Your replies">
        {own.map((r) => (
          <li key={r.id}>
            <span className="reply-picker__shortcut">/{r.shortcut}</span> <strong>{r.title}</strong>
            <p>{r.text}</p>
            <button
              type="button"
              className="link-button"
              aria-label={`Delete /${r.shortcut}`}
              onClick={() => void tools.deleteReply(r.id)}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <h3>Your departments’</h3>
      {departments.length === 0 ? <p className="hint">None yet (the owner adds them).</p> : null}
      <ul className="replies-panel__list" aria-label="Department replies">
        {departments.map((r) => (
          <li key={r.id}>
            <span className="reply-picker__shortcut">/{r.shortcut}</span> <strong>{r.title}</strong>{' '}
            <span className="hint">{props.departmentName(r.department ?? '')}</span>
            <p>{r.text}</p>
          </li>
        ))}
      </ul>
    </dialog>
  );
}
