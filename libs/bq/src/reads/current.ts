/**
 * Read statements over the current-state tables (the bookings subgraph's warehouse
 * access). Written with issue #4.
 */
export {};
