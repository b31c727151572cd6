// Argument schemas for every IPC channel: the renderer is treated like any remote client.
import { schemas } from '@support-chat/protocol';
import { z } from 'zod';
import type { IpcChannel } from '../common/ipc';
import { checkServerUrl } from '../common/server-url';

/** The chat server's URL by the one rule of `common/server-url` (https, or http on loopback), normalised. */
export const serverUrl = z
  .string()
  .max(2048)
  .transform((value, ctx) => {
    const checked = checkServerUrl(value);
    if (checked.ok) return checked.url;
    ctx.addIssue({ code: 'custom', message: checked.message });
    return z.NEVER;
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
  // The server URL changes only through a successful login, never from the renderer's settings.
  'settings:set': z.strictObject({
    startAtLogin: z.boolean().optional(),
    autoAwayMinutes: z
      .int()
      .min(0)
      .max(24 * 60)
      .optional(),
  }),
  'shell:openExternal': z.strictObject({ url: z.string().max(8192) }),
  'status:get': noArgument,
  'status:set': z.strictObject({ status: schemas.agentStatus }),
} as const satisfies Record<IpcChannel, z.ZodType>;
