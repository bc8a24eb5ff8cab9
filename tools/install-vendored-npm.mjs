// Installs a folder's npm packages from its vendor/ (the registry's own tarballs, committed) into
// its node_modules/, as its package-lock.json lays them out, each checked against the lockfile's
// integrity hash. No network: a bare machine without registry access can run the checks that
// need them (decision 95). usage: node tools/install-vendored-npm.mjs <folder with package-lock.json>
// To update a folder: change its package.json, `npm install`, `npm pack` each locked package into
// vendor/, and commit the lockfile and tarballs together.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// npm's rule for a package limited to some systems (`os`, `cpu` in the lockfile): a list of
// allowed values, or of refused ones each prefixed with "!".
const allows = (list, value) =>
  !list || (list.some((v) => !v.startsWith("!")) ? list.includes(value) : !list.includes(`!${value}`));

// npm pack's file name: "@scope/name" -> "scope-name-<version>.tgz".
const tarballOf = (name, version) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

export function installVendored(dir) {
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  let installed = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "") continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    // A platform's build of a native tool (esbuild's @esbuild/linux-x64): only this machine's
    // is installed, and only the platforms someone vendored are there (web/README.md).
    if (!allows(entry.os, process.platform) || !allows(entry.cpu, process.arch)) continue;
    const tarball = join(dir, "vendor", tarballOf(name, entry.version));
    if (entry.optional && !existsSync(tarball)) {
      console.error(`${name} ${entry.version} (optional) is not vendored: \`npm pack\` it into ${dir}/vendor`);
      continue;
    }
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
    ++installed;
  }
  console.log(`installed ${installed} packages from ${dir}/vendor`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error("usage: node tools/install-vendored-npm.mjs <folder>");
    process.exit(2);
  }
  installVendored(resolve(process.argv[2]));
}
