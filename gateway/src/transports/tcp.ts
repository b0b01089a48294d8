/** Plain MQTT over TCP. */
import { createServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { bind, closeServer, type Listening } from './listen';

export interface TcpOptions {
  host: string;
  port: number;
  log: Logger;
  onConnection(socket: Socket): void;
}

export async function listenTcp({ host, port, log, onConnection }: TcpOptions): Promise<Listening> {
  // Keep-alive probes find half-open device connections that MQTT keepalive 0 would never end.
  const server = createServer({ keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
    // Without it Nagle's algorithm holds each small PUBACK ~40 ms (ENVIRONMENT.md).
    socket.setNoDelay(true);
    onConnection(socket);
  });
  const bound = await bind(server, 'mqtt', host, port);
  server.on('error', (err) => log.error({ err }, 'MQTT TCP server error'));
  return { port: bound, close: () => closeServer(server) };
}
