import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { memHttpSm4Profile, memHttpSm4ProfileSchema } from '../../../gateway/uplink/profiles/mem-http-sm4.js';
import { UplinkSendError } from '../../../gateway/uplink/profiles/profile.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { SM4 } from './fixtures.js';

/** The platform's next answer, set by each property run. */
let answer: { status: number; body: string } = { status: 200, body: '{"code":0}' };

describe('uplink HTTP profile: any platform response is accepted, refused or retried, never thrown otherwise (property)', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sorts every answer correctly and counts every bad one', async () => {
    const metrics = new Metrics();
    const cfg = memHttpSm4ProfileSchema.parse({ profile: 'mem-http-sm4', url, appid: 'a', appsecret: 's', ...SM4, timeout: '5s' });
    const transport = memHttpSm4Profile.create(cfg, { logger: silentLogger, metrics, enterpriseCode: 'E', gatewayCode: 'G' });
    const message = { header: { dataId: 'x' } as never, json: '{"dataId":"x"}' };
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.json(),
      fc.record({ code: fc.oneof(fc.constantFrom(0, 200, '0', '200', 500, '401', null), fc.jsonValue()), msg: fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), fc.jsonValue()) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(200, 201, 204, 400, 401, 413, 422, 500, 503), body, async (status, text) => {
        answer = { status, body: status === 204 ? '' : text };
        const before = metrics.total('uplink_bad_responses_total');
        let accepted = false;
        try {
          await transport.send(message);
          accepted = true;
        } catch (err) {
          expect(err).toBeInstanceOf(UplinkSendError);
          const msg = (err as Error).message;
          // eslint-disable-next-line no-control-regex -- matching control characters is the point: the error message must carry no raw control character from the response
          expect(msg).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
          expect(msg.length).toBeLessThan(700);
        }
        let expectAccepted = false;
        let parsed: unknown;
        try {
          parsed = JSON.parse(answer.body);
        } catch {
          parsed = undefined;
        }
        const is2xx = status >= 200 && status <= 299;
        if (is2xx && parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          const code = (parsed as Record<string, unknown>).code;
          expectAccepted = [0, 200, '0', '200'].some((c) => c === code);
        }
        expect(accepted).toBe(expectAccepted);
        // A 2xx the platform did not accept is a bad response and counted; a non-2xx is a send failure.
        expect(metrics.total('uplink_bad_responses_total') - before).toBe(is2xx && !accepted ? 1 : 0);
      }),
      { numRuns: 150 },
    );
    await transport.close();
  }, 120_000);
});
