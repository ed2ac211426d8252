/**
 * An Express route with cache-aside in front of a slow source of truth.
 *
 *   FLASHCACHE_URL=redis://127.0.0.1:6379 PORT=3000 node dist/examples/express-cache-aside.js
 *   curl -i localhost:3000/products/42        # X-Cache: miss, then hit
 *
 * The ioredis client fails fast while FlashCache is unreachable
 * (`enableOfflineQueue: false`), so the breaker opens after a few failures and
 * requests are served from the source alone until FlashCache is back.
 */
import { pathToFileURL } from 'node:url';
import express, { type Express } from 'express';
import { Redis } from 'ioredis';
import { CacheAside } from 'flashcache/client';

/** What the route serves. */
export interface Product {
  id: string;
  name: string;
  /** Price in cents. */
  price: number;
}

/**
 * `GET /products/:id`: the product as JSON with `X-Cache: hit|miss`, 404 when
 * the source has none (the miss is cached too, for the TTL), 500 when the
 * source fails (nothing cached).
 *
 * @param loadProduct the source of truth (a database query in a real app)
 */
export function productApp(cache: CacheAside, loadProduct: (id: string) => Promise<Product | null>): Express {
  const app = express();
  app.get('/products/:id', async (req, res) => {
    const { id } = req.params;
    let loaded = false;
    const product = await cache.getOrLoad(
      `product:${id}`,
      () => {
        loaded = true;
        return loadProduct(id);
      },
      { ttl: 60 },
    );
    res.set('X-Cache', loaded ? 'miss' : 'hit');
    if (!product) {
      res.status(404).json({ error: `no product ${id}` });
      return;
    }
    res.json(product);
  });
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redis = new Redis(process.env.FLASHCACHE_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false });
  const cache = new CacheAside(redis, { keyPrefix: 'shop:' });
  const source = async (id: string): Promise<Product | null> => {
    await new Promise((r) => setTimeout(r, 50)); // a slow query
    return /^\d+$/.test(id) ? { id, name: `product ${id}`, price: 100 * Number(id) } : null;
  };
  const port = Number(process.env.PORT ?? 3000);
  productApp(cache, source).listen(port, () => console.log(`listening on http://127.0.0.1:${port}/products/1`));
}
