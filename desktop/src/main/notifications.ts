// Native notifications for new customer messages; clicking one brings the window back on that conversation.
import type { NotificationConstructorOptions } from 'electron';
import type { NotifyRequest } from '../common/ipc';
import { notificationContent, shouldNotify } from '../common/notification-policy';
import { createLogger } from './logger';

const log = createLogger('notifications');

export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown;
  show(): void;
}

export interface NotificationWindow {
  isFocused(): boolean;
  isVisible(): boolean;
  isMinimized(): boolean;
}

export interface NotificationDeps {
  isSupported: () => boolean;
  create: (options: NotificationConstructorOptions) => NotificationLike;
  getWindow: () => NotificationWindow | null;
  /** Linux notification daemons render markup, so the text is escaped there. */
  platform: NodeJS.Platform;
  /** Shows and focuses the window, then tells the renderer to open the conversation. */
  openConversation: (conversationId: string) => void;
}

export class NotificationService {
  // Keep shown notifications referenced: a garbage-collected Notification loses its click handler.
  private readonly live = new Set<NotificationLike>();

  constructor(private readonly deps: NotificationDeps) {}

  private windowFocused(): boolean {
    const window = this.deps.getWindow();
    return !!window && window.isVisible() && !window.isMinimized() && window.isFocused();
  }

  /** Applies the policy with the real focus state and shows the notification; returns whether it did. */
  notify(request: NotifyRequest): boolean {
    const context = { windowFocused: this.windowFocused(), openConversationId: request.openConversationId };
    if (!shouldNotify(request, context)) return false;
    if (!this.deps.isSupported()) {
      log.info({}, 'notifications are not supported on this system');
      return false;
    }
    const notification = this.deps.create({
      ...notificationContent(request, this.deps.platform),
      silent: false,
    });
    this.live.add(notification);
    if (this.live.size > 50) this.live.delete(this.live.values().next().value as NotificationLike);
    notification.on('click', () => {
      this.live.delete(notification);
      this.deps.openConversation(request.conversationId);
    });
    notification.show();
    log.info({ conversationId: request.conversationId }, 'notification shown');
    return true;
  }
}
