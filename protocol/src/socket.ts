/**
 * The typed socket.io event map shared by server and dashboard. Clients authenticate in the
 * handshake (`auth.token`, or the session cookie); the server joins them to the rooms their
 * role and scope allow and to nothing else.
 */
import type { Alert, Page } from './alerts';
import type { ResidentStatus } from './api';

export interface ResidentStatusChange {
  residentId: string;
  siteId: string;
  status: ResidentStatus;
  activeAlerts: number;
}

export interface ServerToClientEvents {
  'alert:raised': (alert: Alert) => void;
  'alert:updated': (alert: Alert) => void;
  'resident:status': (change: ResidentStatusChange) => void;
  /** To the people an escalation ladder paged, and only to them: this alert needs you now. */
  'alert:paged': (paged: { alert: Alert; page: Page; at: string }) => void;
  /** Sent once after the server joined the client to its rooms. */
  ready: (info: { userId: string; siteIds: string[] }) => void;
}

// biome-ignore lint/complexity/noBannedTypes: socket.io wants an (empty) event map here.
export type ClientToServerEvents = {};

export const rooms = {
  site: (siteId: string) => `site:${siteId}`,
  resident: (residentId: string) => `resident:${residentId}`,
  user: (userId: string) => `user:${userId}`,
} as const;
