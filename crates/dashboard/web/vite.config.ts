import { defineConfig } from "vite";

// The build is committed (../dist) and embedded by the unicharge-dashboard
// crate, and CI rebuilds it and fails on any difference, so it must be
// deterministic: no timestamps, no source maps with absolute paths, and
// content-hashed names only under assets/ (the crate serves those as
// immutable).
export default defineConfig({
  base: "/dashboard/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  // `npm run dev` serves the page with hot reload; the API comes from a
  // `unicharge serve` on the default address. The server accepts a login
  // only from its own origin, so the proxy presents that origin.
  server: {
    proxy: {
      "/admin/api": {
        target: "http://127.0.0.1:8080",
        changeOrigin: true,
        headers: { origin: "http://127.0.0.1:8080" },
      },
    },
  },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // Nothing inlined as data: URLs, and no inline module-preload polyfill:
    // the server's CSP allows same-origin files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: false,
  },
});
