import ArgumentParser
import HooklineCore
import HooklineServer
import HooklineTools

/// `hookline tail`: read the audit log, filtered, as columns or raw JSON; `-f` follows it.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show the audit log, filtered; -f follows it across rotation like tail -F.",
        discussion: """
            Examples:
              hookline tail -f /var/lib/hookline/audit.jsonl --outcome failed,dead
              hookline tail audit.jsonl --contact 144 --since 2h
              hookline tail audit.jsonl --event evt_01M8145QAR9JKCDJG38QP2QN8K --json | jq .
            """
    )

    @Argument(help: "The audit log (default: hookline-audit.jsonl, the default audit.path).")
    var file: String = "hookline-audit.jsonl"

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep reading as lines are appended (survives rotation and truncation).")
    var follow = false

    @Option(name: [.customShort("n"), .customLong("lines")], help: "Show only the last N matching lines before following.")
    var lines: Int?

    @Option(help: "Only these outcomes (repeat or comma-separate: failed,dead).")
    var outcome: [String] = []

    @Option(help: "Only lines of this event (or folded into it).")
    var event: String?

    @Option(help: "Only lines about this source contact id.")
    var contact: String?

    @Option(help: "Only lines for this target.")
    var target: String?

    @Option(help: "Only lines from this source.")
    var source: String?

    @Option(help: "Only lines from the last DURATION (10m, 2h) or since an RFC 3339 time.")
    var since: String?

    @Flag(help: "Print the raw JSON lines instead of columns.")
    var json = false

    func filter(now: UnixTime) throws -> AuditFilter {
        do {
            return AuditFilter(
                outcomes: try AuditFilter.outcomes(outcome), event: event, contact: contact, target: target, source: source,
                since: try since.map { text throws(AuditFilterError) in try AuditFilter.since(text, now: now) })
        } catch {
            throw CommandFailure.usage(error.message)
        }
    }

    func run() async throws {
        let filter = try self.filter(now: .now())
        let colour = TextTable.standardOutputIsTerminal
        do {
            try await stream(filter: filter, colour: colour) { print($0) }
        } catch let error as FileError {
            throw CommandFailure.runtime(error.description)
        } catch is CancellationError {
            return
        }
    }

    /// Emits every matching line as text: the code path `run()` and the tests share.
    func stream(filter: AuditFilter, colour: Bool, emit: (String) -> Void) async throws {
        // With -n, lines are held until the end of what is there, and only the last N shown.
        var backlog: [String]? = lines == nil ? nil : []
        try await AuditLogFollower(path: file).read(
            follow: follow,
            caughtUp: {
                backlog?.forEach(emit)
                backlog = nil
            }
        ) { line in
            guard let record = try? AuditRecord(jsonLine: line), filter.matches(record) else { return }
            // --json prints the line as exact JSON, with C1, DEL and bidi characters as \u escapes.
            let text = json ? String(decoding: TerminalText.safeJSONLine(Array(line)), as: UTF8.self) : AuditLineFormatter.format(record, colour: colour)
            if backlog != nil {
                backlog?.append(text)
                if let limit = lines, let count = backlog?.count, count > limit { backlog?.removeFirst() }
            } else {
                emit(text)
            }
        }
    }
}
