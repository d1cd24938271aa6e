/**
 * A user's text inside an error message: one line, readable, short. A corrupt file's bytes or a 5 MB
 * CSV cell must not reach a terminal or a log whole: control and other non-printing characters are
 * shown as escapes (\x00, \u200b), and past `max` characters the rest is counted, not shown.
 */
export function quote(text: string, max = 60): string {
  return `'${excerpt(text, max)}'`;
}

/** The same without the quotes (a list of names, a header). */
export function excerpt(text: string, max = 60): string {
  const chars = [...text];
  const shown = chars.slice(0, max).map(printable).join('');
  return chars.length > max ? `${shown}… (${chars.length - max} more characters)` : shown;
}

function printable(c: string): string {
  const code = c.codePointAt(0)!;
  // C0/C1 controls, DEL, and characters of no visible width (format, separators beyond the space).
  if (code < 0x20 || (code >= 0x7f && code < 0xa0) || /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u.test(c))
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  return c;
}
