/** JSON logs (pino). Every line of a job carries its documentId and jobId (processors.ts). */
import { pino, type Logger } from "pino";

export function createLogger(level: string, name = "nianbao"): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
