import { DarknetError } from '../errors.js';
import type { Cfg, CfgSection } from './types.js';

/**
 * Parses .cfg text the way Darknet's read_cfg does (whitespace anywhere in a line is removed,
 * `#` and `;` start comment lines, the first `=` splits key and value), but rejects what
 * Darknet would crash or silently misread on: options before any section, lines without `=`,
 * empty keys or values, unterminated section headers, binary data. CRLF files are accepted
 * (Darknet keeps the `\r` and then fails to recognise `[net]\r`).
 */
export function parseCfg(text: string, opts: { file?: string } = {}): Cfg {
  const file = opts.file;
  const err = (line: number, msg: string) => new DarknetError('CFG_PARSE', msg, { ...(file ? { file } : {}), line });
  if (text.includes('\0')) throw err(text.slice(0, text.indexOf('\0')).split('\n').length, 'binary data (NUL byte) in a cfg file');
  const sections: CfgSection[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/[ \t\r\n\v\f]/g, '');
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    if (line[0] === '[') {
      if (!line.endsWith(']') || line.length < 3) throw err(lineNo, `malformed section header "${line}"`);
      const type = line.slice(1, -1);
      if (!/^[A-Za-z0-9_]+$/.test(type)) throw err(lineNo, `malformed section name "${type}"`);
      sections.push({ type, line: lineNo, options: [] });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw err(lineNo, `expected key=value, got "${line.slice(0, 60)}"`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!key) throw err(lineNo, 'option with an empty key');
    if (!value) throw err(lineNo, `option "${key}" has an empty value`);
    const current = sections[sections.length - 1];
    if (!current) throw err(lineNo, `option "${key}" appears before any [section]`);
    current.options.push({ key, value, line: lineNo });
  }
  if (!sections.length) throw new DarknetError('CFG_PARSE', 'no sections in cfg file', file ? { file } : {});
  return file ? { sections, file } : { sections };
}
