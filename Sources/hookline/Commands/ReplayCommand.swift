import ArgumentParser
import HooklineCore
import HooklineServer
import HooklineTools

/// `hookline replay`: send fixture files through Hookline — to a running endpoint, in-process,
/// or just show the calls they would make.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay webhook bodies from files or folders.",
        discussion: """
            The source is the folder a file sits in (Fixtures/buildr/x.json → buildr) \
            unless --source names it.
              --to URL    sign each body and POST it to a running Hookline
              (default)   run the bodies in-process, against the configured targets
              --dry-run   print the calls each body would make, and send nothing

            The same body replayed again carries the same message id, so a second run is \
            answered duplicate. Exits 0 when every body was accepted (or planned), 1 when \
            any was refused or failed.
            """
    )

    @Option(help: "The YAML configuration (sources, secrets, targets, routes).")
    var config: String = "hookline.yaml"

    @Option(help: "Base URL of a running Hookline, e.g. http://127.0.0.1:8080.")
    var to: String?

    @Flag(help: "Print the calls each body would make; send nothing.")
    var dryRun = false

    @Option(help: "The source for every file, instead of each file's folder name.")
    var source: String?

    @Argument(help: "Files or folders (folders are read in sorted order).")
    var paths: [String]

    func validate() throws {
        if dryRun && to != nil { throw ValidationError("--dry-run sends nothing; drop --to or --dry-run") }
    }

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        let items: [ReplayFiles.Item]
        do {
            items = try ReplayFiles.collect(paths, source: source)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        guard !items.isEmpty else { throw CommandFailure.usage("no files to replay in \(paths.joined(separator: " "))") }
        let failures: Int
        if dryRun {
            failures = try dryRunAll(items, configuration: configuration)
        } else if let to {
            failures = try await send(items, to: to, configuration: configuration)
        } else {
            failures = try await runInProcess(items, configuration: configuration)
        }
        if failures > 0 {
            throw CommandFailure.runtime("\(failures) of \(items.count) bodies were not accepted")
        }
    }

    private func dryRunAll(_ items: [ReplayFiles.Item], configuration: HooklineConfiguration) throws -> Int {
        let planner = DryRunPlanner(configuration: configuration, references: try DryRunPlanner.learnedReferences(in: configuration.audit.path))
        var failures = 0
        for item in items {
            Console.show("\(item.path) (\(item.source))")
            do {
                switch planner.describe(try FileBytes.read(item.path), source: item.source) {
                case .success(let lines): lines.forEach { Console.show("  \($0)") }
                case .failure(let error):
                    failures += 1
                    Console.show("  error: \(error)")
                }
            } catch {
                failures += 1
                Console.show("  error: \(error)")
            }
        }
        return failures
    }

    private func send(_ items: [ReplayFiles.Item], to base: String, configuration: HooklineConfiguration) async throws -> Int {
        let deliverer = WebhookDeliverer()
        var progress = ProgressLine(total: items.count)
        var failures = 0
        var tally: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let line: String
            switch await deliver(item, to: base, configuration: configuration, deliverer: deliverer) {
            case .success(let answer):
                let label = answer.outcome ?? answer.error ?? ""
                tally["\(answer.status) \(answer.outcome ?? "")".trimmingSpaces, default: 0] += 1
                if !(200..<300).contains(answer.status) { failures += 1 }
                line = "\(answer.status) \(label)\(answer.eventID.map { " \($0)" } ?? "")  \(item.path)"
            case .failure(let problem):
                failures += 1
                tally["error", default: 0] += 1
                line = "error  \(item.path): \(problem)"
            }
            progress.finish()
            Console.show(line)
            progress.update(done: index + 1, failed: failures)
        }
        progress.finish()
        Console.show("\(items.count) sent: " + tally.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        return failures
    }

    /// Signs and POSTs one file; a failure is a sentence naming what went wrong.
    private func deliver(
        _ item: ReplayFiles.Item, to base: String, configuration: HooklineConfiguration, deliverer: WebhookDeliverer
    ) async -> Result<WebhookDeliverer.Answer, ReplayProblem> {
        guard let source = configuration.source(named: item.source) else {
            return .failure(ReplayProblem("no source named '\(item.source)' in \(config) (use --source)"))
        }
        let body: [UInt8]
        do {
            body = try FileBytes.read(item.path)
        } catch {
            return .failure(ReplayProblem(error.description))
        }
        let url = base.contains("/webhooks/") ? base : "\(base.hasSuffix("/") ? String(base.dropLast()) : base)/webhooks/\(item.source)"
        let messageID = ReplayMessageID.make(source: item.source, body: body)
        do {
            return .success(
                try await deliverer.deliver(
                    body, to: url, source: source, messageID: messageID,
                    extraHeaders: source.idHeader.map { [HeaderField(name: $0, value: messageID)] } ?? []))
        } catch {
            return .failure(ReplayProblem("could not reach \(url): \(error)"))
        }
    }

    private func runInProcess(_ items: [ReplayFiles.Item], configuration: HooklineConfiguration) async throws -> Int {
        let (outcomes, failures, path) = try await withInProcessHookline(configuration) { running in
            let local = running.configuration
            let deliverer = WebhookDeliverer()
            var outcomes: [FixtureOutcome] = []
            var failures = 0
            var progress = ProgressLine(total: items.count)
            for (index, item) in items.enumerated() {
                switch await deliver(item, to: running.baseURL, configuration: local, deliverer: deliverer) {
                case .success(let answer):
                    if !(200..<300).contains(answer.status) { failures += 1 }
                    outcomes.append(
                        FixtureOutcome(
                            path: item.path, source: item.source, answer: answer.status, answerText: answer.outcome ?? answer.error ?? "",
                            eventID: answer.status == 202 ? answer.eventID : nil))
                case .failure(let problem):
                    failures += 1
                    progress.finish()
                    Console.show("error  \(item.path): \(problem)")
                }
                progress.update(done: index + 1, failed: failures)
            }
            progress.finish()
            let records = try await Self.settle(outcomes, running: running, timeout: .seconds(120))
            for index in outcomes.indices { outcomes[index].settle(from: records) }
            return (outcomes, failures, local.audit.path)
        }
        print(FixtureOutcome.table(outcomes).render(colour: TextTable.standardOutputIsTerminal))  // its cells are escaped
        let unfinished = outcomes.flatMap(\.targets).filter { ["failed", "dead", "pending"].contains($0.outcome) }.count
        Console.show("Audit log: \(path)")
        return failures + unfinished
    }

    /// The audit log's records once every accepted body has finished at its targets (or at the deadline).
    private static func settle(_ outcomes: [FixtureOutcome], running: RunningHookline, timeout: Duration) async throws -> [AuditRecord] {
        let deadline = ContinuousClock.now + timeout
        while true {
            _ = await running.store.flush()
            var records: [AuditRecord] = []
            _ = try AuditLogReader.forEachRecord(in: running.configuration.audit.path) { records.append($0) }
            if FixtureOutcome.allSettled(outcomes, in: records) || ContinuousClock.now >= deadline { return records }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

struct ReplayProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
