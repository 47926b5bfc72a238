/**
 * Vite build of the web app (issue 6, STYLE §1): `web/` → `dist/web`, served by
 * src/app/web-app.ts. Hashed files under `/assets` (long-cached); no inline scripts, so
 * the server's CSP (`script-src 'self'`) holds.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const webRoot = fileURLToPath(new URL('.', import.meta.url))
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url))

/**
 * Writes `.br` and `.gz` next to each text asset, once at build time; the server sends the
 * best one the browser accepts (@fastify/static `preCompressed`), so no request compresses.
 */
function precompress(): Plugin {
  return {
    name: 'carelocker-precompress',
    apply: 'build',
    async closeBundle() {
      const dir = path.join(outDir, 'assets')
      for (const name of await readdir(dir)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue
        const data = await readFile(path.join(dir, name))
        await writeFile(path.join(dir, `${name}.gz`), gzipSync(data, { level: 9 }))
        await writeFile(path.join(dir, `${name}.br`), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
      }
    },
  }
}

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: false,
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inlined assets would become data: URLs; keep every asset a file under /assets.
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npm run dev:web`: the API runs on its own port (npm run dev).
    proxy: { '/api': 'http://127.0.0.1:3000', '/s/': 'http://127.0.0.1:3000', '/e/': 'http://127.0.0.1:3000' },
  },
})
