/**
 * MQTT over WebSocket (MQTT 3.1.1 §6): binary frames on path `/mqtt`, subprotocol `mqtt`,
 * on its own port. Each connection becomes a byte stream for aedes via `createWebSocketStream`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { bind, closeServer, type Listening } from './listen';

export const WS_PATH = '/mqtt';

export interface WebSocketOptions {
  host: string;
  port: number;
  /**
   * Largest WebSocket message; `ws` buffers a whole message before handing it on. A frame may
   * hold several MQTT packets [MQTT-6.0.0-2], so this is larger than one packet.
   */
  maxMessageBytes: number;
  log: Logger;
  onConnection(stream: Duplex, req: IncomingMessage): void;
  /** A message over `maxMessageBytes` arrived on `stream`; `ws` closes the connection itself (1009). */
  onOversize(stream: Duplex): void;
}

export async function listenWebSocket(opts: WebSocketOptions): Promise<Listening> {
  const http = createServer((_req, res) => {
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
  });
  http.on('connection', (socket) => socket.setNoDelay(true));
  const wss = new WebSocketServer({
    server: http,
    path: WS_PATH,
    maxPayload: opts.maxMessageBytes,
    perMessageDeflate: false,
    // [MQTT-6.0.0-4]: the subprotocol the server selects is "mqtt".
    handleProtocols: (offered) => (offered.has('mqtt') ? 'mqtt' : false),
  });
  // wss re-emits the HTTP server's errors; bind() reports the listen error itself.
  wss.on('error', () => {});
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') opts.onOversize(stream);
    });
    // [MQTT-6.0.0-1]: MQTT travels in binary frames; any other data frame closes the connection.
    ws.on('message', (_data, isBinary) => {
      if (!isBinary) ws.close(1003, 'MQTT needs binary frames');
    });
    opts.onConnection(stream, req);
  });

  const port = await bind(http, 'ws', opts.host, opts.port);
  http.on('error', (err) => opts.log.error({ err }, 'MQTT WebSocket server error'));
  return {
    port,
    async close() {
      wss.close();
      const closed = closeServer(http);
      // Requests that never upgraded; upgraded sockets are closed with their MQTT client.
      http.closeAllConnections();
      await closed;
    },
  };
}
