/// <reference types="vitest/config" />
/**
 * In production the server serves `dist/` at its own origin. In development Vite serves the
 * page and passes the API and the socket through to a server on the default port.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const SERVER = 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: SERVER },
      '/socket.io': { target: SERVER, ws: true },
    },
  },
  // No source maps in what the server serves (issue 6, web assets).
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: { include: ['src/**/*.test.ts'] },
});
