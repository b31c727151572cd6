/** Bumped on any breaking change of events, payloads or HTTP bodies. */
export const PROTOCOL_VERSION = 1 as const;
