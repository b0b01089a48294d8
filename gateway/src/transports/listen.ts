/** Binding a server, with EADDRINUSE turned into an error that names the setting to change. */
import type { AddressInfo, Server } from 'node:net';
import { GatewayPortInUseError, type GatewayTransport } from '../errors';

export interface Listening {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting; resolves once every connection of this server has closed. */
  close(): Promise<void>;
}

/**
 * Connections the kernel queues before the gateway accepts them. Node's default (511) overflows
 * when thousands of devices reconnect at once after a power cut: the overflow is dropped and
 * waits for TCP's retransmission (1 s, 3 s, 7 s…). The kernel caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

export function bind(server: Server, transport: GatewayTransport, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new GatewayPortInUseError(transport, port, { cause: err }) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, backlog: LISTEN_BACKLOG });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // The callback's error only says the server was not listening; closed either way.
    server.close(() => resolve());
  });
}
