// A TCP link on a loopback port to another address, which a test can cut, stall and restore: cut, every
// connection through it drops and new ones are refused, as when the server behind it goes down; stalled,
// connections stay open and new ones are accepted but no byte gets through, as when a network drops the
// packets; restored, it forwards again on the same port. What a service sees of a database that goes away
// and comes back.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpLink extends AsyncDisposable {
  port: number;
  /** Drops every connection and stops listening: connecting is refused until `restore`. */
  cut(): Promise<void>;
  /** Carries no more bytes either way, on open connections and on new ones, until `restore`. */
  stall(): void;
  /** Forwards again on the same port (connections opened while stalled are dropped). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpLink(target: { host: string; port: number }): Promise<TcpLink> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const listen = async (port: number): Promise<Server> => {
    const server = createServer((inbound) => {
      if (stalled) {
        track(inbound);
        inbound.pause();
        inbound.on('error', () => {});
        return;
      }
      const outbound = connect(target.port, target.host);
      track(inbound);
      track(outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return server;
  };
  let server: Server | undefined = await listen(0);
  const port = (server.address() as AddressInfo).port;
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise((resolve) => closing.close(resolve));
  };
  return {
    port,
    cut,
    stall: () => {
      stalled = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore: async () => {
      if (stalled) {
        stalled = false;
        for (const socket of sockets) socket.destroy();
      }
      server ??= await listen(port);
    },
    close: cut,
    [Symbol.asyncDispose]: cut,
  };
}
