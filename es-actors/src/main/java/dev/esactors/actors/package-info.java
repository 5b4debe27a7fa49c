/**
 * The Akka Cluster side of es-actors: the Coordinator (parameter state, seed schedule), Evaluators (one model
 * replica per device) and the Reducer (fitness shaping, the update). Built out by the orchestration issue.
 */
package dev.esactors.actors;
