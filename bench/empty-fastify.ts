/**
 * The yardstick of the beacon bench: a Fastify server with one empty route at the beacon's URL (JSON body parsed,
 * 204, nothing else), measured the same way as the real server. `node --import tsx bench/empty-fastify.ts <port>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/api/beacon', async (_req, reply) => reply.code(204).send());
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
console.log('listening');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
