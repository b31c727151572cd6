// owned by chat helper — placeholder so the platform skeleton type-checks; the chat helper replaces this file.
import { Router } from '@koa/router';
import type { AppDeps } from '../../app';

export function conversationsRouter(_deps: AppDeps): Router {
  return new Router();
}
