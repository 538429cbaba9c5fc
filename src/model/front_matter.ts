/**
 * The YAML subset of ticket front matter: a flat mapping of scalars and lists of scalars.
 * Plain, single- and double-quoted scalars; `null`/`~`/empty as null; lists in block style
 * (`- item`) or inline (`[a, b]`). Everything else YAML allows (anchors, aliases, tags, nested
 * mappings, block scalars, flow mappings) is refused with the line number, so an alias bomb or
 * deep nesting costs nothing and a hand edit can never smuggle in structure.
 */

/** A front matter value. */
export type FrontValue = string | null | string[];

/** Parse failure with a 1-based line number within the file. */
export class FrontMatterError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = "FrontMatterError";
  }
}

/** Result of splitting a file into front matter and body. */
export interface FrontMatterDoc {
  /** Keys in file order. */
  data: Map<string, FrontValue>;
  /** Everything after the closing `---` line. */
  body: string;
}

const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Plain values that need no further parsing: timestamps, ids, words, simple sentences. */
const SIMPLE_PLAIN = /^[A-Za-z0-9_./+()=](?:[A-Za-z0-9_./+()= -]|:(?=[^ ]))*$/;
const RESERVED_NULL = new Set(["null", "Null", "NULL", "~"]);

function isKeyStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function unescapeDouble(src: string, line: number): { value: string; rest: string } {
  // src starts after the opening quote.
  let out = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"') return { value: out, rest: src.slice(i + 1) };
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = src[++i];
    const simple: Record<string, string> = {
      "0": "\0",
      a: "\x07",
      b: "\b",
      t: "\t",
      "\t": "\t",
      n: "\n",
      v: "\v",
      f: "\f",
      r: "\r",
      e: "\x1b",
      " ": " ",
      '"': '"',
      "/": "/",
      "\\": "\\",
      N: "\x85",
      _: "\xa0",
      L: "\u2028",
      P: "\u2029",
    };
    if (e !== undefined && e in simple) {
      out += simple[e];
      continue;
    }
    const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    const hex = src.slice(i + 1, i + 1 + width);
    if (width === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== width) {
      throw new FrontMatterError(`invalid escape "\\${e ?? ""}" in a double-quoted string`, line);
    }
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) throw new FrontMatterError(`invalid escape "\\${e}${hex}"`, line);
    out += String.fromCodePoint(cp);
    i += width;
  }
  throw new FrontMatterError(
    "unterminated double-quoted string (strings must fit on one line)",
    line,
  );
}

