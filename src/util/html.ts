/**
 * Escapes text for HTML element content and for attributes in either kind of quotes: the one
 * escaper for the dashboard, the report's SVG charts and the service's /docs page.
 */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
