import HooklineCore

/// Queues `redriven` records again: journals each (payload and all) before queuing its jobs, so
/// a redrive survives a crash like any delivery. Attempts keep counting; the retry budget starts
/// afresh.
package struct Redriver: Sendable {
    /// The sources and routes now (a reload replaces them).
    private let live: LiveValue<EventJobs>
    let store: any Store
    /// A span per redriven event, linked to its first trace; nil when tracing is off.
    var tracing: HooklineTracing?

    init(events: EventJobs, store: any Store, tracing: HooklineTracing?) {
        self.live = LiveValue(events)
        self.store = store
        self.tracing = tracing
    }

    var events: EventJobs { live.current }

    /// Redrives from now on decode and route with `events` (a reload).
    func update(events: EventJobs) { live.replace(with: events) }

    func redrive(_ records: [AuditRecord]) async -> [RedriveResult] {
        var results: [RedriveResult] = []
        for record in records {
            guard record.outcome == .redriven, let eventID = record.event else { continue }
            let owed: Set<String>
            do {
                owed = Set(try await store.owedTargets(of: eventID) ?? [])
            } catch {
                results.append(RedriveResult(event: eventID, targets: [], problem: "the store cannot be read: \(error)"))
                continue
            }
            var problems: [String] = []
            var targets: [String] = []
            for target in record.targets ?? [] {
                if owed.contains(target) { problems.append("\(target) is still in progress") } else { targets.append(target) }
            }
            results.append(await requeue(record, targets: targets, problems: problems))
        }
        return results
    }

    /// Queues `record`'s event again for `targets`, journaling the `redriven` line first.
    private func requeue(_ record: AuditRecord, targets: [String], problems: [String]) async -> RedriveResult {
        var record = record
        var problems = problems
        let eventID = record.event ?? ""
        record.ts = .now()
        // A new trace for the redrive, linked to the first: the attempts it causes are its children.
        let span = tracing?.startRedrive(event: eventID, original: record.trace, by: record.by)
        defer { span?.end() }
        if let span, let tracing { record.trace = tracing.carrier(of: span.context) }
        let restored: RestoredEvent
        switch events.restore(record, owed: targets) {
        case .success(let event): restored = event
        case .failure(let failure): return RedriveResult(event: eventID, targets: [], problem: failure.description)
        }
        problems += restored.unroutable.map { "no route from \(restored.event.source) to \($0) is configured" }
        let jobs = restored.jobs
        guard !jobs.isEmpty else { return RedriveResult(event: eventID, targets: [], problem: problems.joined(separator: "; ")) }
        guard store.reserve(jobs.count) else { return RedriveResult(event: eventID, targets: [], problem: "the queue is full") }
        record.targets = jobs.map(\.target)
        let outcome = await store.accept(record, jobs: jobs)
        guard outcome == .durable else { return RedriveResult(event: eventID, targets: [], problem: "the redriven line was not kept: \(outcome)") }
        return RedriveResult(event: eventID, targets: jobs.map(\.target), problem: problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    /// After a call of `job` went out late (its lease no longer covered it, `CallFence`) and its
    /// lane had changed hands, the target may hold an older update than the lane's newest: queues
    /// the newest event of the lane again for the target, owed or not, at the end of the lane, so
    /// the target ends at it. Nil when there is nothing to do (the newest is `job`'s own event, or
    /// the store has no lanes that change hands); else what was queued, or why not.
    func repair(after job: Job, by: String) async -> RedriveResult? {
        let newest: AuditRecord?
        do {
            newest = try await store.newestOpening(inLaneOf: job)
        } catch {
            return RedriveResult(event: "", targets: [], problem: "the lane's newest event cannot be read: \(error)")
        }
        guard var record = newest, let eventID = record.event, eventID != job.event.id else { return nil }
        record.outcome = .redriven
        record.targets = [job.target]
        record.by = by
        return await requeue(record, targets: [job.target], problems: [])
    }

    /// Redrives what the journal selects: the targets whose last outcome is in `outcomes`.
    func redrive(_ request: RedriveRequest) async throws(JournalFailure) -> [RedriveResult] {
        let candidates = try await store.redriveCandidates(outcomes: request.outcomes, event: request.event, since: request.since, now: .now())
        return await redrive(candidates.map { record in
            var record = record
            record.by = request.by ?? record.by
            return record
        })
    }
}

/// Which dead or failed targets to redrive, when the journal selects them.
package struct RedriveRequest: Sendable, Hashable {
    package var outcomes: Set<AuditOutcome>
    package var event: String?
    package var since: UnixTime?
    /// Who asked, for the `redriven` lines (the console's token name).
    package var by: String?

    package init(outcomes: Set<AuditOutcome>, event: String? = nil, since: UnixTime? = nil, by: String? = nil) {
        self.outcomes = outcomes
        self.event = event
        self.since = since
        self.by = by
    }

    var json: JSONValue {
        var object: JSONObject = ["outcomes": .array(outcomes.map(\.rawValue).sorted().map(JSONValue.string))]
        if let event { object["event"] = .string(event) }
        if let since { object["since"] = .string(since.rfc3339) }
        return .object(object)
    }

    init(json: JSONValue) throws(JournalFailure) {
        let names = json["outcomes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let outcomes = Set(names.compactMap(AuditOutcome.init(rawValue:)))
        guard !outcomes.isEmpty, outcomes.isSubset(of: [.dead, .failed]) else {
            throw JournalFailure("a redrive selects dead or failed targets")
        }
        self.outcomes = outcomes
        self.event = json["event"]?.stringValue
        self.since = json["since"]?.stringValue.flatMap(UnixTime.init(rfc3339:))
    }
}
