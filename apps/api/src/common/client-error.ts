import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '@app/features';

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (a URL or header block over
 * 16 KiB, a malformed request line). Fastify's default answer is its own JSON shape; this one
 * answers in ours (docs/errors.md), so a client decodes every 4xx the same way.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431 ? 'the URL and headers are over 16 KiB: names are at most 200 characters, large inputs belong in the body' : status === 408 ? 'the request took too long to arrive' : 'not a well-formed HTTP request';
  const body = JSON.stringify({ error: { code: ErrorCode.InvalidArgument, message, details: null } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
