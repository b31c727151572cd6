// The widget frame's session (SPEC §10): its own credential, kept in the frame's storage (partitioned per shop by
// the browser: it works with third-party cookies blocked), exchanged for access tokens; and the host page, reached by
// postMessage at its exact origin only.
import type { ApiError, Result, WidgetSessionResponse, WidgetSite } from '@support-chat/protocol/core';
import { WidgetMessage } from '@support-chat/protocol/core';

const unavailable: ApiError = { code: 'unavailable', message: 'The chat server cannot be reached' };

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token?: string,
): Promise<Result<T>> {
  try {
    const res = await fetch(path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      // The widget's partitioned cookie (same origin): the credential where the frame has no storage.
      credentials: 'same-origin',
    });
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : null;
    if (res.ok) return { ok: true, data: data as T };
    const error = (data as { error?: ApiError } | null)?.error;
    return { ok: false, error: error ?? { ...unavailable, message: `HTTP ${res.status}` } };
  } catch {
    return { ok: false, error: unavailable };
  }
}

export const loadSite = (site: string) =>
  call<{ site: WidgetSite }>('GET', `/api/widget/sites/${encodeURIComponent(site)}`);

/**
 * The credential in the frame's (partitioned) localStorage where the browser offers it (Safari, Firefox); where it
 * does not (Chrome with third-party cookies blocked), the server's partitioned HttpOnly cookie holds it.
 */
class CredentialStore {
  private memory: string | null = null;
  constructor(private readonly key: string) {}

  get(): string | null {
    try {
      return window.localStorage.getItem(this.key);
    } catch {
      return this.memory;
    }
  }

  set(value: string | null): void {
    this.memory = value;
    try {
      if (value === null) window.localStorage.removeItem(this.key);
      else window.localStorage.setItem(this.key, value);
    } catch {
      // Storage refused: this page load keeps it in memory.
    }
  }
}

export interface Identity {
  verified: boolean;
  name: string | null;
  email: string | null;
}

export class WidgetSession {
  private readonly store: CredentialStore;
  /** The access token of the last answer, handed to the chat client once before it asks the server. */
  private fresh: string | null = null;
  identity: Identity = { verified: false, name: null, email: null };

  constructor(readonly site: string) {
    this.store = new CredentialStore(`support-chat:widget:${site}`);
  }

  private take(r: Result<WidgetSessionResponse>): Result<WidgetSessionResponse> {
    if (r.ok) {
      if (r.data.credential) this.store.set(r.data.credential);
      this.fresh = r.data.accessToken;
      this.identity = { verified: r.data.verified, name: r.data.name, email: r.data.email };
    }
    return r;
  }

  /** A new anonymous visitor. */
  async start(details: { name?: string; email?: string }): Promise<Result<WidgetSessionResponse>> {
    return this.take(await call('POST', '/api/widget/sessions', { site: this.site, ...details }));
  }

  /** The shop's identity token; the visitor's credential goes along so that nothing they wrote is lost. */
  async identify(token: string): Promise<Result<WidgetSessionResponse>> {
    const credential = this.store.get();
    return this.take(
      await call('POST', '/api/widget/identify', {
        site: this.site,
        token,
        ...(credential ? { credential } : {}),
      }),
    );
  }

  async logout(): Promise<void> {
    const credential = this.store.get();
    this.store.set(null);
    this.fresh = null;
    this.identity = { verified: false, name: null, email: null };
    await call('POST', '/api/widget/logout', { site: this.site, ...(credential ? { credential } : {}) });
  }

  async saveDetails(details: { name?: string; email?: string }, accessToken: string | null): Promise<void> {
    if (accessToken) await call('POST', '/api/widget/details', details, accessToken);
  }

  async recordPage(department: string, pageUrl: string, accessToken: string | null): Promise<void> {
    if (accessToken) await call('POST', '/api/widget/page', { department, pageUrl }, accessToken);
  }

  /**
   * The chat client's token source: null ends the login (the credential was refused), a throw is transient.
   * The credential is read from storage each time: another tab may have rotated it.
   */
  readonly accessToken = async (forceRefresh: boolean): Promise<string | null> => {
    if (this.fresh && !forceRefresh) {
      const token = this.fresh;
      this.fresh = null;
      return token;
    }
    // From storage when the browser gives the frame some; otherwise the partitioned cookie goes along by itself.
    const exchange = async (credential: string | null) =>
      this.take(
        await call('POST', '/api/widget/token', { site: this.site, ...(credential ? { credential } : {}) }),
      );
    const credential = this.store.get();
    let r = await exchange(credential);
    if (!r.ok && r.error.code === 'unauthorized' && credential) {
      // Ours was replaced (another tab rotated it, and a frame without storage keeps only this page's copy): the
      // cookie holds the current one.
      if (this.store.get() === credential) this.store.set(null);
      r = await exchange(null);
    }
    this.fresh = null;
    if (r.ok) return r.data.accessToken;
    if (r.error.code === 'unauthorized') return null;
    throw new Error(r.error.message);
  };
}

export type HostCommand =
  | { command: 'identify'; arg: unknown }
  | { command: 'open' | 'close' | 'logout'; arg?: unknown }
  | { command: 'department'; arg: unknown };

/**
 * The page around the frame. Messages are taken only from the parent window at one of the site's origins (the first
 * one heard from is the host from then on), and sent only to that origin.
 */
export class HostLink {
  private origin: string | null = null;
  private allowed: readonly string[] | null = null;
  private early: MessageEvent[] = [];
  pageUrl: string | null = null;

  constructor(
    private readonly onCommand: (c: HostCommand) => void,
    private readonly onHello: () => void,
  ) {
    window.addEventListener('message', (e) => {
      if (this.allowed === null) this.early.push(e);
      else this.receive(e);
    });
  }

  /** The site's origins are known: messages that came before are judged now. */
  allow(origins: readonly string[]): void {
    this.allowed = origins;
    for (const e of this.early.splice(0)) this.receive(e);
  }

  private receive(e: MessageEvent): void {
    if (e.source !== window.parent || window.parent === window) return;
    if (!this.allowed?.includes(e.origin) || (this.origin !== null && e.origin !== this.origin)) return;
    const data = e.data as { type?: unknown; pageUrl?: unknown; command?: unknown; arg?: unknown } | null;
    if (!data || typeof data.type !== 'string') return;
    if (data.type === WidgetMessage.hello) {
      this.origin = e.origin;
      if (typeof data.pageUrl === 'string' && data.pageUrl.length <= 2000) this.pageUrl = data.pageUrl;
      this.send(WidgetMessage.ready);
      this.onHello();
    } else if (data.type === WidgetMessage.command && this.origin !== null) {
      const command = data.command;
      if (
        command === 'identify' ||
        command === 'open' ||
        command === 'close' ||
        command === 'logout' ||
        command === 'department'
      )
        this.onCommand({ command, arg: data.arg } as HostCommand);
    }
  }

  send(type: string, data: Record<string, unknown> = {}): void {
    if (this.origin) window.parent.postMessage({ type, ...data }, this.origin);
  }
}
