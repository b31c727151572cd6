// Websites that embed the widget (SPEC §10), the customers that belong to one of them, and the widget's own session
// credentials. Every lookup on the hot path is an `_id` point read (FerretDB v1 pushes only `_id` down):
// sites by id, site customers by user id, a verified identity by "<site>\n<sub>", a credential by its hash.
import type { SiteIdentity } from '@support-chat/protocol';
import { Binary, type Collection, type Db, type ObjectId } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export interface SiteDoc {
  _id: string;
  name: string;
  /** Exact origins (scheme://host[:port]) that may frame the widget. */
  origins: string[];
  /** Departments offered to this site's visitors. */
  departments: string[];
  identity: SiteIdentity;
  /** The signing secret, sealed like message text (AES-256-GCM, key id kept; "site:<id>" bound as data). */
  secret: { ciphertext: Binary; nonce: Binary; keyId: string };
  secretVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A customer that belongs to one site: an anonymous visitor or a verified customer of the shop. */
export interface SiteCustomerDoc {
  /** The user's id. */
  _id: ObjectId;
  site: string;
  /** The shop's own id of a verified customer; null for a visitor. */
  sub: string | null;
  verified: boolean;
  name: string | null;
  email: string | null;
  /** The page each conversation was started from, by department (first report wins). */
  pages: Record<string, string>;
  /** Other customers of the same person (a visitor who identified as a customer who already had chats). */
  linked: ObjectId[];
  createdAt: Date;
  updatedAt: Date;
}

/** One verified customer per (site, sub): the `_id` is the pair, so the pair is unique by construction. */
interface SiteIdentityDoc {
  _id: string;
  userId: ObjectId;
  createdAt: Date;
}

/** The widget's session credential, stored as the SHA-256 of what the frame holds. */
export interface WidgetCredentialDoc {
  _id: string;
  site: string;
  userId: ObjectId;
  /** The login session the access tokens belong to (revoking it ends the credential too). */
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set when a newer credential replaced this one; it is still accepted until then (tabs refreshing at once). */
  graceUntil: Date | null;
}

/** Bytes in and out of BSON binaries. */
export const toBinary = (bytes: Buffer): Binary => new Binary(bytes);
export const fromBinary = (bin: Binary): Buffer =>
  Buffer.from(bin.buffer.buffer, bin.buffer.byteOffset, bin.position);

export const identityKey = (site: string, sub: string) => `${site}\n${sub}`;

export async function ensureSiteCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'sites', {
    bsonType: 'object',
    required: ['_id', 'name', 'origins', 'departments', 'identity', 'secret'],
    properties: {
      _id: { bsonType: 'string', maxLength: 32 },
      name: { bsonType: 'string', maxLength: 64 },
      origins: { bsonType: 'array', items: { bsonType: 'string' } },
      departments: { bsonType: 'array', items: { bsonType: 'string' } },
      identity: { enum: ['off', 'optional', 'required'] },
    },
  });
  await ensureCollection(db, 'siteCustomers', {
    bsonType: 'object',
    required: ['_id', 'site', 'verified'],
    properties: { site: { bsonType: 'string' }, verified: { bsonType: 'bool' } },
  });
  await ensureCollection(db, 'siteIdentities', {
    bsonType: 'object',
    required: ['_id', 'userId'],
    properties: { _id: { bsonType: 'string' }, userId: { bsonType: 'objectId' } },
  });
  await ensureCollection(db, 'widgetCredentials', {
    bsonType: 'object',
    required: ['_id', 'site', 'userId', 'sessionId', 'expiresAt'],
    properties: { _id: { bsonType: 'string' }, sessionId: { bsonType: 'string' } },
  });
  await db.collection('widgetCredentials').createIndex({ sessionId: 1 }, { name: 'sessionId' });
}

export class SiteStore {
  private readonly sites: Collection<SiteDoc>;
  private readonly customers: Collection<SiteCustomerDoc>;
  private readonly identities: Collection<SiteIdentityDoc>;
  private readonly credentials: Collection<WidgetCredentialDoc>;

  constructor(db: Db) {
    this.sites = db.collection<SiteDoc>('sites');
    this.customers = db.collection<SiteCustomerDoc>('siteCustomers');
    this.identities = db.collection<SiteIdentityDoc>('siteIdentities');
    this.credentials = db.collection<WidgetCredentialDoc>('widgetCredentials');
  }

  // ---- sites

