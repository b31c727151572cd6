// The one MongoDB connection and the repositories over it: the only way the rest of the server reaches a collection.

import { type Db, MongoClient } from 'mongodb';
import { createLogger } from '../log';
import { AttachmentStore, ensureAttachmentCollections } from './attachments';
import { AuditStore, ensureAuditCollection } from './audit';
import { AuthEpochStore } from './auth-epoch';
import { CannedReplyStore, ensureCannedReplyCollection } from './canned-replies';
import { ConversationStore, ensureConversationCollections } from './conversations';
import { DepartmentStore, ensureDepartmentCollections } from './departments';
import { ensureInboxCollections, InboxStore } from './inbox';
import { ensureMessageCollection, MessageStore } from './messages';
import { ensureNoteCollections, NoteStore } from './notes';
import { ensurePersonalReplyCollection, PersonalReplyStore } from './personal-replies';
import { ensureRatingCollection, RatingStore } from './ratings';
import { ensureReportCollection, ReportStore } from './reports';
import { ensureSiteCollections, SiteStore } from './sites';
import { ensureTokenCollections, SessionStore } from './tokens';
import { ensureUserCollections, UserStore } from './users';

const log = createLogger('store');

export interface Store {
  /** The raw database, for tests and tools that inspect stored documents; the server goes through the repositories. */
  db: Db;
  users: UserStore;
  departments: DepartmentStore;
  sessions: SessionStore;
  authEpoch: AuthEpochStore;
  conversations: ConversationStore;
  messages: MessageStore;
  /** Files sent in conversations, chunked and encrypted (SPEC §11). */
  attachments: AttachmentStore;
  /** Websites with the widget, their customers and the widget's credentials (SPEC §10). */
  sites: SiteStore;
  /** The owner's audit log (SPEC §13). */
  audit: AuditStore;
  /** Departments' canned replies (SPEC §12). */
  cannedReplies: CannedReplyStore;
  /** Report facts per department and day (SPEC §13). */
  reports: ReportStore;
  /** Internal notes (SPEC §12): agents only. */
  notes: NoteStore;
  /** Satisfaction ratings, one per resolved episode (SPEC §12). */
  ratings: RatingStore;
  /** Each agent's own canned replies (SPEC §12). */
  personalReplies: PersonalReplyStore;
  /** The inbox index: one key per view and conversation (SPEC §15). */
  inbox: InboxStore;

  /** True when the database answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** How a message range is read: decided per call ('auto'), or forced (tests cover both paths). */
  messageReads?: 'auto' | 'points' | 'range';
}

/** The repositories over a database whose collections exist (connectStore creates them). */
export function openStore(
  db: Db,
  opts: StoreOptions = {},
  close: () => Promise<void> = async () => {},
): Store {
  const authEpoch = new AuthEpochStore(db);
  return {
    db,
    users: new UserStore(db),
    departments: new DepartmentStore(db),
    sessions: new SessionStore(db, authEpoch),
    authEpoch,
    conversations: new ConversationStore(db),
    messages: new MessageStore(db, opts.messageReads),
    attachments: new AttachmentStore(db),
    sites: new SiteStore(db),
    audit: new AuditStore(db),
    cannedReplies: new CannedReplyStore(db),
    reports: new ReportStore(db),
    notes: new NoteStore(db),
    ratings: new RatingStore(db),
    personalReplies: new PersonalReplyStore(db),
    inbox: new InboxStore(db),

    async ping(timeoutMs = 1000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([
          db.command({ ping: 1 }, { timeoutMS: timeoutMs }).then(
            () => true,
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    close,
  };
}

/** Creates the collections, indexes and validators (idempotent). */
export async function ensureCollections(db: Db): Promise<void> {
  await ensureUserCollections(db);
  await ensureDepartmentCollections(db);
  await ensureTokenCollections(db);
  await ensureConversationCollections(db);
  await ensureMessageCollection(db);
  await ensureAttachmentCollections(db);
  await ensureSiteCollections(db);
  await ensureAuditCollection(db);
  await ensureCannedReplyCollection(db);
  await ensureReportCollection(db);
  await ensureNoteCollections(db);
  await ensureRatingCollection(db);
  await ensurePersonalReplyCollection(db);
  await ensureInboxCollections(db);
}

export interface ConnectOptions extends StoreOptions {
  /** How long to wait for the first connection. */
  serverSelectionTimeoutMS?: number;
}

export async function connectStore(uri: string, dbName: string, opts: ConnectOptions = {}): Promise<Store> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5_000,
    retryWrites: false,
    appName: 'support-chat',
  });
  await client.connect();
  const db = client.db(dbName);
  await ensureCollections(db);
  log.info({ dbName }, 'database connected');
  return openStore(db, opts, () => client.close());
}
