// Installs a folder's npm packages from its vendor/ (the registry's own tarballs, committed) into
// its node_modules/, as its package-lock.json lays them out, each checked against the lockfile's
// integrity hash. No network: a bare machine without registry access can run the checks that
// need them (decision 95). usage: node tools/install-vendored-npm.mjs <folder with package-lock.json>
// To update a folder: change its package.json, `npm install`, `npm pack` each locked package into
// vendor/, and commit the lockfile and tarballs together.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// npm pack's file name: "@scope/name" -> "scope-name-<version>.tgz".
const tarballOf = (name, version) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

export function installVendored(dir) {
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "") continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const tarball = join(dir, "vendor", tarballOf(name, entry.version));
    const [algorithm, expected] = entry.integrity.split("-", 2);
    const actual = createHash(algorithm).update(readFileSync(tarball)).digest("base64");
    if (actual !== expected) {
      console.error(`${tarball}: ${algorithm} does not match package-lock.json`);
      process.exit(1);
    }
    const target = join(dir, path);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "--strip-components=1", "-C", target]);
  }
  console.log(`installed ${Object.keys(lock.packages).length - 1} packages from ${dir}/vendor`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error("usage: node tools/install-vendored-npm.mjs <folder>");
    process.exit(2);
  }
  installVendored(resolve(process.argv[2]));
}
