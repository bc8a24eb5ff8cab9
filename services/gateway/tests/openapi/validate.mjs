// Validates an OpenAPI document (a file path) against the OpenAPI 3.1 schema and its semantic
// rules (unique operation ids, path parameters declared, resolvable $refs). Exit code 0 when valid.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid: ${api.info.title} ${api.info.version}, ${Object.keys(api.paths).length} paths`);
} catch (error) {
  console.error(`invalid: ${error.message}`);
  process.exit(1);
}
