// The website widget (SPEC §10): sites registered by the owner, their visitors and verified customers, and the
// widget's own session credential. Visitors are customers (role `customer`) that belong to one site; everything
// the chat does for customers (conversations, messages, unread) works for them unchanged.
//
// The credential: 32 random bytes the widget frame keeps in its (partitioned) storage, stored here as SHA-256,
// tied to one login session (so `disable-user` and session revocation end it), valid for the site's widget only.
// Exchanging it gives an access token for the socket; one older than `widgetCredentialRotateSec` is replaced, the
// old one kept for a short grace so that two tabs refreshing at once both stay signed in.
import { randomBytes } from 'node:crypto';
import {
  adminSchemas,
  ErrorCode,
  fail,
  ok,
  type Result,
  type SiteCustomerProfile,
  type SiteIdentity,
  type User,
  type WidgetSessionResponse,
  type WidgetSite,
} from '@support-chat/protocol';
import type { Config } from '../config';
import { createLogger } from '../log';
import type { CustomerDetails } from '../store/conversations';
import type { Store } from '../store/db';
import {
  fromBinary,
  type SiteCustomerDoc,
  type SiteDoc,
  toBinary,
  type WidgetCredentialDoc,
} from '../store/sites';
import { newUserDoc, toObjectId, type UserDoc } from '../store/users';
import type { PresenceSource } from './accounts';
import type { Actor } from './actor';
import { type AuthService, toUser } from './auth';
import type { MessageCipher } from './crypto';
import { KeyedQueue } from './keyed-queue';
import { verifyIdentityToken } from './site-identity';
import { hashRefreshToken, newSessionDoc, signAccessToken } from './tokens';

const log = createLogger('widget');
const { notAnOrigin, parseSiteOrigin } = adminSchemas;

/** A replaced credential is still accepted this long (tabs that refreshed at the same moment). */
export const CREDENTIAL_GRACE_MS = 60_000;
/** Visitors and site customers never log in with a password. */
const NO_PASSWORD = '!widget-customer';

const sealContext = (siteId: string) => `site:${siteId}`;

/** The origin rule is the protocol's (the console checks with it too). */
export { parseSiteOrigin };

export interface NewSite {
  id: string;
  name: string;
  origins: string[];
  departments: string[];
  identity: SiteIdentity;
}

/** What the owner may change of a site after creating it. */
export type SiteChange = Partial<Pick<NewSite, 'name' | 'origins' | 'departments' | 'identity'>>;

/** The owner's side: registering sites and their secrets (the admin CLI and the console). */
export class SiteAdmin {
  constructor(
    private readonly store: Pick<Store, 'sites' | 'departments' | 'sessions'>,
    private readonly cipher: MessageCipher,
  ) {}

  private seal(siteId: string, secret: string): SiteDoc['secret'] {
    const sealed = this.cipher.seal(sealContext(siteId), 0, secret);
    return { ciphertext: toBinary(sealed.ciphertext), nonce: toBinary(sealed.nonce), keyId: sealed.keyId };
  }

