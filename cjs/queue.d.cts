// Types of the CommonJS entry point of darknet-node/queue.
export * from '../dist/queue/index.js';
