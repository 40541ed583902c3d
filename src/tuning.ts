/**
 * V8 settings for a process that parses reports (README "Benchmarks" has the measurements).
 *
 * V8 compiles a function with its optimising compiler (TurboFan, on background threads) once
 * the function has run through a budget of bytecode, the "interrupt budget": 67,584 in the V8
 * of Node 20. pdf.js and the reconstructor run many large functions, each hot only briefly per
 * document, whose type feedback keeps changing over the first documents: in a cold batch of 17
 * corpus PDFs V8's background threads used more CPU than the parsing itself, mostly compiling
 * code that was soon thrown away by deoptimisation and compiled again.
 *
 * - **Four times the budget:** 15–25% less CPU for that batch, a little less wall time, and no
 *   loss over 255 documents (the same CPU, the same wall time). Six times saved more on 17
 *   documents but cost 3.5% on 102. The price: a parser thread starts 5–7 ms slower (Node's
 *   code cache of its own modules is made for the default flags).
 * - **Half TurboFan's inlining budgets** (a function inlined up to 230 bytes of bytecode instead
 *   of 460, and 460 in all per call site instead of 920). With the budget above, TurboFan still
 *   used about a quarter of the CPU of that batch, and spent it on graphs made large by
 *   inlining: compiling the reconstructor's alignRuns took longer than running it. 17 PDFs:
 *   2.59 → 2.37 s (10 alternating runs); 255 PDFs in one process: 18.4 → 17.5 s; one PDF: the
 *   same. Inlining nothing at all saved as much on 17 but nothing on 255.
 *
 * V8 flags are process-wide and cannot be given through NODE_OPTIONS, so they are set here, at
 * run time, before the parser threads start; a process started with one of these flags of its
 * own keeps it.
 */
import { setFlagsFromString } from "node:v8";

export const INTERRUPT_BUDGET = 4 * 67_584;

/** The flags, each as V8 takes it: `--name=value`. */
export const PARSING_FLAGS: readonly string[] = [
  `--interrupt-budget=${INTERRUPT_BUDGET}`,
  "--max-inlined-bytecode-size=230",
  "--max-inlined-bytecode-size-cumulative=460",
];

/** The flags of PARSING_FLAGS that a process started with `execArgv` did not give itself. */
export function flagsToSet(execArgv: readonly string[]): string[] {
  return PARSING_FLAGS.filter((flag) => {
    const name = flag.slice(0, flag.indexOf("="));
    // `--name=N` or `--name N`; `--max-inlined-bytecode-size` is not its `-cumulative` sibling.
    return !execArgv.some((a) => a === name || a.startsWith(`${name}=`));
  });
}

let tuned = false;

export function tuneV8ForParsing(): void {
  if (tuned) return;
  tuned = true;
  for (const flag of flagsToSet(process.execArgv)) setFlagsFromString(flag);
}
