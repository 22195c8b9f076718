/**
 * The resource-management globals the declarations use (Symbol.dispose, Symbol.asyncDispose,
 * Disposable, AsyncDisposable) and AbortSignal's shape, declared as @types/node declares them: a consumer type-checks
 * the package with neither @types/node nor lib "esnext.disposable", and these merge with both.
 */
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
  interface AsyncDisposable {
    [Symbol.asyncDispose](): PromiseLike<void>;
  }
  /** what options take as `signal` (the DOM lib and @types/node declare the whole of it) */
  interface AbortSignal {
    readonly aborted: boolean;
    readonly reason: any;
  }
}
export {};
