// A real OpenID Connect provider for the browser tests (the npm package
// oidc-provider with its development login pages): authorization code with PKCE,
// a confidential client for the console, people whose groups map to roles.
// Usage: PORT=... REDIRECT_URI=http://127.0.0.1:PORT/auth/callback node oidc-provider.mjs
// PORT=0 (or unset) takes a free port; the issuer URL is printed once it listens
// ("oidc-provider at http://127.0.0.1:PORT"), which scripts/e2e.sh reads.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

// Bound first, so that the issuer names the port actually taken.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;
export const PEOPLE = {
  olivia: { name: 'Olivia Operator', groups: ['backup-operators'] },
  adam: { name: 'Adam Approver', groups: ['backup-approvers'] },
  audrey: { name: 'Audrey Auditor', groups: ['backup-auditors'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'recovery-console',
    client_secret: 'e2e-client-secret',
    redirect_uris: [process.env.REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'groups'],
  claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['e2e-only-cookie-key'] },
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, name: person.name, groups: person.groups }; } };
  },
});
server.on('request', provider.callback());
console.log(`oidc-provider at ${issuer}`);
