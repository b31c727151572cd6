import { describe, expect, it } from 'vitest';
import { AvailabilityService, type AvailabilityState } from './availability';
import { FakeEmitter } from './test/fakes';

class FakePowerMonitor extends FakeEmitter {
  idleSeconds = 0;
  getSystemIdleTime() {
    return this.idleSeconds;
  }
  removeListener(event: string, listener: () => void) {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
}

const make = (autoAwayMinutes = 5) => {
  const power = new FakePowerMonitor();
  let tick: (() => void) | null = null;
  let stopped = false;
  const service = new AvailabilityService({
    powerMonitor: power,
    autoAwayMinutes,
    every: (_ms, check) => {
      tick = check;
      return () => {
        stopped = true;
      };
    },
  });
  const seen: AvailabilityState[] = [];
  service.onChange((s) => seen.push(s));
  return { power, service, seen, tick: () => tick?.(), stopped: () => stopped };
};

describe('AvailabilityService', () => {
  it('starts available and follows the agent’s choice', () => {
    const { service, seen } = make();
    expect(service.state).toEqual({ chosen: 'available', status: 'available', auto: null });
    service.choose('away');
    service.choose('away');
    service.choose('available');
    expect(seen.map((s) => s.status)).toEqual(['away', 'available']);
  });

  it('goes away after the configured system idle time and back on activity', () => {
    const { power, service, seen, tick } = make(5);
    power.idleSeconds = 299;
    tick();
    expect(service.state.status).toBe('available');
    power.idleSeconds = 300;
    tick();
    expect(service.state).toEqual({ chosen: 'available', status: 'away', auto: 'idle' });
    power.idleSeconds = 0;
    power.emit('user-did-become-active');
    expect(service.state.status).toBe('available');
    // Polling alone also notices idleness and activity (platforms without the event).
    power.idleSeconds = 600;
    tick();
    power.idleSeconds = 2;
    tick();
    expect(seen.map((s) => s.status)).toEqual(['away', 'available', 'away', 'available']);
  });

  it('goes away on screen lock and back on unlock; a chosen away stays away', () => {
    const { power, service } = make(5);
    power.emit('lock-screen');
    expect(service.state).toMatchObject({ status: 'away', auto: 'locked' });
    power.emit('unlock-screen');
    expect(service.state.status).toBe('available');
    service.choose('away');
    power.emit('lock-screen');
    power.emit('unlock-screen');
    expect(service.state).toMatchObject({ chosen: 'away', status: 'away', auto: null });
  });

  it('does nothing automatically with auto-away off (0), and can be turned on later', () => {
    const { power, service, tick } = make(0);
    power.idleSeconds = 10_000;
    tick();
    power.emit('lock-screen');
    expect(service.state.status).toBe('available');
    service.setAutoAwayMinutes(10);
    expect(service.state).toMatchObject({ status: 'away', auto: 'locked' });
  });

  it('stops polling and listening when stopped', () => {
    const { power, service, stopped } = make(5);
    service.stop();
    expect(stopped()).toBe(true);
    power.emit('lock-screen');
    expect(service.state.status).toBe('available');
  });
});
