/** src/tuning.ts: the V8 flags a parsing process sets, unless it was started with its own. */
import { describe, expect, it } from "vitest";
import { flagsToSet, INTERRUPT_BUDGET, PARSING_FLAGS } from "../src/tuning.js";

describe("flagsToSet", () => {
  it("sets the raised tier-up budget and the halved inlining budgets in a process started without flags", () => {
    expect(flagsToSet([])).toEqual([
      `--interrupt-budget=${INTERRUPT_BUDGET}`,
      "--max-inlined-bytecode-size=230",
      "--max-inlined-bytecode-size-cumulative=460",
    ]);
    expect(flagsToSet([])).toEqual(PARSING_FLAGS);
  });

  it("keeps a flag the process was started with, in either form, and only that one", () => {
    expect(flagsToSet(["--interrupt-budget=100000"])).toEqual(["--max-inlined-bytecode-size=230", "--max-inlined-bytecode-size-cumulative=460"]);
    // The -cumulative flag is not the other one, nor the other way round.
    expect(flagsToSet(["--max-inlined-bytecode-size-cumulative=100"])).toEqual([`--interrupt-budget=${INTERRUPT_BUDGET}`, "--max-inlined-bytecode-size=230"]);
    expect(flagsToSet(["--max-inlined-bytecode-size", "100"])).toEqual([`--interrupt-budget=${INTERRUPT_BUDGET}`, "--max-inlined-bytecode-size-cumulative=460"]);
    expect(flagsToSet(["--enable-source-maps", "--interrupt-budget", "5", "--max-inlined-bytecode-size=1", "--max-inlined-bytecode-size-cumulative=2"])).toEqual([]);
  });
});
