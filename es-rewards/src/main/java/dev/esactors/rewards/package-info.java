/**
 * Tasks for ES fine-tuning: a dataset, a prompt template and an outcome reward (Countdown, math, ARC-AGI,
 * Sudoku, conciseness). Pure Java: this module knows nothing about tensors. Built out by the rewards issue.
 */
package dev.esactors.rewards;
