/**
 * What an HTTP request must pass before Bolt's `HTTPReceiver` sees it (its public
 * `requestListener` is wrapped, ./receiver.ts):
 *
 * 1. `X-Slack-Request-Timestamp`, when present, within 5 minutes of our clock in *both* directions
 *    (../../signed-window.ts; Bolt 5.1 only rejects old ones) — else 401, one warning. A missing
 *    or malformed header is left to Bolt, which answers 401 (its signature check needs it).
 * 2. The body (read with Bolt's own `HTTPModuleFunctions.bufferIncomingMessage` and limit, so Bolt
 *    reuses the buffer: it skips reading when `req.rawBody` is set) must, when it parses, be a JSON
 *    object — else 400, one warning. Bolt reads `body.ssl_check` of whatever `JSON.parse` gave
 *    outside its try/catch (dist/receivers/HTTPReceiver.js handleIncomingEvent), so a body of
 *    `null` (or a form `payload=null`) would be an unhandled rejection and a request never answered.
 *    A body over the limit: 413, like Bolt. A body that does not parse is left to Bolt (401 unsigned,
 *    400 malformed).
 *
 * Anything else goes to Bolt unchanged; an error thrown by Bolt's listener is answered like
 * HTTPReceiver does (its `defaultDispatchErrorHandler`: 404 for another path, else 500).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { defaultBodyLimit, HTTPModuleFunctions, isRawBodyError, type Logger as SlackLogger } from '@slack/bolt';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../log.js';
import { checkRequestTimestamp } from '../../signed-window.js';

export interface HttpGuardOptions {
  clock: Clock;
  logger: Logger;
  /** Bolt's logger, for Bolt's own dispatch error handler. */
  sdkLogger: SlackLogger;
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}

/** Wraps Bolt's request listener `bolt` with the checks in the module doc. */
export function guardHttpRequests(bolt: RequestListener, opts: HttpGuardOptions): RequestListener {
  const { clock, logger } = opts;
  const toBolt = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      bolt(req, res);
    } catch (error) {
      HTTPModuleFunctions.defaultDispatchErrorHandler({ error: error as Error, logger: opts.sdkLogger, request: req, response: res });
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return toBolt(req, res);
    const ts = req.headers['x-slack-request-timestamp'];
    if (typeof ts === 'string') {
      const verdict = checkRequestTimestamp(ts, clock.now());
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason, detail: verdict.detail, path: req.url }, 'slack request rejected: timestamp outside the 5-minute window');
        req.resume();
        return answer(res, 401);
      }
    }
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.bufferIncomingMessage>>;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, defaultBodyLimit);
    } catch (err) {
      const tooLarge = isRawBodyError(err) && (err.type === 'entity.too.large' || err.statusCode === 413);
      logger.warn({ path: req.url, err }, tooLarge ? 'slack request rejected: body too large' : 'slack request body could not be read');
      return answer(res, tooLarge ? 413 : 400);
    }
    let body: unknown;
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    } catch {
      return toBolt(buffered, res);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      logger.warn({ path: req.url, issues: 'the body is not a JSON object' }, 'slack request rejected: payload malformed');
      return answer(res, 400);
    }
    toBolt(buffered, res);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: req.url }, 'slack request handling failed');
      answer(res, 500);
    });
  };
}
