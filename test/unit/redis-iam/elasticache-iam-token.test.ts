// The ElastiCache IAM token: a SigV4 presigned GET https://<cache>/?Action=connect&User=<user> without its
// scheme. The signature is recomputed here from the SigV4 specification with node:crypto (canonical request,
// string to sign, derived key), independently of the signing library the code uses.
import { createHash, createHmac } from 'node:crypto';
import { signElastiCacheIamToken } from '../../../src/redis/iam/elasticache-iam-token';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+example=',
};
const now = new Date('2026-11-29T01:02:03Z');
const base = { cacheName: 'my-cache', userId: 'cdc-cache-worker', region: 'eu-west-1', credentials, now };

function parse(token: string) {
  const [host, query] = token.split('/?') as [string, string];
  const pairs = query.split('&').map((pair) => pair.split('=') as [string, string]);
  return { host, pairs, params: new URLSearchParams(query) };
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 by the book (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html). */
function expectedSignature(token: string, region: string): string {
  const { host, pairs } = parse(token);
  const canonicalQuery = pairs
    .map(([name, value]) => [decodeURIComponent(name), decodeURIComponent(value)] as const)
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
    .sort()
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', sha256Hex('')].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    '20261129T010203Z',
    `20261129/${region}/elasticache/aws4_request`,
    sha256Hex(canonicalRequest),
  ].join('\n');
  const key = ['20261129', region, 'elasticache', 'aws4_request'].reduce<string | Buffer>(
    (previous, part) => hmac(previous, part),
    `AWS4${credentials.secretAccessKey}`,
  );
  return hmac(key, stringToSign).toString('hex');
}

describe('signElastiCacheIamToken', () => {
  it('is a presigned connect request to the cache, without its scheme, valid 900 s', async () => {
    // Act
    const token = await signElastiCacheIamToken({ ...base, serverless: false });

    // Assert
    const { host, params } = parse(token);
    expect(token.startsWith('my-cache/?')).toBe(true);
    expect(token).not.toMatch(/^https?:/);
    expect(host).toBe('my-cache');
    expect(params.get('Action')).toBe('connect');
    expect(params.get('User')).toBe('cdc-cache-worker');
    expect(params.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(params.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261129/eu-west-1/elasticache/aws4_request');
    expect(params.get('X-Amz-Date')).toBe('20261129T010203Z');
    expect(params.get('X-Amz-Expires')).toBe('900');
    expect(params.get('X-Amz-SignedHeaders')).toBe('host');
    expect(params.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(params.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names ResourceType=ServerlessCache for a serverless cache, and not for a node-based one', async () => {
    // Act
    const serverless = parse(await signElastiCacheIamToken({ ...base, serverless: true })).params;
    const nodeBased = parse(await signElastiCacheIamToken({ ...base, serverless: false })).params;

    // Assert
    expect(serverless.get('ResourceType')).toBe('ServerlessCache');
    expect(nodeBased.has('ResourceType')).toBe(false);
  });

  it.each([false, true])(
    'carries the SigV4 signature of its own request (serverless %s)',
    async (serverless) => {
      // Act
      const token = await signElastiCacheIamToken({ ...base, serverless });

      // Assert
      expect(parse(token).params.get('X-Amz-Signature')).toBe(expectedSignature(token, 'eu-west-1'));
    },
  );

  it('signs differently for another user, region, resource type or time', async () => {
    // Prepare
    const signature = async (overrides: object) =>
      parse(await signElastiCacheIamToken({ ...base, serverless: false, ...overrides })).params.get(
        'X-Amz-Signature',
      );
    const reference = await signature({});

    // Act
    const others = [
      await signature({ userId: 'cdc-cache-reader' }),
      await signature({ region: 'us-east-1' }),
      await signature({ serverless: true }),
      await signature({ now: new Date('2026-11-29T01:02:04Z') }),
    ];

    // Assert
    for (const other of others) expect(other).not.toBe(reference);
    expect(new Set(others).size).toBe(others.length);
    const otherRegion = await signElastiCacheIamToken({ ...base, serverless: false, region: 'us-east-1' });
    expect(parse(otherRegion).params.get('X-Amz-Signature')).toBe(
      expectedSignature(otherRegion, 'us-east-1'),
    );
  });

  it('takes a credentials provider', async () => {
    // Act
    const token = await signElastiCacheIamToken({
      ...base,
      serverless: true,
      credentials: async () => credentials,
    });

    // Assert
    expect(token).toBe(await signElastiCacheIamToken({ ...base, serverless: true }));
  });
});