  async insertSite(doc: SiteDoc): Promise<boolean> {
    try {
      await this.sites.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  findSite(id: string): Promise<SiteDoc | null> {
    return this.sites.findOne({ _id: id });
  }

  listSites(): Promise<SiteDoc[]> {
    return this.sites.find({}).sort({ _id: 1 }).toArray();
  }

  /** Replaces the sealed secret; false when there is no such site. */
  async replaceSecret(id: string, secret: SiteDoc['secret']): Promise<boolean> {
    const r = await this.sites.updateOne(
      { _id: id },
      { $set: { secret, updatedAt: new Date() }, $inc: { secretVersion: 1 } },
    );
    return r.matchedCount === 1;
  }

  /** Changes a site's name, origins, departments or identity mode; the site after, or null when there is none. */
  updateSite(
    id: string,
    change: Partial<Pick<SiteDoc, 'name' | 'origins' | 'departments' | 'identity'>>,
  ): Promise<SiteDoc | null> {
    return this.sites.findOneAndUpdate(
      { _id: id },
      { $set: { ...change, updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
  }

  // ---- site customers

  async insertCustomer(doc: SiteCustomerDoc): Promise<void> {
    await this.customers.insertOne(doc);
  }

  findCustomer(userId: ObjectId): Promise<SiteCustomerDoc | null> {
    return this.customers.findOne({ _id: userId });
  }

  findCustomers(userIds: ObjectId[]): Promise<SiteCustomerDoc[]> {
    return this.customers.find({ _id: { $in: userIds } }).toArray();
  }

  /** Turns a visitor into the verified customer (site, sub) in place: what they wrote stays theirs. */
  async verifyCustomer(
    userId: ObjectId,
    change: { sub: string; name: string | null; email: string | null },
  ): Promise<void> {
    await this.customers.updateOne(
      { _id: userId },
      { $set: { ...change, verified: true, updatedAt: new Date() } },
    );
  }

  /** Name and email as the visitor gave them, or as the shop's token carries them (verified). */
  async updateDetails(
    userId: ObjectId,
    change: { name?: string | null; email?: string | null },
  ): Promise<void> {
    if (Object.keys(change).length === 0) return;
    await this.customers.updateOne({ _id: userId }, { $set: { ...change, updatedAt: new Date() } });
  }

  /** Records the page a conversation started from, once per department. */
  async recordPage(userId: ObjectId, department: string, url: string): Promise<void> {
    await this.customers.updateOne(
      { _id: userId, [`pages.${department}`]: { $exists: false } },
      { $set: { [`pages.${department}`]: url } },
    );
  }

  /** Links two customers of one person, both ways. */
  async link(a: ObjectId, b: ObjectId): Promise<void> {
    await this.customers.updateOne({ _id: a }, { $addToSet: { linked: b } });
    await this.customers.updateOne({ _id: b }, { $addToSet: { linked: a } });
  }

  // ---- verified identities

  findIdentity(site: string, sub: string): Promise<SiteIdentityDoc | null> {
    return this.identities.findOne({ _id: identityKey(site, sub) });
  }

  /** Claims (site, sub) for a user; the user already holding it when someone was first. */
  async claimIdentity(site: string, sub: string, userId: ObjectId): Promise<ObjectId> {
    try {
      await this.identities.insertOne({ _id: identityKey(site, sub), userId, createdAt: new Date() });
      return userId;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const winner = await this.identities.findOne({ _id: identityKey(site, sub) });
      if (!winner) throw err;
      return winner.userId;
    }
  }

  // ---- widget credentials

  async insertCredential(doc: WidgetCredentialDoc): Promise<void> {
    await this.credentials.insertOne(doc);
  }

  findCredential(hash: string): Promise<WidgetCredentialDoc | null> {
    return this.credentials.findOne({ _id: hash });
  }

  /** Starts the grace period of a replaced credential; false when another request replaced it first. */
  async retireCredential(hash: string, graceUntil: Date): Promise<boolean> {
    const r = await this.credentials.updateOne({ _id: hash, graceUntil: null }, { $set: { graceUntil } });
    return r.modifiedCount === 1;
  }

  async deleteCredential(hash: string): Promise<void> {
    await this.credentials.deleteOne({ _id: hash });
  }

  /** Every widget login of a site (the owner ends them all); its credentials are deleted, the logins returned. */
  async takeSiteSessions(site: string): Promise<string[]> {
    const docs = await this.credentials.find({ site }, { projection: { sessionId: 1 } }).toArray();
    await this.credentials.deleteMany({ site });
    return [...new Set(docs.map((d) => d.sessionId))];
  }

  /**
   * The widget logins of a site's anonymous visitors (the site now requires identity): their credentials are
   * deleted, the logins returned. Verified customers keep theirs.
   */
  async takeVisitorSessions(site: string): Promise<string[]> {
    const docs = await this.credentials.find({ site }, { projection: { userId: 1, sessionId: 1 } }).toArray();
    if (docs.length === 0) return [];
    const verified = new Set(
      (await this.findCustomers([...new Map(docs.map((d) => [d.userId.toHexString(), d.userId])).values()]))
        .filter((c) => c.verified)
        .map((c) => c._id.toHexString()),
    );
    const sessions = [
      ...new Set(docs.filter((d) => !verified.has(d.userId.toHexString())).map((d) => d.sessionId)),
    ];
    for (const sessionId of sessions) await this.credentials.deleteMany({ sessionId });
    return sessions;
  }

  /** Every credential of one login (logout, identify switching person). */
  async deleteSessionCredentials(sessionId: string): Promise<void> {
    await this.credentials.deleteMany({ sessionId });
  }
}
raisesUnavailable(SiteStore);
