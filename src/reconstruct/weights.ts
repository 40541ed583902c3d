/**
 * The aligner's weights and thresholds, in one place. They were tuned by hand on the sample
 * corpus (test/corpus*.test.ts, the untidy and glued variants): change one, and run those
 * tests and compare the corpus output, since a small change moves many placements.
 *
 * Similarities are in [0, 1] (normalize.ts labelSimilarity: 1 is the label exactly). The
 * alignment (align.ts) maximises a score: each placed row gains, each skipped row or run of
 * numbers costs, and the weights below set how much.
 *
 * What a table is read with (its strategy, whether its labels make blank rows, its in-row
 * sums) is not here but in the catalogue (src/catalogue.ts TableDef), as data of the table.
 */

// ------------------------------------------------------------------ label similarity (normalize.ts)
/**
 * labelSimilarity = coverage × (SIMILARITY_BASE + SIMILARITY_LENGTH_SHARE × ratio): the share
 * of the label's bigrams found in the text, scaled down to SIMILARITY_BASE when the text is
 * much longer than the label (a short label inside a long different one is weak evidence).
 */
export const SIMILARITY_BASE = 0.6;
export const SIMILARITY_LENGTH_SHARE = 0.4;

// ------------------------------------------------------------------ label evidence (runs.ts)
/** A label cell this similar to a row's label names that row. */
export const NAMES_ROW = 0.85;
/** A run matched with at least this similarity is an anchor: its row is known. */
export const STRONG_EVIDENCE = 0.6;
/** How many text tokens before a run count as its evidence. */
export const EVIDENCE_WINDOW = 10;
/** How many text tokens after a run count as its evidence (flattened text)… */
export const AFTER_WINDOW = 3;
/** …and how much less they weigh than the text before it. */
export const AFTER_DISCOUNT = 0.9;
/** A label wrapped over several tokens and joined back weighs this much less than one token. */
export const JOINED_LABEL_DISCOUNT = 0.95;

// ------------------------------------------------------------------ the alignment score (align.ts)
/** Gain per unit of label evidence of a placed run (the label is worth more than position). */
export const EVIDENCE_WEIGHT = 3;
/** Gain per row a run's values fit (ok or split). */
export const FIT_BONUS = 1;
/** A split of digits that ran together gains this much less than an exact fit. */
export const SPLIT_PENALTY = 0.2;
/** Cost of a row left without a run (missing). */
export const MISSING_PENALTY = 1;
/** Cost of placing a run whose values do not fit its row (damaged): less than missing it. */
export const DAMAGED_PENALTY = 0.5;
/** Cost of a run of numbers that belongs to no row (noise), plus so much per value in it. */
export const NOISE_COST = 0.3;
export const NOISE_COST_PER_VALUE = 0.1;
/**
 * By label (alignOrderedThenByLabel): a run is read as the row its label names best only if
 * the second best row's similarity is more than this below it.
 */
export const LABEL_MARGIN = 0.05;

// ------------------------------------------------------------------ doubt (doubt.ts)
/**
 * When at least this share of the placed runs print their label on their own line
 * (`规章 0 0 0`), a run that does not, after a blank row, is out of step: both are doubted.
 */
export const LABELLED_MAJORITY = 0.5;

// ------------------------------------------------------------------ regions (index.ts)
/** A table whose header is not printed is found by its first rows' labels, this similar. */
export const ANCHOR_SIMILARITY = 0.9;
/** Glued page text: at least this many row labels with digits run straight after them. */
export const GLUED_MIN_ROWS = 3;
