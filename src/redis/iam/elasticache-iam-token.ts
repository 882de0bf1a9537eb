/**
 * The signing libraries, loaded on the first signing only: a process on password auth never loads them. A
 * `require`, not `import()`: the Lambda bundle takes `@smithy/*` from the runtime's SDK, which only CommonJS
 * resolution finds (NODE_PATH).
 */
function signingLibraries() {
  return {
    SignatureV4: (require('@smithy/signature-v4') as typeof import('@smithy/signature-v4')).SignatureV4,
    Sha256: (require('@aws-crypto/sha256-js') as typeof import('@aws-crypto/sha256-js')).Sha256,
  };
}

/** How long ElastiCache accepts a token for a new connection (its documented maximum, 15 minutes). */
export const ELASTICACHE_IAM_TOKEN_EXPIRY_SECONDS = 900;

/** AWS credentials (the shape of the AWS SDK's). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

/** A source of AWS credentials, such as `fromNodeProviderChain()` of `@aws-sdk/credential-providers`. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** What an ElastiCache IAM token is signed for, and with which credentials. */
export interface ElastiCacheIamTokenRequest {
  /** The replication group ID or the serverless cache name (not an endpoint). */
  readonly cacheName: string;
  /** The IAM-enabled ElastiCache user (its user ID, which IAM users must also have as user name). */
  readonly userId: string;
  readonly region: string;
  /** ElastiCache Serverless: the token must name `ResourceType=ServerlessCache`. */
  readonly serverless: boolean;
  /** AWS credentials, or a provider of them. */
  readonly credentials: AwsCredentials | AwsCredentialsProvider;
  /** The signing time; default now. */
  readonly now?: Date;
}

/**
 * Sign an ElastiCache IAM authentication token: a SigV4 presigned
 * `GET https://<cacheName>/?Action=connect&User=<userId>[&ResourceType=ServerlessCache]` for the service
 * `elasticache`, valid 900 s, with the scheme removed. It is the password of the `AUTH`/`HELLO` command of
 * an IAM-enabled user; ElastiCache checks it only when a connection authenticates.
 *
 * @example
 * const password = await signElastiCacheIamToken({ cacheName: 'my-cache', userId: 'reader', region: 'eu-west-1', serverless: true, credentials })
 */
export async function signElastiCacheIamToken(request: ElastiCacheIamTokenRequest): Promise<string> {
  const { SignatureV4, Sha256 } = signingLibraries();
  const signer = new SignatureV4({
    service: 'elasticache',
    region: request.region,
    credentials: request.credentials,
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: request.cacheName,
      path: '/',
      query: {
        Action: 'connect',
        User: request.userId,
        ...(request.serverless ? { ResourceType: 'ServerlessCache' } : {}),
      },
      headers: { host: request.cacheName },
    },
    { expiresIn: ELASTICACHE_IAM_TOKEN_EXPIRY_SECONDS, signingDate: request.now ?? new Date() },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([name, value]) => `${uriEscape(name)}=${uriEscape(String(value))}`)
    .join('&');
  return `${request.cacheName}/?${query}`;
}

/** RFC 3986 escaping, as SigV4 canonicalizes query strings (encodeURIComponent leaves !'()* alone). */
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
