/** A .cfg file as Darknet reads it: ordered sections of ordered `key=value` options. */
export interface CfgOption {
  key: string;
  value: string;
  /** 1-based source line (0 for options added in code). */
  line: number;
}

export interface CfgSection {
  /** The name between brackets as written (`net`, `convolutional`, `conv`, `yolo`, …). */
  type: string;
  line: number;
  options: CfgOption[];
}

export interface Cfg {
  sections: CfgSection[];
  /** Where it was read from, for error messages. */
  file?: string;
}

/** Darknet's aliases, mapped to the canonical section names used in shapes and info. */
export const SECTION_ALIASES: Readonly<Record<string, string>> = {
  network: 'net',
  conv: 'convolutional',
  conn: 'connected',
  max: 'maxpool',
  avg: 'avgpool',
  soft: 'softmax',
  lrn: 'normalization',
  deconv: 'deconvolutional',
};

export const canonicalType = (type: string): string => SECTION_ALIASES[type] ?? type;

/** First value of `key` (Darknet's option_find returns the first occurrence). */
export function getOption(section: CfgSection, key: string): CfgOption | undefined {
  return section.options.find((o) => o.key === key);
}

/** Sets `key` (replacing every occurrence) and returns the section. */
export function setOption(section: CfgSection, key: string, value: string | number): CfgSection {
  const v = String(value);
  const first = section.options.findIndex((o) => o.key === key);
  if (first < 0) section.options.push({ key, value: v, line: 0 });
  else {
    section.options[first] = { ...section.options[first]!, value: v };
    section.options = section.options.filter((o, i) => o.key !== key || i === first);
  }
  return section;
}
