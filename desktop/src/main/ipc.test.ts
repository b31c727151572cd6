import { ok } from '@support-chat/protocol';
import { describe, expect, it } from 'vitest';
import type { IpcChannel } from '../common/ipc';
import { type IpcHandlers, registerIpcHandlers } from './ipc';
import { FakeIpcMain } from './test/fakes';

const APP = { url: 'app://support-chat/index.html', parent: null };
const CONVERSATION = 'aaaaaaaaaaaaaaaaaaaaaaaa';

const setup = () => {
  const calls: Array<{ channel: IpcChannel; request: unknown }> = [];
  const record =
    <C extends IpcChannel>(channel: C, response: unknown) =>
    async (request: unknown) => {
      calls.push({ channel, request });
      return ok(response) as never;
    };
  const handlers: IpcHandlers = {
    'auth:login': record('auth:login', {}),
    'auth:logout': record('auth:logout', null),
    'auth:getSession': record('auth:getSession', {}),
    'auth:getAccessToken': record('auth:getAccessToken', { accessToken: 'a' }),
    'notification:show': record('notification:show', { shown: true }),
    'badge:setUnread': record('badge:setUnread', null),
    'settings:get': record('settings:get', {}),
    'settings:set': record('settings:set', {}),
    'shell:openExternal': record('shell:openExternal', { opened: true }),
    'status:get': record('status:get', {}),
    'status:set': record('status:set', {}),
  };
  const ipcMain = new FakeIpcMain();
  const unregister = registerIpcHandlers(ipcMain, handlers);
  return { ipcMain, calls, unregister };
};

describe('IPC handlers', () => {
  it('registers every channel, named area:verb', () => {
    const { ipcMain, unregister } = setup();
    expect([...ipcMain.handlers.keys()].every((c) => /^[a-z]+:[a-zA-Z]+$/.test(c))).toBe(true);
    expect(ipcMain.handlers.size).toBe(11);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('answers our own page with valid arguments', async () => {
    const { ipcMain, calls } = setup();
    expect(await ipcMain.invoke('badge:setUnread', APP, { count: 3 })).toEqual({ ok: true, data: null });
    expect(await ipcMain.invoke('auth:getSession', APP)).toEqual({ ok: true, data: {} });
    expect(calls).toEqual([
      { channel: 'badge:setUnread', request: { count: 3 } },
      { channel: 'auth:getSession', request: undefined },
    ]);
  });

  it('refuses a sender frame that is not our app page, and never runs the handler', async () => {
    const { ipcMain, calls } = setup();
    const foreign = [
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///tmp/index.html', parent: null },
      { url: 'app://support-chat/index.html', parent: { url: 'app://support-chat/index.html' } },
      { url: 'app://support-chat.evil/index.html', parent: null },
    ];
    for (const frame of foreign) {
      const answer = (await ipcMain.invoke('auth:getAccessToken', frame, { forceRefresh: false })) as {
        ok: boolean;
        error: { code: string };
      };
      expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await ipcMain.invoke('auth:getSession', null)).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(calls).toEqual([]);
  });

  it('refuses bad arguments with invalid_input, and never runs the handler', async () => {
    const { ipcMain, calls } = setup();
    const bad: Array<[string, unknown[]]> = [
      ['badge:setUnread', [{ count: -1 }]],
      ['badge:setUnread', [{ count: '3' }]],
      ['badge:setUnread', [{ count: 1, extra: true }]],
      ['badge:setUnread', [{ count: 1 }, 'second argument']],
      ['auth:login', [{ serverUrl: 'javascript:alert(1)', username: 'a', password: 'b' }]],
      ['auth:login', [{ serverUrl: 'https://x.example', username: { $ne: '' }, password: 'b' }]],
      ['auth:login', [{ serverUrl: 'https://u:p@x.example', username: 'a', password: 'b' }]],
      ['auth:getSession', [{ anything: 1 }]],
      ['auth:getAccessToken', [{}]],
      [
        'notification:show',
        [
          {
            conversationId: '../../etc',
            customerName: 'a',
            departmentName: 'b',
            text: 'c',
            senderRole: 'customer',
            openConversationId: null,
          },
        ],
      ],
      ['auth:login', [{ serverUrl: 'http://chat.example.com', username: 'a', password: 'b' }]],
      ['auth:login', [{ serverUrl: 'http://192.168.1.10:3000', username: 'a', password: 'b' }]],
      // Only a successful login saves the server URL: the renderer cannot point the app elsewhere.
      ['settings:set', [{ serverUrl: 'https://other.example.com' }]],
      ['settings:set', [{ serverUrl: 'https://other.example.com', startAtLogin: true }]],
      ['settings:set', [{ serverUrl: 'file:///etc/passwd' }]],
      ['settings:set', [{ lastUsername: 'someone' }]],
      ['settings:set', [{ autoAwayMinutes: -1 }]],
      ['status:set', [{ status: 'busy' }]],
      ['status:set', [{ status: 'away', extra: 1 }]],
      ['shell:openExternal', [{ url: 42 }]],
      ['shell:openExternal', ['https://example.com']],
    ];
    for (const [channel, args] of bad) {
      const answer = await ipcMain.invoke(channel, APP, ...args);
      expect(answer, `${channel} ${JSON.stringify(args)}`).toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
    }
    expect(calls).toEqual([]);
  });

  it('normalises the server URL and accepts a full notification request', async () => {
    const { ipcMain, calls } = setup();
    await ipcMain.invoke('auth:login', APP, {
      serverUrl: ' https://Chat.Example.com/ ',
      username: 'ann',
      password: 'pw',
    });
    await ipcMain.invoke('notification:show', APP, {
      conversationId: CONVERSATION,
      customerName: 'alice',
      departmentName: 'Billing Support',
      text: 'hello',
      senderRole: 'customer',
      openConversationId: null,
    });
    expect(calls[0]?.request).toEqual({
      serverUrl: 'https://chat.example.com',
      username: 'ann',
      password: 'pw',
    });
    expect(calls[1]?.channel).toBe('notification:show');
  });

  it('turns a thrown handler error into an internal_error result', async () => {
    const ipcMain = new FakeIpcMain();
    registerIpcHandlers(ipcMain, {
      'settings:get': async () => {
        throw new Error('boom');
      },
    } as unknown as IpcHandlers);
    expect(await ipcMain.invoke('settings:get', APP)).toMatchObject({
      ok: false,
      error: { code: 'internal_error' },
    });
  });
});
