// Saving attachments (SPEC §11): the renderer fetches a file with its access token and hands the browser a blob: URL
// to download; this handler takes every download of the app's session, refuses any that is not such a blob of the
// app's own page, and lets the OS save dialog ask where (never a silent path, never opened by the app).
import path from 'node:path';
import type { SaveDialogOptions } from 'electron';
import { APP_ORIGIN } from '../common/ipc';
import { createLogger } from './logger';

const log = createLogger('downloads');

export interface DownloadItemLike {
  getURL(): string;
  getFilename(): string;
  setSaveDialogOptions(options: SaveDialogOptions): void;
  once(
    event: 'done',
    listener: (event: unknown, state: 'completed' | 'cancelled' | 'interrupted') => void,
  ): unknown;
}

export interface DownloadSessionLike {
  on(
    event: 'will-download',
    listener: (event: { preventDefault(): void }, item: DownloadItemLike, webContents: unknown) => void,
  ): unknown;
}

export interface DownloadDeps {
  session: DownloadSessionLike;
  /** The OS's downloads folder (app.getPath('downloads')): where the save dialog starts. */
  downloadsDir: () => string;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** A name that is a plain file name on every OS: no folders, no controls, no reserved names, not hidden. */
export function safeFileName(raw: string): string {
  let name = raw.normalize('NFC');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  name = name.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069<>:"|?*]/g, '_').trim();
  name = name.replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if ([...name].length > 200) name = [...name].slice(-200).join('');
  return name || 'attachment';
}

export class DownloadService {
  constructor(private readonly deps: DownloadDeps) {
    deps.session.on('will-download', (event, item) => this.handle(event, item));
  }

  /** True when the download goes on to the save dialog. */
  handle(event: { preventDefault(): void }, item: DownloadItemLike): boolean {
    const url = item.getURL();
    // Only what the app's own page fetched and handed over as a blob: nothing a link or a server could start.
    if (!url.startsWith(`blob:${APP_ORIGIN}/`)) {
      event.preventDefault();
      log.warn({ scheme: url.split(':')[0] }, 'download refused: not a file the app fetched');
      return false;
    }
    const name = safeFileName(item.getFilename());
    item.setSaveDialogOptions({
      title: 'Save attachment',
      defaultPath: path.join(this.deps.downloadsDir(), name),
      buttonLabel: 'Save',
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    item.once('done', (_event, state) => log.info({ state }, 'download finished'));
    return true;
  }
}
