// A real OpenID Connect provider (npm's oidc-provider) for tests, on loopback only.
//
// Configuration comes from the environment (or `--name=value` arguments, which win):
//   OIDC_PORT           port to listen on (required; 127.0.0.1 only)
//   OIDC_ISSUER         issuer URL (default http://127.0.0.1:$OIDC_PORT)
//   OIDC_CLIENT_ID      the static client's id (default "fluxforge")
//   OIDC_CLIENT_SECRET  its secret (required)
//   OIDC_REDIRECT_URIS  its redirect URIs, comma-separated (required)
//
// Sign-in uses oidc-provider's development interactions: a form that accepts any login name
// and password, then a consent screen. The account's `sub` is the login name and its claims
// are {email: `${login}@example.test`, email_verified: true, name}. Dynamic client registration
// is open, so a test whose redirect URI is only known later (a server on a fresh port) can
// register its own client. Prints "oidc-provider listening on <issuer>" when ready; stops on
// SIGTERM/SIGINT.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: argv } = parseArgs({
  options: {
    port: { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uris': { type: 'string' },
  },
});

function setting(arg, env, fallback) {
  const value = argv[arg] ?? process.env[env] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`server.mjs: set ${env} or --${arg}`);
    process.exit(2);
  }
  return value;
}

const port = Number(setting('port', 'OIDC_PORT'));
const issuer = setting('issuer', 'OIDC_ISSUER', `http://127.0.0.1:${port}`);
const client = {
  client_id: setting('client-id', 'OIDC_CLIENT_ID', 'fluxforge'),
  client_secret: setting('client-secret', 'OIDC_CLIENT_SECRET'),
  redirect_uris: setting('redirect-uris', 'OIDC_REDIRECT_URIS').split(',').map((uri) => uri.trim()),
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

// A fresh signing key per start: nothing to keep, and clients must fetch the JWKS to verify.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [client],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
  },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true, name: `Test user ${id}` };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
