// Types for web/markdown.js as used by tests (the browser file is plain JavaScript).
type H<N> = (
  tag: string,
  props: Record<string, string> | null,
  ...children: Array<N | string>
) => N;
export function safeHref(url: string): string | null;
export function renderInline<N>(text: string, h: H<N>): Array<N | string>;
export function renderMarkdown<N>(source: string, h: H<N>): N[];
export const MAX_QUOTE_DEPTH: number;