  async createSite(input: NewSite): Promise<Result<{ site: SiteDoc; secret: string }>> {
    const checked = this.checkOrigins(input.origins);
    if (!checked.ok) return checked;
    const origins = checked.data;
    const known = await this.store.departments.ids();
    const departments = input.departments.length ? input.departments : known;
    const missing = departments.filter((d) => !known.includes(d));
    if (missing.length) return fail(ErrorCode.notFound, `No such department: ${missing.join(', ')}`);
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const site: SiteDoc = {
      _id: input.id,
      name: input.name,
      origins,
      departments,
      identity: input.identity,
      secret: this.seal(input.id, secret),
      secretVersion: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.sites.insertSite(site)))
      return fail(ErrorCode.conflict, `Site "${input.id}" already exists`);
    log.info({ siteId: input.id, origins, departments, identity: input.identity }, 'site created');
    return ok({ site, secret });
  }

  /**
   * Changes what the owner may change of a site: name, origins (checked as at creation), departments and identity
   * mode. Framing, postMessage and the departments offered follow at once (each request reads the site). A site
   * that now requires identity ends its anonymous visitors' widget logins (their open sockets end within seconds,
   * through the auth epoch), so nothing more is sent without a valid token.
   */
  async updateSite(
    id: string,
    input: SiteChange,
  ): Promise<Result<{ site: SiteDoc; visitorSessionsEnded: number }>> {
    const change: SiteChange = {};
    if (input.name !== undefined) change.name = input.name;
    if (input.origins !== undefined) {
      const origins = this.checkOrigins(input.origins);
      if (!origins.ok) return origins;
      change.origins = origins.data;
    }
    if (input.departments !== undefined) {
      const known = await this.store.departments.ids();
      const missing = input.departments.filter((d) => !known.includes(d));
      if (missing.length) return fail(ErrorCode.notFound, `No such department: ${missing.join(', ')}`);
      if (input.departments.length === 0) return fail(ErrorCode.invalidInput, 'give at least one department');
      change.departments = [...new Set(input.departments)];
    }
    if (input.identity !== undefined) change.identity = input.identity;
    if (Object.keys(change).length === 0) return fail(ErrorCode.invalidInput, 'nothing to change');
    const before = await this.store.sites.findSite(id);
    if (!before) return fail(ErrorCode.notFound, `No site "${id}"`);
    const site = await this.store.sites.updateSite(id, change);
    if (!site) return fail(ErrorCode.notFound, `No site "${id}"`);
    let visitorSessionsEnded = 0;
    if (site.identity === 'required' && before.identity !== 'required') {
      const sessions = await this.store.sites.takeVisitorSessions(id);
      for (const sessionId of sessions) await this.store.sessions.revoke({ sessionId }, 'logout');
      visitorSessionsEnded = sessions.length;
    }
    log.info({ siteId: id, change, visitorSessionsEnded }, 'site changed');
    return ok({ site, visitorSessionsEnded });
  }

  private checkOrigins(raw: readonly string[]): Result<string[]> {
    const origins: string[] = [];
    for (const r of raw) {
      const origin = parseSiteOrigin(r);
      if (!origin) {
        const message = notAnOrigin(r);
        return fail(ErrorCode.invalidInput, message, { issues: [{ path: 'origins', message }] });
      }
      if (!origins.includes(origin)) origins.push(origin);
    }
    if (origins.length === 0) {
      const message = 'give at least one origin';
      return fail(ErrorCode.invalidInput, message, { issues: [{ path: 'origins', message }] });
    }
    return ok(origins);
  }

  /** A new secret replaces the old at once: tokens signed with the old one are refused from now on. */
  async rotateSecret(id: string): Promise<Result<{ secret: string }>> {
    const secret = randomBytes(32).toString('base64url');
    if (!(await this.store.sites.replaceSecret(id, this.seal(id, secret))))
      return fail(ErrorCode.notFound, `No site "${id}"`);
    log.info({ siteId: id }, 'site secret rotated');
    return ok({ secret });
  }

  /**
   * Ends every widget login of the site: credentials deleted, logins revoked (open sockets end within seconds,
   * on every server, through the auth epoch). Visitors start again; verified customers identify again.
   */
  async endSessions(id: string): Promise<Result<{ sessions: number }>> {
    if (!(await this.store.sites.findSite(id))) return fail(ErrorCode.notFound, `No site "${id}"`);
    const sessions = await this.store.sites.takeSiteSessions(id);
    for (const sessionId of sessions) await this.store.sessions.revoke({ sessionId }, 'logout');
    log.info({ siteId: id, sessions: sessions.length }, 'site widget sessions ended');
    return ok({ sessions: sessions.length });
  }

  listSites(): Promise<SiteDoc[]> {
    return this.store.sites.listSites();
  }

  /** The site's secret in clear (only the server, to check identity tokens). */
  openSecret(site: SiteDoc): Buffer | null {
    const s = site.secret;
    const text = this.cipher.open(sealContext(site._id), 0, {
      ciphertext: fromBinary(s.ciphertext),
      nonce: fromBinary(s.nonce),
      keyId: s.keyId,
    });
    return text === null ? null : Buffer.from(text, 'utf8');
  }
}

/** What the widget asks of the conversations (ConversationService). */
export interface WidgetConversations {
  /** A visitor identified as an existing verified customer: their conversations pass where the rule says. */
  passConversations(
    from: string,
    to: { id: string; username: string; details: CustomerDetails },
  ): Promise<unknown>;
  /** A customer's name, email or verification changed: their conversations show it to agents. */
  customerDetailsChanged(customerId: string, details: CustomerDetails): Promise<void>;
}

