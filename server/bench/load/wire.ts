/**
 * Just enough MQTT 3.1.1 for a load generator: CONNECT, PUBLISH (QoS 0/1), DISCONNECT out;
 * CONNACK, PUBACK, PINGRESP in. A general client (MQTT.js) spends more CPU per message than a
 * C broker, and generator and broker share two cores here: a lean codec keeps the generator
 * from being what is measured. Packets are laid out as in MQTT 3.1.1 §2–3; anything this does
 * not send or expect is skipped.
 */

/** Control packet types, MQTT 3.1.1 Table 2.1 [MQTT-2.2.1]. */
export const PACKET = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, PINGRESP: 13 } as const;

/** Remaining Length, 1–4 bytes of 7 bits, least significant first [MQTT-2.2.3]. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** A UTF-8 string with its two-byte length prefix [MQTT-1.5.3]. */
function utf8(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
}

export interface ConnectOptions {
  clientId: string;
  username: string;
  password: string;
  keepAliveSeconds: number;
}

/** CONNECT with clean session, username and password, no will [MQTT-3.1]. */
export function connectPacket(o: ConnectOptions): Buffer {
  // Protocol name "MQTT", level 4, flags: user name, password, clean session.
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x80 | 0x40 | 0x02, 0, 0]);
  header.writeUInt16BE(o.keepAliveSeconds, 8);
  const body = Buffer.concat([header, utf8(o.clientId), utf8(o.username), utf8(o.password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/**
 * A PUBLISH encoder for one topic: the fixed prefix is built once, so each message costs one
 * allocation and two copies. `packetId` is ignored at QoS 0 [MQTT-2.3.1-5].
 */
export function publishEncoder(topic: string, qos: 0 | 1): (payload: string, packetId: number) => Buffer {
  const topicBytes = utf8(topic);
  const first = 0x30 | (qos << 1);
  const idBytes = qos === 0 ? 0 : 2;
  return (payload, packetId) => {
    const payloadLength = Buffer.byteLength(payload);
    const rest = topicBytes.length + idBytes + payloadLength;
    const rl = remainingLength(rest);
    const out = Buffer.allocUnsafe(1 + rl.length + rest);
    out[0] = first;
    rl.copy(out, 1);
    let at = 1 + rl.length;
    at += topicBytes.copy(out, at);
    if (qos === 1) at = out.writeUInt16BE(packetId, at);
    out.write(payload, at, 'utf8');
    return out;
  };
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface Packet {
  type: number;
  /** CONNACK return code [MQTT-3.2.2.3], PUBACK packet id; 0 otherwise. */
  value: number;
}

/**
 * Splits a byte stream into packets. Feed it every chunk; it calls `onPacket` for each whole
 * packet and keeps the remainder for the next chunk.
 */
export class PacketReader {
  private pending: Buffer | null = null;

  constructor(private readonly onPacket: (p: Packet) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (buf.length - at < 2) break;
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < buf.length; n++, i++) {
        const b = buf[i]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || buf.length - i < length) break;
      const type = buf[at]! >> 4;
      const value =
        type === PACKET.CONNACK && length >= 2 ? buf[i + 1]! : type === PACKET.PUBACK ? buf.readUInt16BE(i) : 0;
      at = i + length;
      this.onPacket({ type, value });
    }
    if (at === buf.length) this.pending = null;
    else {
      buf = buf.subarray(at);
      this.pending = Buffer.from(buf); // copy: the socket may reuse its chunk
    }
  }
}
