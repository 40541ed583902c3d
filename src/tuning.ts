/**
 * V8 settings for a process that parses reports. One for now:
 *
 * V8 compiles a function with its optimising compiler (TurboFan, on background threads) once
 * the function has run through a budget of bytecode, the "interrupt budget": 67,584 in the V8
 * of Node 20. pdf.js and the reconstructor run many large functions, each hot only briefly per
 * document, whose type feedback keeps changing over the first documents: in a cold batch of 17
 * corpus PDFs V8's background threads used more CPU than the parsing itself, mostly compiling
 * code that was soon thrown away by deoptimisation and compiled again. Four times the budget
 * (README "Benchmarks"): 15–25% less CPU for that batch, a little less wall time, and no
 * loss over 255 documents (the same CPU, the same wall time). Six times saved more on 17
 * documents but cost 3.5% on 102. The price: a parser thread starts 5–7 ms slower (Node's
 * code cache of its own modules is made for the default flags).
 *
 * V8 flags are process-wide and cannot be given through NODE_OPTIONS, so they are set here, at
 * run time, before the parser threads start; a process started with its own
 * `--interrupt-budget` keeps it.
 */
import { setFlagsFromString } from "node:v8";

export const INTERRUPT_BUDGET = 4 * 67_584;

let tuned = false;

export function tuneV8ForParsing(): void {
  if (tuned) return;
  tuned = true;
  if (process.execArgv.some((a) => a.startsWith("--interrupt-budget"))) return;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
