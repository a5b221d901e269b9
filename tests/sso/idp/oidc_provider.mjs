// An OpenID Provider for the tests: oidc-provider with its development login pages, on
// 127.0.0.1:PORT. Anyone signs in with any password; the login typed is the account, and its
// `email` claim. CLIENTS (JSON) lists the registered clients. Prints "ready" once listening.
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS ?? "[]");

const provider = new Provider(issuer, {
  clients,
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: `sub-${id}`, email: id, email_verified: true }; } };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ["roster-test-only"] },
});
provider.proxy = false;
const server = provider.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
