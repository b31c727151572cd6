// Prometheus metrics, served at /metrics. One registry per process; the chat code imports these directly.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'support_chat_' });

export const socketConnections = new Gauge({
  name: 'support_chat_socket_connections',
  help: 'Open Socket.IO connections on this process',
  labelNames: ['role'] as const,
  registers: [registry],
});

export const messagesTotal = new Counter({
  name: 'support_chat_messages_total',
  help: 'Messages durably stored (acknowledged)',
  labelNames: ['role'] as const,
  registers: [registry],
});

export const ackLatency = new Histogram({
  name: 'support_chat_ack_latency_seconds',
  help: 'Time from receiving a client event to sending its acknowledgement',
  labelNames: ['event', 'ok'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const errorsTotal = new Counter({
  name: 'support_chat_errors_total',
  help: 'Errors answered to clients, by where and code',
  labelNames: ['source', 'code'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'support_chat_http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** Group commit of messages (SPEC §14): batches written and the messages in them (mean batch = items / batches). */
let messageBatches = () => ({ batches: 0, items: 0 });
/** Where the batch counts come from (the server's message store; the newest server of a process wins). */
export const watchMessageBatches = (read: () => { batches: number; items: number }): void => {
  messageBatches = read;
};
new Gauge({
  name: 'support_chat_message_insert_batches',
  help: 'Message insert batches written since start (one database round trip each)',
  registers: [registry],
  collect() {
    this.set(messageBatches().batches);
  },
});
new Gauge({
  name: 'support_chat_message_inserts',
  help: 'Messages written by those batches',
  registers: [registry],
  collect() {
    this.set(messageBatches().items);
  },
});
