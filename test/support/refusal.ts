/** The RefusalError a promise rejects with (the test fails when it resolves or rejects with anything else). */
import { expect } from "vitest";
import { RefusalError } from "../../src/document.js";

export async function rejection(p: Promise<unknown>): Promise<RefusalError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RefusalError);
  return e as RefusalError;
}
