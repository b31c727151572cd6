// The owner's audit log: one document per owner action (who, what, when), from the console and from the CLI.
// Written after the action succeeded; never holds a password or a secret.
import { type Collection, type Db, ObjectId } from 'mongodb';
import { ensureCollection, raisesUnavailable } from './mongo';

/** Who acted: an owner signed in to the console, or someone at the server's command line (OS user). */
export type AuditActor = { kind: 'owner'; id: string; username: string } | { kind: 'cli'; osUser: string };

export interface AuditDoc {
  _id: ObjectId;
  at: Date;
  actor: AuditActor;
  /** What was done, `noun.verb`: `agent.create`, `department.rename`, `site.rotate_secret` … */
  action: string;
  /** What it was done to (a username, a department or site id). */
  target: string;
  /** Non-secret particulars (new name, departments, origins). */
  details?: Record<string, unknown>;
}

const schema = {
  bsonType: 'object',
  required: ['at', 'actor', 'action', 'target'],
  properties: {
    at: { bsonType: 'date' },
    actor: { bsonType: 'object' },
    action: { bsonType: 'string', maxLength: 64 },
    target: { bsonType: 'string', maxLength: 256 },
  },
};

export async function ensureAuditCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'audit_log', schema);
}

export class AuditStore {
  private readonly log: Collection<AuditDoc>;

  constructor(db: Db) {
    this.log = db.collection<AuditDoc>('audit_log');
  }

  async insert(entry: Omit<AuditDoc, '_id'>): Promise<AuditDoc> {
    const doc: AuditDoc = { _id: new ObjectId(), ...entry };
    await this.log.insertOne(doc);
    return doc;
  }

  /** Newest first; `before` is an entry id from the previous page. */
  list(opts: { limit: number; before?: string }): Promise<AuditDoc[]> {
    const filter =
      opts.before && ObjectId.isValid(opts.before) ? { _id: { $lt: new ObjectId(opts.before) } } : {};
    return this.log.find(filter).sort({ _id: -1 }).limit(opts.limit).toArray();
  }
}
raisesUnavailable(AuditStore);
