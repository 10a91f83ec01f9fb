import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer the proxy gives instead of forwarding. */
export interface InjectedFault {
  readonly status: number;
  /** An S3-style error code, e.g. `SlowDown`, `InternalError`. */
  readonly code: string;
  /** Instead of answering, stall this long and then drop the connection (a timeout, as the client sees it). */
  readonly hangMs?: number;
}

/** A proxy that forwards to a real endpoint and fails the requests `decide` picks. */
export interface FaultProxy {
  readonly url: string;
  /** Requests answered with a fault, by method and path. */
  readonly injected: string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an endpoint (LocalStack): every request is forwarded unchanged, except those
 * for which `decide` returns a fault, which get that status and an S3-style XML error body instead.
 */
export async function startFaultProxy(
  target: string,
  decide: (req: IncomingMessage) => InjectedFault | undefined,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const injected: string[] = [];
  const server: Server = createServer((req, res) => {
    const fault = decide(req);
    if (fault?.hangMs) {
      injected.push(`${req.method} ${req.url} (hung)`);
      req.resume();
      setTimeout(() => req.socket.destroy(), fault.hangMs);
      return;
    }
    if (fault) {
      injected.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test proxy</Message></Error>`,
        );
      });
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502);
      res.end(error.message);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
