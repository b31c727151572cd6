// owned by chat helper — placeholder so the platform skeleton type-checks; the chat helper replaces this file.
import type { AppDeps } from '../app';
import type { ChatIo } from './auth';

export function registerRealtime(_io: ChatIo, _deps: AppDeps): void {}
