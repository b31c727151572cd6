// Small building blocks of the console: labelled fields with their error, a status line, zod issues by field.
import { type ReactNode, useId } from 'react';
import type { z } from 'zod';
import { ApiFailure } from './api';

export type FieldErrors = Record<string, string>;

/** The first message per field of a zod error or an API's invalid_input answer (the same messages). */
export function issuesByField(issues: { path: string; message: string }[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const key = i.path.split('.')[0] || '_';
    out[key] ??= i.message;
  }
  return out;
}

export function parseForm<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; data: z.output<S> } | { ok: false; errors: FieldErrors } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, data: r.data };
  return {
    ok: false,
    errors: issuesByField(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))),
  };
}

/** What a failed call means for a form: field errors, or one message. */
export function failureOf(err: unknown): { errors: FieldErrors; message: string } {
  if (err instanceof ApiFailure) {
    return { errors: issuesByField(err.error.issues ?? []), message: err.error.message };
  }
  return { errors: {}, message: 'The server cannot be reached. Try again.' };
}

export function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: (p: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.hint && (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.children({ id, 'aria-invalid': !!props.error, 'aria-describedby': described || undefined })}
      {props.error && (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function Status(props: { message: string | null; kind?: 'error' | 'ok' }) {
  return (
    <p className={`status ${props.kind ?? 'ok'}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.message ?? ''}
    </p>
  );
}

/** Checkboxes for departments (a group named by its legend). */
export function DepartmentPicker(props: {
  legend: string;
  departments: { id: string; name: string }[];
  value: string[];
  onChange: (ids: string[]) => void;
  error?: string;
}) {
  const id = useId();
  return (
    <fieldset className="field checks" aria-describedby={props.error ? `${id}-error` : undefined}>
      <legend>{props.legend}</legend>
      {props.departments.map((d) => (
        <label key={d.id} className="check">
          <input
            type="checkbox"
            checked={props.value.includes(d.id)}
            onChange={(e) =>
              props.onChange(
                e.target.checked ? [...props.value, d.id] : props.value.filter((x) => x !== d.id),
              )
            }
          />
          {d.name}
        </label>
      ))}
      {props.error && (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
