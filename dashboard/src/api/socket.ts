/**
 * The live connection. Same origin, path `/socket.io`; the session cookie authenticates the
 * handshake. The event map comes from the protocol package, so a renamed event breaks the build.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '@carecircle/protocol';
import { io, type Socket } from 'socket.io-client';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Unconnected: the caller attaches its listeners first, then calls `connect()`. */
export function createLiveSocket(): LiveSocket {
  return io({ path: '/socket.io', withCredentials: true, autoConnect: false });
}
