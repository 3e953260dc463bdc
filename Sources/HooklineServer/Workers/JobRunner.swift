import HooklineCore
import Logging

/// Applies one job: resolves a thin reference, finds the target's contact id, plans the calls,
/// waits for rate-limit slots, calls, classifies — and writes one audit line for the attempt
/// (`retry`, `applied`, `skipped`, `failed` or `dead`, plus `created` for each id learned).
public final class JobRunner: Sendable {
    /// Rate-limit waits up to this long are slept in the worker; longer ones park the job.
    static let inlineWait: Duration = .milliseconds(250)

    private let executors: [String: TargetExecutor]
    private let sources: [String: SourceSettings]
    private let references: any ReferenceStore
    private let resolved = ResolvedContactCache()
    private let queue: WorkQueue
    private let audit: AuditLogWriter
    private let retryPolicy: RetryPolicy
    private let metrics: HooklineMetrics?
    private let logger: Logger

    public init(
        executors: [TargetExecutor],
        sources: [SourceSettings],
        references: any ReferenceStore,
        queue: WorkQueue,
        audit: AuditLogWriter,
        retryPolicy: RetryPolicy,
        metrics: HooklineMetrics? = nil,
        logger: Logger = Logger(label: "hookline.workers", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.metrics = metrics
        self.logger = logger
        self.executors = Dictionary(uniqueKeysWithValues: executors.map { ($0.name, $0) })
        self.sources = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0) })
        self.references = references
        self.queue = queue
        self.audit = audit
        self.retryPolicy = retryPolicy
    }

    /// The state of one attempt, for its audit line.
    private struct Attempt {
        var job: Job
        let number: Int
        let firstAttemptAt: UnixTime
        let started = ContinuousClock.now
        var requests: [String] = []
        var created: [String] = []

        var elapsedMilliseconds: Int { Int((ContinuousClock.now - started).wholeMilliseconds) }
    }

    /// Runs `job` until it is finished or parked. When the task is cancelled (the drain deadline
    /// passed), the attempt ends without a line: the job stays owed and the next start retries it.
    public func run(_ job: Job) async {
        guard !Task.isCancelled else { return }
        var attempt = Attempt(job: job, number: job.attempt + 1, firstAttemptAt: job.firstAttemptAt ?? .now())
        guard let executor = executors[job.target] else {
            finish(&attempt, .failed, status: nil, error: "no target named \(job.target) is configured")
            return
        }

        // 1. The contact: carried by the message (read back from the journal), or fetched for a thin one.
        var subject = job.event.contact
        if case .inJournal = subject {
            guard let loaded = journaledSubject(of: job.event) else {
                finish(&attempt, .failed, status: nil, error: "the event's line could not be read back from the audit log")
                return
            }
            subject = loaded
        }
        let patch: ContactPatch
        switch subject {
        case .patch(let carried):
            patch = carried
        case .reference(let reference):
            guard let fetched = await resolve(reference, attempt: &attempt) else { return }
            patch = fetched
        case .inJournal:
            finish(&attempt, .failed, status: nil, error: "the event's line in the audit log holds no contact")
            return
        }

        // 2. The contact's id at the target.
        let contactID: String
        switch ContactIDResolver.targetContactID(
            rule: job.route.contactID, target: job.target, source: job.event.source, sourceContactID: job.event.contactID,
            patch: patch, references: references)
        {
        case .success(let id): contactID = id
        case .failure(let missing):
            // A contact with no counterpart at this target: nothing to send, not an error.
            finish(&attempt, .skipped, status: nil, error: missing.message)
            return
        }

        // 3. The calls.
        let change = TargetChange(
            kind: job.event.kind, patch: patch, contactID: contactID, sourceContactID: job.event.contactID, source: job.event.source)
        let calls: [TargetCall]
        switch executor.client.plan(change, references: references) {
        case .nothing(let reason):
            finish(&attempt, .skipped, status: nil, error: reason)
            return
        case .calls(let planned):
            calls = planned
        }

        // 4. Each call in turn; a failure ends the attempt.
        guard let slots = await acquireSlots(calls.count, at: executor, attempt: &attempt) else { return }
        var lastStatus: Int?
        for (index, call) in calls.enumerated() {
            // Later slots were reserved with the first, one interval apart: waited for here.
            if index > 0 { await Self.sleep(until: slots[index]) }
            attempt.requests.append(call.summary)
            let result = await executor.perform(call)
            guard !Task.isCancelled else { return }
            guard case .answered(let response, .success(let learned)) = result else {
                handleFailure(result, of: call, at: executor, attempt: &attempt)
                return
            }
            lastStatus = response.status
            if let learned {
                references.remember(target: job.target, key: learned.key, id: learned.id)
                attempt.created.append(learned.id)
                audit.append(
                    record(attempt, .created, status: response.status, error: nil, request: call.summary, ref: learned.id, refKey: learned.key))
            }
        }
        finish(&attempt, .applied, status: lastStatus, error: nil)
    }

    /// Decodes the contact of an event from its journaled line (what queued jobs hold instead of it).
    private func journaledSubject(of event: ContactEvent) -> ContactSubject? {
        guard let line = audit.openingLine(of: event.id), let record = try? AuditRecord(jsonLine: line),
            let payload = record.payload, let kind = sources[event.source]?.kind, let decoder = MessageDecoders.decoder(forKind: kind),
            case .contact(let message)? = try? decoder.decode(bytes: payload, context: MessageContext(messageID: record.message, eventType: record.type))
        else { return nil }
        return message.contact
    }

    /// The fetched contact of a thin delivery (cached for the event's other targets), or nil
    /// when the attempt ended (parked, retried or failed).
    private func resolve(_ reference: ContactReference, attempt: inout Attempt) async -> ContactPatch? {
        let event = attempt.job.event
        guard let resolverName = sources[event.source]?.resolveWith, let resolver = executors[resolverName],
            let fetching = resolver.client as? any ContactFetching
        else {
            finish(&attempt, .failed, status: nil, error: "source \(event.source) has no resolve_with target to fetch thin deliveries from")
            return nil
        }
        let call: TargetCall
        switch fetching.fetchCall(contactID: reference.id) {
        case .success(let fetch): call = fetch
        case .failure(let refused):
            finish(&attempt, .skipped, status: nil, error: refused.reason)
            return nil
        }
        if case .cached(let patch) = await resolved.claim(event.id) { return patch }
        var fetched: ContactPatch?
        defer { resolved.complete(event.id, with: fetched) }

        guard await acquireSlots(1, at: resolver, attempt: &attempt) != nil else { return nil }
        attempt.requests.append(call.summary)
        let result = await resolver.perform(call)
        guard !Task.isCancelled else { return nil }
        guard case .answered(let response, .success) = result else {
            handleFailure(result, of: call, at: resolver, attempt: &attempt)
            return nil
        }
        do {
            fetched = try fetching.patch(fromFetched: response)
            return fetched
        } catch {
            finish(&attempt, .failed, status: response.status, error: "\(resolverName) answered the fetch with an unusable contact: \(error)")
            return nil
        }
    }

    /// Reserves a slot for each of `count` calls at `executor` at once (so a multi-call plan
    /// cannot be overtaken between its calls) and waits for the first: the slots to go on, or
    /// nil when the job was parked until its first slot (it keeps its slots and its lane).
    private func acquireSlots(_ count: Int, at executor: TargetExecutor, attempt: inout Attempt) async -> [UnixTime]? {
        let now = UnixTime.now()
        var slots: [UnixTime] = []
        if let held = attempt.job.reservedSlots, held.target == executor.name {
            slots = Array(held.times.prefix(count))
        }
        attempt.job.reservedSlots = nil
        if slots.count < count { slots += executor.reserveSlots(count - slots.count, now: now) }
        guard let first = slots.first else { return [] }
        let wait = first.since(now)
        if wait > Self.inlineWait {
            attempt.job.reservedSlots = ReservedSlots(target: executor.name, times: slots)
            queue.park(attempt.job, until: first)
            return nil
        }
        await Self.sleep(until: first)
        return slots
    }

    private static func sleep(until time: UnixTime) async {
        let wait = time.since(.now())
        if wait > .zero { try? await Task.sleep(for: wait) }
    }

    private func handleFailure(_ result: TargetExecutor.CallResult, of call: TargetCall, at executor: TargetExecutor, attempt: inout Attempt) {
        switch result {
        case .answered(let response, .retry(let requested, let reason)):
            if response.status == 429 {
                executor.pause(until: .now() + (requested ?? retryPolicy.baseDelay))
            }
            scheduleRetry(&attempt, status: response.status, error: reason, requestedDelay: requested)
        case .answered(let response, .permanent(let reason)):
            finish(&attempt, .failed, status: response.status, error: reason)
        case .answered(let response, .refreshCredentials), .answered(let response, .success):
            finish(&attempt, .failed, status: response.status, error: "unexpected answer to \(call.summary)")
        case .unreachable(let failure):
            if failure.mayHaveReachedTarget && !call.isIdempotent {
                finish(
                    &attempt, .failed, status: nil,
                    error: "\(failure.description) after sending \(call.summary); a POST that may have reached \(executor.name) is not repeated (it could create a duplicate) — check the target, then redrive")
            } else {
                scheduleRetry(&attempt, status: nil, error: failure.description, requestedDelay: nil)
            }
        }
    }

    private func scheduleRetry(_ attempt: inout Attempt, status: Int?, error: String, requestedDelay: Duration?) {
        var generator = SystemRandomNumberGenerator()
        let now = UnixTime.now()
        // A redrive starts a fresh budget; its attempts keep counting for the log.
        switch retryPolicy.decision(
            afterAttempt: attempt.number - attempt.job.budgetStart, firstAttemptAt: attempt.firstAttemptAt, now: now,
            requestedDelay: requestedDelay, using: &generator)
        {
        case .retry(let delay):
            var line = record(attempt, .retry, status: status, error: error, request: attempt.requests.last)
            line.retryInMs = Int(delay.wholeMilliseconds)
            audit.append(line)
            metrics?.attempt(target: attempt.job.target, outcome: .retry)
            logger.debug("retrying", metadata: eventMetadata(attempt).merging(["in_ms": "\(line.retryInMs ?? 0)", "error": .string(error)]) { $1 })
            var job = attempt.job
            job.attempt = attempt.number
            job.firstAttemptAt = attempt.firstAttemptAt
            queue.park(job, until: now + delay)
        case .giveUp(let reason):
            finish(&attempt, .dead, status: status, error: "\(error); \(reason)")
        }
    }

    private func finish(_ attempt: inout Attempt, _ outcome: AuditOutcome, status: Int?, error: String?) {
        var line = record(attempt, outcome, status: status, error: error, request: attempt.requests.isEmpty ? nil : attempt.requests.joined(separator: ", "))
        if !attempt.created.isEmpty { line.ref = attempt.created.joined(separator: ",") }
        audit.append(line)
        queue.finish(attempt.job)
        metrics?.attempt(target: attempt.job.target, outcome: outcome)
        switch outcome {
        case .failed, .dead:
            logger.warning(
                "\(outcome.rawValue) at \(attempt.job.target)",
                metadata: eventMetadata(attempt).merging(["error": .string(error ?? "")]) { $1 })
        default:
            logger.debug("\(outcome.rawValue) at \(attempt.job.target)", metadata: eventMetadata(attempt))
        }
    }

    private func eventMetadata(_ attempt: Attempt) -> Logger.Metadata {
        [
            "event": .string(attempt.job.event.id), "source": .string(attempt.job.event.source), "target": .string(attempt.job.target),
            "attempt": "\(attempt.number)",
        ]
    }

    private func record(
        _ attempt: Attempt, _ outcome: AuditOutcome, status: Int?, error: String?, request: String?, ref: String? = nil, refKey: String? = nil
    ) -> AuditRecord {
        let event = attempt.job.event
        return AuditRecord(
            ts: .now(), outcome: outcome, event: event.id, source: event.source, type: event.type, contact: event.contactID,
            target: attempt.job.target, attempt: attempt.number, status: status, ms: attempt.elapsedMilliseconds, request: request,
            ref: ref, refKey: refKey, error: error)
    }
}
