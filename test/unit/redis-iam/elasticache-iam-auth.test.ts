// elasticacheIamAuth: the default AWS credential chain when no credentials are given, and the options it
// refuses. Rotation with each client library runs against a real Redis in
// test/integration/redis/elasticache-iam-rotation.test.ts.
import { elasticacheIamAuth } from '../../../src/redis/iam/elasticache-iam-auth';

const options = { cacheName: 'my-cache', userId: 'cdc-cache-worker', region: 'eu-west-1', serverless: true };

describe('elasticacheIamAuth', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('signs with the AWS SDK default credential chain (here: the environment) when given no credentials', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-environment';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    // Act
    const token = await elasticacheIamAuth(options).token();

    // Assert
    const params = new URLSearchParams(token.split('/?')[1]);
    expect(params.get('X-Amz-Credential')).toMatch(
      /^AKIDFROMENVIRONMENT\/\d{8}\/eu-west-1\/elasticache\/aws4_request$/,
    );
    expect(params.get('ResourceType')).toBe('ServerlessCache');
  });

  it('gives node-redis a credentials provider that answers the user and a token', async () => {
    // Prepare
    const auth = elasticacheIamAuth({
      ...options,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 's' },
    });

    // Act
    const credentials = await auth.credentialsProvider.credentials();

    // Assert
    expect(auth.credentialsProvider.type).toBe('async-credentials-provider');
    expect(credentials.username).toBe('cdc-cache-worker');
    expect(credentials.password).toMatch(/^my-cache\/\?Action=connect&User=cdc-cache-worker&/);
  });

  it.each(['cacheName', 'userId', 'region'] as const)('refuses an empty %s', (name) => {
    // Act
    const create = () => elasticacheIamAuth({ ...options, [name]: '' });

    // Assert
    expect(create).toThrow(expect.objectContaining({ code: 'CDC_INVALID_OPTION' }));
  });
});
