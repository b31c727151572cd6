// The service tier, built once over the store: every collaborator is a constructor argument, in dependency order.
import type { Config } from '../config';
import type { Store } from '../store/db';
import { AccountService } from './accounts';
import { AssignmentService } from './assignment';
import { AttachmentService } from './attachments';
import { AuthService } from './auth';
import { CannedReplyService } from './canned-replies';
import { ConversationService } from './conversations';
import { MessageCipher } from './crypto';
import { InboxService } from './inbox';
import { type ChatStore, LiveConversations, type LiveOptions } from './live-conversations';
import { MessageService } from './messages';
import { NoteService } from './notes';
import { OwnerConsole } from './owner-console';
import type { Presence } from './presence';
import {
  authThrottles,
  type ChatLimits,
  chatLimits,
  memoryRateLimiters,
  type RateLimiterFactory,
} from './ratelimit';
import { RatingService } from './ratings';
import { ReportFacts } from './report-facts';
import { ReportService } from './reports';
import { TransferService } from './transfer';
import { type ChatNotifier, ConversationViews } from './views';
import { SiteAdmin, WidgetService } from './widget';

export interface Services {
  auth: AuthService;
  accounts: AccountService;
  conversations: ConversationService;
  messages: MessageService;
  assignment: AssignmentService;
  presence: Presence;
  limits: ChatLimits;
  widget: WidgetService;
  /** What the owner does in the console (audited). */
  owner: OwnerConsole;
  /** Reports from the kept facts (SPEC §13). */
  reports: ReportService;
  /** Conversations as this process knows them, and the writer of their summaries. */
  live: LiveConversations;
  /** Internal notes (SPEC §12). */
  notes: NoteService;
  /** Satisfaction ratings (SPEC §12). */
  ratings: RatingService;
  /** Canned replies as agents use them (SPEC §12). */
  cannedReplies: CannedReplyService;
  /** Uploads, downloads and the cleanup of unsent files (SPEC §11). */
  attachments: AttachmentService;
  /** The agents' paged inbox and its counts (SPEC §15). */
  inbox: InboxService;
  /** Transfer between departments (SPEC §12). */
  transfer: TransferService;
}

export interface ServiceCollaborators {
  /** Who is online: counted from the sockets, or shared through Redis. */
  presence: Presence;
  /** Where durable changes are announced (the realtime layer's room emits; silent in service tests). */
  notifier: ChatNotifier;
  /** Shared rate limits and login throttles (Redis); default per process. */
  rateLimiters?: RateLimiterFactory;
  /** Tuning of the conversations' cache and summary writer (tests shorten its intervals). */
  live?: LiveOptions;
}

export function createServices(store: Store, config: Config, c: ServiceCollaborators): Services {
  const cipher = new MessageCipher(config.messageKeys);
  const views = new ConversationViews(cipher);
  const limiter = c.rateLimiters ?? memoryRateLimiters;
  const auth = new AuthService(store, config, authThrottles(config, limiter));
  const accounts = new AccountService(store, { auth, presence: c.presence });
  const facts = new ReportFacts(store, config.reportTimeZone);
  const live = new LiveConversations(store, { flushIntervalMs: config.summaryFlushMs, facts, ...c.live });
  // A written summary reaches both sides as conversation:updated (one event per conversation and flush).
  live.onFlushed = (flushed) => {
    for (const f of flushed) c.notifier.conversationUpdated(views.view(f.doc, f.lastText));
  };
  const chat: ChatStore = { ...store, conversations: live };
  const inbox = new InboxService(store, live);
  const assignment = new AssignmentService(chat, c.presence, views, c.notifier, inbox.counters);
  const widget: WidgetService = new WidgetService(store, config, cipher, auth, c.presence, {
    passConversations: (from, to) => conversations.passConversations(from, to),
    customerDetailsChanged: (id, details) => conversations.customerDetailsChanged(id, details),
  });
  const conversations: ConversationService = new ConversationService(
    chat,
    views,
    c.notifier,
    assignment,
    inbox,
    (customerId, department): Promise<boolean> => widget.departmentAllowed(customerId, department),
    (customerId) => widget.customerDetails(customerId),
  );
  const attachments = new AttachmentService(
    store,
    live,
    cipher,
    config,
    limiter('attachment-upload', {
      ratePerSecond: config.attachmentUploadsPerMinute / 60,
      burst: Math.max(1, Math.ceil(config.attachmentUploadsPerMinute)),
    }),
  );
  const messages = new MessageService(store, live, cipher, views, c.notifier, assignment, attachments);
  const limits = chatLimits(config, limiter);
  const siteAdmin = new SiteAdmin(store, cipher);
  const owner = new OwnerConsole(store, accounts, () => siteAdmin);
  const reports = new ReportService(store, config.reportTimeZone);
  const notes = new NoteService(store, live, cipher, c.notifier);
  const ratings = new RatingService(store, live, cipher, c.notifier, facts);
  const transfer = new TransferService(
    chat,
    messages,
    notes,
    assignment,
    views,
    c.notifier,
    inbox,
    (customerId, department) => widget.departmentAllowed(customerId, department),
  );
  const cannedReplies = new CannedReplyService(store);
  return {
    auth,
    accounts,
    conversations,
    messages,
    assignment,
    presence: c.presence,
    limits,
    widget,
    owner,
    reports,
    live,
    notes,
    ratings,
    cannedReplies,
    transfer,
    attachments,
    inbox,
  };
}