const detailsOf = (c: Pick<SiteCustomerDoc, 'name' | 'email' | 'verified'>): CustomerDetails => ({
  name: c.name,
  email: c.email,
  verified: c.verified,
});

const detailsDiffer = (
  a: Pick<SiteCustomerDoc, 'name' | 'email'>,
  b: Pick<SiteCustomerDoc, 'name' | 'email'>,
) => a.name !== b.name || a.email !== b.email;

const unauthorized = (message = 'Not signed in to this site’s chat') => fail(ErrorCode.unauthorized, message);

export class WidgetService {
  readonly admin: SiteAdmin;
  /** One exchange per credential at a time in this process (updateOne is not atomic on FerretDB v1). */
  private readonly exchanges = new KeyedQueue();

  constructor(
    private readonly store: Pick<Store, 'sites' | 'users' | 'sessions' | 'departments'>,
    private readonly config: Pick<
      Config,
      'secretKey' | 'accessTokenTtlSec' | 'widgetSessionTtlSec' | 'widgetCredentialRotateSec'
    >,
    cipher: MessageCipher,
    private readonly auth: AuthService,
    private readonly presence: PresenceSource,
    /** The customers' conversations (ConversationService): hand-over and the details agents see. */
    private readonly conversations: WidgetConversations = {
      passConversations: async () => {},
      customerDetailsChanged: async () => {},
    },
  ) {
    this.admin = new SiteAdmin(store, cipher);
  }

  findSite(id: string): Promise<SiteDoc | null> {
    return this.store.sites.findSite(id);
  }

  /** What the widget frame needs first: the site's name, identity mode, origins and departments. */
  async siteInfo(id: string): Promise<Result<WidgetSite>> {
    const site = await this.store.sites.findSite(id);
    if (!site) return fail(ErrorCode.notFound, 'No such site');
    const all = await this.store.departments.list();
    const offered = all.filter((d) => site.departments.includes(d._id));
    const online = await this.presence.agentsOnline(offered.map((d) => d._id));
    return ok({
      id: site._id,
      name: site.name,
      identity: site.identity,
      origins: site.origins,
      departments: offered.map((d) => ({ id: d._id, name: d.name, agentsOnline: online[d._id] ?? 0 })),
    });
  }

  /** A new anonymous visitor (identity off or optional); counts against the registration throttle. */
  async startVisitor(
    input: { site: string; name?: string; email?: string },
    address: string,
  ): Promise<Result<WidgetSessionResponse>> {
    const site = await this.store.sites.findSite(input.site);
    if (!site) return fail(ErrorCode.notFound, 'No such site');
    if (site.identity === 'required')
      return fail(ErrorCode.forbidden, 'This site’s chat is for signed-in customers only');
    const charged = await this.auth.chargeRegistration(address);
    if (!charged.ok) return charged;
    const { user, customer } = await this.createCustomer(site, null, input.name ?? null, input.email ?? null);
    log.info({ siteId: site._id, userId: user._id.toHexString() }, 'widget visitor created');
    return ok(await this.startSession(site, user, customer));
  }

  /** Exchanges the credential for an access token; a credential due for rotation is replaced. */
  exchange(input: { site: string; credential: string }): Promise<Result<WidgetSessionResponse>> {
    return this.exchanges.run(hashRefreshToken(input.credential), () => this.exchangeNow(input));
  }

  private async exchangeNow(input: {
    site: string;
    credential: string;
  }): Promise<Result<WidgetSessionResponse>> {
    const found = await this.liveCredential(input.site, input.credential);
    if (!found.ok) return found;
    const { doc, user, customer } = found.data;
    // A site that requires identity now takes no anonymous visitor (also one whose login outlived the change).
    if (!customer.verified && (await this.store.sites.findSite(input.site))?.identity === 'required')
      return unauthorized('This site’s chat is for signed-in customers only');
    const now = Date.now();
    let credential: string | undefined;
    const due = now - doc.createdAt.getTime() >= this.config.widgetCredentialRotateSec * 1000;
    if (due && doc.graceUntil === null) {
      // Only the request that retires the old credential makes the new one; a racing tab keeps the old (grace).
      if (await this.store.sites.retireCredential(doc._id, new Date(now + CREDENTIAL_GRACE_MS))) {
        credential = await this.issueCredential(input.site, user._id, doc.sessionId);
      }
    }
    return ok(this.sessionResponse(user, customer, doc.sessionId, credential));
  }

