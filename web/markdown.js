// A tiny markdown renderer that builds virtual nodes, never HTML strings: every piece of text
// an agent wrote ends up as a text node, so `<img onerror=…>` or `</script>` stays text. Links
// are clickable only for http(s), mailto and same-page anchors; anything else (`javascript:`,
// `data:`…) is shown as plain text. Supported: headings, paragraphs, fenced code, lists,
// block quotes, rules, `code`, **strong**, *em*, [text](url) and bare http(s) URLs.
//
// Images: the page's CSP (`default-src 'self'`) loads nothing from elsewhere, and an agent's
// image URL is not something to fetch on the person's behalf anyway. So `![alt](url)` is never
// an <img>: it is a link marked as an image, labelled with its alt text, that opens the URL in a
// new tab when the person chooses to (only http(s); anything else is text, like links).
//
// `h` is Preact's `h` (or any function of the same shape), passed in so Deno tests can use a
// plain object builder.
//
// Bounded on any input: block quotes nest at most MAX_QUOTE_DEPTH deep (a deeper `>` is shown
// as text, so 10,000 `>` cannot overflow the stack), and no pattern rescans the rest of a line
// from every position (100,000 `[` took 10 s when a link label could contain `[`).

/** How deep block quotes nest; a `>` below that depth is shown as text. */
export const MAX_QUOTE_DEPTH = 8;

/** Whether a link target may be followed from the page. */
export function safeHref(url) {
  const u = String(url).trim();
  if (/^#[\w-]*$/.test(u)) return u;
  if (/^(https?:\/\/|mailto:)[^\s<>"'`]+$/i.test(u)) return u;
  return null;
}

const INLINE =
  /!\[([^[\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)|(`+)([\s\S]*?[^`])\3(?!`)|\*\*([^*\n]+)\*\*|__([^_\n]+)__|\*([^*\n]+)\*|\b_([^_\n]+)_\b|\[([^[\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)|(https?:\/\/[^\s<>()"'`]+[^\s<>()"'`.,;:!?])/g;

/** Inline markup of one text run, as an array of strings and vnodes. */
export function renderInline(text, h) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out.push(image(m[1], m[2], h));
    else if (m[3] !== undefined) {
      out.push(h("code", null, m[4].trim() === "" ? m[4] : m[4].trim()));
    } else if (m[5] !== undefined) out.push(h("strong", null, ...renderInline(m[5], h)));
    else if (m[6] !== undefined) out.push(h("strong", null, ...renderInline(m[6], h)));
    else if (m[7] !== undefined) out.push(h("em", null, ...renderInline(m[7], h)));
    else if (m[8] !== undefined) out.push(h("em", null, ...renderInline(m[8], h)));
    else if (m[9] !== undefined) {
      const href = safeHref(m[10]);
      const label = m[9] === "" ? m[10] : m[9];
      if (href === null) {
        out.push(h("span", { class: "unsafe-link", title: `Link not followed: ${m[10]}` }, label));
      } else {
        out.push(h("a", { href, rel: "noopener noreferrer nofollow", target: "_blank" }, label));
      }
    } else if (m[11] !== undefined) {
      out.push(
        h("a", { href: m[11], rel: "noopener noreferrer nofollow", target: "_blank" }, m[11]),
      );
    }
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** `![alt](url)`: a link to the image labelled with its alt text, never an <img> (see top). */
function image(alt, url, h) {
  const label = `Image: ${alt.trim() === "" ? url : alt}`;
  const href = safeHref(url);
  if (href === null || href.startsWith("#") || href.startsWith("mailto:")) {
    return h("span", { class: "unsafe-link md-image", title: `Image not loaded: ${url}` }, label);
  }
  return h("a", {
    href,
    class: "md-image",
    rel: "noopener noreferrer nofollow",
    target: "_blank",
    title: `Image, not loaded by the dashboard: opens ${url}`,
  }, label);
}

const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Renders markdown `source` to an array of vnodes. */
export function renderMarkdown(source, h) {
  return renderBlocks(String(source).replace(/\r\n?/g, "\n").split("\n"), h, 0);
}

// A line that ends a paragraph; at the deepest quote level `>` no longer does (it is text).
const PARA_END = /^\s*(`{3,}|~{3,}|#{1,6}\s|>)/;
const PARA_END_DEEPEST = /^\s*(`{3,}|~{3,}|#{1,6}\s)/;

/** The blocks of `lines`, which sit inside `depth` block quotes. */
function renderBlocks(lines, h, depth) {
  const quotes = depth < MAX_QUOTE_DEPTH;
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      const lang = fence[2].trim();
      blocks.push(
        h(
          "pre",
          null,
          h("code", lang ? { "data-lang": lang.slice(0, 30) } : null, body.join("\n")),
        ),
      );
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1].length + 2);
      blocks.push(h(`h${level}`, null, ...renderInline(heading[2], h)));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push(h("hr", null));
      i++;
      continue;
    }
    if (quotes && /^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) {
        quoted.push(lines[i++].replace(/^\s*>\s?/, ""));
      }
      blocks.push(h("blockquote", null, ...renderBlocks(quoted, h, depth + 1)));
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const items = [];
      while (i < lines.length) {
        const it = LIST_ITEM.exec(lines[i]);
        if (it && /\d/.test(it[2]) === ordered) {
          items.push(it[3]);
          i++;
        } else if (items.length > 0 && /^\s{2,}\S/.test(lines[i])) {
          items[items.length - 1] += "\n" + lines[i++].trim();
        } else break;
      }
      blocks.push(
        h(
          ordered ? "ol" : "ul",
          null,
          ...items.map((t) => {
            const task = /^\[([ xX])\]\s+(.*)$/s.exec(t);
            if (task) {
              return h(
                "li",
                { class: "task" },
                h("span", { class: "check" }, task[1] === " " ? "☐ " : "☑ "),
                ...renderInline(task[2], h),
              );
            }
            return h("li", null, ...renderInline(t, h));
          }),
        ),
      );
      continue;
    }
    // The first line always belongs to the paragraph, so the loop always makes progress.
    const para = [lines[i++].trim()];
    while (
      i < lines.length && lines[i].trim() !== "" &&
      !(quotes ? PARA_END : PARA_END_DEEPEST).test(lines[i]) &&
      !LIST_ITEM.test(lines[i])
    ) {
      para.push(lines[i++].trim());
    }
    blocks.push(h("p", null, ...renderInline(para.join("\n"), h)));
  }
  return blocks;
}
