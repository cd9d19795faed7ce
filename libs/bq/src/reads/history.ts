/**
 * Read statements over the bitemporal history, the raw events and the dead letters
 * (the audit subgraph's warehouse access). Written with issue #4.
 */
export {};
