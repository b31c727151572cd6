// The owner console's API (`/api/admin/…`, SPEC §13): request schemas (the console validates with the same ones, so
// its messages are the API's) and the shapes it answers with.
import { z } from 'zod';
import {
  cannedShortcut,
  departmentId,
  departmentName,
  email,
  objectId,
  password,
  siteId,
  templateText,
  username,
} from './schemas';

export const SITE_IDENTITY_MODES = ['off', 'optional', 'required'] as const;

const departmentIds = z.array(departmentId).max(100);

/**
 * A website's origin (SPEC §10): `https:`, or `http:` on a loopback host (development); normalised to
 * scheme://host[:port]. Null for anything else (paths, credentials, other schemes).
 */
export function parseSiteOrigin(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.origin === 'null' || url.username || url.password) return null;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return null;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url.origin;
  return null;
}
export const notAnOrigin = (raw: string) =>
  `"${raw}" is not an origin like https://shop.example (https, or http on localhost)`;
/** The site's origins, each checked with the server's own rule and message. */
const siteOrigins = z
  .array(
    z
      .string()
      .max(300)
      .superRefine((v, ctx) => {
        if (parseSiteOrigin(v) === null) ctx.addIssue({ code: 'custom', message: notAnOrigin(v) });
      }),
  )
  .min(1, 'give at least one origin')
  .max(20);
const shortcut = cannedShortcut;
/** Free text of the console (titles, canned reply text): no NUL, trimmed. */
const text = templateText;
/** A calendar day in REPORT_TIMEZONE. */
export const reportDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-01-31')
  .refine((s) => {
    const t = Date.parse(`${s}T00:00:00Z`);
    return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s);
  }, 'must be a real date');

/** Actions without parameters take no body (or an empty object). */
export const EmptyBody = z.strictObject({});
export const CreateDepartmentBody = z.strictObject({ id: departmentId, name: departmentName });
export const RenameDepartmentBody = z.strictObject({ name: departmentName });
export const CreateAgentBody = z.strictObject({
  username,
  email,
  password,
  departments: departmentIds.min(1, 'give at least one department'),
});
export const AgentDepartmentsBody = z.strictObject({
  departments: departmentIds.min(1, 'give at least one department'),
});
export const ResetPasswordBody = z.strictObject({ password });
export const CreateSiteBody = z.strictObject({
  id: siteId,
  name: departmentName,
  origins: siteOrigins,
  departments: departmentIds.default([]),
  identity: z.enum(SITE_IDENTITY_MODES).default('optional'),
});
/** Any of name, origins, departments and identity mode; at least one. */
export const UpdateSiteBody = z
  .strictObject({
    name: departmentName.optional(),
    origins: siteOrigins.optional(),
    departments: departmentIds.min(1, 'give at least one department').optional(),
    identity: z.enum(SITE_IDENTITY_MODES).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export const CreateCannedReplyBody = z.strictObject({
  department: departmentId,
  shortcut,
  title: text(100),
  text: text(4000),
});
export const CannedRepliesQuery = z.strictObject({ department: departmentId.optional() });
export const AuditQuery = z.strictObject({
  before: objectId.optional(),
  limit: z.coerce.number().pipe(z.int().min(1).max(200)).default(50),
});
/** At most 366 days, `to` inclusive. */
export const ReportsQuery = z
  .strictObject({ from: reportDay, to: reportDay, department: departmentId.optional() })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < 366, {
    message: 'at most 366 days',
    path: ['to'],
  });

export interface AdminDepartment {
  id: string;
  name: string;
  agentsOnline: number;
}
export interface AdminAgent {
  id: string;
  username: string;
  email: string;
  role: 'agent';
  departments: string[];
  disabled: boolean;
  createdAt: string;
}
export interface AdminSite {
  id: string;
  name: string;
  origins: string[];
  departments: string[];
  identity: (typeof SITE_IDENTITY_MODES)[number];
  createdAt: string;
}
export interface CannedReply {
  id: string;
  department: string;
  shortcut: string;
  title: string;
  text: string;
}
export interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: 'owner'; id: string; username: string } | { kind: 'cli'; osUser: string };
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/** Durations in milliseconds; percentiles are nearest-rank (the smallest value with at least p% at or below it). */
export interface DurationStats {
  count: number;
  p50: number | null;
  p90: number | null;
  average: number | null;
}
export interface ReportDay {
  day: string;
  episodesStarted: number;
  episodesResolved: number;
  messages: { customer: number; agents: number };
  firstResponse: DurationStats;
  resolution: DurationStats;
  satisfaction: {
    count: number;
    average: number | null;
    distribution: [number, number, number, number, number];
  };
}
export interface ReportAgent {
  agentId: string;
  username: string;
  messages: number;
  episodesResolved: number;
  firstResponse: DurationStats;
  resolution: DurationStats;
  /** Ratings given while the agent held the conversation. */
  satisfaction: ReportDay['satisfaction'];
}
export interface Report {
  from: string;
  to: string;
  department: string | null;
  timeZone: string;
  days: ReportDay[];
  totals: Omit<ReportDay, 'day'>;
  agents: ReportAgent[];
}
