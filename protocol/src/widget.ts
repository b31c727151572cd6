// The website widget's HTTP contract (SPEC §10): a shop's site, the widget's own session credential, the visitor
// profile agents see. Zod-free like the rest of ./core; the schemas of the bodies are in ./schemas.
import type { User } from './types';

export const SiteIdentity = { off: 'off', optional: 'optional', required: 'required' } as const;
export type SiteIdentity = (typeof SiteIdentity)[keyof typeof SiteIdentity];

/** Most a site identity token may live (`exp - iat`), seconds. */
export const MAX_IDENTITY_TOKEN_LIFETIME_SEC = 3600;

/** GET /api/widget/sites/:id — what the widget frame needs before anything else (public). */
export interface WidgetSite {
  id: string;
  name: string;
  identity: SiteIdentity;
  /** The exact origins allowed to frame the widget and to talk to it by postMessage. */
  origins: string[];
  /** The departments a visitor of this site may choose, with their presence now. */
  departments: { id: string; name: string; agentsOnline: number }[];
}

/**
 * Answer of POST /api/widget/sessions, /token and /identify. `credential` is the widget's own session credential
 * (kept by the frame in its partitioned storage); it is absent when the one presented stays current.
 */
export interface WidgetSessionResponse {
  user: User;
  accessToken: string;
  credential?: string;
  verified: boolean;
  name: string | null;
  email: string | null;
}

/** What agents see of a site's customer (GET /api/conversations/:id/visitor): null for a chat-page customer. */
export interface SiteCustomerProfile {
  site: { id: string; name: string };
  username: string;
  verified: boolean;
  name: string | null;
  email: string | null;
  /** The page the conversation was started from. */
  pageUrl: string | null;
  /** The other customers of the same person (a visitor who identified as a customer who already had chats). */
  linked: { id: string; username: string; verified: boolean }[];
}

/** postMessage between the loader (shop page) and the frame (chat origin); both sides check the exact origin. */
export const WidgetMessage = {
  /** loader → frame: the page around it, and commands queued by SupportChat(...). */
  hello: 'support-chat:hello',
  command: 'support-chat:command',
  /** frame → loader */
  ready: 'support-chat:ready',
  unread: 'support-chat:unread',
  close: 'support-chat:close',
} as const;
