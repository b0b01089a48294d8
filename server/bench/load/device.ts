/**
 * One simulated device of the load generator: its connection (wire.ts over a plain socket with
 * TCP_NODELAY), its QoS 1 publishes in flight with their send times, and its readings.
 */
import { createConnection, type Socket } from 'node:net';
import { topics } from '@carecircle/protocol';
import type { DeviceCredentials, GeneratorJob } from './messages';
import { connectPacket, DISCONNECT, PACKET, PacketReader, publishEncoder } from './wire';

/** A connection without CONNACK by then counts as failed (a device's usual connect timeout). */
const CONNECT_TIMEOUT_MS = 30_000;

/** The device's clock, cached for a millisecond: formatting a date per message costs more than the rest. */
let tsAt = 0;
let tsText = '';
function timestamp(): string {
  const t = Date.now();
  if (t !== tsAt) {
    tsAt = t;
    tsText = new Date(t).toISOString();
  }
  return tsText;
}

export class Device {
  socket: Socket | null = null;
  readonly inflight = new Map<number, number>();
  private nextId = 1;
  private seq = 0;
  private readonly encode: (payload: string, packetId: number) => Buffer;
  private readonly eventPrefix: string;
  /** What the run does on each PUBACK (with the publish's send time), and when the broker closes the connection. */
  onPuback: ((sentAt: number) => void) | null = null;
  onClose: (() => void) | null = null;
  /** `paced`: messages this device has been offered so far, and sent. */
  due = 0;
  sent = 0;
  readonly phase = Math.random();

  constructor(
    readonly creds: DeviceCredentials,
    readonly index: number,
    qos: 0 | 1,
    tag: string,
  ) {
    this.encode = publishEncoder(topics.reading(creds.id), qos);
    this.eventPrefix = `${tag}-${index}-`;
  }

  /** Resolves with `ok` on CONNACK 0, or why not (the socket is then destroyed). */
  connect(job: Pick<GeneratorJob, 'host' | 'port'>): Promise<string> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: job.host, port: job.port });
      socket.setNoDelay(true);
      let settled = false;
      const settle = (outcome: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome !== 'ok') socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => settle('timeout'), CONNECT_TIMEOUT_MS);
      const reader = new PacketReader((p) => {
        if (p.type === PACKET.CONNACK) {
          if (p.value === 0) {
            this.socket = socket;
            settle('ok');
          } else settle(`connack ${p.value}`);
        } else if (p.type === PACKET.PUBACK) {
          const sentAt = this.inflight.get(p.value);
          if (sentAt === undefined) return;
          this.inflight.delete(p.value);
          this.onPuback?.(sentAt);
        }
      });
      socket.on('data', (chunk: Buffer) => {
        // What the PUBACKs of one chunk make the mode send goes out in one write.
        socket.cork();
        reader.push(chunk);
        socket.uncork();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
      socket.on('close', () => {
        settle('closed');
        if (this.socket === socket) {
          this.socket = null;
          this.inflight.clear();
          this.onClose?.();
        }
      });
      socket.write(
        connectPacket({
          clientId: this.creds.id,
          username: this.creds.id,
          password: this.creds.secret,
          keepAliveSeconds: 600,
        }),
      );
    });
  }

  /** Writes one reading; false once the socket's buffer is full. */
  publish(qos: 0 | 1): boolean {
    const socket = this.socket;
    if (socket === null) return false;
    this.seq++;
    const payload = `{"v":1,"eventId":"${this.eventPrefix}${this.seq}","ts":"${timestamp()}","type":"vitals","data":{"heartRate":72}}`;
    let id = 0;
    if (qos === 1) {
      id = this.nextId;
      this.nextId = id === 65535 ? 1 : id + 1;
      this.inflight.set(id, performance.now());
    }
    return socket.write(this.encode(payload, id));
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    socket.end(DISCONNECT);
    setTimeout(() => socket.destroy(), 2000).unref();
  }
}
