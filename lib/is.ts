/**
 * The one place argument and option checks are written (as sharp's lib/is.mjs): every public
 * entry point checks what it is given with these, so every mistake reports the same way — a
 * DarknetError with code BAD_INPUT, naming the option and what it must be, and what it got.
 * The rules themselves (thresholds, threads, image sizes, …) live in lib/options.ts, each once.
 */
import { DarknetError } from './errors.js';

/** What a wrong value was, for a message: numbers and strings as themselves, others by kind. */
export function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined || v === null) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'function') return 'a function';
  return `${typeof v === 'object' ? 'an ' : ''}${typeof v}`;
}

/** The error every failed check throws: "<name> must be <expected>[, got <value>]". */
export function invalid(name: string, expected: string, ...got: [unknown?]): DarknetError {
  return new DarknetError('BAD_INPUT', `${name} must be ${expected}${got.length ? `, got ${describe(got[0])}` : ''}`);
}

/** A BAD_INPUT whose wording does not fit "<name> must be …": a count that does not match, a
 * malformed line of a user's file (`file`, `line`), … */
export function badInput(message: string, opts: { file?: string; line?: number; cause?: unknown } = {}): DarknetError {
  return new DarknetError('BAD_INPUT', message, opts);
}

// ---- predicates ----

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
export const isIntegerIn = (v: unknown, lo: number, hi: number): v is number => isInteger(v) && v >= lo && v <= hi;
export const isBytes = (v: unknown): v is Uint8Array | Uint8ClampedArray => v instanceof Uint8Array || v instanceof Uint8ClampedArray;
export const isSignal = (v: unknown): v is AbortSignal => v instanceof AbortSignal;

// ---- assertions: each returns the value it checked ----

/** An options object (not null, not an array). `message` replaces the standard wording. */
export function object<T>(v: T, name = 'options', message?: string): T & object {
  if (!isObject(v) || Array.isArray(v)) throw message ? badInput(message) : invalid(name, 'an object');
  return v as T & object;
}

function range(lo: number, hi: number): string {
  if (hi === Infinity) return lo === 1 ? 'a positive integer' : lo === 0 ? 'a non-negative integer' : `an integer ≥ ${lo}`;
  return `an integer in [${lo}, ${hi}]`;
}

/** An integer in [lo, hi]; `note` adds what the bounds mean ("0 = all cores"). */
export function integer(name: string, v: unknown, lo: number, hi = Infinity, note = ''): number {
  if (!isIntegerIn(v, lo, hi)) throw invalid(name, `${range(lo, hi)}${note}`, v);
  return v;
}

/** A number between lo and hi (bounds included unless `open` says otherwise); NaN and ±Infinity refused. */
export function number(name: string, v: unknown, lo: number, hi: number, open: { lo?: boolean; hi?: boolean } = {}, unit = ''): number {
  const ok = isFiniteNumber(v) && (open.lo ? v > lo : v >= lo) && (open.hi ? v < hi : v <= hi);
  if (!ok) {
    const what = lo === -Infinity && hi === Infinity ? `a finite number${unit}`
      : hi === Infinity && lo === 0 && open.lo ? `a positive number${unit}`
        : `a number${unit} in ${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'}`;
    throw invalid(name, what, v);
  }
  return v;
}

export function boolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(name, 'a boolean', v);
  return v;
}

export function oneOf<T extends string>(name: string, v: unknown, values: readonly T[]): T {
  if (!values.includes(v as T)) throw invalid(name, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
  return v as T;
}

/** A non-empty string (a file path, a URL). */
export function path(name: string, v: unknown, expected = 'a non-empty path'): string {
  if (typeof v !== 'string' || !v) throw invalid(name, expected, v);
  return v;
}

export function stringArray(name: string, v: unknown, nonEmpty = false): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || (nonEmpty && !x))) throw invalid(name, `an array of ${nonEmpty ? 'non-empty ' : ''}strings`);
  return v as string[];
}

/** An array (of images, detections…): `what` names its items in the message. */
export function array<T>(name: string, v: readonly T[] | unknown, what: string): readonly T[] {
  if (!Array.isArray(v)) throw badInput(`${name} needs an array of ${what}`);
  return v as readonly T[];
}

// ---- optional values: only `undefined` means "not given" (null is a mistake worth reporting) ----

export function optional<T>(v: unknown, check: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : check(v);
}

export function fn<F extends (...args: never[]) => unknown>(name: string, v: unknown): F | undefined {
  if (v !== undefined && typeof v !== 'function') throw invalid(name, 'a function');
  return v as F | undefined;
}

export function signal(v: unknown, name = 'signal'): AbortSignal | undefined {
  if (v !== undefined && !isSignal(v)) throw invalid(name, 'an AbortSignal');
  return v as AbortSignal | undefined;
}
