// "Transfer conversation" (SPEC §12): another department and an optional note for its agents. The dialog stays open
// with the server's reason when the transfer is refused, and closes once it is done.
import { friendlyError } from '@support-chat/client-ui';
import type { ApiError, Result } from '@support-chat/protocol/core';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';

/** The server's own words (forbidden, conflict, not found say why), the shared wording for connection troubles. */
const transferError = (error: ApiError): string =>
  error.code === 'unavailable' || error.code === 'rate_limited' || error.code === 'unauthorized'
    ? friendlyError(error)
    : error.message || friendlyError(error);

export function TransferDialog(props: {
  /** The departments it can go to (its own excluded), by name. */
  departments: readonly { id: string; name: string }[];
  customerName: string;
  fromDepartment: string;
  onTransfer: (department: string, note: string) => Promise<Result<unknown>>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const noteId = useId();
  const [department, setDepartment] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => {
      mounted.current = false;
    };
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!department || sending) return;
    setSending(true);
    setError(null);
    const result = await props.onTransfer(department, note.trim());
    // Done: the pane may already be gone (the conversation left this agent's reach).
    if (!mounted.current) return;
    setSending(false);
    if (result.ok) dialog.current?.close();
    else setError(transferError(result.error));
  };

  return (
    <dialog
      ref={dialog}
      className="transfer-dialog"
      aria-labelledby={titleId}
      onClose={props.onClose}
      onCancel={(e) => {
        // Escape while the transfer is on its way would hide its outcome.
        if (sending) e.preventDefault();
      }}
    >
      <form onSubmit={(e) => void submit(e)}>
        <h2 id={titleId}>Transfer conversation</h2>
        <p className="hint">
          {props.customerName} waits in the chosen department’s queue; the customer sees that the chat was
          transferred.
        </p>
        <label>
          Department
          <select
            value={department}
            onChange={(e) => setDepartment(e.target.value)}
            required
            disabled={sending}
            // biome-ignore lint/a11y/noAutofocus: the dialog's first choice
            autoFocus
          >
            <option value="" disabled>
              Choose a department…
            </option>
            {props.departments.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={noteId}>Note for the next agent</label>
        <textarea
          id={noteId}
          aria-describedby={`${noteId}-hint`}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          rows={3}
          maxLength={4000}
          disabled={sending}
          placeholder={`What ${props.fromDepartment} found out so far…`}
        />
        <p className="hint" id={`${noteId}-hint`}>
          Optional. Kept as an internal note: only agents see it.
        </p>
        {props.departments.length === 0 ? (
          <p className="hint">There is no other department to transfer to.</p>
        ) : null}
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="transfer-dialog__buttons">
          <button type="button" onClick={() => dialog.current?.close()} disabled={sending}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!department || sending}>
            {sending ? 'Transferring…' : 'Transfer'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
