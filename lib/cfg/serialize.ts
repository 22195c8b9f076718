import type { Cfg } from './types.js';

/** Writes a cfg back as text Darknet reads identically (one `key=value` per line, LF endings). */
export function serializeCfg(cfg: Cfg): string {
  return cfg.sections
    .map((s) => [`[${s.type}]`, ...s.options.map((o) => `${o.key}=${o.value}`)].join('\n'))
    .join('\n\n') + '\n';
}
