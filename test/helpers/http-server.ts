// A real HTTP server on 127.0.0.1 for downloader tests, with a handler per test to inject faults
// (status codes, resets mid-body, redirects, stalls). Counts connections and records requests.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  readonly path: string;
  readonly range: string | undefined;
}

export interface TestServer {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:PORT/. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests seen for `path` (e.g. "/train-images-idx3-ubyte.gz"). */
  count(path: string): number;
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, server: TestServer) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer();
  const state: TestServer = {
    url: "",
    requests: [],
    connections: 0,
    count: (path) => state.requests.filter((request) => request.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("connection", (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("request", (request, response) => {
    state.requests.push({ path: request.url ?? "", range: request.headers.range });
    handler(request, response, state);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  (state as { url: string }).url = `http://127.0.0.1:${port}/`;
  return state;
}

/** Serves `files` (path without leading slash → bytes) with Range support, 404 otherwise. */
export function serveFiles(files: ReadonlyMap<string, Uint8Array>): Handler {
  return (request, response) => {
    const body = files.get((request.url ?? "").replace(/^\//, ""));
    if (body === undefined) {
      response.writeHead(404).end("not found");
      return;
    }
    sendWithRange(request, response, body);
  };
}

/** 200 with the whole body, or 206 with the part a `Range: bytes=N-` header asks for. */
export function sendWithRange(request: IncomingMessage, response: ServerResponse, body: Uint8Array): void {
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
  if (range !== null) {
    const start = Number(range[1]);
    if (start >= body.length) {
      response.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    response.writeHead(206, {
      "content-length": body.length - start,
      "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    response.end(body.subarray(start));
    return;
  }
  response.writeHead(200, { "content-length": body.length, etag: '"v1"' });
  response.end(body);
}
