import { defineConfig } from "vite";

// custodyd serves dist/ with a Content-Security-Policy that allows no inline script or style
// and no data: URLs, so nothing may be inlined into index.html.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
});
