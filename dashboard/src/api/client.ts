/**
 * The REST client (`/api/v1`). The browser authenticates with the httpOnly session cookie the
 * login sets, so no token is ever stored in page-readable storage. Every failure is an
 * `ApiError` carrying the server's coded error (`{ error: { code, message } }`).
 */
import type {
  AlertDetailResponse,
  AlertListResponse,
  AlertResponse,
  DeviceListResponse,
  LoginRequest,
  LoginResponse,
  MeResponse,
  ResidentCare,
  ResidentCareView,
  ResidentListResponse,
  ResolveBody,
  SiteOverviewResponse,
  SiteRulesView,
} from '@carecircle/protocol';
import { API_PREFIX } from '@carecircle/protocol';

/** `status` 0 means the request never got an answer (network down, server gone). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export const NETWORK_ERROR = 'ERR_NETWORK';

export interface ApiClient {
  login(body: LoginRequest): Promise<LoginResponse>;
  logout(): Promise<void>;
  me(): Promise<MeResponse>;
  residents(siteId: string): Promise<ResidentListResponse>;
  /** Active alerts of one site, or (null) of every site the caller may see. */
  activeAlerts(siteId: string | null): Promise<AlertListResponse>;
  /** Alerts of a site resolved or cancelled since `from` (ISO), newest first. */
  closedAlerts(siteId: string, from: string): Promise<AlertListResponse>;
  alert(alertId: string): Promise<AlertDetailResponse>;
  acknowledge(alertId: string, note?: string): Promise<AlertResponse>;
  enRoute(alertId: string, note?: string): Promise<AlertResponse>;
  onScene(alertId: string, note?: string): Promise<AlertResponse>;
  resolve(alertId: string, body: ResolveBody): Promise<AlertResponse>;
  /** Devices of one site, or (null) of every site the caller may see. */
  devices(siteId: string | null): Promise<DeviceListResponse>;
  sitesOverview(): Promise<SiteOverviewResponse>;
  siteRules(siteId: string): Promise<SiteRulesView>;
  residentCare(residentId: string): Promise<ResidentCareView>;
  setResidentCare(residentId: string, care: ResidentCare): Promise<ResidentCareView>;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** A 401 on anything but the login itself: the session ended. */
  onUnauthenticated?: () => void;
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(`${API_PREFIX}${path}`, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { accept: 'application/json' } : jsonHeaders,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
    }
    const payload: unknown = await readJson(response);
    if (!response.ok) {
      const error = toApiError(response.status, payload);
      if (response.status === 401 && path !== '/auth/login') options.onUnauthenticated?.();
      throw error;
    }
    // The server serializes every answer through its response schema (shared from protocol).
    return payload as T;
  }

  const id = encodeURIComponent;
  return {
    login: (body) => request('POST', '/auth/login', body),
    logout: async () => {
      await request<unknown>('POST', '/auth/logout', {});
    },
    me: () => request('GET', '/auth/me'),
    residents: (siteId) => request('GET', `/residents?site=${id(siteId)}`),
    activeAlerts: (siteId) =>
      request('GET', `/alerts?state=active&limit=500${siteId === null ? '' : `&site=${id(siteId)}`}`),
    closedAlerts: (siteId, from) =>
      request('GET', `/alerts?state=closed&limit=200&site=${id(siteId)}&closedFrom=${id(from)}`),
    alert: (alertId) => request('GET', `/alerts/${id(alertId)}`),
    acknowledge: (alertId, note) => request('POST', `/alerts/${id(alertId)}/ack`, note ? { note } : {}),
    enRoute: (alertId, note) => request('POST', `/alerts/${id(alertId)}/en-route`, note ? { note } : {}),
    onScene: (alertId, note) => request('POST', `/alerts/${id(alertId)}/on-scene`, note ? { note } : {}),
    resolve: (alertId, body) => request('POST', `/alerts/${id(alertId)}/resolve`, body),
    devices: (siteId) => request('GET', siteId === null ? '/devices' : `/devices?site=${id(siteId)}`),
    sitesOverview: () => request('GET', '/sites/overview'),
    siteRules: (siteId) => request('GET', `/sites/${id(siteId)}/rules`),
    residentCare: (residentId) => request('GET', `/residents/${id(residentId)}/care`),
    setResidentCare: (residentId, care) => request('PUT', `/residents/${id(residentId)}/care`, care),
  };
}

const jsonHeaders = { accept: 'application/json', 'content-type': 'application/json' };

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function toApiError(status: number, payload: unknown): ApiError {
  if (typeof payload === 'object' && payload !== null && 'error' in payload) {
    const { error } = payload;
    if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
      const { code, message } = error;
      if (typeof code === 'string' && typeof message === 'string') return new ApiError(status, code, message);
    }
  }
  return new ApiError(status, `HTTP_${status}`, '');
}
