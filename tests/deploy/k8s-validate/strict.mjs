// Unknown fields, as `kubectl apply --validate=strict` (the API server's strict field validation)
// refuses them: kubernetes-models' compiled validators check types, formats and required fields
// but, like Kubernetes' OpenAPI schemas, let unknown properties through, so a misspelt
// `readinesProbe` would pass. The models' TypeScript declarations (.d.ts) list every field of
// every type; this reads them (a parser for the subset they are written in: interfaces, type
// aliases, Array<>, inline object types, index signatures, unions, literals, imports) and
// reports each property of an object that its type does not declare.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const files = new Map(); // .d.ts path -> {imports, decls, exports}

function tokenize(text) {
  text = text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  const re = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*|-?\d+(?:\.\d+)?|\S/g;
  return text.match(re) ?? [];
}

class Parser {
  constructor(tokens, file) {
    this.t = tokens;
    this.i = 0;
    this.file = file;
  }
  peek(o = 0) { return this.t[this.i + o]; }
  next() { return this.t[this.i++]; }
  eat(x) {
    if (this.t[this.i] !== x) throw new Error(`${this.file}: expected ${x} at token ${this.i}, got ${this.t[this.i]}`);
    this.i++;
  }
  type() {
    const members = [this.postfix()];
    while (this.peek() === "|") { this.next(); members.push(this.postfix()); }
    return members.length === 1 ? members[0] : { k: "union", of: members };
  }
  postfix() {
    if (this.peek() === "|") this.next(); // a leading '|' of a multi-line union
    let t = this.primary();
    while (this.peek() === "[" && this.peek(1) === "]") { this.next(); this.next(); t = { k: "array", of: t }; }
    return t;
  }
  primary() {
    const tok = this.next();
    if (tok === "{") return this.members("}");
    if (tok === "(") { const t = this.type(); this.eat(")"); return t; }
    if (tok === "Array" && this.peek() === "<") { this.next(); const of = this.type(); this.eat(">"); return { k: "array", of }; }
    if (/^["'\d-]/.test(tok)) return { k: "lit" };
    if (["string", "number", "boolean", "any", "unknown", "null", "undefined", "object", "true", "false"].includes(tok)) {
      return { k: "prim", name: tok };
    }
    if (/^[A-Za-z_$]/.test(tok)) {
      let name = tok;
      while (this.peek() === ".") { this.next(); name += "." + this.next(); }
      if (this.peek() === "<") { // a generic we do not model: accept anything
        let depth = 0;
        do { const x = this.next(); if (x === "<") depth++; if (x === ">") depth--; } while (depth > 0);
        return { k: "prim", name };
      }
      return { k: "ref", name, file: this.file };
    }
    throw new Error(`${this.file}: unexpected ${tok}`);
  }
  members(close) {
    const props = new Map();
    let index = null;
    while (this.peek() !== close) {
      if (this.peek() === "[") { // [key: string]: T
        this.next(); this.next(); this.eat(":"); this.next(); this.eat("]"); this.eat(":");
        index = this.type();
      } else {
        let name = this.next();
        if (/^["']/.test(name)) name = JSON.parse(name.replace(/^'|'$/g, '"'));
        if (this.peek() === "?") this.next();
        this.eat(":");
        props.set(name, this.type());
      }
      if (this.peek() === ";" || this.peek() === ",") this.next();
    }
    this.eat(close);
    return { k: "obj", props, index };
  }
}

function load(path) {
  if (files.has(path)) return files.get(path);
  const entry = { imports: new Map(), decls: new Map(), exports: new Map(), path };
  files.set(path, entry);
  const p = new Parser(tokenize(readFileSync(path, "utf8")), path);
  const require = createRequire(path);
  while (p.i < p.t.length) {
    const tok = p.next();
    if (tok === "import" && p.peek() === "{") {
      p.next();
      const names = [];
      while (p.peek() !== "}") {
        const name = p.next();
        let local = name;
        if (p.peek() === "as") { p.next(); local = p.next(); }
        names.push([local, name]);
        if (p.peek() === ",") p.next();
      }
      p.eat("}"); p.eat("from");
      const spec = JSON.parse(p.next());
      let target;
      try {
        target = require.resolve(spec).replace(/\.(m?js)$/, ".d.ts");
      } catch {
        target = null; // @kubernetes-models/base and the like: no fields of ours
      }
      for (const [local, name] of names) entry.imports.set(local, { target, name });
    } else if (tok === "interface") {
      const name = p.next();
      while (p.peek() !== "{") p.next(); // extends ...
      p.next();
      entry.decls.set(name, p.members("}"));
    } else if (tok === "type" && /^[A-Za-z_$]/.test(p.peek() ?? "") && p.peek(1) === "=") {
      const name = p.next();
      p.eat("=");
      entry.decls.set(name, p.type());
    } else if (tok === "class") { // skip its body
      while (p.peek() !== "{") p.next();
      let depth = 0;
      do { const x = p.next(); if (x === "{") depth++; if (x === "}") depth--; } while (depth > 0);
    } else if (tok === "export" && p.peek() === "{") {
      p.next();
      while (p.peek() !== "}") {
        const name = p.next();
        let as = name;
        if (p.peek() === "as") { p.next(); as = p.next(); }
        entry.exports.set(as, name);
        if (p.peek() === ",") p.next();
      }
      p.next();
    }
  }
  return entry;
}

// A referenced type's declaration, through imports and export aliases.
function resolve(name, path, depth = 0) {
  if (depth > 20 || !path) return null;
  const entry = load(path);
  if (entry.decls.has(name)) return entry.decls.get(name);
  if (entry.exports.has(name) && entry.exports.get(name) !== name) return resolve(entry.exports.get(name), path, depth + 1);
  const imported = entry.imports.get(name);
  if (imported) return resolve(imported.name, imported.target, depth + 1);
  return null;
}

function check(value, type, where, out, depth = 0) {
  if (!type || value === null || typeof value !== "object" || depth > 64) return;
  switch (type.k) {
    case "ref": return check(value, resolve(type.name, type.file), where, out, depth + 1);
    case "union": {
      const shaped = type.of.find((t) => (t.k === "array") === Array.isArray(value) && t.k !== "prim" && t.k !== "lit");
      return check(value, shaped, where, out, depth + 1);
    }
    case "array":
      if (Array.isArray(value)) value.forEach((v, i) => check(v, type.of, `${where}[${i}]`, out, depth + 1));
      return;
    case "obj":
      if (Array.isArray(value)) return;
      if (type.props.size === 0 && !type.index) return; // an open object
      for (const [key, v] of Object.entries(value)) {
        if (type.props.has(key)) check(v, type.props.get(key), `${where}.${key}`, out, depth + 1);
        else if (type.index) check(v, type.index, `${where}.${key}`, out, depth + 1);
        else out.push(`${where}.${key}: unknown field`);
      }
  }
}

// The unknown fields of an object whose model class is in modelFile (a .js resolved by import).
export function unknownFields(object, modelFile, interfaceName) {
  const dts = modelFile.replace(/\.(m?js)$/, ".d.ts");
  const out = [];
  check(object, resolve(interfaceName, join(dirname(dts), dts.slice(dirname(dts).length + 1))), "", out);
  return out.map((s) => s.replace(/^\./, ""));
}
