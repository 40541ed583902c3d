/**
 * The sections `npm run bench` runs, in order. Part 2 adds its sections here (queue
 * overhead, the 10,000-document scale run through the Redis pipeline): give them a `skip`
 * that reports a missing service, and `inDefaultRun: false` if they should only run when
 * named with --only.
 */
import type { Section } from "../section.js";
import { boundedSection } from "./bounded.js";
import { cpuSection } from "./cpu.js";
import { formatsSection } from "./formats.js";
import { leakSection } from "./leak.js";
import { pdftotextSection } from "./pdftotext.js";
import { queueSection, scaleSection } from "./pipeline.js";
import { reconstructSection } from "./reconstruct.js";
import { scannedSection } from "./scanned.js";

export const SECTIONS: readonly Section[] = [formatsSection, pdftotextSection, cpuSection, reconstructSection, boundedSection, scannedSection, leakSection, queueSection, scaleSection];
