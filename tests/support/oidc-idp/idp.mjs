// A loopback OpenID Provider for Custody's integration tests, on the npm package oidc-provider.
//
//   node idp.mjs PORT CLIENTS_JSON_FILE
//
// The issuer is http://127.0.0.1:PORT. CLIENTS_JSON_FILE holds the oidc-provider client
// metadata array. Users sign in through a plain HTML form whose fields choose the "amr" and
// "acr" values of the sign-in, so tests can sign in with or without MFA.
//
// Test controls (loopback only, like the whole server):
//   POST /test/rotate             new RS256 and ES256 keys sign from now on; old keys stay in
//                                 the JWKS
//   POST /test/next-id-token      JSON {"claims": {...}, "sign_with": "other"}: the next token
//                                 response carries an id_token with those claims changed, or
//                                 signed by a key that is not in the JWKS
//   GET  /test/health             200 when ready
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const clients = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const users = {
  alice: { password: 'alice-password', email: 'alice@example.test', name: 'Alice Example' },
  bob: { password: 'bob-password', email: 'bob@example.test', name: 'Bob Example' },
  carol: { password: 'carol-password', email: 'carol@example.test', name: 'Carol Example' },
  dave: { password: 'dave-password', email: 'dave@example.test', name: 'Dave Example' },
  erin: { password: 'erin-password', email: 'erin@example.test', name: 'Erin Example' },
};

// Keys are generated per process, newest first. Each signing generation has one RSA and one
// P-256 key.
let generation = 0;
function generateKeys() {
  generation += 1;
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    { ...rsa.privateKey.export({ format: 'jwk' }), kid: `rsa-${generation}`, alg: 'RS256', use: 'sig' },
    { ...ec.privateKey.export({ format: 'jwk' }), kid: `ec-${generation}`, alg: 'ES256', use: 'sig' },
  ];
}
let keys = generateKeys();

// Every Provider instance shares this store, so that a key rotation (which builds a new
// instance) keeps sessions, interactions and codes.
const store = new Map();
class SharedAdapter {
  constructor(name) {
    this.name = name;
  }

  key(id) {
    return `${this.name}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { payload, expiresAt });
    if (payload.uid) store.set(`${this.name}:uid:${payload.uid}`, id);
    if (payload.userCode) store.set(`${this.name}:userCode:${payload.userCode}`, id);
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = store.get(grantKey) || [];
      members.push(this.key(id));
      store.set(grantKey, members);
    }
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || (entry.expiresAt && entry.expiresAt < Date.now())) return undefined;
    return entry.payload;
  }

  async findByUid(uid) {
    const id = store.get(`${this.name}:uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode) {
    const id = store.get(`${this.name}:userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of store.get(`grant:${grantId}`) || []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}

function configuration() {
  return {
    adapter: SharedAdapter,
    clients,
    jwks: { keys },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    acrValues: ['urn:custody-test:password', 'urn:custody-test:mfa'],
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Put the e-mail and name claims into the id_token, as Okta and Entra ID do.
    conformIdTokenClaims: false,
    scopes: ['openid', 'email', 'profile'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party clients: grant the requested scopes without a consent page.
    async loadExistingGrant(ctx) {
      const { clientId } = ctx.oidc.client;
      const grantId = ctx.oidc.session.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    async findAccount(ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: user.email, email_verified: true, name: user.name };
        },
      };
    },
    ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Session: 3600, Interaction: 600, Grant: 3600 },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

// The next token response's id_token changes, set by POST /test/next-id-token.
let nextIdToken = null;

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// Re-signs `idToken` with changed claims, with the current key of its algorithm or with a new
// key under the same kid.
function tamper(idToken, change) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url'));
  const claims = { ...JSON.parse(Buffer.from(payloadPart, 'base64url')), ...(change.claims || {}) };
  let jwk = keys.find((key) => key.kid === header.kid);
  if (change.sign_with === 'other') {
    jwk = header.alg === 'ES256'
      ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
      : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const options = header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
  const signature = crypto.sign('sha256', Buffer.from(input), options);
  return `${input}.${signature.toString('base64url')}`;
}

let provider;
let handler;
function build() {
  provider = new Provider(issuer, configuration());
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && nextIdToken && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: tamper(ctx.body.id_token, nextIdToken) };
      nextIdToken = null;
    }
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  handler = provider.callback();
}
build();

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

async function interaction(request, response, uid, action) {
  try {
    const details = await provider.interactionDetails(request, response);
    if (details.uid !== uid) throw new Error('interaction id mismatch');
    if (request.method === 'GET') {
      response.setHeader('Content-Type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><title>Test IdP</title>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input name="login"><input name="password" type="password">
<input name="amr" value="pwd"><input name="acr" value="urn:custody-test:password">
<button>Sign in</button></form>
<p>requested acr_values: ${escapeHtml(details.params.acr_values || '')}</p>`);
      return;
    }
    if (action !== 'login') {
      response.statusCode = 404;
      response.end();
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(await readBody(request)));
    const user = users[form.login];
    if (!user || user.password !== form.password) {
      response.statusCode = 401;
      response.end('invalid user name or password');
      return;
    }
    const amr = (form.amr || 'pwd').split(/[ ,]+/).filter(Boolean);
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId: form.login, amr, acr: form.acr || 'urn:custody-test:password' } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    response.statusCode = 400;
    response.setHeader('Content-Type', 'text/plain');
    response.end(`interaction failed: ${error.message}\n`);
  }
}

const server = http.createServer(async (request, response) => {
  const match = request.url.match(/^\/interaction\/([^/?]+)(?:\/(login))?/);
  if (match) {
    await interaction(request, response, match[1], match[2]);
    return;
  }
  if (request.url === '/test/health') {
    response.end('ok\n');
    return;
  }
  if (request.url === '/test/rotate' && request.method === 'POST') {
    keys = [...generateKeys(), ...keys];
    build();
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ signing: keys.slice(0, 2).map((key) => key.kid) }));
    return;
  }
  if (request.url === '/test/next-id-token' && request.method === 'POST') {
    nextIdToken = JSON.parse(await readBody(request));
    response.end('{}');
    return;
  }
  handler(request, response);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`test OIDC provider listening on ${issuer}`);
});