  /**
   * A shop's identity token (HS256, the site's secret). The visitor becomes the verified customer (site, sub) in
   * place when nobody is that customer yet (nothing moves); otherwise the session passes to the existing
   * customer, each of the visitor's conversations passes to them where they have none with its department (the
   * others stay the visitor's), and the two are linked, each shown to agents with the other (SPEC §10).
   */
  async identify(
    input: { site: string; credential?: string; token: string },
    address: string,
  ): Promise<Result<WidgetSessionResponse>> {
    const site = await this.store.sites.findSite(input.site);
    if (!site) return fail(ErrorCode.notFound, 'No such site');
    if (site.identity === 'off') return fail(ErrorCode.forbidden, 'This site does not identify customers');
    const secret = this.admin.openSecret(site);
    if (!secret) {
      log.error({ siteId: site._id }, 'site secret cannot be opened (message key missing?)');
      return fail(ErrorCode.unavailable, 'Identity cannot be checked right now');
    }
    const verified = await verifyIdentityToken(secret, input.token);
    if (!verified.ok) {
      log.warn({ siteId: site._id, reason: verified.reason }, 'identity token refused');
      return unauthorized('The identity token was refused');
    }
    const { sub } = verified.identity;
    // What the token carries replaces what was known; what it leaves out stays.
    const details = {
      ...(verified.identity.name !== null ? { name: verified.identity.name } : {}),
      ...(verified.identity.email !== null ? { email: verified.identity.email } : {}),
    };
    let current: { doc: WidgetCredentialDoc; user: UserDoc; customer: SiteCustomerDoc } | null = null;
    if (input.credential) {
      const found = await this.liveCredential(site._id, input.credential);
      if (found.ok) current = found.data;
    }
    const holder = await this.store.sites.findIdentity(site._id, sub);
    // Already this customer: fresh details, same session.
    if (current && holder && current.user._id.equals(holder.userId)) {
      const customer = { ...current.customer, ...details };
      // A shop calls identify on every page load: only a change is written and shown to agents.
      if (detailsDiffer(current.customer, customer)) {
        await this.store.sites.updateDetails(current.user._id, details);
        await this.conversations.customerDetailsChanged(current.user._id.toHexString(), detailsOf(customer));
      }
      return ok(this.sessionResponse(current.user, customer, current.doc.sessionId));
    }
    // An anonymous visitor and nobody holds (site, sub) yet: they become that customer, keeping everything.
    if (current && !current.customer.verified && !holder) {
      const winner = await this.store.sites.claimIdentity(site._id, sub, current.user._id);
      if (winner.equals(current.user._id)) {
        await this.store.sites.verifyCustomer(current.user._id, {
          sub,
          name: details.name ?? current.customer.name,
          email: details.email ?? current.customer.email,
        });
        log.info({ siteId: site._id, userId: winner.toHexString() }, 'widget visitor identified in place');
        const customer = { ...current.customer, ...details, sub, verified: true };
        await this.conversations.customerDetailsChanged(winner.toHexString(), detailsOf(customer));
        return ok(this.sessionResponse(current.user, customer, current.doc.sessionId));
      }
    }
    // Another person's session (a verified customer) is never reused: it ends here.
    let userId = holder?.userId ?? null;
    if (!userId) {
      const charged = await this.auth.chargeRegistration(address);
      if (!charged.ok) return charged;
      const created = await this.createCustomer(site, sub, details.name ?? null, details.email ?? null);
      userId = await this.store.sites.claimIdentity(site._id, sub, created.user._id);
    }
    const user = await this.store.users.findById(userId.toHexString());
    const customer = await this.store.sites.findCustomer(userId);
    if (!user || !customer) return fail(ErrorCode.unavailable, 'Customer not readable yet, try again');
    if (user.disabled) return fail(ErrorCode.forbidden, 'This customer cannot chat');
    const merged = { ...customer, ...details };
    if (detailsDiffer(customer, merged)) {
      await this.store.sites.updateDetails(userId, details);
      await this.conversations.customerDetailsChanged(userId.toHexString(), detailsOf(merged));
    }
    if (current) {
      if (!current.customer.verified) {
        // The visitor's pages go with their conversations (the first page known per department stays).
        for (const [department, url] of Object.entries(current.customer.pages))
          await this.store.sites.recordPage(userId, department, url);
        await this.conversations.passConversations(current.user._id.toHexString(), {
          id: user._id.toHexString(),
          username: user.username,
          details: detailsOf(merged),
        });
        await this.store.sites.link(current.user._id, userId);
      }
      await this.endSession(current.doc.sessionId);
    }
    log.info({ siteId: site._id, userId: userId.toHexString() }, 'widget customer identified');
    return ok(await this.startSession(site, user, merged));
  }

