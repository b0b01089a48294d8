/** In-process notifications after state has committed; socket.io and notifiers listen here. */
import { EventEmitter } from 'node:events';
import type { Alert, ResidentStatusChange } from '@carecircle/protocol';

export interface AlertBusEvents {
  'alert:raised': [Alert];
  'alert:updated': [Alert];
  'resident:status': [ResidentStatusChange];
}

export class AlertBus extends EventEmitter<AlertBusEvents> {
  constructor() {
    // A failing listener must not stop the others or the engine (captureRejections for async ones).
    super({ captureRejections: true });
  }
}
