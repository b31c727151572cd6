import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_ATTACHMENTS_PER_MESSAGE, MAX_PAGE_LIMIT } from './limits';
import {
  checkMessageText,
  hasInvisible,
  hasNul,
  mixesScripts,
  normalizeText,
  OBJECT_ID,
  rawTextIssues,
  stripBidiControls,
} from './text';

// Every schema is strict: unknown fields are refused, so `{role: 'agent'}` or `{$ne: ''}` never slip through.

/** One id format for users, conversations and messages: a MongoDB ObjectId in lowercase hex. */
export const objectId = z.string().regex(OBJECT_ID.pattern, OBJECT_ID.rule);
export const departmentId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,31}$/,
    'must be 2-32 lowercase letters, digits or dashes, starting with a letter',
  );
export const clientMsgId = z.uuid({ message: 'must be a UUID' });
export const seq = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Free text: refuses NUL and lone surrogates, then NFC-normalises and trims. */
const cleanText = (maxRaw: number) =>
  z.string().transform((s, ctx) => {
    for (const message of rawTextIssues(s, maxRaw)) ctx.addIssue({ code: 'custom', message });
    return normalizeText(s);
  });

/** The rule lives in ./text (zod-free), so the chat client checks messages the same way without zod. */
export const messageText = z.string().transform((s, ctx) => {
  const checked = checkMessageText(s);
  if (checked.ok) return checked.text;
  for (const message of checked.issues) ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
});

export const username = cleanText(200)
  .transform(stripBidiControls)
  .pipe(
    z
      .string()
      .min(3, 'must be at least 3 characters')
      .max(32, 'must be at most 32 characters')
      .regex(/^[\p{L}\p{N}_.-]+$/u, 'may contain only letters, digits, "_", "." and "-"')
      .refine((s) => !hasInvisible(s), 'must not contain invisible characters')
      .refine((s) => /[\p{L}\p{N}]/u.test(s), 'must contain a letter or a digit')
      .refine((s) => !mixesScripts(s), 'must not mix letters of different scripts'),
  );
export const email = cleanText(320).pipe(z.email({ message: 'must be an email address' }).max(254));
export const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters')
  .refine((s) => !hasNul(s), 'must not contain NUL characters');
export const departmentName = cleanText(200).pipe(z.string().min(1).max(64));

// ---- HTTP bodies and queries ----

export const RegisterBody = z.strictObject({ username, email, password });
export const LoginBody = z.strictObject({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(256),
});
/** The refresh token may instead come from the HttpOnly cookie; then the body is `{}`. */
export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512).optional() });
export const LogoutBody = RefreshBody;
export const MessagesQuery = z.strictObject({
  before: z.coerce.number().pipe(seq.min(1)).optional(),
  limit: z.coerce.number().pipe(z.int().min(1).max(MAX_PAGE_LIMIT)).default(DEFAULT_PAGE_LIMIT),
});

/** A customer search: a name or email prefix (at least one character, at most 64). */
export const inboxSearch = z
  .string()
  .transform((v) => v.normalize('NFKC').trim().toLowerCase())
  .pipe(z.string().min(1, 'must not be empty').max(64));
/** The agent's inbox (SPEC §15); every parameter is optional and a customer may send none of them. */
export const InboxQuery = z.strictObject({
  view: z.enum(['mine', 'waiting', 'all']).default('all'),
  department: departmentId.optional(),
  status: z.enum(['open', 'resolved']).optional(),
  q: inboxSearch.optional(),
  limit: z.coerce.number().pipe(z.int().min(1).max(MAX_PAGE_LIMIT)).default(DEFAULT_PAGE_LIMIT),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be the nextCursor of a previous page')
    .optional(),
});

// ---- Website widget (SPEC §10) ----

