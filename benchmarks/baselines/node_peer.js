// The peer mock: oauth2-mock-server (npm), started with a fresh RS256 key on a given port.
// Usage: node node_peer.js PORT  (run with NODE_PATH pointing at its node_modules)
const { OAuth2Server } = require("oauth2-mock-server");

async function main() {
  const port = Number(process.argv[2] || 8091);
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(port, "127.0.0.1");
  console.log(`oauth2-mock-server listening on ${server.issuer.url}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
