// The agent's availability as the app sets it: what they chose (tray menu, header) and auto-away, which Electron's
// powerMonitor drives (system idle time, screen lock). The renderer tells the server; this class only decides.
import type { AgentStatus } from '@support-chat/protocol';

/** The part of Electron's powerMonitor used here. */
export interface PowerMonitorLike {
  getSystemIdleTime(): number;
  on(event: 'lock-screen' | 'unlock-screen' | 'user-did-become-active', listener: () => void): unknown;
  removeListener(
    event: 'lock-screen' | 'unlock-screen' | 'user-did-become-active',
    listener: () => void,
  ): unknown;
}

export interface AvailabilityState {
  /** What the agent picked. */
  chosen: AgentStatus;
  /** What the server is told: away when chosen, or while idle / locked with auto-away on. */
  status: AgentStatus;
  /** Why the status is away without the agent choosing it. */
  auto: 'idle' | 'locked' | null;
}

export interface AvailabilityDeps {
  powerMonitor: PowerMonitorLike;
  /** Calls `check` every `ms` until the returned function is called. */
  every: (ms: number, check: () => void) => () => void;
  /** Minutes of system idle time before auto-away (0: never). */
  autoAwayMinutes: number;
  /** How often the idle time is read (default 15 s). */
  pollMs?: number;
}

export class AvailabilityService {
  private chosen: AgentStatus = 'available';
  private locked = false;
  private idle = false;
  private autoAwayMinutes: number;
  private readonly listeners = new Set<(state: AvailabilityState) => void>();
  private readonly stopPolling: () => void;
  private readonly onLock = () => this.update(() => (this.locked = true));
  private readonly onUnlock = () => this.update(() => (this.locked = false));
  private readonly onActive = () => this.update(() => (this.idle = false));

  constructor(private readonly deps: AvailabilityDeps) {
    this.autoAwayMinutes = deps.autoAwayMinutes;
    deps.powerMonitor.on('lock-screen', this.onLock);
    deps.powerMonitor.on('unlock-screen', this.onUnlock);
    deps.powerMonitor.on('user-did-become-active', this.onActive);
    this.stopPolling = deps.every(deps.pollMs ?? 15_000, () => this.check());
  }

  get state(): AvailabilityState {
    const auto =
      this.autoAwayMinutes > 0 && this.locked
        ? 'locked'
        : this.autoAwayMinutes > 0 && this.idle
          ? 'idle'
          : null;
    return { chosen: this.chosen, status: this.chosen === 'away' || auto ? 'away' : 'available', auto };
  }

  /** Called with the new state whenever the status or the reason changes. */
  onChange(listener: (state: AvailabilityState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The agent's own choice (tray menu, header). */
  choose(status: AgentStatus): AvailabilityState {
    this.update(() => (this.chosen = status));
    return this.state;
  }

  setAutoAwayMinutes(minutes: number): void {
    this.update(() => {
      this.autoAwayMinutes = minutes;
      if (minutes <= 0) this.idle = false;
    });
    this.check();
  }

  /** Reads the system idle time: idle past the setting is away; any activity is back. */
  check(): void {
    if (this.autoAwayMinutes <= 0) return;
    const idleSeconds = this.deps.powerMonitor.getSystemIdleTime();
    this.update(() => (this.idle = idleSeconds >= this.autoAwayMinutes * 60));
  }

  stop(): void {
    this.stopPolling();
    this.deps.powerMonitor.removeListener('lock-screen', this.onLock);
    this.deps.powerMonitor.removeListener('unlock-screen', this.onUnlock);
    this.deps.powerMonitor.removeListener('user-did-become-active', this.onActive);
  }

  private update(change: () => void): void {
    const before = JSON.stringify(this.state);
    change();
    const after = this.state;
    if (JSON.stringify(after) === before) return;
    for (const listener of this.listeners) listener(after);
  }
}
