/**
 * English messages. This file fixes the message shape: `zh-CN.ts` must have every key, and the
 * vocabularies from the protocol (alert kinds, states, severities, outcomes, statuses, roles)
 * are checked for exhaustiveness, so a new kind does not reach the screen untranslated.
 */
import type {
  ALERT_TIMELINE_ACTIONS,
  AlertKind,
  AlertState,
  Outcome,
  ResidentStatus,
  Role,
  Severity,
} from '@carecircle/protocol';

type TimelineAction = (typeof ALERT_TIMELINE_ACTIONS)[number];

export const en = {
  app: {
    name: 'CareCircle',
    tagline: 'Elderly care monitoring',
    loading: 'Loading…',
    skipToAlerts: 'Skip to the alert queue',
  },
  login: {
    title: 'Sign in',
    intro: 'Sign in with your staff account to see your residents and alerts.',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    submitting: 'Signing in…',
    badCredentials: 'Wrong username or password. Please try again.',
    rateLimited:
      'Too many failed sign-ins for this account. Please wait 15 minutes or ask an administrator to reset the password.',
    sessionExpired: 'Your session has ended. Please sign in again.',
  },
  header: {
    site: 'Site',
    user: 'Signed in as',
    logout: 'Sign out',
    noSite: 'No site is assigned to your account. Ask an administrator.',
  },
  role: {
    admin: 'Administrator',
    supervisor: 'Supervisor',
    staff: 'Care staff',
    responder: 'Responder',
    family: 'Family member',
  } satisfies Record<Role, string>,
  language: {
    label: 'Language',
  },
  connection: {
    live: 'Live',
    connecting: 'Connecting…',
    reconnecting: 'Reconnecting…',
    liveHint: 'Updates arrive automatically.',
    offlineHint: 'Not connected. The board may be out of date; it refreshes when the connection returns.',
  },
  board: {
    title: 'Residents',
    empty: 'No residents at this site yet.',
    loadFailed: 'Could not load the board: {{message}}',
    retry: 'Try again',
    room: 'Room {{room}}',
    noRoom: 'No room',
    activeAlerts_one: '{{count}} active alert',
    activeAlerts_other: '{{count}} active alerts',
    summary: '{{ok}} OK · {{alert}} alert · {{device}} device problem',
  },
  status: {
    ok: 'OK',
    alert: 'Alert',
    device_problem: 'Device problem',
  } satisfies Record<ResidentStatus, string>,
  queue: {
    title: 'Alert queue',
    empty: 'No active alerts.',
    emptyHint: 'New alerts appear here at once.',
    count_one: '{{count}} active',
    count_other: '{{count}} active',
    acknowledge: 'Acknowledge',
    acknowledging: 'Acknowledging…',
    resolve: 'Resolve',
    new: 'New',
    repeats: '×{{count}}',
    repeatsLabel: 'Reported {{count}} times',
    claimedBy: 'Claimed by {{name}}',
    device: 'Device {{id}}',
    ackFailed: 'Could not acknowledge: {{message}}',
    details: 'Show timeline',
    announceRaised: 'New alert: {{kind}}, {{who}}',
  },
  alertKind: {
    sos: 'SOS call',
    fall: 'Fall',
    wandering: 'Left at night',
    bed_exit: 'Out of bed at night',
    inactivity: 'No activity',
    vitals: 'Vital signs out of range',
    device_offline: 'Device offline',
    low_battery: 'Low battery',
    tamper: 'Device tampered with',
  } satisfies Record<AlertKind, string>,
  severity: {
    critical: 'Critical',
    high: 'High',
    medium: 'Medium',
    low: 'Low',
  } satisfies Record<Severity, string>,
  alertState: {
    open: 'Open',
    acknowledged: 'Acknowledged',
    en_route: 'On the way',
    on_scene: 'On scene',
    resolved: 'Resolved',
    cancelled: 'Cancelled',
  } satisfies Record<AlertState, string>,
  outcome: {
    emergency_handled: 'Emergency handled',
    assisted_no_injury: 'Assisted, no injury',
    false_alarm: 'False alarm',
    test: 'Test',
    cancelled_by_resident: 'Cancelled by the resident',
    other: 'Other',
  } satisfies Record<Outcome, string>,
  resolve: {
    title: 'Resolve alert',
    outcome: 'Outcome',
    chooseOutcome: 'Choose an outcome…',
    note: 'Note',
    noteHint: 'What happened? Optional, but it helps the next shift.',
    confirm: 'Resolve alert',
    submitting: 'Resolving…',
    cancel: 'Cancel',
    failed: 'Could not resolve: {{message}}',
  },
  timeline: {
    title: 'Timeline',
    loading: 'Loading the timeline…',
    failed: 'Could not load the timeline: {{message}}',
    empty: 'No entries yet.',
    action: {
      raised: 'Raised',
      repeated: 'Reported again',
      transition: 'State changed',
      cancel_declined: 'Cancel from the device not applied (too late or already claimed)',
    } satisfies Record<TimelineAction, string>,
    by: 'by {{name}}',
    system: 'System',
    outcome: 'Outcome: {{outcome}}',
  },
  errors: {
    network: 'Cannot reach the server. Check the network and try again.',
    unknown: 'Something went wrong (HTTP {{status}}).',
  },
};

export type Messages = typeof en;
