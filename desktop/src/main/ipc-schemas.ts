// Argument schemas for every IPC channel: the renderer is treated like any remote client.
import { schemas } from '@support-chat/protocol';
import { z } from 'zod';
import type { IpcChannel } from '../common/ipc';

/** http(s) URL of a server, without credentials; normalised to its origin plus path (no trailing slash). */
export const serverUrl = z
  .string()
  .trim()
  .max(2048)
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL such as https://chat.example.com' });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must start with https:// or http://' });
      return z.NEVER;
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

const noArgument = z.undefined();

export const ipcRequestSchemas = {
  'auth:login': z.strictObject({
    serverUrl,
    username: schemas.LoginBody.shape.username,
    password: schemas.LoginBody.shape.password,
  }),
  'auth:logout': noArgument,
  'auth:getSession': noArgument,
  'auth:getAccessToken': z.strictObject({ forceRefresh: z.boolean() }),
  'notification:show': z.strictObject({
    conversationId: schemas.objectId,
    customerName: z.string().min(1).max(200),
    departmentName: z.string().min(1).max(200),
    text: z.string().min(1).max(20_000),
    senderRole: z.enum(['customer', 'agent', 'owner']),
    openConversationId: schemas.objectId.nullable(),
  }),
  'badge:setUnread': z.strictObject({ count: z.int().min(0).max(1_000_000) }),
  'settings:get': noArgument,
  'settings:set': z.strictObject({ serverUrl: serverUrl.optional(), startAtLogin: z.boolean().optional() }),
  'shell:openExternal': z.strictObject({ url: z.string().max(8192) }),
} as const satisfies Record<IpcChannel, z.ZodType>;
