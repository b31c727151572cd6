// Fakes of the Electron objects the services take; they record what was done to them.
import type { IpcMainInvokeEvent, MessageBoxOptions } from 'electron';
import type { Keychain } from '../credentials';

type Listener = (...args: never[]) => unknown;

export class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? [])
      (listener as (...a: unknown[]) => unknown)(...args);
  }
}

export class FakeEvent {
  defaultPrevented = false;
  constructor(readonly url = '') {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeShell {
  readonly opened: string[] = [];
  async openExternal(url: string): Promise<void> {
    this.opened.push(url);
  }
}

/** Records the message boxes shown and answers each with the button index it was given. */
export class FakeDialog {
  readonly shown: MessageBoxOptions[] = [];
  constructor(private readonly answer = 0) {}
  async showMessageBox(options: MessageBoxOptions): Promise<{ response: number }> {
    this.shown.push(options);
    return { response: this.answer };
  }
}

export class FakeIpcMain {
  readonly handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void {
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Calls a handler the way ipcRenderer.invoke from a frame at `url` would. */
  invoke(
    channel: string,
    frame: { url: string; parent: unknown } | null,
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return Promise.resolve(handler({ senderFrame: frame } as unknown as IpcMainInvokeEvent, ...args));
  }
}

/** An in-memory stand-in of the OS keychain, optionally failing like a locked or absent Secret Service. */
export class FakeKeychain implements Keychain {
  readonly entries = new Map<string, string>();
  constructor(private readonly failing = false) {}
  private check() {
    if (this.failing) throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
  }
  async getPassword(service: string, account: string) {
    this.check();
    return this.entries.get(`${service}/${account}`) ?? null;
  }
  async setPassword(service: string, account: string, password: string) {
    this.check();
    this.entries.set(`${service}/${account}`, password);
  }
  async deletePassword(service: string, account: string) {
    this.check();
    return this.entries.delete(`${service}/${account}`);
  }
  async findCredentials(service: string) {
    this.check();
    return [...this.entries]
      .filter(([k]) => k.startsWith(`${service}/`))
      .map(([k, password]) => ({ account: k.slice(service.length + 1), password }));
  }
}
