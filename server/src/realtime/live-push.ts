/**
 * The live push: a consumer of the alert stream that tells connected dashboards what changed
 * (DESIGN.md, "Data flow"). Within a batch each alert is sent once, as raised if it was new,
 * with its state at the end of the batch, and each resident's board status once, read as it
 * is now. It commits after sending; a crash in between sends the batch again after the restart,
 * to connections that never saw it.
 */
import type { Alert, Page } from '@carecircle/protocol';
import type { LogHandler } from '../logs/log.consumer';
import type { AlertStreamEntry, StateStore } from '../storage/ports';
import type { LiveAudience } from './socket';

export const LIVE_PUSH_CONSUMER = 'live-push';

export class LivePush implements LogHandler<AlertStreamEntry> {
  constructor(
    private readonly deps: {
      store: StateStore;
      /** Resolved when the HTTP server (and so the socket.io server) exists. */
      audience: () => LiveAudience;
    },
  ) {}

  async handle(_partition: number, entries: readonly AlertStreamEntry[]): Promise<void> {
    const alerts = new Map<string, { raised: boolean; alert: Alert }>();
    const residents = new Set<string>();
    const pages: { alert: Alert; page: Page; at: string }[] = [];
    for (const e of entries) {
      if (e.action === 'paged' && e.page && e.alert) pages.push({ alert: e.alert, page: e.page, at: e.at });
      if (e.alertId && e.alert) {
        const raised = e.action === 'raised' || alerts.get(e.alertId)?.raised === true;
        alerts.set(e.alertId, { raised, alert: e.alert });
      }
      // The board changes when an alert is raised or closed, or a device comes or goes.
      const closes = e.toState === 'resolved' || e.toState === 'cancelled';
      if (e.residentId && (e.action === 'raised' || e.action === 'device_status' || closes))
        residents.add(e.residentId);
    }
    const statuses = [];
    for (const residentId of residents) {
      const status = await this.deps.store.residents.statusChange(residentId);
      if (status) statuses.push(status);
    }
    const audience = this.deps.audience();
    for (const { raised, alert } of alerts.values()) audience.alert(raised ? 'raised' : 'updated', alert);
    // Each page once, to exactly the people it paged (with the alert as it was then).
    for (const { alert, page, at } of pages) audience.paged(alert, page, at);
    for (const status of statuses) audience.residentStatus(status);
  }
}
