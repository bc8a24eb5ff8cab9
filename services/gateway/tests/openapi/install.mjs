// Installs the validator's packages from vendor/ into node_modules/ (tools/install-vendored-npm.mjs,
// decision 95). usage: node install.mjs
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { installVendored } from "../../../../tools/install-vendored-npm.mjs";

installVendored(dirname(fileURLToPath(import.meta.url)));