function unescapeSingle(src: string, line: number): { value: string; rest: string } {
  let out = "";
  for (let i = 0; i < src.length; i++) {
    if (src[i] === "'") {
      if (src[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return { value: out, rest: src.slice(i + 1) };
    }
    out += src[i];
  }
  throw new FrontMatterError(
    "unterminated single-quoted string (strings must fit on one line)",
    line,
  );
}

function refuseSpecial(text: string, line: number): void {
  const c = text[0];
  if (c === "&") throw new FrontMatterError("YAML anchors (&) are not allowed", line);
  if (c === "*") throw new FrontMatterError("YAML aliases (*) are not allowed", line);
  if (c === "!") throw new FrontMatterError("YAML tags (!) are not allowed", line);
  if (c === "|" || c === ">") {
    throw new FrontMatterError("block scalars (| or >) are not allowed; use a quoted string", line);
  }
  if (c === "{") throw new FrontMatterError("nested mappings are not allowed", line);
  if (c === "%" || c === "@" || c === "`") {
    throw new FrontMatterError(`a plain value cannot start with "${c}"; quote it`, line);
  }
}

function stripComment(rest: string, line: number): void {
  const t = rest.trim();
  if (t !== "" && !t.startsWith("#")) {
    throw new FrontMatterError(`unexpected text after a quoted string: "${t.slice(0, 40)}"`, line);
  }
}

/** Parses one scalar (the whole remaining text of a line or list item). */
function parseScalar(raw: string, line: number): string | null {
  const text = raw.trim();
  if (text === "" || text === "~" || text === "null" || text === "Null" || text === "NULL") {
    return null;
  }
  if (text[0] === '"') {
    const { value, rest } = unescapeDouble(text.slice(1), line);
    stripComment(rest, line);
    return value;
  }
  if (text[0] === "'") {
    const { value, rest } = unescapeSingle(text.slice(1), line);
    stripComment(rest, line);
    return value;
  }
  refuseSpecial(text, line);
  if (text[0] === "[") throw new FrontMatterError("nested lists are not allowed", line);
  if (text.startsWith("- ") || text === "-") {
    throw new FrontMatterError("nested lists are not allowed", line);
  }
  // A plain scalar ends at " #" (a comment).
  const hash = text.search(/\s#/);
  const value = (hash === -1 ? text : text.slice(0, hash)).trimEnd();
  if (/:\s/.test(value) || value.endsWith(":")) {
    throw new FrontMatterError(`nested mappings are not allowed (quote values holding ": ")`, line);
  }
  return value === "" ? null : value;
}

function parseInlineList(text: string, line: number): string[] {
  // text starts with "[".
  const items: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (text[i] === " " || text[i] === "\t") i++;
  };
  skipSpace();
  if (text[i] === "]") {
    stripComment(text.slice(i + 1), line);
    return items;
  }
  for (;;) {
    skipSpace();
    const c = text[i];
    let value: string;
    if (c === '"') {
      const r = unescapeDouble(text.slice(i + 1), line);
      value = r.value;
      i = text.length - r.rest.length;
    } else if (c === "'") {
      const r = unescapeSingle(text.slice(i + 1), line);
      value = r.value;
      i = text.length - r.rest.length;
    } else if (c === "[" || c === "{") {
      throw new FrontMatterError("nested lists or mappings are not allowed", line);
    } else if (c === undefined) {
      throw new FrontMatterError('unterminated inline list (missing "]")', line);
    } else {
      let j = i;
      while (j < text.length && text[j] !== "," && text[j] !== "]") j++;
      const plain = text.slice(i, j).trim();
      if (plain === "") throw new FrontMatterError("empty item in an inline list", line);
      refuseSpecial(plain, line);
      value = plain;
      i = j;
    }
    items.push(value);
    skipSpace();
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "]") {
      stripComment(text.slice(i + 1), line);
      return items;
    }
    throw new FrontMatterError('malformed inline list: expected "," or "]"', line);
  }
}

/**
 * Splits `text` into front matter and body. Throws {@linkcode FrontMatterError} with the line.
 */
export function parseFrontMatter(text: string): FrontMatterDoc {
  if (!text.startsWith("---\n")) {
    throw new FrontMatterError('missing front matter: the file must start with a "---" line', 1);
  }
  const data = new Map<string, FrontValue>();
  let pos = 4;
  let lineNo = 1;
  let listKey: string | null = null;
  for (;;) {
    lineNo++;
    if (pos >= text.length) {
      throw new FrontMatterError('truncated front matter: no closing "---" line', lineNo - 1);
    }
    const nl = text.indexOf("\n", pos);
    const line = nl === -1 ? text.slice(pos) : text.slice(pos, nl);
    pos = nl === -1 ? text.length : nl + 1;
    if (line === "---" || line === "...") {
      if (nl === -1 && line === "---") return { data, body: "" };
      return { data, body: text.slice(pos) };
    }
    const first = line.charCodeAt(0);
    // Fast path for the common "key: plain value" line: no regex match objects.
    if (isKeyStart(first)) {
      const colon = line.indexOf(":");
      if (colon > 0 && KEY_NAME.test(line.slice(0, colon))) {
        const after = line.charCodeAt(colon + 1);
        if (colon + 1 === line.length || after === 32 || after === 9) {
          const key = line.slice(0, colon);
          if (FORBIDDEN_KEYS.has(key)) {
            throw new FrontMatterError(`the key "${key}" is not allowed`, lineNo);
          }
          if (data.has(key)) throw new FrontMatterError(`duplicate key "${key}"`, lineNo);
          const raw = line.slice(colon + 1).trim();
          if (raw === "" || raw.startsWith("#")) {
            // Either null or the start of a block list; the list form wins if items follow.
            data.set(key, []);
            listKey = key;
            continue;
          }
          listKey = null;
          if (RESERVED_NULL.has(raw)) {
            data.set(key, null);
            continue;
          }
          if (raw === "[]") {
            data.set(key, []);
            continue;
          }
          if (SIMPLE_PLAIN.test(raw)) {
            data.set(key, raw);
            continue;
          }
          refuseSpecial(raw, lineNo);
          data.set(key, raw[0] === "[" ? parseInlineList(raw, lineNo) : parseScalar(raw, lineNo));
          continue;
        }
      }
    }
    if (listKey !== null && line.startsWith("  - ")) {
      const raw = line.slice(4).trim();
      if (SIMPLE_PLAIN.test(raw) && !RESERVED_NULL.has(raw)) {
        (data.get(listKey) as string[]).push(raw);
        continue;
      }
    }
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (/^\s*\t/.test(line)) {
      throw new FrontMatterError("tabs are not allowed for indentation", lineNo);
    }
    const item = /^(\s*)-(?:\s+(.*)|\s*)$/.exec(line);
    if (item) {
      if (listKey === null) {
        throw new FrontMatterError("a list item must follow a key with no value", lineNo);
      }
      const value = parseScalar(item[2] ?? "", lineNo);
      if (value === null) throw new FrontMatterError("empty list item", lineNo);
      (data.get(listKey) as string[]).push(value);
      continue;
    }
    if (/^\s/.test(line)) {
      throw new FrontMatterError("nested mappings and multi-line values are not allowed", lineNo);
    }
    if (line.startsWith("? ")) throw new FrontMatterError("complex keys are not allowed", lineNo);
    throw new FrontMatterError(`expected "key: value", got "${line.slice(0, 40)}"`, lineNo);
  }
}

/** Finalises the "key with no value" case: an empty block list reads as null. */
export function emptyAsNull(value: FrontValue | undefined): FrontValue | undefined {
  return Array.isArray(value) && value.length === 0 ? null : value;
}

const RESERVED_PLAIN =
  /^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$/;
const SAFE_PLAIN = /^[A-Za-z0-9_./+(][A-Za-z0-9 _./+()@=-]*$/;
const SAFE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** Serialises one scalar: plain when that reads back identically everywhere, else quoted. */
export function formatScalar(value: string | null): string {
  if (value === null) return "null";
  if (SAFE_TIMESTAMP.test(value)) return value;
  if (
    SAFE_PLAIN.test(value) && !value.endsWith(" ") && !RESERVED_PLAIN.test(value) &&
    !/^[-+.]?\d/.test(value) && !value.includes(" #")
  ) {
    return value;
  }
  return JSON.stringify(value).replace(
    /[\u0085\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** Serialises front matter (keys in the given order) including the `---` lines. */
export function formatFrontMatter(
  entries: Iterable<[string, FrontValue | number | boolean]>,
): string {
  let out = "---\n";
  for (const [key, value] of entries) {
    if (typeof value === "number" || typeof value === "boolean") {
      out += `${key}: ${value}\n`;
    } else if (Array.isArray(value)) {
      if (value.length === 0) out += `${key}: []\n`;
      else out += `${key}:\n` + value.map((v) => `  - ${formatScalar(v)}\n`).join("");
    } else {
      out += `${key}: ${formatScalar(value)}\n`;
    }
  }
  return out + "---\n";
}
