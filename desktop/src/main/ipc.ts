// Every IPC handler goes through here: the sender frame must be our app's page and the argument must parse.
import { describeIssues, fail, type Result } from '@support-chat/protocol';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { IpcChannel, IpcContract } from '../common/ipc';
import { ipcRequestSchemas } from './ipc-schemas';
import { createLogger } from './logger';
import { isAppUrl } from './window';

const log = createLogger('ipc');

export type IpcHandlers = {
  [C in IpcChannel]: (
    request: IpcContract[C]['request'],
    event: IpcMainInvokeEvent,
  ) => Promise<Result<IpcContract[C]['response']>>;
};

type SenderEvent = Pick<IpcMainInvokeEvent, 'senderFrame'>;

/** Only the top frame of our own app page may call main; a navigated-away or foreign frame may not. */
export const isTrustedSender = (event: SenderEvent): boolean => {
  const frame = event.senderFrame;
  if (!frame) return false;
  return isAppUrl(frame.url) && frame.parent === null;
};

export const registerIpcHandlers = (
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: IpcHandlers,
  trusted: (event: SenderEvent) => boolean = isTrustedSender,
): (() => void) => {
  const channels = Object.keys(handlers) as IpcChannel[];
  for (const channel of channels) {
    const schema = ipcRequestSchemas[channel];
    const handler = handlers[channel] as (
      request: unknown,
      event: IpcMainInvokeEvent,
    ) => Promise<Result<unknown>>;
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Result<unknown>> => {
      if (!trusted(event)) {
        log.warn(
          { channel, sender: event.senderFrame?.url?.slice(0, 64) ?? null },
          'IPC from an untrusted frame refused',
        );
        return fail('forbidden', 'This window may not call the app.');
      }
      if (args.length > 1) return fail('invalid_input', 'Expected one argument.');
      const parsed = schema.safeParse(args[0]);
      if (!parsed.success) {
        log.warn({ channel }, 'IPC with invalid arguments refused');
        return fail('invalid_input', 'Invalid arguments.', { issues: describeIssues(parsed.error) });
      }
      try {
        return await handler(parsed.data, event);
      } catch (error) {
        log.error({ channel, error: error instanceof Error ? error.name : 'unknown' }, 'IPC handler failed');
        return fail('internal_error', 'Something went wrong in the app.');
      }
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
};
