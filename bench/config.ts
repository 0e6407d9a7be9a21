import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '..')
export const DATA_DIR = path.join(ROOT, 'bench', '.data')
/** wrangler's `--persist-to` layout: D1 lives under `<dir>/v3/d1`. */
export const DB_DIR = path.join(DATA_DIR, 'db')
export const D1_PERSIST = path.join(DB_DIR, 'v3', 'd1')
export const BUILD_DIR = path.join(DATA_DIR, 'build')
export const RESULTS_FILE = path.join(ROOT, 'bench', 'results.json')
export const WRANGLER_CONFIG = path.join(ROOT, 'wrangler.toml')

export const BENCH_PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000)
export const BENCH_SEED = process.env.BENCH_SEED ?? 'tvpay-demo-v1'
