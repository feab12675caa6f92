// ServiceKitStore: the parts of the service platform that keep state in the service's own
// PostgreSQL schema. Every statement is parameterised; every worker is safe with any number of
// replicas running it at once.
//
// Start-up, in order:
//   1. `PlatformMigrations.migrator(schema:directory:).migrate(pool:)` - the platform tables
//      (versions below 1 in `schema_migrations`), then `services/<name>/migrations`.
//   2. Hand the workers (ServiceKit `BackgroundWorker`s) to `ServiceRunner(workers:)`:
//      `OutboxRelay`, `TimerWorker`, `RetentionSweeper`.
//   Shutdown (the runner does it): RPC server drains, then `await worker.stop()`, then the pool closes.
//
// The tables (all prefixed `xsc_` so they never clash with a service's own):
//   xsc_idempotency_keys  (scope, idempotency_key) -> request sha256 + stored answer
//   xsc_outbox            messages to peers, pending -> delivered | dead
//   xsc_processed_events  event ids a receiver has applied
//   xsc_timers            (kind, subject_id) durable timers, pending -> fired | dead
// Queries name them unqualified: the service's role has search_path = its schema
// (SchemaBootstrap sets it), exactly like the service's own SQL.
//
// In a handler:
//   let answer = try await pool.transaction { tx in
//       try await idempotency.run(in: tx, scope: "orders.Create/" + account, key: key, request: request) {
//           ... business rows ...
//           try await outbox.enqueue(in: tx, destination: "notifications", methodPath: "/...", message: note)
//           try await timers.schedule(in: tx, kind: "order.expire", subjectID: id, dueAtMillis: deadline)
//           return response
//       }
//   }
//   relay.wake()   // deliver now rather than at the next poll
//
// Receiving an outbox event (the relay sends its id as `idempotency-key` metadata):
//   try await pool.transaction { tx in
//       guard try await processedEvents.applyOnce(in: tx, eventID: eventID) else { return }
//       ... apply the effect ...
//   }
//
// Times are Unix milliseconds UTC read from a `WallClock` (the system clock unless a test
// passes a `ManualWallClock`), so no test has to wait for a backoff or a due time.
