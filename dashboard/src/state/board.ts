/**
 * The board's state: the site's residents and its active alerts, changed by REST snapshots and
 * socket events. Pure, so the ordering rules below are tested without a browser.
 *
 * Ordering: a snapshot replaces everything, then the hook replays the socket events that arrived
 * while it was being fetched; an event older (by `updatedAt`) than what is held is dropped. So a
 * reconnect loses nothing and a late snapshot cannot undo a newer event.
 */
import type { Alert, Resident, ResidentStatusChange } from '@carecircle/protocol';
import { isActive } from './alertOrder';

export interface BoardState {
  residents: Resident[];
  /** Active alerts only, in no particular order (the queue sorts). */
  alerts: Alert[];
  /** Alerts resolved or cancelled today (site zone), newest closed first: today's history. */
  closed: Alert[];
  /** Alerts to draw attention to: raised or repeated live, not yet acknowledged. */
  highlighted: ReadonlySet<string>;
  loaded: boolean;
}

export type BoardAction =
  | { type: 'snapshot'; residents: Resident[]; alerts: Alert[]; closed: Alert[] }
  /** `replay`: re-applied after a snapshot; it already drew attention when it first arrived. */
  | { type: 'alert'; alert: Alert; replay?: boolean }
  | { type: 'residentStatus'; change: ResidentStatusChange }
  | { type: 'unhighlight'; alertId: string };

export const initialBoardState: BoardState = {
  residents: [],
  alerts: [],
  closed: [],
  highlighted: new Set(),
  loaded: false,
};

export function boardReducer(state: BoardState, action: BoardAction): BoardState {
  switch (action.type) {
    case 'snapshot': {
      // Highlights are kept: an alert raised during the fetch is replayed after this, and a
      // highlight of an alert no longer listed is never drawn and expires with its timer.
      const alerts = action.alerts.filter((a) => isActive(a.state));
      const closed = sortClosed(action.closed.filter((a) => !isActive(a.state)));
      return { ...state, residents: action.residents, alerts, closed, loaded: true };
    }
    case 'alert':
      return applyAlert(state, action.alert, action.replay !== true);
    case 'residentStatus': {
      const { change } = action;
      const residents = state.residents.map((r) =>
        r.id === change.residentId ? { ...r, status: change.status, activeAlerts: change.activeAlerts } : r,
      );
      return { ...state, residents };
    }
    case 'unhighlight': {
      if (!state.highlighted.has(action.alertId)) return state;
      const highlighted = new Set(state.highlighted);
      highlighted.delete(action.alertId);
      return { ...state, highlighted };
    }
  }
}

function applyAlert(state: BoardState, alert: Alert, live: boolean): BoardState {
  // Held as active or already in today's history: a replayed older event must not reopen it.
  const held = state.alerts.find((a) => a.id === alert.id) ?? state.closed.find((a) => a.id === alert.id);
  if (held !== undefined && Date.parse(held.updatedAt) > Date.parse(alert.updatedAt)) return state;
  const others = state.alerts.filter((a) => a.id !== alert.id);
  const highlighted = new Set(state.highlighted);
  if (alert.state !== 'open') highlighted.delete(alert.id);
  else if (live && (held === undefined || alert.count > held.count)) highlighted.add(alert.id);
  const active = isActive(alert.state);
  const alerts = active ? [...others, alert] : others;
  // An alert that closes moves to today's history; one already there is replaced, never doubled.
  const closed = active ? state.closed : sortClosed([...state.closed.filter((a) => a.id !== alert.id), alert]);
  return { ...state, alerts, closed, highlighted };
}

/** Newest closed first. */
function sortClosed(alerts: Alert[]): Alert[] {
  const at = (a: Alert) => Date.parse(a.resolvedAt ?? a.updatedAt);
  return alerts.sort((a, b) => at(b) - at(a) || a.id.localeCompare(b.id));
}
