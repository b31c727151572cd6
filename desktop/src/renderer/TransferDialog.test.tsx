// @vitest-environment happy-dom
// The transfer dialog: a department and an optional note go to the store; a refusal stays in the dialog with its
// reason; success closes it.
import type { Result } from '@support-chat/protocol/core';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { TransferDialog } from './TransferDialog';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = '';
});

const departments = [
  { id: 'technical', name: 'Technical Support' },
  { id: 'sales', name: 'Sales' },
];

function open(answers: Result<unknown>[]) {
  const calls: [string, string][] = [];
  let closed = 0;
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  act(() =>
    root!.render(
      <TransferDialog
        departments={departments}
        customerName="carla"
        fromDepartment="Billing Support"
        onTransfer={async (department, note) => {
          calls.push([department, note]);
          return answers.shift() ?? { ok: true, data: null };
        }}
        onClose={() => closed++}
      />,
    ),
  );
  const dialog = container.querySelector('dialog')!;
  return { dialog, calls, closed: () => closed };
}

const setValue = (el: HTMLSelectElement | HTMLTextAreaElement, value: string) => {
  const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLTextAreaElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, value);
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
};

describe('TransferDialog', () => {
  it('is named "Transfer conversation", offers the departments, sends the choice and the note', async () => {
    const { dialog, calls } = open([
      { ok: false, error: { code: 'forbidden', message: 'You are not an agent of this conversation.' } },
    ]);
    const title = document.getElementById(dialog.getAttribute('aria-labelledby')!);
    expect(title?.textContent).toBe('Transfer conversation');
    const select = dialog.querySelector('select')!;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'Choose a department…',
      'Technical Support',
      'Sales',
    ]);
    const submit = [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Transfer')!;
    expect(submit.disabled).toBe(true);
    const note = dialog.querySelector('textarea')!;
    expect(document.querySelector(`label[for="${note.id}"]`)?.textContent).toBe('Note for the next agent');
    act(() => setValue(select, 'technical'));
    act(() => setValue(note, '  Printer error E42, tried a restart.  '));
    expect(submit.disabled).toBe(false);
    await act(async () => submit.click());
    expect(calls).toEqual([['technical', 'Printer error E42, tried a restart.']]);
    // Refused: the reason shows in the dialog, which stays open for another try.
    expect(dialog.querySelector('[role="alert"]')?.textContent).toBe(
      'You are not an agent of this conversation.',
    );
    expect(dialog.open).toBe(true);
  });

  it('closes once the transfer is done', async () => {
    const { dialog, calls, closed } = open([{ ok: true, data: null }]);
    act(() => setValue(dialog.querySelector('select')!, 'sales'));
    const submit = [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Transfer')!;
    await act(async () => submit.click());
    expect(calls).toEqual([['sales', '']]);
    expect(dialog.open).toBe(false);
    expect(closed()).toBe(1);
  });
});