export const siteId = departmentId;
/** A visitor's display name: free text, not a username (not unique, no username rules). */
export const visitorName = cleanText(400).pipe(z.string().min(1).max(100));
const credential = z.string().regex(/^[A-Za-z0-9_-]{20,128}$/, 'must be a widget credential');
/** A page of the shop (http or https), as the widget reports where a chat started. */
export const pageUrl = z
  .string()
  .max(2000)
  .refine((s) => /^https?:\/\//.test(s) && URL.canParse(s), 'must be an http(s) URL');
/** A compact JWS: three base64url parts, no padding; at most 4 KiB. */
export const identityToken = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, 'must be a compact JWT');
export const WidgetStartBody = z.strictObject({
  site: siteId,
  name: visitorName.optional(),
  email: email.optional(),
});
/** The credential comes in the body (from the frame's storage) or in its partitioned cookie. */
export const WidgetTokenBody = z.strictObject({ site: siteId, credential: credential.optional() });
export const WidgetIdentifyBody = z.strictObject({
  site: siteId,
  credential: credential.optional(),
  token: identityToken,
});
export const WidgetPageBody = z.strictObject({ department: departmentId, pageUrl });
export const WidgetProfileBody = z.strictObject({
  name: visitorName.optional(),
  email: email.optional(),
});

// ---- Socket payloads (client → server) ----

export const ConversationOpenPayload = z.strictObject({ department: departmentId });
/** Text may be empty (or blank) when files go with it (SPEC §11); it is then stored as ''. */
export const MessageSendPayload = z
  .strictObject({
    conversationId: objectId,
    clientMsgId,
    text: z.string(),
    attachmentIds: z.array(objectId).max(MAX_ATTACHMENTS_PER_MESSAGE).optional(),
  })
  .transform((p, ctx) => {
    const ids = p.attachmentIds ?? [];
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', path: ['attachmentIds'], message: 'must not repeat an attachment' });
      return z.NEVER;
    }
    const checked = checkMessageText(p.text);
    if (!checked.ok && !(ids.length > 0 && p.text.trim() === '')) {
      for (const message of checked.issues) ctx.addIssue({ code: 'custom', path: ['text'], message });
      return z.NEVER;
    }
    const out: { conversationId: string; clientMsgId: string; text: string; attachmentIds?: string[] } = {
      conversationId: p.conversationId,
      clientMsgId: p.clientMsgId,
      text: checked.ok ? checked.text : '',
    };
    if (ids.length > 0) out.attachmentIds = ids;
    return out;
  });
export const ConversationReadPayload = z.strictObject({ conversationId: objectId, seq });
/** `afterNoteSeq` (agents only): the notes after it come back too. */
export const ConversationSyncPayload = z.strictObject({
  conversationId: objectId,
  afterSeq: seq,
  afterNoteSeq: seq.optional(),
});
export const TypingPayload = z.strictObject({ conversationId: objectId, isTyping: z.boolean() });
export const ConversationIdPayload = z.strictObject({ conversationId: objectId });
export const ConversationAssignPayload = z.strictObject({
  conversationId: objectId,
  agentId: objectId.nullable(),
});

// ---- Agent tools (SPEC §12) ----

/** An agent's availability: only `available` agents are assigned automatically and counted online. */
export const agentStatus = z.enum(['available', 'away']);
export const AgentStatusPayload = z.strictObject({ status: agentStatus });

export const NoteAddPayload = z.strictObject({ conversationId: objectId, clientMsgId, text: messageText });
/** Agents: hands the conversation to another department's queue, with an optional note for its agents. */
export const ConversationTransferPayload = z.strictObject({
  conversationId: objectId,
  department: departmentId,
  note: messageText.optional(),
});
export const ratingComment = cleanText(8000).pipe(z.string().max(1000, 'must be at most 1000 characters'));
export const ConversationRatePayload = z.strictObject({
  conversationId: objectId,
  rating: z.int().min(1).max(5),
  /** Empty after trimming counts as no comment. */
  comment: ratingComment.optional(),
});
/** A canned reply's shortcut: what follows `/` in the composer. */
export const cannedShortcut = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 lowercase letters, digits, "_" or "-"');
/** Free text of templates (titles, canned reply text): no NUL, trimmed, NFC. */
export const templateText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\0'), 'must not contain NUL characters')
    .transform((s) => s.normalize('NFC'));
export const CannedReplyCreatePayload = z.strictObject({
  shortcut: cannedShortcut,
  title: templateText(100),
  text: templateText(4000),
});
export const CannedReplyDeletePayload = z.strictObject({ id: objectId });
export const EmptyPayload = z.strictObject({});

/** Turns zod issues into the `issues` list of an `invalid_input` error. */
export const describeIssues = (error: z.ZodError): { path: string; message: string }[] =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
