// Package pipeline owns claimscreen's batch loop and the interfaces it needs:
//
//	fetch -> decode -> screen -> route -> record -> write -> mark published and commit
//
// A Source gives batches of submitted messages; a Sink publishes outputs
// (review, notices, held, dead letters); a Ledger remembers every
// submission's decision. The package never imports a Kafka or PostgreSQL
// client: adapters in internal/kafkaio and internal/postgres implement the
// interfaces, and pipeline/mem has in-memory ones. pipeline/pipelinetest is
// the conformance suite every implementation passes.
//
// # Delivery contract
//
//   - A claim is never lost. A batch's offsets are committed only after every
//     output of the batch has been acknowledged by the sink (RequireAll on
//     Kafka) and every decision is in the ledger. A sink or ledger fault is
//     retried with backoff, readiness goes false meanwhile, and nothing is
//     committed until it succeeds.
//   - Decisions are recorded before their outputs are written, and marked
//     published after. A redelivered submission (same originator, claim id
//     and content) gets its recorded decision back; if that decision was
//     marked published, nothing is published again.
//   - The remaining window: a crash after the sink acknowledged a batch and
//     before the ledger marked it published. Those submissions are
//     redelivered and their outputs published a second time, identical to
//     the first (same key, same decision id or notice id, same content), so
//     a consumer can drop them by id. No submission ever gets two different
//     decisions.
//   - A message that cannot be answered goes to the dead-letter topic with
//     its bytes unchanged and headers saying why and where it came from; it
//     never stops its partition.
//   - Order is kept per key within a partition: outputs of a batch are
//     written in input order, and keyed by originator_id/claim_id.
//   - Two batches overlap: batch N is written, marked published and
//     committed while batch N+1 is decoded, screened and recorded. Commits
//     stay in order, each after its own batch's outputs are acknowledged.
//     Marking published and committing run at once: either one closes the
//     duplicate window for the batch.
//   - The work of each claim (decode, screen, encode) is spread over the
//     cores; what depends on other claims of the batch runs in input order.
//   - On shutdown the batches in hand are finished, written and committed
//     within the shutdown timeout.
package pipeline
