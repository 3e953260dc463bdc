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
            Reads FILE (the audit log, or an archived one), picks each event target whose last line is dead
            (or what --outcome names), and queues it again as a new attempt of the same event: a redriven line
            carrying the payload, then the usual retry/applied/failed/dead lines. Attempts keep counting; the
            retry budget starts afresh.

            A running Hookline is reached through the control socket beside its audit log (<audit.path>.sock).
            With no Hookline running, --config runs the redrive in-process and waits for it to finish.
            Examples:
              hookline redrive /var/lib/hookline/audit.jsonl
              hookline redrive --outcome failed --since 2h /var/lib/hookline/audit.jsonl
              hookline redrive --event evt_01M8145QAR9JKCDJG38QP2QN8K --config hookline.yaml audit.jsonl
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

    @Argument(help: "The audit log to read.")
    var file: String

    func run() async throws {
        let now = UnixTime.now()
        let outcomes: Set<AuditOutcome>
        let sinceTime: UnixTime?
        do {
            outcomes = try AuditFilter.outcomes([outcome])
            sinceTime = try since.map { text throws(AuditFilterError) in try AuditFilter.since(text, now: now) }
        } catch {
            throw CommandFailure.usage(error.message)
        }
        guard !outcomes.isEmpty, outcomes.isSubset(of: [.dead, .failed]) else {
            throw CommandFailure.usage("--outcome: redrive takes dead, failed, or both")
        }
        var selection = RedriveSelection()
        do {
            _ = try AuditLogReader.forEachRecord(in: file) { selection.add($0) }
        } catch {
            throw CommandFailure.usage("\(error)")
        }
        let records = selection.select(outcomes: outcomes, event: event, since: sinceTime, now: now)
        for missing in selection.missingPayload(outcomes: outcomes, event: event) {
            Console.show("\(missing): its received line is not in \(file) (rotated?); redrive from the archived file that has it")
        }
        guard !records.isEmpty else {
            Console.show("nothing to redrive in \(file)")
            return
        }
        let configuration = try config.map { try ConfigurationFile.load($0) }
        let socket = (configuration?.audit.path ?? file) + ".sock"
        let results: [RedriveResult]
        do {
            results = try await ControlClient.redrive(records, socket: socket)
            Console.show("sent to the running Hookline (\(socket)):")
        } catch let unreachable as ControlClient.Unreachable {
            guard let configuration else {
                throw CommandFailure.runtime("\(unreachable); no Hookline is running for \(file) — give --config to redrive in-process")
            }
            results = try await redriveInProcess(records, configuration: configuration)
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

    private func redriveInProcess(_ records: [AuditRecord], configuration: HooklineConfiguration) async throws -> [RedriveResult] {
        let inProcess = try await InProcessRuntime.start(configuration)
        let runtime = inProcess.runtime
        let results = await runtime.redrive(records)
        let redriven = Set(results.filter { !$0.targets.isEmpty }.map(\.event))
        // Wait until the redriven events are no longer owed.
        func stillOwed() -> Bool {
            let journal = runtime.audit.journal
            return redriven.contains { journal.pendingEvent($0) != nil }
        }
        while stillOwed() {
            try await Task.sleep(for: .milliseconds(50))
            _ = await runtime.audit.flush()
        }
        await runtime.stop()
        await inProcess.workers.value
        Console.show("redriven in-process; the outcomes are in \(configuration.audit.path) (hookline tail --event …)")
        return results
    }
}