  /** Ends the widget's login (SupportChat('logout')): the credential and its access tokens stop working. */
  async logout(input: { site: string; credential: string }): Promise<void> {
    const found = await this.liveCredential(input.site, input.credential);
    if (found.ok) await this.endSession(found.data.doc.sessionId);
  }

  /** A visitor's own name and email (the form before the first message). */
  async updateDetails(actor: Actor, input: { name?: string; email?: string }): Promise<Result<null>> {
    const customer = await this.siteCustomerOf(actor);
    if (!customer) return fail(ErrorCode.forbidden, 'Only widget visitors have these details');
    // A verified customer's details come from the shop's token only.
    if (customer.verified) return fail(ErrorCode.forbidden, 'Your details come from the shop');
    const change = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
    };
    await this.store.sites.updateDetails(customer._id, change);
    await this.conversations.customerDetailsChanged(actor.id, detailsOf({ ...customer, ...change }));
    return ok(null);
  }

  /** The page a conversation was started from (first report per department; only the site's own pages). */
  async recordPage(actor: Actor, department: string, pageUrl: string): Promise<Result<null>> {
    const customer = await this.siteCustomerOf(actor);
    if (!customer) return fail(ErrorCode.forbidden, 'Only widget visitors report pages');
    const site = await this.store.sites.findSite(customer.site);
    if (!site?.origins.includes(new URL(pageUrl).origin))
      return fail(ErrorCode.invalidInput, 'That page is not on this site');
    if (!site.departments.includes(department)) return fail(ErrorCode.notFound, 'No such department');
    await this.store.sites.recordPage(customer._id, department, pageUrl);
    return ok(null);
  }

  /** Whether this customer may open a conversation with the department (a site's customers: its departments). */
  async departmentAllowed(customerId: string, department: string): Promise<boolean> {
    const oid = toObjectId(customerId);
    const customer = oid ? await this.store.sites.findCustomer(oid) : null;
    if (!customer) return true;
    const site = await this.store.sites.findSite(customer.site);
    return !!site?.departments.includes(department);
  }

  /** A website customer's name, email and verification for their conversations' summaries; null: not one. */
  async customerDetails(customerId: string): Promise<CustomerDetails | null> {
    const oid = toObjectId(customerId);
    const customer = oid ? await this.store.sites.findCustomer(oid) : null;
    return customer ? detailsOf(customer) : null;
  }

  /** What agents see of a conversation's customer; null for a customer of the chat page. */
  async profile(customerId: string, department: string): Promise<SiteCustomerProfile | null> {
    const oid = toObjectId(customerId);
    const customer = oid ? await this.store.sites.findCustomer(oid) : null;
    if (!oid || !customer) return null;
    const [site, user, linkedDocs] = await Promise.all([
      this.store.sites.findSite(customer.site),
      this.store.users.findById(customerId),
      customer.linked.length ? this.store.sites.findCustomers(customer.linked) : Promise.resolve([]),
    ]);
    const linkedUsers = await Promise.all(
      linkedDocs.map((d) => this.store.users.findById(d._id.toHexString())),
    );
    return {
      site: { id: customer.site, name: site?.name ?? customer.site },
      username: user?.username ?? '',
      verified: customer.verified,
      name: customer.name,
      email: customer.email,
      pageUrl: customer.pages[department] ?? null,
      linked: linkedDocs.flatMap((d, i) => {
        const u = linkedUsers[i];
        return u ? [{ id: u._id.toHexString(), username: u.username, verified: d.verified }] : [];
      }),
    };
  }

  // ---- internals

  private async siteCustomerOf(actor: Actor): Promise<SiteCustomerDoc | null> {
    if (actor.role !== 'customer') return null;
    const oid = toObjectId(actor.id);
    return oid ? this.store.sites.findCustomer(oid) : null;
  }

  private async createCustomer(
    site: SiteDoc,
    sub: string | null,
    name: string | null,
    email: string | null,
  ): Promise<{ user: UserDoc; customer: SiteCustomerDoc }> {
    // A generated username (shown to agents, and what `disable-user` takes); the given name and email live on the
    // site customer, not unique, not subject to the username rules.
    // Someone may have registered a name (or email) of this shape on the chat page: draw again.
    let user: UserDoc | null = null;
    for (let attempt = 0; attempt < 5 && !user; attempt++) {
      const username = `${site._id}-${randomBytes(5).toString('hex')}`;
      const candidate = newUserDoc({
        username,
        email: `${username}@widget.invalid`,
        passwordHash: NO_PASSWORD,
        role: 'customer',
        departments: [],
      });
      if ((await this.store.users.insert(candidate)) === 'inserted') user = candidate;
    }
    if (!user) throw new Error('no free generated username after 5 draws');
    const now = new Date();
    const customer: SiteCustomerDoc = {
      _id: user._id,
      site: site._id,
      sub,
      verified: sub !== null,
      name,
      email,
      pages: {},
      linked: [],
      createdAt: now,
      updatedAt: now,
    };
    await this.store.sites.insertCustomer(customer);
    return { user, customer };
  }

  private async startSession(
    site: SiteDoc,
    user: UserDoc,
    customer: SiteCustomerDoc,
  ): Promise<WidgetSessionResponse> {
    const session = newSessionDoc(user._id, this.config.widgetSessionTtlSec);
    await this.store.sessions.insertSession(session);
    const credential = await this.issueCredential(site._id, user._id, session._id);
    return this.sessionResponse(user, customer, session._id, credential);
  }

  private async issueCredential(site: string, userId: UserDoc['_id'], sessionId: string): Promise<string> {
    const credential = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.store.sites.insertCredential({
      _id: hashRefreshToken(credential),
      site,
      userId,
      sessionId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.widgetSessionTtlSec * 1000),
      graceUntil: null,
    });
    return credential;
  }

  private sessionResponse(
    user: UserDoc,
    customer: SiteCustomerDoc,
    sessionId: string,
    credential?: string,
  ): WidgetSessionResponse {
    const { token } = signAccessToken(
      this.config.secretKey,
      { sub: user._id.toHexString(), sid: sessionId, role: 'customer' },
      this.config.accessTokenTtlSec,
    );
    const me: User = toUser(user);
    return {
      user: me,
      accessToken: token,
      ...(credential ? { credential } : {}),
      verified: customer.verified,
      name: customer.name,
      email: customer.email,
    };
  }

  /** A credential of this site that is current (or in its grace), of a live login of an enabled customer. */
  private async liveCredential(
    siteId: string,
    credential: string,
  ): Promise<Result<{ doc: WidgetCredentialDoc; user: UserDoc; customer: SiteCustomerDoc }>> {
    const doc = await this.store.sites.findCredential(hashRefreshToken(credential));
    const now = Date.now();
    if (!doc || doc.site !== siteId || doc.expiresAt.getTime() <= now) return unauthorized();
    if (doc.graceUntil && doc.graceUntil.getTime() <= now) return unauthorized();
    const [session, user, customer] = await Promise.all([
      this.store.sessions.findSession(doc.sessionId),
      this.store.users.findById(doc.userId.toHexString()),
      this.store.sites.findCustomer(doc.userId),
    ]);
    if (!session || session.revokedAt || !user || user.disabled || !customer || customer.site !== siteId)
      return unauthorized();
    return ok({ doc, user, customer });
  }

  private async endSession(sessionId: string): Promise<void> {
    await this.store.sites.deleteSessionCredentials(sessionId);
    await this.store.sessions.revoke({ sessionId }, 'logout');
  }
}
