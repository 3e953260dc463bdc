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
              hookline tail audit.jsonl --event evt_01M8145QAR9JKCDJG38QP2QN8K --json
              hookline tail a/audit.jsonl b/audit.jsonl --contact 144

            Several files (a fleet's logs) are merged by ts, and a line adopted from a \
            stopped instance (it is in two logs) is shown once. With -f, what is there is \
            shown merged, then new lines as they arrive.
            """
    )

    @Argument(help: "The audit log, or several instances' logs to merge (default: hookline-audit.jsonl, the default audit.path).")
    var files: [String] = []

    var paths: [String] { files.isEmpty ? ["hookline-audit.jsonl"] : files }

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

    @Option(help: "Only lines before DURATION ago (10m, 2h) or before an RFC 3339 time.")
    var until: String?

    @Option(help: "Only lines of this message type (contact.updated, account.created, …).")
    var type: String?

    @Option(help: "Only lines of this message id (the sender's).")
    var message: String?

    @Flag(help: "Print the raw JSON lines instead of columns.")
    var json = false

    func filter(now: UnixTime) throws -> AuditFilter {
        do {
            var filter = AuditFilter(
                outcomes: try AuditFilter.outcomes(outcome), event: event, contact: contact, target: target, source: source,
                since: try since.map { text throws(AuditFilterError) in try AuditFilter.since(text, now: now) })
            filter.until = try until.map { text throws(AuditFilterError) in try AuditFilter.time(text, now: now, option: "--until") }
            filter.type = type
            filter.message = message
            return filter
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
        if paths.count == 1 {
            try await streamOne(paths[0], filter: filter, colour: colour, emit: emit)
        } else {
            try await streamMerged(filter: filter, colour: colour, emit: emit)
        }
    }

    func text(_ line: [UInt8], _ record: AuditRecord, colour: Bool) -> String {
        // --json prints the line as exact JSON, with C1, DEL and bidi characters as \u escapes.
        json ? String(decoding: TerminalText.safeJSONLine(line), as: UTF8.self) : AuditLineFormatter.format(record, colour: colour)
    }

    /// One file, in file order.
    func streamOne(_ path: String, filter: AuditFilter, colour: Bool, emit: (String) -> Void) async throws {
        // With -n, lines are held until the end of what is there, and only the last N shown.
        var backlog: [String]? = lines == nil ? nil : []
        try await AuditLogFollower(path: path).read(
            follow: follow,
            caughtUp: {
                backlog?.forEach(emit)
                backlog = nil
            }
        ) { line in
            guard let record = try? AuditRecord(jsonLine: line), filter.matches(record) else { return }
            let text = self.text(line, record, colour: colour)
            if backlog != nil {
                backlog?.append(text)
                if let limit = lines, let count = backlog?.count, count > limit { backlog?.removeFirst() }
            } else {
                emit(text)
            }
        }
    }

    private enum Read: Sendable {
        case line(log: Int, [UInt8], AuditRecord)
        case caughtUp(log: Int)
    }

    /// Several files: what is there now, merged by ts (`AuditLogMerge`); with -f, then each new
    /// line as it arrives. A committed line already shown from another log is shown once; in
    /// follow mode that memory is the last 65,536 such lines.
    func streamMerged(filter: AuditFilter, colour: Bool, emit: (String) -> Void) async throws {
        let (reads, continuation) = AsyncThrowingStream.makeStream(of: Read.self)
        let follow = self.follow
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            // The readers run beside the merge; the merge stays in this task (emit is not Sendable).
            tasks.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (log, path) in paths.enumerated() {
                            group.addTask {
                                try await AuditLogFollower(path: path).read(
                                    follow: follow, caughtUp: { continuation.yield(.caughtUp(log: log)) }
                                ) { line in
                                    // Filtered here, so that what waits for the merge is only what will show.
                                    guard let record = try? AuditRecord(jsonLine: line), filter.matches(record) else { return }
                                    continuation.yield(.line(log: log, line, record))
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }

            var backlog: [[(line: [UInt8], record: AuditRecord)]] = Array(repeating: [], count: paths.count)
            var waiting = Set(paths.indices)
            var seen = CommittedLineSet(capacity: 65_536)
            for try await read in reads {
                switch read {
                case .line(let log, let line, let record):
                    if waiting.isEmpty {
                        if seen.admit(record, from: log) { emit(text(line, record, colour: colour)) }
                    } else {
                        backlog[log].append((line, record))
                    }
                case .caughtUp(let log):
                    guard waiting.remove(log) != nil, waiting.isEmpty else { continue }
                    let order = AuditLogMerge.order(backlog.map { $0.map(\.record) })
                    let shown = lines.map { order.suffix(max(0, $0)) } ?? order[...]
                    for (log, index) in order { _ = seen.admit(backlog[log][index].record, from: log) }
                    for (log, index) in shown {
                        let entry = backlog[log][index]
                        emit(text(entry.line, entry.record, colour: colour))
                    }
                    backlog = []
                }
            }
            tasks.cancelAll()
        }
    }
}
