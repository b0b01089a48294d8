/**
 * Keeps one site's board current: a REST snapshot, then socket events on top of it. A first
 * snapshot is fetched at once, so the board shows even while the socket is still connecting (or
 * cannot). Every `ready` (sent once the server has joined us to the site's room, on the first
 * connection and after each reconnect) fetches a fresh one, so nothing that happened before we
 * joined, or while we were disconnected, is missed. Events arriving during a fetch are applied
 * at once and replayed over the snapshot when it lands (see `board.ts`).
 */
import { type Alert, alertCategory, type Device, type ResolveBody } from '@carecircle/protocol';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { ApiClient } from '../api/client';
import { createLiveSocket, type LiveSocket } from '../api/socket';
import { startOfDay } from '../format/time';
import { sortAlerts } from './alertOrder';
import { type BoardAction, type BoardState, boardReducer, initialBoardState } from './board';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** The lifecycle steps a person takes on the board, short of resolving. */
export type AlertStep = 'acknowledged' | 'en_route' | 'on_scene';

/** How long a newly raised alert stays highlighted if nobody acknowledges it first. */
const HIGHLIGHT_MS = 20_000;
/** Pause before retrying a connection the server refused or closed. */
const RETRY_MS = 3_000;

export interface Board {
  state: BoardState;
  /** Active alerts in queue order. */
  alerts: Alert[];
  connection: ConnectionState;
  /** The last snapshot failure, cleared by the next success. */
  loadError: unknown;
  /** The most recent alert raised live, for the screen-reader announcement. */
  lastRaised: Alert | null;
  /** The devices shown by id (the site's, or every visible site's): what a device problem names. */
  devices: ReadonlyMap<string, Device>;
  refresh(): void;
  act(alertId: string, step: AlertStep): Promise<void>;
  resolve(alertId: string, body: ResolveBody): Promise<void>;
}

/**
 * `siteId` null: every site the user may see at once (a supervisor's overview), with no
 * residents or history, which belong to one site's board.
 */
export function useBoard(
  api: ApiClient,
  siteId: string | null,
  timeZone?: string,
  connect: () => LiveSocket = createLiveSocket,
): Board {
  const [state, dispatch] = useReducer(boardReducer, initialBoardState);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [loadError, setLoadError] = useState<unknown>(null);
  const [lastRaised, setLastRaised] = useState<Alert | null>(null);
  const [devices, setDevices] = useState<ReadonlyMap<string, Device>>(new Map());
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    let disposed = false;
    let generation = 0;
    /** Live actions seen while a snapshot is in flight; `null` when none is. */
    let pending: BoardAction[] | null = null;
    const highlightTimers = new Map<string, ReturnType<typeof setTimeout>>();
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const live = (action: BoardAction) => {
      pending?.push(action);
      dispatch(action);
    };

    const refresh = async () => {
      const mine = ++generation;
      pending = [];
      try {
        const from = new Date(startOfDay(Date.now(), timeZone)).toISOString();
        const [residents, alerts, closed] = await Promise.all([
          siteId === null ? { residents: [] } : api.residents(siteId),
          api.activeAlerts(siteId),
          siteId === null ? { alerts: [] } : api.closedAlerts(siteId, from),
        ]);
        if (disposed || mine !== generation) return;
        const replay = pending;
        pending = null;
        dispatch({ type: 'snapshot', residents: residents.residents, alerts: alerts.alerts, closed: closed.alerts });
        for (const action of replay) dispatch(action.type === 'alert' ? { ...action, replay: true } : action);
        setLoadError(null);
        void loadDevices();
      } catch (err) {
        if (disposed || mine !== generation) return;
        pending = null;
        setLoadError(err);
      }
    };
    refreshRef.current = () => void refresh();

    // What a device problem shows (offline since, battery) comes from the device list, read again
    // whenever a technical alert changes. A failure keeps the last list: the alert still shows.
    let devicesGeneration = 0;
    const loadDevices = async () => {
      const mine = ++devicesGeneration;
      try {
        const list = await api.devices(siteId);
        if (!disposed && mine === devicesGeneration) setDevices(new Map(list.devices.map((d) => [d.id, d])));
      } catch {
        // Shown without the details until the next change or snapshot.
      }
    };

    const highlight = (alertId: string) => {
      clearTimeout(highlightTimers.get(alertId));
      const timer = setTimeout(() => {
        highlightTimers.delete(alertId);
        dispatch({ type: 'unhighlight', alertId });
      }, HIGHLIGHT_MS);
      highlightTimers.set(alertId, timer);
    };

    const onAlert = (alert: Alert, raised: boolean) => {
      if (siteId !== null && alert.siteId !== siteId) return;
      live({ type: 'alert', alert });
      if (alertCategory(alert.kind) === 'technical') void loadDevices();
      if (alert.state === 'open') highlight(alert.id);
      if (raised) setLastRaised(alert);
    };

    const socket = connect();
    // The server refused or closed the connection, and socket.io will not retry on its own.
    // Checking the session first lets a 401 end it (the API client reports that to the app).
    const retryLater = () => {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        void api
          .me()
          .catch(() => undefined)
          .then(() => {
            if (!disposed) socket.connect();
          });
      }, RETRY_MS);
    };

    socket.on('ready', () => {
      setConnection('live');
      void refresh();
    });
    socket.on('alert:raised', (alert) => onAlert(alert, true));
    socket.on('alert:updated', (alert) => onAlert(alert, false));
    socket.on('resident:status', (change) => {
      if (siteId === null || change.siteId === siteId) live({ type: 'residentStatus', change });
    });
    socket.on('disconnect', (reason) => {
      setConnection('reconnecting');
      if (reason === 'io server disconnect') retryLater();
    });
    socket.on('connect_error', () => {
      setConnection((c) => (c === 'connecting' ? c : 'reconnecting'));
      if (!socket.active) retryLater();
    });

    // The browser knows at once when the network is gone; the socket would take a ping or two.
    const onOffline = () => setConnection('reconnecting');
    window.addEventListener('offline', onOffline);

    void refresh();
    socket.connect();

    return () => {
      disposed = true;
      window.removeEventListener('offline', onOffline);
      clearTimeout(retryTimer);
      for (const timer of highlightTimers.values()) clearTimeout(timer);
      socket.removeAllListeners();
      socket.disconnect();
      refreshRef.current = () => {};
    };
  }, [api, siteId, timeZone, connect]);

  const act = useCallback(
    async (alertId: string, step: AlertStep) => {
      const call = step === 'acknowledged' ? api.acknowledge : step === 'en_route' ? api.enRoute : api.onScene;
      const { alert } = await call(alertId);
      dispatch({ type: 'alert', alert });
    },
    [api],
  );

  const resolve = useCallback(
    async (alertId: string, body: ResolveBody) => {
      const { alert } = await api.resolve(alertId, body);
      dispatch({ type: 'alert', alert });
    },
    [api],
  );

  const refresh = useCallback(() => refreshRef.current(), []);
  const alerts = useMemo(() => sortAlerts(state.alerts), [state.alerts]);

  return { state, alerts, connection, loadError, lastRaised, devices, refresh, act, resolve };
}
