// The store plumbing every shell shares: one immutable snapshot, replaced by patches, read by React through
// useSyncExternalStore.
import { useSyncExternalStore } from 'react';

export class ExternalStore<S extends object> {
  private readonly listeners = new Set<() => void>();

  constructor(protected state: S) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): S => this.state;

  protected update(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }
}

export const useStore = <S extends object>(store: ExternalStore<S>): S =>
  useSyncExternalStore(store.subscribe, store.getSnapshot);
