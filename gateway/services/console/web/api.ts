/** The console's side of the HTTP API: JSON requests with the session cookie and the CSRF token. */

export interface Me {
  user: { name: string; role: string; areas: string[] };
  csrfToken?: string;
  permissions: string[];
  shelveDurationsMs: number[];
  operatorMaxShelveMs: number;
  maxShelveMs: number;
  gatewayId: string;
}

export interface Alarm {
  alarmId: string;
  point: string;
  pointName: string;
  equipment: string | null;
  condition: string;
  severity: number;
  area: string;
  unit: string;
  state: string;
  facts: { active: boolean; acked: boolean; latched: boolean; shelved: boolean; suppressed: boolean; outOfService: boolean };
  value: number | boolean | null;
  limit?: number;
  message: string;
  /** 依据: the standard and clause the alarm enforces. */
  basis?: string;
  ts: number;
  activeSince?: number;
  shelvedUntil?: number;
  shelvedBy?: string;
  assignedTo?: string;
  silenced?: boolean;
}

export interface JournalEvent {
  seq: number;
  alarmId: string;
  point: string;
  condition: string;
  severity: number;
  state: string;
  active: boolean;
  value: number | boolean | null;
  limit?: number;
  unit?: string;
  message: string;
  ts: number;
  user?: string;
  comment?: string;
  kind?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';
export function setCsrf(token: string | undefined): void {
  csrf = token ?? '';
}

/** Called when the session has ended (401): the console shows the login form. */
export let onLoggedOut: () => void = () => undefined;
export function whenLoggedOut(fn: () => void): void {
  onLoggedOut = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/login')) onLoggedOut();
    throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`);
  }
  return data as T;
}

/** Uploads a file (multipart/form-data) with the session's CSRF token; errors as ApiError. */
export async function upload<T>(path: string, form: FormData): Promise<T> {
  const res = await fetch(`/api/v1${path}`, { method: 'POST', headers: csrf ? { 'x-csrf-token': csrf } : {}, credentials: 'same-origin', body: form });
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) {
    if (res.status === 401) onLoggedOut();
    throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`);
  }
  return data as T;
}
