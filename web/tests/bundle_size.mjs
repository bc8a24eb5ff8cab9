// The console's JavaScript, as sent (gzip), must stay within 300 KB (issue 17's budget).
// usage: node web/tests/bundle_size.mjs <build/console>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dir = process.argv[2];
const LIMIT = 300 * 1024;
const js = readdirSync(dir).filter((f) => f.endsWith(".js"));
if (js.length === 0) {
  console.error(`no JavaScript in ${dir}: is the console built?`);
  process.exit(1);
}
let total = 0;
for (const f of js) {
  const size = gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  console.log(`${f}: ${size} bytes gzipped`);
  total += size;
}
console.log(`total ${total} of ${LIMIT} bytes`);
process.exit(total <= LIMIT ? 0 : 1);
