import ArgumentParser
import HooklineCore
import HooklineServer

/// `hookline redrive`: queue dead (or failed) targets of events again — into the running
/// Hookline that owns the log, or in-process with `--config`.
struct RedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Queue the dead or failed targets of events in an audit log again.",
        discussion: """
            Reads FILE (the audit log, or an archived one) — or, without FILE, the journal \
            of --config's Hookline — picks each event target whose last line is dead (or \
            what --outcome names), and queues it again as a new attempt of the same event: \
            a redriven line carrying the payload, then the usual retry/applied/failed/dead \
            lines. Attempts keep counting; the retry budget starts afresh.

            A running Hookline is reached through the control socket beside its audit log \
            (<audit.path>.sock). With no Hookline running, --config runs the redrive \
            in-process and waits for it to finish.

            Examples:
              hookline redrive /var/lib/hookline/audit.jsonl
              hookline redrive --outcome failed --since 2h audit.jsonl
              hookline redrive --event evt_01M8145QAR9JKCDJG38QP2QN8K audit.jsonl
              hookline redrive --config hookline.yaml     (from the journal itself)
            """
    )

    @Option(help: "Only this event.")
    var event: String?

    @Option(help: "Which last outcomes to redrive: dead, failed, or both comma-separated (default: dead).")
    var outcome: String = "dead"

    @Option(help: "Only targets that ended within this DURATION (10m, 2h) or since an RFC 3339 time.")
    var since: String?

    @Option(help: "Configuration, to redrive in-process when no Hookline is running (and to find its socket).")
    var config: String?

    @Argument(help: "The audit log to select from (default: the journal of --config's Hookline).")
    var file: String?

    func validate() throws {
        if file == nil && config == nil { throw ValidationError("give the audit log to read, or --config to select from its journal") }
    }

    func run() async throws {
        let now = UnixTime.now()
        let request: RedriveRequest
        do {
            let outcomes = try AuditFilter.outcomes([outcome])
            guard !outcomes.isEmpty, outcomes.isSubset(of: [.dead, .failed]) else {
                throw CommandFailure.usage("--outcome: redrive takes dead, failed, or both")
            }
            request = RedriveRequest(
                outcomes: outcomes, event: event, since: try since.map { text throws(AuditFilterError) in try AuditFilter.since(text, now: now) })
        } catch let error as AuditFilterError {
            throw CommandFailure.usage(error.message)
        }
        let configuration = try config.map { try ConfigurationFile.load($0) }
        let socket = ControlClient.socket(forAuditLog: configuration?.audit.path ?? file ?? "")
        let work: Work
        if let file {
            var selection = RedriveSelection()
            do {
                _ = try AuditLogReader.forEachRecord(in: file) { selection.add($0) }
            } catch {
                throw CommandFailure.usage("\(error)")
            }
            for missing in selection.missingPayload(outcomes: request.outcomes, event: event) {
                Console.show("\(missing): its received line is not in \(file) (rotated?); redrive from the archived file that has it")
            }
            let records = selection.select(outcomes: request.outcomes, event: event, since: request.since, now: now)
            guard !records.isEmpty else {
                Console.show("nothing to redrive in \(file)")
                return
            }
            work = .records(records)
        } else {
            work = .select(request)
        }
        let results: [RedriveResult]
        do {
            results = try await work.send(to: socket)
            Console.show("sent to the running Hookline (\(socket)):")
        } catch let unreachable as ControlClient.Unreachable {
            guard let configuration else {
                throw CommandFailure.runtime("\(unreachable); no Hookline is running for \(file ?? socket) — give --config to redrive in-process")
            }
            results = try await redriveInProcess(work, configuration: configuration)
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
        var failures = 0
        for result in results {
            if result.targets.isEmpty { failures += 1 }
            let targets = result.targets.isEmpty ? "nothing queued" : "→ \(result.targets.joined(separator: ", "))"
            Console.show("  \(result.event) \(targets)\(result.problem.map { " (\($0))" } ?? "")")
        }
        Console.show("\(results.count - failures) of \(results.count) events redriven")
        if failures > 0 { throw CommandFailure.runtime("\(failures) events could not be redriven") }
    }

    /// What is redriven: records selected from a file, or a selection the journal makes.
    private enum Work: Sendable {
        case records([AuditRecord])
        case select(RedriveRequest)

        func send(to socket: String) async throws -> [RedriveResult] {
            switch self {
            case .records(let records): try await ControlClient.redrive(records, socket: socket)
            case .select(let request): try await ControlClient.redrive(request, socket: socket)
            }
        }

        func run(in running: RunningHookline) async throws -> [RedriveResult] {
            switch self {
            case .records(let records): await running.redrive(records)
            case .select(let request): try await running.redrive(request)
            }
        }
    }

    private func redriveInProcess(_ work: Work, configuration: HooklineConfiguration) async throws -> [RedriveResult] {
        let results = try await withInProcessHookline(configuration) { running in
            let results = try await work.run(in: running)
            let redriven = Set(results.filter { !$0.targets.isEmpty }.map(\.event))
            // Wait until the redriven events are no longer owed.
            var waiting = redriven
            while !waiting.isEmpty {
                for event in waiting where try await running.store.owedTargets(of: event) == nil { waiting.remove(event) }
                if !waiting.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            return results
        }
        Console.show("redriven in-process; the outcomes are in \(configuration.audit.path) (hookline tail --event …)")
        return results
    }
}
