// The console's calls to /api/admin: the access token in memory only, sent as a bearer token (the console's CSRF
// defence: no cookie is honoured by /api/admin). The refresh token stays in the server's HttpOnly SameSite cookie;
// a page load or an expired access token refreshes through it.
import type { ApiError, User } from '@support-chat/protocol';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError & { issues?: { path: string; message: string }[] },
  ) {
    super(error.message);
  }
}

export class AdminApi {
  private accessToken: string | null = null;
  user: User | null = null;
  /** Called when the session ended (refresh refused): the console shows the login again. */
  onSignedOut: () => void = () => {};

  private async raw(method: string, path: string, body?: unknown, token = this.accessToken) {
    return fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private static async parse<T>(res: Response): Promise<T> {
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      throw new ApiFailure(
        res.status,
        data?.error ?? { code: 'internal_error', message: `The server answered ${res.status}` },
      );
    }
    return data as T;
  }

  private async signedIn(data: { user: User; accessToken: string }): Promise<User> {
    if (data.user.role !== 'owner') {
      this.accessToken = data.accessToken;
      await this.logout();
      throw new ApiFailure(403, { code: 'forbidden', message: 'Only the owner can use the console' });
    }
    this.accessToken = data.accessToken;
    this.user = data.user;
    return data.user;
  }

  async login(username: string, password: string): Promise<User> {
    const data = await AdminApi.parse<{ user: User; accessToken: string }>(
      await this.raw('POST', '/api/auth/login', { username, password }, null),
    );
    return this.signedIn(data);
  }

  private resuming: Promise<User | null> | null = null;

  /** A new access token through the refresh cookie; null when there is no session. One at a time: a refresh
   * token is spent by its use, and presenting a spent one ends the login. */
  resume(): Promise<User | null> {
    this.resuming ??= this.refresh().finally(() => {
      this.resuming = null;
    });
    return this.resuming;
  }

  private async refresh(): Promise<User | null> {
    const res = await this.raw('POST', '/api/auth/refresh', {}, null);
    if (!res.ok) return null;
    const data = await AdminApi.parse<{ user?: User; accessToken: string }>(res);
    if (!data.user) {
      const me = await AdminApi.parse<{ user: User }>(
        await this.raw('GET', '/api/me', undefined, data.accessToken),
      );
      return this.signedIn({ user: me.user, accessToken: data.accessToken });
    }
    return this.signedIn({ user: data.user, accessToken: data.accessToken });
  }

  async logout(): Promise<void> {
    await this.raw('POST', '/api/auth/logout', {}).catch(() => {});
    this.accessToken = null;
    this.user = null;
  }

  /** An /api/admin call; an expired access token is refreshed once. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res = await this.raw(method, `/api/admin${path}`, body);
    if (res.status === 401 && (await this.resume())) res = await this.raw(method, `/api/admin${path}`, body);
    if (res.status === 401) {
      this.accessToken = null;
      this.user = null;
      this.onSignedOut();
    }
    return AdminApi.parse<T>(res);
  }
}
