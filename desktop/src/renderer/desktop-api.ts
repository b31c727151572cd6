// The preload's API as the renderer sees it: a type from the preload, never a hand-kept declaration.
import type { DesktopApi } from '../preload/preload';

export type { DesktopApi };

export const desktop: DesktopApi = (window as unknown as { desktop: DesktopApi }).desktop;
