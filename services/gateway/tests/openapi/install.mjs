// Installs the validator's packages from vendor/ (the registry's own tarballs, committed) into
// node_modules/, as package-lock.json lays them out, each checked against the lockfile's
// integrity hash. No network: a bare machine without registry access can run the check
// (decision 95). usage: node install.mjs
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));

// npm pack's file name: "@scope/name" -> "scope-name-<version>.tgz".
const tarballOf = (name, version) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === "") continue;
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  const tarball = join(here, "vendor", tarballOf(name, entry.version));
  const [algorithm, expected] = entry.integrity.split("-", 2);
  const actual = createHash(algorithm).update(readFileSync(tarball)).digest("base64");
  if (actual !== expected) {
    console.error(`${tarball}: ${algorithm} does not match package-lock.json`);
    process.exit(1);
  }
  const target = join(here, path);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "--strip-components=1", "-C", target]);
}
console.log(`installed ${Object.keys(lock.packages).length - 1} packages from vendor/`);
