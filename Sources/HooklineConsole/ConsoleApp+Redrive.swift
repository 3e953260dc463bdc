import HooklineCore
import HooklineServer
import Synchronization

/// Redrives by filter, in the background: counted first (the page asks to confirm), then sent in
/// batches whose progress the page and the API show.
final class RedriveRuns: Sendable {
    struct Run: Sendable {
        var id: String
        var by: String
        var events: Int
        var done = 0
        var targets = 0
        var problems: [String] = []
        var finished = false

        var json: JSONValue {
            [
                "id": .string(id), "by": .string(by), "events": .number(String(events)), "done": .number(String(done)),
                "targets": .number(String(targets)), "finished": .bool(finished), "problems": .array(problems.prefix(20).map(JSONValue.string)),
            ]
        }
    }

    private let runs = Mutex<[String: Run]>([:])

    func start(_ run: Run) { runs.withLock { $0[run.id] = run } }
    func update(_ id: String, _ change: (inout Run) -> Void) { runs.withLock { if var run = $0[id] { change(&run); $0[id] = run } } }
    func run(_ id: String) -> Run? { runs.withLock { $0[id] } }
}

extension ConsoleApp {
    static let redriveBatch = 100

    /// What a filter selects to redrive: dead and failed targets (or the filter's outcome, when
    /// it names one of them) of events matching every other criterion.
    func redriveCandidates(_ query: EventQuery) async throws -> [AuditRecord] {
        let outcomes: Set<AuditOutcome> = query.outcome.map { [.dead, .failed].contains($0) ? [$0] : [] } ?? [.dead, .failed]
        guard !outcomes.isEmpty else { throw EventQueryError("outcome: only dead or failed targets are redriven") }
        let candidates = try await running.store.redriveCandidates(outcomes: outcomes, event: query.event, since: query.since, now: .now())
        return candidates.filter { record in
            (query.source.map { record.source == $0 } ?? true) && (query.type.map { record.type == $0 } ?? true)
                && (query.contact.map { record.contact == $0 } ?? true) && (query.message.map { record.message == $0 } ?? true)
                && (query.until.map { record.ts < $0 } ?? true)
        }.compactMap { record in
            // A target filter redrives that target alone.
            guard let target = query.target else { return record }
            guard record.targets?.contains(target) == true else { return nil }
            var only = record
            only.targets = [target]
            return only
        }
    }

    /// `GET /redrive?…`: how many events and targets the filter would redrive, and a form to go on.
    func confirmRedrive(_ query: EventQuery, api: Bool, principal: Principal) async throws -> ConsoleResponse {
        guard principal.canAct else { return forbidden(api) }
        let candidates = try await redriveCandidates(query)
        let targets = candidates.reduce(0) { $0 + ($1.targets?.count ?? 0) }
        if api { return .json(200, ["events": .number(String(candidates.count)), "targets": .number(String(targets))]) }
        let context: [String: Any] = [
            "events": candidates.count, "targets": targets, "none": candidates.isEmpty,
            "fields": query.items().map { ["name": $0.0, "value": $0.1] },
            "filters": query.items().map { "\($0.0)=\($0.1)" }.joined(separator: ", "),
        ]
        return page("redrive-confirm", title: "Redrive by filter", context, principal: principal)
    }

    /// `POST /redrive`: starts the redrive of what the filter selects now.
    func startRedrive(_ query: EventQuery, api: Bool, principal: Principal) async throws -> ConsoleResponse {
        guard principal.canAct else { return forbidden(api) }
        let candidates = try await redriveCandidates(query)
        let id = String(Self.random().prefix(16))
        let by = "console:\(principal.name)"
        redrives.start(RedriveRuns.Run(id: id, by: by, events: candidates.count))
        let running = self.running
        let runs = redrives
        Task {
            var remaining = candidates[...]
            while !remaining.isEmpty {
                let batch = remaining.prefix(Self.redriveBatch).map { record in
                    var record = record
                    record.by = by
                    return record
                }
                remaining = remaining.dropFirst(batch.count)
                let results = await running.redrive(batch)
                runs.update(id) { run in
                    run.done += batch.count
                    run.targets += results.reduce(0) { $0 + $1.targets.count }
                    run.problems += results.compactMap { result in result.problem.map { "\(result.event): \($0)" } }
                }
            }
            runs.update(id) { $0.finished = true }
        }
        if api { return .json(202, ["id": .string(id), "events": .number(String(candidates.count))]) }
        return .redirect("/redrive/\(id)")
    }

    /// `GET /redrive/{id}`: how far a redrive got.
    func redriveProgress(_ id: String, api: Bool, principal: Principal) -> ConsoleResponse {
        guard let run = redrives.run(id) else { return notFound(api, "no redrive '\(id)' (they are kept until a restart)") }
        if api { return .json(200, run.json) }
        let context: [String: Any] = [
            "id": run.id, "by": run.by, "events": run.events, "done": run.done, "targets": run.targets, "finished": run.finished,
            "problems": run.problems.prefix(20).map { $0 }, "percent": run.events == 0 ? 100 : run.done * 100 / run.events,
            "refresh": !run.finished,
        ]
        return page("redrive-progress", title: "Redrive", context, principal: principal)
    }
}
