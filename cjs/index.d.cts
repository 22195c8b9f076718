// Types of the CommonJS entry point: the same module as the ES entry point.
export * from '../dist/index.js';
