// Bundles the console for the gateway to serve (decision in docs/decisions.md): index.html and
// content-hashed app-<hash>.js / app-<hash>.css into <out>, so the bundles can be cached for
// ever (immutable) and index.html is the only file revalidated. With --tests <dir>, also the
// unit tests (tests/unit/*.test.ts) as plain ES modules for `node --test`.
// usage: node web/build.mjs <out> [--tests <dir>]
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
// A fresh checkout: the packages from web/vendor, offline (tools/install-vendored-npm.mjs).
if (!existsSync(join(here, "node_modules/esbuild/package.json"))) {
  const { installVendored } = await import("../tools/install-vendored-npm.mjs");
  installVendored(here);
}
const { build } = await import("esbuild");
const args = process.argv.slice(2);
const out = args[0] && !args[0].startsWith("--") ? resolve(args[0]) : null;
const testsAt = args.indexOf("--tests");
const testsOut = testsAt >= 0 ? resolve(args[testsAt + 1]) : null;
if (!out && !testsOut) {
  console.error("usage: node web/build.mjs <out> [--tests <dir>]");
  process.exit(2);
}

if (out) {
  // Old hashed files would pile up: the folder is the build's own.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: { app: join(here, "src/main.tsx"), style: join(here, "src/styles.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome100", "firefox100", "safari15"],
    jsx: "automatic",
    jsxImportSource: "preact",
    entryNames: "[name]-[hash]",
    outdir: out,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
  const js = files.find((f) => f.startsWith("app-") && f.endsWith(".js"));
  const css = files.find((f) => f.startsWith("style-") && f.endsWith(".css"));
  // The stylesheet entry also emits an empty JS stub: not served.
  for (const f of files) if (f.startsWith("style-") && f.endsWith(".js")) rmSync(join(out, f));
  const html = readFileSync(join(here, "index.html"), "utf8").replace("%JS%", js).replace("%CSS%", css);
  writeFileSync(join(out, "index.html"), html);
  // Precompressed copies the gateway sends to clients accepting gzip (console_files.h): the
  // compression is paid once here, not per request.
  for (const f of [js, css, "index.html"]) {
    writeFileSync(join(out, `${f}.gz`), gzipSync(readFileSync(join(out, f)), { level: 9 }));
  }
  console.log(`console: ${out} (${js}, ${css})`);
}

if (testsOut) {
  rmSync(testsOut, { recursive: true, force: true });
  const tests = readdirSync(join(here, "tests/unit")).filter((f) => f.endsWith(".test.ts"));
  await build({
    entryPoints: tests.map((f) => join(here, "tests/unit", f)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node18",
    outdir: testsOut,
    outExtension: { ".js": ".mjs" },
    // A test may read a proto as text (access.test.ts checks the console's roles against it).
    loader: { ".proto": "text" },
    external: ["node:*"],
    logLevel: "warning",
  });
  console.log(`console unit tests: ${testsOut}`);
}
