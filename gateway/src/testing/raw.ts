/**
 * Hand-built MQTT 3.1.1 bytes for what a well-behaved client library refuses to send
 * (an empty client id with clean session 0, oversized or malformed headers).
 */
import { type Socket, connect as tcpConnect } from 'node:net';

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  let x = n;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    out.push(byte);
  } while (x > 0);
  return Buffer.from(out);
}

/** A CONNECT packet (MQTT 3.1.1 §3.1), keepalive 60 s. */
export function connectPacket(o: { clientId: string; clean: boolean; username?: string; password?: string }): Buffer {
  let flags = o.clean ? 0x02 : 0;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    str(o.clientId),
    ...(o.username === undefined ? [] : [str(o.username)]),
    ...(o.password === undefined ? [] : [str(o.password)]),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A QoS 0 PUBLISH packet. */
export function publishPacket(topic: string, payload: Buffer): Buffer {
  const body = Buffer.concat([str(topic), payload]);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body]);
}

export interface RawConnection {
  socket: Socket;
  /** Resolves with every byte received once the server has closed the connection. */
  closed: Promise<Buffer>;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = tcpConnect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => {}); // a reset by the gateway is an expected outcome here
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}
