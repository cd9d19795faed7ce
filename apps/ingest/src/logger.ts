// The logger is shared by every Phoenix service (libs/service); re-exported so the
// ingest's modules keep one local import.
export { createLogger } from '@phoenix/service';
