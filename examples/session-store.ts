/**
 * Express sessions kept in FlashCache through connect-redis and node-redis:
 * with `appendfsync always` (the default) a session that was saved survives a
 * crash of the cache, so users stay logged in across a FlashCache restart.
 *
 *   FLASHCACHE_URL=redis://127.0.0.1:6379 PORT=3000 node dist/examples/session-store.js
 *   curl -c jar -H 'content-type: application/json' -d '{"user":"ada"}' localhost:3000/login
 *   curl -b jar localhost:3000/me
 */
import { pathToFileURL } from 'node:url';
import { RedisStore } from 'connect-redis';
import express, { type Express } from 'express';
import session from 'express-session';
import { createClient } from 'redis';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

/**
 * `POST /login {"user": name}` starts a session, `GET /me` returns its user
 * (401 without one), `POST /logout` destroys it.
 *
 * @param client a connected node-redis client
 * @param secret the cookie-signing secret
 */
export function sessionApp(client: ReturnType<typeof createClient>, secret: string): Express {
  const app = express();
  app.use(express.json());
  app.use(
    session({
      store: new RedisStore({ client, prefix: 'sess:' }),
      secret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 24 * 3600 * 1000 },
    }),
  );
  app.post('/login', (req, res) => {
    const user = (req.body as { user?: unknown } | undefined)?.user;
    if (typeof user !== 'string' || user === '') {
      res.status(400).json({ error: 'expected {"user": "<name>"}' });
      return;
    }
    req.session.user = user;
    res.json({ user });
  });
  app.get('/me', (req, res) => {
    if (!req.session.user) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    res.json({ user: req.session.user });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
  });
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const client = createClient({ url: process.env.FLASHCACHE_URL ?? 'redis://127.0.0.1:6379' });
  client.on('error', (e: Error) => console.error('FlashCache:', e.message));
  await client.connect();
  const port = Number(process.env.PORT ?? 3000);
  const secret = process.env.SESSION_SECRET ?? 'change me';
  sessionApp(client, secret).listen(port, () => console.log(`listening on http://127.0.0.1:${port}`));
}
