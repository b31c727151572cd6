import type { SaveDialogOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN } from '../common/ipc';
import { DownloadService, safeFileName } from './downloads';
import { FakeEmitter, FakeEvent } from './test/fakes';

class FakeDownloadItem extends FakeEmitter {
  dialog: SaveDialogOptions | null = null;
  constructor(
    readonly url: string,
    readonly filename: string,
  ) {
    super();
  }
  getURL() {
    return this.url;
  }
  getFilename() {
    return this.filename;
  }
  setSaveDialogOptions(options: SaveDialogOptions) {
    this.dialog = options;
  }
  once(event: string, listener: (...args: never[]) => unknown) {
    return this.on(event, listener);
  }
}

const setup = () => {
  const session = new FakeEmitter();
  const service = new DownloadService({ session, downloadsDir: () => '/home/agent/Downloads' });
  const download = (url: string, filename: string) => {
    const event = new FakeEvent(url);
    const item = new FakeDownloadItem(url, filename);
    session.emit('will-download', event, item, {});
    return { event, item };
  };
  return { service, download };
};

describe('DownloadService', () => {
  it('asks where to save a file the app fetched, starting in the downloads folder', () => {
    const { download } = setup();
    const { event, item } = download(`blob:${APP_ORIGIN}/2b1c-44`, 'Facture été.pdf');
    expect(event.defaultPrevented).toBe(false);
    expect(item.dialog).toMatchObject({
      title: 'Save attachment',
      defaultPath: '/home/agent/Downloads/Facture été.pdf',
    });
    // Finishing logs only: the app never opens what it saved.
    item.emit('done', {}, 'completed');
  });

  it('refuses downloads that are not blobs of the app page (links, the server, other origins)', () => {
    const { download } = setup();
    for (const url of [
      'https://evil.example/x.exe',
      'http://127.0.0.1:3000/api/attachments/0123456789abcdef01234567',
      'blob:https://evil.example/1',
      'file:///etc/passwd',
      'data:text/html,hi',
    ]) {
      const { event, item } = download(url, 'x.exe');
      expect(event.defaultPrevented).toBe(true);
      expect(item.dialog).toBeNull();
    }
  });

  it('offers only a plain file name', () => {
    expect(safeFileName('../../.bashrc')).toBe('bashrc');
    expect(safeFileName('C:\\Windows\\system32\\evil.dll')).toBe('evil.dll');
    expect(safeFileName('a\u202egnp.exe')).toBe('a_gnp.exe');
    expect(safeFileName('con.txt')).toBe('_con.txt');
    expect(safeFileName('what?.pdf')).toBe('what_.pdf');
    expect(safeFileName('...')).toBe('attachment');
    expect(safeFileName('')).toBe('attachment');
  });
});
