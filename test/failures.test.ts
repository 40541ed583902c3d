/** The failure codes (src/failures.ts): the failedReason round trip, and the README table. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { codeOf, exitStatus, FAILURE_CODES, FAILURES, failedReasonOf, FailureError, failureCodeOf, isFileFault, parseFailedReason, RefusalError } from "../src/failures.js";

describe("failure codes", () => {
  it("carry the code across a failedReason string, and only there", () => {
    for (const code of FAILURE_CODES) {
      const message = `something: with a colon, and ${code}: inside`;
      expect(parseFailedReason(failedReasonOf(code, message))).toEqual({ code, message });
    }
    // Anything else, the whole reason is the message of an internal failure.
    expect(parseFailedReason("connect ECONNREFUSED 127.0.0.1:5432")).toEqual({ code: "internal", message: "connect ECONNREFUSED 127.0.0.1:5432" });
    expect(parseFailedReason("not-a-code: x")).toEqual({ code: "internal", message: "not-a-code: x" });
    expect(parseFailedReason("corrupt:x")).toEqual({ code: "internal", message: "corrupt:x" });
    expect(parseFailedReason(undefined)).toEqual({ code: "internal", message: "" });
    expect(parseFailedReason("toString: x").code).toBe("internal");
    expect(failureCodeOf("timeout")).toBe("timeout");
    expect(failureCodeOf("whatever")).toBe("internal");
  });

  it("travel with the error", () => {
    expect(codeOf(new RefusalError("encrypted", "x"))).toBe("encrypted");
    expect(codeOf(new FailureError("queue-unavailable", "x"))).toBe("queue-unavailable");
    expect(codeOf(new Error("corrupt: looks like one, is not"))).toBe("internal");
    expect(new RefusalError("corrupt", "x")).toBeInstanceOf(FailureError);
  });

  it("keep the documented exit statuses", () => {
    expect(Object.fromEntries(FAILURE_CODES.map((c) => [c, FAILURES[c].exit]))).toEqual({
      internal: 1,
      usage: 2,
      "unsupported-type": 3,
      corrupt: 4,
      encrypted: 5,
      "no-text-layer": 6,
      "not-a-report": 7,
      "too-large": 8,
      unreadable: 9,
      "queue-unavailable": 10,
      timeout: 11,
      crashed: 12,
      changed: null,
      missing: null,
      "outside-bucket": null,
    });
    expect(exitStatus("timeout")).toBe(11);
    expect(exitStatus("changed")).toBe(1);
    expect(FAILURE_CODES.filter(isFileFault)).toEqual(["unsupported-type", "corrupt", "encrypted", "no-text-layer", "not-a-report", "too-large", "unreadable", "timeout", "crashed", "changed", "missing", "outside-bucket"]);
  });

  it("are the README's table, row for row", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const rows = readme.split("\n").filter((l) => /^\| (\d+|—) \| `/.test(l));
    expect(rows).toHaveLength(FAILURE_CODES.length);
    for (const code of FAILURE_CODES) {
      const { exit, fileFault, meaning } = FAILURES[code];
      const row = rows.find((r) => r.includes(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row?.startsWith(`| ${exit ?? "—"} | \`${code}\` | ${fileFault ? "yes" : "no"} | ${meaning}`), row).toBe(true);
    }
  });
});
