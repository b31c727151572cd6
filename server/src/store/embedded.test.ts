// The pure parts of the embedded database: mongod's command line (no mongod can be had on these machines, so its
// start is exercised only where one exists), URIs and the error that names the three ways out.
import { describe, expect, it } from 'vitest';
import { mongodArgs, NoDatabaseError, redactUri, unixSocketUri } from './embedded';

describe('embedded database', () => {
  it('runs mongod as one replica-set member on 127.0.0.1 only, with access control by its key file and no /tmp socket', () => {
    const args = mongodArgs({ dbPath: '/d/mongod', port: 4321, keyFile: '/d/mongod.key' });
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect(value('--bind_ip')).toBe('127.0.0.1');
    expect(value('--port')).toBe('4321');
    expect(value('--replSet')).toBe('rs0');
    expect(value('--keyFile')).toBe('/d/mongod.key'); // implies --auth
    expect(args).toContain('--nounixsocket');
    expect(args).not.toContain('--bind_ip_all');
  });

  it('addresses a Unix socket by its percent-encoded path, and never prints a password', () => {
    expect(unixSocketUri('/tmp/a b/db.sock')).toBe(
      'mongodb://%2Ftmp%2Fa%20b%2Fdb.sock/?directConnection=true&retryWrites=false',
    );
    expect(redactUri('mongodb://support-chat:s3cr%2Ft@127.0.0.1:5/?authSource=admin')).toBe(
      'mongodb://support-chat:***@127.0.0.1:5/?authSource=admin',
    );
  });

  it('names what was tried and the three ways out', () => {
    const { message } = new NoDatabaseError(['mongod: none on the PATH']);
    expect(message).toContain('  - mongod: none on the PATH');
    expect(message).toMatch(/1\. install MongoDB[\s\S]*2\. install Go[\s\S]*3\. set MONGO_URI/);
  });
});
